from django.urls import path

from briefs import views

app_name = "briefs"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/time-zone/", views.time_zone, name="time_zone"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<uuid:public_id>/", views.incident_brief, name="incident_brief"),
    path("incidents/<uuid:public_id>/escalate/", views.incident_resume, name="incident_resume"),
    path(
        "incidents/<uuid:public_id>/escalate/review/escalate",
        views.incident_escalate,
        name="incident_escalate",
    ),
    path(
        "incidents/<uuid:public_id>/escalate/<slug:step>/",
        views.incident_step,
        name="incident_step",
    ),
]
