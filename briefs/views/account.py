"""The signed-in person's own settings: signing in, the time zone pages are shown in, and
their API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from briefs import auth
from briefs.forms import ApiTokenForm
from briefs.mfa import must_enrol, needs_code, pending_start
from briefs.middleware import PROPOSE_ZONE, set_zone_cookie
from briefs.models import ApiToken
from briefs.services import api_token_create, api_token_revoke, profile_set_time_zone
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


@login_not_required
@require_http_methods(["GET", "POST"])
def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's own login form checks the password alone: staff sign in here instead, with
    the second step (briefs/mfa.py), and come back to the admin page they asked for."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("admin:index")
    return redirect_to_login(next_url, reverse("login"))


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
            backend = getattr(user, "backend", auth.BACKEND)
            pending_start(self.request, user, backend=backend, next_url=self.get_success_url())
            return redirect("login_code" if needs_code(user) else "login_enrol")
        response = super().form_valid(form)
        bring_zone_to_browser(self.request, response, user)
        return response


# --- API tokens (issue 17) --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens with their last use, and a form for a new one. A new token is
    shown in the answer to its POST only (no redirect: it is stored nowhere, not even in the
    session)."""
    user = current_user(request)
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    created = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            created = api_token_create(
                user=user,
                name=form.cleaned_data["name"],
                read_only=form.cleaned_data["read_only"],
                valid_for=timedelta(days=form.cleaned_data["valid_days"]),
            )
            form = ApiTokenForm()
        else:
            status = 400
    context = {
        "form": form,
        "created": created,
        "tokens": list(ApiToken.objects.filter(user=user)),
    }
    response = render(request, "briefs/api_tokens.html", context, status=status)
    add_never_cache_headers(response)
    return response


@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: UUID) -> HttpResponse:
    # Another user's token is a 404, as another user's incident is.
    token = get_object_or_404(ApiToken, user=current_user(request), public_id=token_id)
    api_token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” no longer works.")
    return redirect("briefs:api_tokens")
