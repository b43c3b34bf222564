from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

TIME_ZONE_COOKIE = "tz"


def zone_from_request(request: HttpRequest) -> ZoneInfo:
    """The viewer's zone: the one they picked (a cookie), else the site default."""
    name = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)


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
