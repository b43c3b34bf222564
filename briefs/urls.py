from django.urls import path

from briefs.views import (
    account,
    alerts,
    api,
    brief,
    dashboard,
    followup,
    health,
    hooks,
    present,
    public,
    subscribers,
    takeover,
    unsubscribe,
    wizard,
)

app_name = "briefs"

incident = "incidents/<uuid:public_id>/"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", health.healthz, name="healthz"),
    path("settings/time-zone/", account.time_zone, name="time_zone"),
    path("settings/api-tokens/", account.api_tokens, name="api_tokens"),
    path(
        "settings/api-tokens/<uuid:token_id>/revoke",
        account.api_token_revoke_view,
        name="api_token_revoke_view",
    ),
    path("incidents/new/", wizard.incident_new, name="incident_new"),
    path(incident + "escalate/", wizard.incident_resume, name="incident_resume"),
    path(incident + "discard", wizard.incident_discard, name="incident_discard"),
    path(incident + "escalate/review/escalate", wizard.incident_escalate, name="incident_escalate"),
    path(incident + "escalate/<slug:step>/", wizard.incident_step, name="incident_step"),
    path(incident, brief.incident_brief, name="incident_brief"),
    path(incident + "pdf", brief.incident_pdf, name="incident_pdf"),
    path(incident + "brief.md", brief.incident_markdown, name="incident_markdown"),
    path(incident + "updates/", brief.update_create, name="update_create"),
    path(incident + "links/", brief.share_link_create, name="share_link_create"),
    path(
        incident + "links/<uuid:link_id>/revoke",
        brief.share_link_revoke,
        name="share_link_revoke",
    ),
    path(incident + "chat/", brief.chat_webhook_create, name="chat_webhook_create"),
    path(
        incident + "chat/<uuid:webhook_id>/remove",
        brief.chat_webhook_remove,
        name="chat_webhook_remove",
    ),
    path(incident + "meeting/", followup.meeting_create, name="meeting_create"),
    path(incident + "actions/", followup.action_create, name="action_create"),
    path(
        incident + "actions/<uuid:item_id>/done",
        followup.action_complete,
        name="action_complete",
    ),
    path(incident + "resolve/", followup.incident_resolve, name="incident_resolve"),
    path(incident + "reopen", followup.incident_reopen, name="incident_reopen"),
    path(incident + "rca/", followup.rca_edit, name="rca_edit"),
    path(incident + "rca/pdf", followup.rca_pdf, name="rca_pdf"),
    path(incident + "history/", followup.incident_history, name="incident_history"),
    # An admin's take-over (issue 19).
    path(incident + "takeover/", takeover.incident_takeover, name="incident_takeover"),
    path(
        incident + "takeover/owner",
        takeover.incident_hand_over_view,
        name="incident_hand_over",
    ),
    path(
        incident + "takeover/collaborators",
        takeover.incident_add_collaborator_view,
        name="incident_add_collaborator",
    ),
    # The meeting with the CEO (issue 18): the presenter view and the screen it drives.
    path(incident + "present/", present.present, name="present"),
    path(incident + "present/start", present.present_start, name="present_start"),
    path(incident + "present/show", present.present_show, name="present_show"),
    path(incident + "present/captures/", present.present_capture, name="present_capture"),
    path(
        incident + "present/captures/remove",
        present.present_capture_remove,
        name="present_capture_remove",
    ),
    path(incident + "present/end", present.present_end, name="present_end"),
    path(incident + "present/screen", present.present_screen, name="present_screen"),
    # Notifications (issue 16): subscribers, what was sent, unsubscribing without an account.
    path(incident + "subscribers/", subscribers.subscriber_create, name="subscriber_create"),
    path(
        incident + "subscribers/<uuid:subscriber_id>/remove",
        subscribers.subscriber_remove,
        name="subscriber_remove",
    ),
    path(incident + "deliveries/", subscribers.incident_deliveries, name="incident_deliveries"),
    path("u/<str:token>", unsubscribe.unsubscribe, name="unsubscribe"),
    path("b/<str:token>", public.share_view, name="share_view"),
    path("b/<str:token>/pdf", public.share_pdf, name="share_pdf"),
    path("b/<str:token>/brief.md", public.share_markdown, name="share_markdown"),
    path("b/<str:token>/rca", public.share_rca, name="share_rca"),
    path("b/<str:token>/rca/pdf", public.share_rca_pdf, name="share_rca_pdf"),
    # Alert webhooks (issue 17)
    path("hooks/<str:kind>/<str:token>", hooks.alert_hook, name="alert_hook"),
    path("settings/integrations/", alerts.integration_list, name="integration_list"),
    path(
        "settings/integrations/<uuid:integration_id>/revoke",
        alerts.integration_revoke,
        name="integration_revoke",
    ),
    path(
        "settings/integrations/<uuid:integration_id>/secret",
        alerts.integration_secret,
        name="integration_secret",
    ),
    path(
        incident + "alerts/<uuid:clearance_id>/confirm",
        alerts.alert_clearance_confirm,
        name="alert_clearance_confirm",
    ),
    # The JSON API (issue 17): its own namespace, "briefs:api:<view>".
    path("api/v1/", api.urls()),
]
