"""How often a client may guess an executive link's token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connection, transaction
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


_GUESSES = ShareLinkGuesses._meta.db_table
# A link lookup adds this column, and `guesses_params` its two parameters, then passes the
# value to `check_guesses`: a valid token costs no query of its own for the limit.
GUESSES_SQL = f"SELECT misses FROM {_GUESSES} WHERE client = %s AND minute = %s"  # noqa: S608


def guesses_params(request: HttpRequest, now: datetime) -> list[Any]:
    """The client and the minute, as `GUESSES_SQL` takes them."""
    return [client_key(request)[:64], int(now.timestamp() // 60)]


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
    client, minute = guesses_params(request, now)
    with connection.cursor() as cursor:
        cursor.execute(GUESSES_SQL, [client, minute])
        found = cursor.fetchone()
    if found is not None and found[0] > settings.SHARE_LINK_GUESS_LIMIT:
        return int(found[0])
    with transaction.atomic(), connection.cursor() as cursor:
        # The minutes gone by. A miss never waits for another's clean-up: rows another miss is
        # deleting right now are skipped (SQLite, one writer at a time, ignores the clause).
        past = ShareLinkGuesses.objects.filter(minute__lt=minute).select_for_update(
            skip_locked=True
        )
        ShareLinkGuesses.objects.filter(pk__in=past.values("pk")).delete()
        cursor.execute(
            f"INSERT INTO {_GUESSES} (client, minute, misses) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (client, minute) DO UPDATE SET misses = {_GUESSES}.misses + 1 "
            "RETURNING misses",
            [client, minute],
        )
        (misses,) = cursor.fetchone()
    return int(misses)


def _too_many_guesses() -> HttpResponse:
    response = HttpResponse("Too many attempts. Try again in a minute.", status=429)
    response["Retry-After"] = "60"
    return response


def share_link_rate_limited(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Count a client's wrong executive-link tokens per minute in the database; past the
    limit it gets 429 for the rest of the minute, whatever token it tries.

    The view looks its link up with `GUESSES_SQL` beside it and calls `check_guesses`; a wrong
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
