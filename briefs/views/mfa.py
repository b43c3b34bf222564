"""The second step of a password sign-in (a TOTP or recovery code), and setting up the
authenticator: from the account settings, or at sign-in for staff who have none yet."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from briefs.mfa import (
    PENDING,
    PENDING_SECONDS,
    needs_code,
    pending_user,
    pending_wrong_code,
    provisioning,
    totp_device,
)
from briefs.services import second_factor_check, totp_enrol_confirm, totp_enrol_start
from briefs.views.common import bring_zone_to_browser, current_user

# Session key: when the signed-in user last typed a code of their current authenticator, which
# replacing it asks for (for PENDING_SECONDS, the time a set-up takes).
REPROVED = "mfa_reproved_at"


def _sign_in(
    request: HttpRequest, user: User, backend: str, response: HttpResponse
) -> HttpResponse:
    request.session.pop(PENDING, None)
    login(request, user, backend=backend)
    bring_zone_to_browser(request, response, user)
    return response


@login_not_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    found = pending_user(request)
    if found is None:
        return redirect("login")
    user, pending = found
    error = ""
    if request.method == "POST":
        if second_factor_check(user=user, code=request.POST.get("code", "")):
            next_page = redirect(pending["next"] or "/")
            return _sign_in(request, user, pending["backend"], next_page)
        if pending_wrong_code(request):
            messages.error(request, "Too many wrong codes: sign in again.")
            return redirect("login")
        error = "That code is not right (or was used already). Try the next one."
    return render(
        request, "registration/login_code.html", {"error": error}, status=400 if error else 200
    )


def _setup_page(
    request: HttpRequest, user: User, *, confirm_url: str, signing_in: bool, start: bool
) -> HttpResponse:
    """Shows a new secret (`start`), or confirms it with a code and shows the recovery codes."""
    device = totp_device(user, confirmed=False)
    if not start and device is not None:
        codes = totp_enrol_confirm(device=device, code=request.POST.get("code", ""))
        if codes is not None:
            request.session.pop(REPROVED, None)  # the next replacement proves the new one
            if signing_in:  # signed in first, so the page shows the account's header
                backend = request.session[PENDING]["backend"]
                request.session.pop(PENDING, None)
                login(request, user, backend=backend)
            response = render(request, "registration/recovery_codes.html", {"codes": codes})
            if signing_in:
                bring_zone_to_browser(request, response, user)
            return response
        error = "That code is not right. Check the time on your phone and try the next one."
    else:
        device, error = totp_enrol_start(user=user), ""
    secret, uri = provisioning(device)
    return render(
        request,
        "registration/mfa_setup.html",
        {
            "secret": secret,
            "uri": uri,
            "confirm_url": confirm_url,
            "error": error,
            "signing_in": signing_in,
        },
        status=400 if error else 200,
    )


@login_not_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Staff whose password was right but who have no authenticator yet set one up first."""
    found = pending_user(request)
    if found is None:
        return redirect("login")
    user, _ = found
    if needs_code(user):
        return redirect("login_code")
    start = request.method == "GET"
    return _setup_page(request, user, confirm_url=request.path, signing_in=True, start=start)


def _reproved(request: HttpRequest) -> bool:
    at = request.session.get(REPROVED)
    return at is not None and timezone.now().timestamp() - at <= PENDING_SECONDS


def _status_page(request: HttpRequest, user: User, *, error: str = "") -> HttpResponse:
    context = {"device": totp_device(user), "sso": user.sso_identities.exists(), "error": error}
    return render(request, "registration/mfa_status.html", context, status=400 if error else 200)


@never_cache
@sensitive_post_parameters("code", "current_code")
@require_http_methods(["GET", "POST"])
def mfa_settings(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the signed-in user's authenticator.

    Replacing one takes a code from it (or a recovery code) first: an open session alone, say
    an unlocked laptop, must not be enough to move the second factor to someone else's phone.
    """
    user = current_user(request)
    if request.method == "GET":
        return _status_page(request, user)
    start = "start" in request.POST
    if needs_code(user) and not _reproved(request):
        if not start:
            return redirect("mfa_settings")
        if not second_factor_check(user=user, code=request.POST.get("current_code", "")):
            error = "Type a code from your current authenticator (or a recovery code) first."
            return _status_page(request, user, error=error)
        request.session[REPROVED] = timezone.now().timestamp()
    return _setup_page(request, user, confirm_url=request.path, signing_in=False, start=start)
