"""Who a client is, and what never reaches the logs."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.http import HttpRequest


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
