from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from briefs.views.account import SignInView

urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("briefs.urls")),
]
