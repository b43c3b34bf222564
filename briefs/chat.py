"""Slack and Microsoft Teams incoming webhooks: where an incident's notices go, in each one's
native format (Block Kit, an Adaptive Card), posted without server-side request forgery.

A webhook URL is typed by a user, so before anything is sent to it: HTTPS, a host on
CHAT_WEBHOOK_ALLOWED_HOSTS, port 443, and every address the name resolves to public. The
connection then goes to the address that was checked (a second lookup could answer otherwise:
DNS rebinding), with TLS verified for the name, no redirect followed, short timeouts and a
capped read of the answer. The same check runs on the form that adds a webhook and on every send.
"""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import math
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from briefs.models import ChatKind, ChatWebhook, Incident
from briefs.notices import Notice

# What is read of a webhook's answer: Slack says "ok" or an error code, Teams "1" or a sentence.
RESPONSE_READ_LIMIT = 16 * 1024


class ChatDeliveryError(Exception):
    """A chat message was not delivered. `retryable` is False for what a retry cannot fix."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class UnsafeWebhookURL(ValueError):
    """A webhook URL the app must not post to; the message says why, without the URL."""


@dataclass(frozen=True)
class ChatTarget:
    # Stable across runs: part of a delivery's idempotency key. "webhook:<public_id>" for an
    # incident's own, "deploy:<sha256 prefix of the URL>" for one of CHAT_WEBHOOKS.
    key: str
    channel: str  # "slack" | "teams"
    label: str  # shown in the delivery list: "Slack: #exec-incidents"
    url: str


def targets_for(incident: Incident) -> list[ChatTarget]:
    """The chat webhooks an incident's notices go to: the deployment's and the incident's own."""
    deployment = [
        ChatTarget(
            key=f"deploy:{hashlib.sha256(url.encode()).hexdigest()[:16]}",
            channel=kind,
            label=f"{ChatKind(kind).label}: {urlsplit(url).hostname} (all incidents)",
            url=url,
        )
        for kind, url in settings.CHAT_WEBHOOKS
    ]
    # An incident's webhook that is also a deployment's would post every notice twice.
    deployment_urls = {target.url for target in deployment}
    own = [
        ChatTarget(
            key=webhook.target_key,
            channel=webhook.kind,
            label=str(webhook),
            url=webhook.url,
        )
        for webhook in ChatWebhook.objects.filter(incident=incident).active()
        if webhook.url not in deployment_urls
    ]
    return deployment + own


def send(target: ChatTarget, notice: Notice) -> None:
    """Post one notice to one webhook, or raise ChatDeliveryError."""
    payload = slack_payload(notice) if target.channel == ChatKind.SLACK else teams_payload(notice)
    status, body = _post_json(target.url, json.dumps(payload).encode(), label=target.label)
    if 300 <= status < 400:
        raise ChatDeliveryError(
            f"{target.label} answered with a redirect ({status}), which is not followed",
            retryable=False,
        )
    # One line of the answer for the delivery's "last error" (a proxy may answer a whole page).
    said = " ".join(body.split())[:200]
    # Teams' connectors throttle with a 200 whose text names the 429 (their docs say to look).
    throttled = "HTTP error 429" in body
    if status == 429 or status >= 500 or status == 408 or throttled:
        raise ChatDeliveryError(f"{target.label} answered {status}: {said}", retryable=True)
    if status >= 400:
        # Slack names the cause: invalid_token, no_service, channel_not_found,
        # channel_is_archived, action_prohibited, invalid_payload. No retry fixes those.
        raise ChatDeliveryError(f"{target.label} answered {status}: {said}", retryable=False)


# --- The URL rule -----------------------------------------------------------------------------


def host_allowed(host: str) -> bool:
    """Whether CHAT_WEBHOOK_ALLOWED_HOSTS names `host` ("*.example.com": any name below it)."""
    host = host.lower().rstrip(".")
    for pattern in settings.CHAT_WEBHOOK_ALLOWED_HOSTS:
        pattern = pattern.lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and host != pattern[2:]:
                return True
        elif host == pattern:
            return True
    return False


def address_allowed(address: str) -> bool:
    """Whether a resolved address is on the public internet (or CHAT_WEBHOOK_ALLOW_PRIVATE)."""
    if settings.CHAT_WEBHOOK_ALLOW_PRIVATE:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone: "fe80::1%eth0"
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 reaches 127.0.0.1; 6to4 (2002::/16) embeds an IPv4 address too.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if ip in _NAT64:  # 64:ff9b::10.0.0.1 reaches 10.0.0.1 through a NAT64 gateway
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not address_allowed(str(embedded)):
            return False
    return ip.is_global and not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class Destination:
    host: str
    port: int
    target: str  # the path and query: what the request line asks for
    # The checked addresses, the only ones the connection goes to (tried in order, as a client
    # does when a name has both an IPv6 and an IPv4 address).
    addresses: tuple[str, ...]


def url_problem(url: str) -> str | None:
    """What is wrong with a webhook URL before any lookup, or None: the form's first check."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "This is not a web address."
    if parts.scheme != "https":
        return "A webhook address must start with https://."
    if not parts.hostname:
        return "This address names no host."
    if parts.username is not None or parts.password is not None:
        return "A webhook address carries no user name or password."
    if not host_allowed(parts.hostname):
        allowed = ", ".join(settings.CHAT_WEBHOOK_ALLOWED_HOSTS)
        return f"Webhooks may only post to {allowed}; this one goes to {parts.hostname}."
    if port not in (None, 443) and not settings.CHAT_WEBHOOK_ALLOW_PRIVATE:
        return "Slack and Teams webhooks use the standard HTTPS port; this address names another."
    return None


def destination(url: str) -> Destination:
    """The checked destination of a webhook URL: UnsafeWebhookURL if it breaks the rule,
    OSError if its name does not resolve now (worth retrying)."""
    problem = url_problem(url)
    if problem:
        raise UnsafeWebhookURL(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or 443
    addresses = resolve(host, port)
    # Every address, not only the one used: a name that also points inside is refused.
    refused = [address for address in addresses if not address_allowed(address)]
    if refused or not addresses:
        raise UnsafeWebhookURL(
            f"{host} resolves to a private or reserved address ({', '.join(refused)}); "
            "webhooks may only post to the public internet."
        )
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(host=host, port=port, target=target, addresses=tuple(addresses))


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` has now, in the order to try them (OSError if none)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str) -> str | None:
    """The form's whole check: what is wrong with `url` (rule, lookup, address), or None."""
    try:
        destination(url)
    except UnsafeWebhookURL as refused:
        return str(refused)
    except OSError:
        host = urlsplit(url).hostname
        return f"The name {host} does not resolve; check the address."
    return None


# --- Posting ----------------------------------------------------------------------------------


class _DeadlineSSLSocket(ssl.SSLSocket):
    """A TLS socket whose every read waits at most until `deadline`: the socket timeout bounds
    one read, this the whole answer, so a receiver that answers one byte at a time cannot hold
    a worker past CHAT_WEBHOOK_TIMEOUT_SECONDS."""

    deadline = math.inf

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no whole answer within the total timeout")
        self.settimeout(remaining)
        return super().recv_into(buffer, nbytes, flags)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address already checked, with TLS (SNI, certificate) for the host's name."""

    def __init__(self, where: Destination, *, timeout: float, deadline: float) -> None:
        tls = ssl.create_default_context(cafile=settings.CHAT_WEBHOOK_CA_FILE or None)
        tls.sslsocket_class = _DeadlineSSLSocket
        super().__init__(where.host, where.port, timeout=timeout, context=tls)
        self._addresses = where.addresses
        self._tls = tls
        self._deadline = deadline

    def connect(self) -> None:
        for address in self._addresses:
            try:
                raw = socket.create_connection((address, self.port), self.timeout)
                break
            except OSError:
                if address == self._addresses[-1]:
                    raise
        sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        assert isinstance(sock, _DeadlineSSLSocket)
        sock.deadline = self._deadline
        self.sock = sock


def _post_json(url: str, body: bytes, *, label: str) -> tuple[int, str]:
    """POST `body` to a checked webhook URL: its status and the start of its answer. Errors
    name `label`, never the URL (it is the webhook's secret)."""
    try:
        where = destination(url)
    except UnsafeWebhookURL as refused:
        raise ChatDeliveryError(f"{label}: {refused}", retryable=False) from None
    except OSError as error:
        raise ChatDeliveryError(
            f"{label}: the name did not resolve ({error})", retryable=True
        ) from None
    connection = _PinnedHTTPSConnection(
        where,
        timeout=settings.CHAT_WEBHOOK_CONNECT_TIMEOUT_SECONDS,
        deadline=time.monotonic() + settings.CHAT_WEBHOOK_TIMEOUT_SECONDS,
    )
    try:
        connection.request(
            "POST",
            where.target,
            body=body,
            headers={"Content-Type": "application/json", "User-Agent": "EscalationBriefs"},
        )
        response = connection.getresponse()
        answer = response.read(RESPONSE_READ_LIMIT)
        status = response.status
    except ssl.SSLCertVerificationError as error:
        raise ChatDeliveryError(
            f"{label}: its TLS certificate is not valid ({error.verify_message})", retryable=False
        ) from None
    except (OSError, http.client.HTTPException) as error:
        raise ChatDeliveryError(
            f"{label}: {type(error).__name__}: {error}", retryable=True
        ) from None
    finally:
        connection.close()
    return status, answer.decode("utf-8", "replace").strip()


# --- Formats ----------------------------------------------------------------------------------

# Block Kit's limits (docs.slack.dev, "Blocks"): a header's text 150 characters, a section's
# text 3000, each of at most 10 fields 2000, a button's text 75, its URL 3000.
_SLACK_HEADER = 150
_SLACK_TEXT = 3000
_SLACK_FIELD = 2000
_SLACK_FIELDS = 10
_SLACK_BUTTON = 75


def slack_escape(text: str) -> str:
    """Slack reads `&`, `<` and `>` as the start of an entity, a link or a mention (<!channel>);
    escaped, they are shown as typed. Only these three: Slack decodes no other entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut_to(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = _SLACK_TEXT) -> dict[str, Any]:
    # plain_text, not mrkdwn: *bold*, _italic_ and `code` typed into a notice stay as typed.
    return {"type": "plain_text", "text": _cut_to(slack_escape(text), limit), "emoji": False}


def slack_payload(notice: Notice) -> dict[str, Any]:
    """A Block Kit message: header, headline, the figures as fields, the paragraphs, a button
    to the link; `text` is the fallback notifications and old clients show."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(notice.subject, _SLACK_HEADER)},
    ]
    if notice.headline:
        blocks.append({"type": "section", "text": _plain(notice.headline)})
    facts = notice.facts[:_SLACK_FIELDS]
    if facts:
        fields = [_plain(f"{label}\n{value}", _SLACK_FIELD) for label, value in facts]
        blocks.append({"type": "section", "fields": fields})
    blocks.extend({"type": "section", "text": _plain(p)} for p in notice.paragraphs if p.strip())
    if notice.link_url:
        button = {
            "type": "button",
            "text": _plain(notice.link_label, _SLACK_BUTTON),
            "url": notice.link_url,
            "style": "primary",
        }
        blocks.append({"type": "actions", "elements": [button]})
    fallback = " ".join(part for part in (notice.subject, notice.headline) if part)
    # "mrkdwn": false keeps the fallback text from being read as markup, like the blocks.
    return {"text": _cut_to(slack_escape(fallback), _SLACK_TEXT), "mrkdwn": False, "blocks": blocks}


# Teams' incoming-webhook docs give Adaptive Card 1.2 ("Send Adaptive Cards using an Incoming
# Webhook"); Workflows take the same message.
ADAPTIVE_CARD_VERSION = "1.2"
# What Teams' Markdown subset reads as markup: emphasis, code, links ([text](url)), and at a
# line's start headings, quotes and list items. A backslash (CommonMark's escape) makes each
# literal.
_TEAMS_MARKUP = re.compile(r"([\\*_~`\[\]])")
_TEAMS_LINE_START = re.compile(r"^(\s*)([-+>#]|\d+\.)", re.MULTILINE)


def teams_escape(text: str) -> str:
    escaped = _TEAMS_MARKUP.sub(r"\\\1", text)
    return _TEAMS_LINE_START.sub(_escape_line_start, escaped)


def _escape_line_start(match: re.Match[str]) -> str:
    indent, mark = match[1], match[2]
    # "1." is a list item; "1\." is not ("\1" would show the backslash: 1 is no punctuation).
    return f"{indent}{mark[:-1]}\\." if mark.endswith(".") else f"{indent}\\{mark}"


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": teams_escape(text), "wrap": True, **style}


def teams_payload(notice: Notice) -> dict[str, Any]:
    """A message with one Adaptive Card: title, headline, the figures as a FactSet, the
    paragraphs, and an Action.OpenUrl to the link."""
    body: list[dict[str, Any]] = [
        _text_block(notice.subject, size="Medium", weight="Bolder"),
    ]
    if notice.headline:
        body.append(_text_block(notice.headline))
    if notice.facts:
        facts = [{"title": teams_escape(k), "value": teams_escape(v)} for k, v in notice.facts]
        body.append({"type": "FactSet", "facts": facts})
    body.extend(_text_block(p) for p in notice.paragraphs if p.strip())
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
    }
    if notice.link_url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": notice.link_label, "url": notice.link_url}
        ]
    attachment = {
        "contentType": "application/vnd.microsoft.card.adaptive",
        "contentUrl": None,
        "content": card,
    }
    # `summary` is what Teams shows in a notification and the activity feed.
    return {"type": "message", "summary": notice.subject, "attachments": [attachment]}
