"""Who a client is, and what never reaches the logs."""

from __future__ import annotations

import ipaddress
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


def client_key(request: HttpRequest) -> str:
    """Whom a rate limit counts: an IPv4 address, or an IPv6 address's network.

    One IPv6 subscriber usually holds a whole /64 (RATE_LIMIT_IPV6_PREFIX), and picks any
    address in it at will: keyed by address, it would get a fresh guess limit per address. The
    key is the network's first address, itself a valid address, because django-axes keeps it
    in an IP address column. Used by the executive-link guess limit and the login throttle.
    """
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        prefix: int = settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network((ip, prefix), strict=False).network_address)
    return str(ip)


_SHARE_PATH = re.compile(r"/([bu])/[^/\s?\"']+")


def redact(text: str) -> str:
    # Executive links (/b/) and unsubscribe links (/u/, briefs.notifications) alike.
    return _SHARE_PATH.sub(r"/\1/[redacted]", text)


class RedactSecrets(logging.Filter):
    """Executive-link tokens are credentials: keep them out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
