"""Who a client is, how often it may guess, and what never reaches the logs."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or the address a trusted proxy saw.

    X-Forwarded-For is only read when TRUSTED_PROXY_COUNT says how many proxies of ours append
    to it, and then only the entry our outermost proxy wrote: a client can prepend anything it
    likes, so trusting the leftmost entry would let it pick its own address.
    """
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            return str(hops[-proxies])
    return str(request.META.get("REMOTE_ADDR", ""))


def _misses_key(request: HttpRequest) -> str:
    window = int(time.time() // 60)
    return f"share-misses:{client_ip(request)}:{window}"


def share_link_rate_limited(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Count a client's wrong executive-link tokens per minute in the shared cache; past the
    limit it gets 429 for the rest of the minute, whatever token it tries.

    Only misses count, so an executive whose page refreshes every minute is never limited.
    """

    @wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = _misses_key(request)
        if cache.get(key, 0) >= settings.SHARE_LINK_GUESS_LIMIT:
            response = HttpResponse("Too many attempts. Try again in a minute.", status=429)
            response["Retry-After"] = "60"
            response["Cache-Control"] = "no-store"
            return response
        try:
            return view(request, *args, **kwargs)
        except Http404:
            cache.add(key, 0, timeout=120)
            try:
                cache.incr(key)
            except ValueError:  # evicted between add and incr
                cache.set(key, 1, timeout=120)
            raise

    return limited


_SHARE_PATH = re.compile(r"/b/[^/\s?\"']+")


def redact(text: str) -> str:
    return _SHARE_PATH.sub("/b/[redacted]", text)


class RedactSecrets(logging.Filter):
    """Executive-link tokens are credentials: keep them out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
