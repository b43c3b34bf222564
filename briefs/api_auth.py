"""Who calls the JSON API: a personal token (`Authorization: Bearer ...`), its scope, and how
often a client may send a wrong one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from briefs.models import ApiToken
from briefs.security import client_key

# A token's `last_used_at` moves at most this often: a script polling every second must not
# cost a write per request.
LAST_USE_RESOLUTION = timedelta(minutes=1)


class TooManyTokenFailures(Exception):
    """This client sent API_TOKEN_FAILURE_LIMIT wrong tokens in the current window."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many failed token attempts")
        self.retry_after = retry_after


class ReadOnlyToken(Exception):
    """A read-only token asked for a write."""


def _failures_key(request: HttpRequest, now: datetime) -> tuple[str, int]:
    """The client's counter for the current window, and the seconds left in it."""
    window = settings.API_TOKEN_COOLOFF_MINUTES * 60
    index, into = divmod(int(now.timestamp()), window)
    return f"api-token-failures:{client_key(request)[:64]}:{index}", window - into


def _check_failures(request: HttpRequest, now: datetime) -> None:
    """Past the limit, every request of the client is refused until the window ends, right
    token or wrong: otherwise a right guess would stand out and the guessing could go on."""
    key, left = _failures_key(request, now)
    if (cache.get(key) or 0) >= settings.API_TOKEN_FAILURE_LIMIT:
        raise TooManyTokenFailures(retry_after=left)


def _count_failure(request: HttpRequest, now: datetime) -> None:
    key, left = _failures_key(request, now)
    # The shared cache (database or Redis), so every web replica counts against one limit.
    cache.add(key, 0, timeout=left + 1)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr: the window just ended
        cache.set(key, 1, timeout=settings.API_TOKEN_COOLOFF_MINUTES * 60)


def token_for(raw: str, now: datetime) -> ApiToken | None:
    """The active token `raw` names (its user loaded), or None: unknown, revoked, expired, or
    its user deactivated."""
    return (
        ApiToken.objects.active(now)
        .select_related("user")
        .filter(token_hash=ApiToken.hash_token(raw))
        .first()
    )


class TokenAuth(HttpBearer):
    """Bearer-token authentication. `write` refuses read-only tokens with 403.

    Only tokens: the API takes no session cookie, so a page open in the user's browser can
    never be made to call it, and it needs no CSRF token.
    """

    def __init__(self, *, write: bool) -> None:
        super().__init__()
        self.write = write

    def __call__(self, request: HttpRequest) -> Any:
        _check_failures(request, timezone.now())
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        now = timezone.now()
        found = token_for(token, now)
        if found is None:
            _count_failure(request, now)
            return None
        if self.write and not found.can_write:
            raise ReadOnlyToken
        if found.last_used_at is None or now - found.last_used_at >= LAST_USE_RESOLUTION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        # The services and the audit trail (simple_history reads request.user) see the
        # token's owner as the one acting.
        request.user = found.user
        return found
