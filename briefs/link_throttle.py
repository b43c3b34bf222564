"""How often a client may guess an executive link's token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from briefs.models import ShareLinkGuesses
from briefs.security import client_key


class TooManyGuesses(Exception):
    """This client sent too many wrong executive-link tokens this minute."""


class NotAGuess(Http404):
    """A 404 for a token that matched, on a page its link lacks (the RCA before there is one).

    The same 404 to the client, but not counted: a valid link would otherwise lock its own
    executive out of the brief.
    """


def client_minute(request: HttpRequest, now: datetime) -> tuple[str, int]:
    """Whose wrong tokens are counted, and in which minute: the link's lookup reads the count
    in its own query (`ShareLinkQuerySet.with_guesses`) and passes it to `check_guesses`, so
    a valid token costs no query of its own for the limit."""
    return client_key(request)[:64], int(now.timestamp() // 60)


def check_guesses(misses: int | None) -> None:
    """Past the limit, a client gets 429 whatever token it sends, right or wrong: otherwise a
    right guess would stand out from the rest and the guessing could go on."""
    if (misses or 0) >= settings.SHARE_LINK_GUESS_LIMIT:
        raise TooManyGuesses


def _record_miss(request: HttpRequest, now: datetime) -> int:
    """Count one wrong token; the client's misses this minute, this one included.

    A client already past the limit is not counted further: its flood of wrong tokens then
    costs one read each, not a write.
    """
    client, minute = client_minute(request, now)
    found = ShareLinkGuesses.objects.misses(client, minute).first()
    if found is not None and found > settings.SHARE_LINK_GUESS_LIMIT:
        return found
    return ShareLinkGuesses.objects.count_miss(client, minute)


def _too_many_guesses() -> HttpResponse:
    response = HttpResponse("Too many attempts. Try again in a minute.", status=429)
    response["Retry-After"] = "60"
    return response


def share_link_rate_limited(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Count a client's wrong executive-link tokens per minute in the database; past the
    limit it gets 429 for the rest of the minute, whatever token it tries.

    The view looks its link up with the client's count beside it and calls `check_guesses`; a wrong
    token raises Http404, counted here. Only misses count, so an executive whose page refreshes
    every minute is never limited.
    """

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except TooManyGuesses:
            return _too_many_guesses()
        except NotAGuess:
            raise
        except Http404:
            if _record_miss(request, timezone.now()) > settings.SHARE_LINK_GUESS_LIMIT:
                return _too_many_guesses()
            raise

    return limited
