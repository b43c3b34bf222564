from collections.abc import Callable
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
