from django.contrib import admin
from django.urls import include, path

from briefs.views import mfa, sso
from briefs.views.account import SignInView, admin_login

urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    # Single sign-on (briefs/views/sso.py); logout ends the provider's session too.
    path("login/sso/", sso.sso_login, name="sso_login"),
    path("login/sso/callback", sso.sso_callback, name="sso_callback"),
    path("logout/", sso.sign_out, name="logout"),
    # The second step of a password sign-in, and the authenticator's set-up (briefs/views/mfa.py).
    path("login/code/", mfa.login_code, name="login_code"),
    path("login/authenticator/", mfa.login_enrol, name="login_enrol"),
    path("settings/two-step/", mfa.mfa_settings, name="mfa_settings"),
    # Before the admin's own login, which would sign staff in with a password alone.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("", include("briefs.urls")),
]
