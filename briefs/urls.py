from django.urls import path

from briefs import views

app_name = "briefs"

incident = "incidents/<uuid:public_id>/"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/time-zone/", views.time_zone, name="time_zone"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path(incident, views.incident_brief, name="incident_brief"),
    path(incident + "pdf", views.incident_pdf, name="incident_pdf"),
    path(incident + "brief.md", views.incident_markdown, name="incident_markdown"),
    path(incident + "updates/", views.update_create, name="update_create"),
    path(incident + "links/", views.share_link_create, name="share_link_create"),
    path(
        incident + "links/<uuid:link_id>/revoke",
        views.share_link_revoke,
        name="share_link_revoke",
    ),
    path(incident + "escalate/", views.incident_resume, name="incident_resume"),
    path(incident + "escalate/review/escalate", views.incident_escalate, name="incident_escalate"),
    path(incident + "escalate/<slug:step>/", views.incident_step, name="incident_step"),
    path("b/<str:token>", views.share_view, name="share_view"),
    path("b/<str:token>/pdf", views.share_pdf, name="share_pdf"),
    path("b/<str:token>/brief.md", views.share_markdown, name="share_markdown"),
]
