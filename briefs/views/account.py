"""The signed-in person's own settings: signing in, and the time zone pages are shown in."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from briefs.mfa import must_enrol, needs_code, pending_start
from briefs.middleware import PROPOSE_ZONE, set_zone_cookie
from briefs.services import profile_set_time_zone
from briefs.sso import local_login_allowed, sso_enabled
from briefs.views.common import bring_zone_to_browser, current_user


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    zones = sorted(available_timezones())
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")
        if chosen in zones:
            profile_set_time_zone(user=current_user(request), time_zone=chosen)
            request.session.pop(PROPOSE_ZONE, None)
            response = redirect(next_url)
            set_zone_cookie(response, request, chosen)
            return response
        return render(
            request,
            "briefs/time_zone.html",
            {"zones": zones, "next": next_url, "error": "Choose a time zone from the list."},
            status=400,
        )
    return render(request, "briefs/time_zone.html", {"zones": zones, "next": next_url})


class SignInForm(AuthenticationForm):
    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not local_login_allowed(user):
            raise ValidationError(
                "Sign in with single sign-on: passwords are only for the break-glass account.",
                code="local_login_off",
            )


class SignInView(LoginView):
    """Django's login, which also brings the user's stored time zone to this browser.

    A class because Django's login is one; only `form_valid` changes. django-axes counts its
    failures. With single sign-on configured the page offers it first (briefs/views/sso.py).
    """

    form_class = SignInForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso_enabled()
        context["local_login"] = settings.LOCAL_LOGIN
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        # A second factor first, where the account has one or (staff) must have one.
        if needs_code(user) or must_enrol(user):
            backend = getattr(user, "backend", "django.contrib.auth.backends.ModelBackend")
            pending_start(self.request, user, backend=backend, next_url=self.get_success_url())
            return redirect("login_code" if needs_code(user) else "login_enrol")
        response = super().form_valid(form)
        bring_zone_to_browser(self.request, response, user)
        return response
