from django.urls import path

from briefs.views import (
    account,
    api,
    brief,
    dashboard,
    followup,
    health,
    public,
    subscribers,
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
    # The JSON API (issue 17): its own namespace, "briefs:api:<view>".
    path("api/v1/", api.urls()),
]
