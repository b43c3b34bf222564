"""What an alerting tool's webhook says, read into one small `Alert`: one function per kind.

Every value is plain text from outside: it is cut to the column's length here and escaped where
it is shown (templates autoescape; the source link is kept only when it is http or https, since
an `href` would run a `javascript:` URL). A payload this module cannot read raises
`MalformedAlert` with the reason the hook's 400 answer gives.

The payloads (examples from each tool's own documentation are in tests/fixtures/alerts/):
- Prometheus Alertmanager, webhook payload version 4 (`<webhook_config>`,
  https://prometheus.io/docs/alerting/latest/configuration/#webhook_config);
- Grafana alerting's webhook contact point (the same shape, version "1");
- PagerDuty V3 webhooks (https://developer.pagerduty.com/docs/webhooks/v3-overview/), signed
  with `X-PagerDuty-Signature`;
- the generic form, defined here and in the README ("Alert webhooks").
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from briefs.models import TITLE_LENGTH, URL_LENGTH, IntegrationKind

# The labels that name the affected system, most specific first.
SYSTEM_LABELS = ("service", "system", "app", "application", "job", "instance")
# Alertmanager and Grafana send this for an alert that has not ended.
_NO_END = "0001-01-01T00:00:00Z"


class MalformedAlert(ValueError):
    """The payload is not what its kind sends; the message is the 400's reason."""


@dataclass(frozen=True)
class Alert:
    group_key: str
    firing: bool  # False: the group cleared
    title: str
    system: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    source_url: str = ""
    # PagerDuty only: the event's id (replays) and when it happened (staleness).
    event_id: str = ""
    occurred_at: datetime | None = None

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.group_key.encode()).hexdigest()


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedAlert(f"{where} must be a JSON object")
    return value


def _text(value: Any, where: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise MalformedAlert(
            f"{where} must be a non-empty string" if required else f"{where} must be a string"
        )
    return value


def _line(value: str, limit: int = TITLE_LENGTH) -> str:
    """One line, at most `limit` characters: a title or a system, never a paragraph."""
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _time(value: Any, where: str) -> datetime | None:
    if value in (None, "", _NO_END):
        return None
    if not isinstance(value, str):
        raise MalformedAlert(f"{where} must be an RFC 3339 time")
    try:
        # Go writes nanoseconds; Python reads at most microseconds.
        head, dot, rest = value.partition(".")
        if dot:
            digits = len(rest) - len(rest.lstrip("0123456789"))
            rest = rest[:6] + rest[digits:] if digits > 6 else rest
        parsed = datetime.fromisoformat(head + dot + rest)
    except ValueError:
        raise MalformedAlert(f"{where} is not an RFC 3339 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise MalformedAlert(f"{where} has no UTC offset")
    if parsed.year < 2000:  # Go's zero time in another spelling
        return None
    return parsed.astimezone(UTC)


def _url(value: Any) -> str:
    """A link back to the source, or "" for anything but an http(s) URL."""
    if not isinstance(value, str) or len(value) > URL_LENGTH:
        return ""
    return value if value.lower().startswith(("https://", "http://")) else ""


def _status(value: Any, where: str) -> bool:
    if value not in ("firing", "resolved"):
        raise MalformedAlert(f'{where} must be "firing" or "resolved"')
    return bool(value == "firing")


def _labels(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    labels = _object(value, where)
    return {str(k): v for k, v in labels.items() if isinstance(v, str)}


def _alert_group(payload: Any, *, version: str | None) -> Alert:
    """Alertmanager's and Grafana's shared shape: a group of alerts with common labels."""
    body = _object(payload, "the payload")
    if version is not None and body.get("version") != version:
        raise MalformedAlert(f'"version" must be "{version}" (Alertmanager\'s webhook payload)')
    group_key = _text(body.get("groupKey"), '"groupKey"', required=True)
    firing = _status(body.get("status"), '"status"')
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise MalformedAlert('"alerts" must be a non-empty list')
    items = [_object(alert, f'"alerts"[{n}]') for n, alert in enumerate(alerts)]
    common_labels = _labels(body.get("commonLabels"), '"commonLabels"')
    common_notes = _labels(body.get("commonAnnotations"), '"commonAnnotations"')
    first_labels = _labels(items[0].get("labels"), '"alerts"[0].labels')
    first_notes = _labels(items[0].get("annotations"), '"alerts"[0].annotations')
    title = (
        common_notes.get("summary")
        or common_labels.get("alertname")
        or first_notes.get("summary")
        or first_labels.get("alertname")
        or ""
    )
    if not title.strip():
        raise MalformedAlert("no summary annotation or alertname label to name the incident")
    system = next(
        (
            labels[name]
            for labels in (common_labels, first_labels)
            for name in SYSTEM_LABELS
            if labels.get(name)
        ),
        "",
    )
    starts = [
        t for n, a in enumerate(items) if (t := _time(a.get("startsAt"), f'"alerts"[{n}].startsAt'))
    ]
    ends = [
        t for n, a in enumerate(items) if (t := _time(a.get("endsAt"), f'"alerts"[{n}].endsAt'))
    ]
    source = next((u for a in items if (u := _url(a.get("generatorURL")))), "") or _url(
        body.get("externalURL")
    )
    return Alert(
        group_key=group_key,
        firing=firing,
        title=_line(title),
        system=_line(system),
        started_at=min(starts, default=None),
        ended_at=None if firing else max(ends, default=None),
        source_url=source,
    )


def parse_alertmanager(payload: Any) -> Alert:
    return _alert_group(payload, version="4")


def parse_grafana(payload: Any) -> Alert:
    # Grafana's version has been "1" since unified alerting; it is not checked, so a later one
    # with the same fields still opens drafts.
    return _alert_group(payload, version=None)


# PagerDuty's events that open or repeat a group, and the one that clears it; the others
# (acknowledged, annotated, priority_updated, ...) are answered and ignored.
PAGERDUTY_FIRING = {"incident.triggered", "incident.reopened"}
PAGERDUTY_RESOLVED = "incident.resolved"


def parse_pagerduty(payload: Any) -> Alert | None:
    """The V3 webhook's one event, or None for an event type that changes no draft."""
    event = _object(_object(payload, "the payload").get("event"), '"event"')
    event_id = _text(event.get("id"), '"event.id"', required=True)
    event_type = _text(event.get("event_type"), '"event.event_type"', required=True)
    occurred_at = _time(event.get("occurred_at"), '"event.occurred_at"')
    if occurred_at is None:
        raise MalformedAlert('"event.occurred_at" is required')
    if event_type not in PAGERDUTY_FIRING and event_type != PAGERDUTY_RESOLVED:
        return None
    data = _object(event.get("data"), '"event.data"')
    title = _text(data.get("title") or data.get("summary"), '"event.data.title"', required=True)
    service = data.get("service")
    system = (
        _text(service.get("summary"), '"event.data.service.summary"')
        if isinstance(service, dict)
        else ""
    )
    return Alert(
        group_key=_text(data.get("id"), '"event.data.id"', required=True),
        firing=event_type in PAGERDUTY_FIRING,
        title=_line(title),
        system=_line(system),
        started_at=_time(data.get("created_at"), '"event.data.created_at"'),
        ended_at=occurred_at if event_type == PAGERDUTY_RESOLVED else None,
        source_url=_url(data.get("html_url")),
        event_id=event_id[:100],
        occurred_at=occurred_at,
    )


def pagerduty_signature_valid(*, body: bytes, header: str, secret: str) -> bool:
    """Whether one of the header's `v1=` signatures is the body's HMAC-SHA256 under `secret`.

    PagerDuty lists several while a secret is being rotated: `v1=abc,v1=def`.
    """
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    offered = [
        part.strip().removeprefix("v1=")
        for part in header.split(",")
        if part.strip().startswith("v1=")
    ]
    return any(hmac.compare_digest(expected, signature) for signature in offered)


def pagerduty_signature(*, body: bytes, secret: str) -> str:
    """The header PagerDuty would send for `body`: for tests and the README's curl example."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


GENERIC_FIELDS = {"dedup_key", "status", "title", "system", "started_at", "ended_at", "source_url"}


def parse_generic(payload: Any) -> Alert:
    """Our own form (README, "Alert webhooks"): `dedup_key`, `status` and, when firing, `title`
    are required; `system`, `started_at`, `ended_at` (RFC 3339) and `source_url` are optional.
    An unknown field is refused, so a typo does not silently drop a value."""
    body = _object(payload, "the payload")
    unknown = sorted(set(body) - GENERIC_FIELDS)
    if unknown:
        raise MalformedAlert(f"unknown field: {unknown[0]!r}")
    firing = _status(body.get("status"), '"status"')
    title = _text(body.get("title"), '"title"', required=firing)
    return Alert(
        group_key=_text(body.get("dedup_key"), '"dedup_key"', required=True),
        firing=firing,
        title=_line(title),
        system=_line(_text(body.get("system"), '"system"')),
        started_at=_time(body.get("started_at"), '"started_at"'),
        ended_at=_time(body.get("ended_at"), '"ended_at"'),
        source_url=_url(body.get("source_url")),
    )


PARSERS = {
    IntegrationKind.ALERTMANAGER: parse_alertmanager,
    IntegrationKind.GRAFANA: parse_grafana,
    IntegrationKind.PAGERDUTY: parse_pagerduty,
    IntegrationKind.GENERIC: parse_generic,
}
