from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control

from briefs.models import zone_named

# The architect's zone. Stored in their Profile, but read per request from this cookie, which
# login and the time-zone page set from it: pages then cost no query for the zone.
TIME_ZONE_COOKIE = "tz"
# An executive link reader's own zone, when they switched the link to it (static/js/time-zone.js
# sets it, scoped to /b/): remembered without an account.
LINK_TIME_ZONE_COOKIE = "link_tz"
# Session flag: the user has no stored zone yet, so base.html proposes the browser's.
PROPOSE_ZONE = "propose_time_zone"
ZONE_COOKIE_AGE = 365 * 86400


def zone_from_request(request: HttpRequest) -> ZoneInfo:
    """The viewer's zone: the one they picked (a cookie), else the site default."""
    name = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)


def link_zone(request: HttpRequest, incident_zone: str) -> ZoneInfo:
    """The zone an executive link shows: the incident's, unless this browser switched the
    link to its own zone."""
    return (
        zone_named(request.COOKIES.get(LINK_TIME_ZONE_COOKIE, ""))
        or zone_named(incident_zone)
        or ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)
    )


def set_zone_cookie(response: HttpResponse, request: HttpRequest, name: str) -> None:
    response.set_cookie(
        TIME_ZONE_COOKIE,
        name,
        max_age=ZONE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )


class TimezoneMiddleware:
    """Activates the viewer's time zone, so forms read and pages show local times."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with timezone.override(zone_from_request(request)):
            return self.get_response(request)


# How stale a session's expiry may get before a request pushes it back: the idle timeout is
# then exact to within this, and a busy user costs one session write per interval, not per page.
SESSION_REFRESH = timedelta(minutes=5)
LAST_REFRESH = "_idle_refreshed_at"


class SessionIdleMiddleware:
    """Ends sessions after SESSION_COOKIE_AGE seconds without a request.

    Django's SESSION_SAVE_EVERY_REQUEST would do it with a database write on every page view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.session_key and not session.is_empty():
            now = timezone.now().timestamp()
            if now - session.get(LAST_REFRESH, 0) >= SESSION_REFRESH.total_seconds():
                # Modified, so SessionMiddleware saves it with a fresh expiry.
                session[LAST_REFRESH] = now
        return response


# The executive links: a token in the address is a credential, so nothing under it may be kept,
# indexed or leak through a Referer, whatever the answer (404, 405, 429 included).
SHARE_LINK_PREFIX = "/b/"
SHARE_LINK_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


class CacheHeadersMiddleware:
    """Keeps every answer of the app out of caches: one place, so no view can forget it.

    Under /b/ the link headers replace whatever a view set. Elsewhere a signed-in user's
    responses are `private, no-store` (a shared computer's back button shows nothing after
    logout); an anonymous answer without a Cache-Control of its own gets `no-store`. Static
    files never get here: WhiteNoise, earlier in MIDDLEWARE, answers them with its own headers.
    Listed inside SecurityMiddleware, which only sets a Referrer-Policy that is missing.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(SHARE_LINK_PREFIX):
            for name, value in SHARE_LINK_HEADERS.items():
                response[name] = value
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        elif not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response
