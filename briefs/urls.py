from django.urls import path

from briefs import views

app_name = "briefs"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("settings/time-zone/", views.time_zone, name="time_zone"),
]
