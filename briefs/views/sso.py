"""Signing in through the identity provider, and signing out here and there."""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from joserfc.errors import JoseError

from briefs import auth
from briefs.services import sso_user_sign_in
from briefs.sso import SignInRefused, provider, sso_enabled
from briefs.views.common import bring_zone_to_browser

log = logging.getLogger(__name__)

# Session keys: where to go after signing in, and the ID token the provider's logout wants.
NEXT = "sso_next"
ID_TOKEN = "sso_id_token"


@login_not_required
@require_GET
def sso_login(request: HttpRequest) -> HttpResponse:
    if not sso_enabled():
        raise Http404
    next_url = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        request.session[NEXT] = next_url
    callback = request.build_absolute_uri(reverse("sso_callback"))
    response: HttpResponse = provider().authorize_redirect(request, callback)
    return response


@login_not_required
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    if not sso_enabled():
        raise Http404
    try:
        # Checks the state (once: it leaves the session), swaps the code with the PKCE
        # verifier, then the ID token: signature, issuer, audience, expiry and nonce.
        token = provider().authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims:
            raise SignInRefused("Your identity provider sent no ID token.")
        user = sso_user_sign_in(issuer=claims["iss"], claims=claims)
    except SignInRefused as refused:
        return render(
            request, "registration/sso_refused.html", {"reason": str(refused)}, status=403
        )
    except (AuthlibBaseError, JoseError, requests.RequestException, KeyError) as error:
        log.warning("single sign-on failed: %s", type(error).__name__)
        return render(request, "registration/sso_failed.html", status=400)
    next_url = request.session.pop(NEXT, "") or reverse(settings.LOGIN_REDIRECT_URL)
    login(request, user, backend=auth.BACKEND)
    # After login, which starts a new session: the provider's logout asks for it.
    request.session[ID_TOKEN] = token.get("id_token", "")
    response = redirect(next_url)
    bring_zone_to_browser(request, response, user)
    return response


@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Ends the session here, and at the provider where it offers RP-initiated logout (a
    shared computer is then not still signed in to the provider)."""
    id_token = request.session.get(ID_TOKEN, "")
    logout(request)
    if id_token and sso_enabled():
        try:
            end_session = provider().load_server_metadata().get("end_session_endpoint")
        except requests.RequestException:
            end_session = None
        if end_session:
            response: HttpResponse = provider().logout_redirect(
                request,
                post_logout_redirect_uri=request.build_absolute_uri(reverse("login")),
                id_token_hint=id_token,
            )
            return response
    return redirect(settings.LOGOUT_REDIRECT_URL)
