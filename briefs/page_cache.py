"""Every cache of what the brief shows. Each is keyed by a stamp of what the page shows (see
`brief_stamp`), so an entry is never stale, only unused, and nothing needs invalidating.

The fragment cache (rendered HTML, this process's memory) and the live region built on it, in
one module that answers "what is cached, and what moves its key". PDFs are not cached: they are
stored files of a version (briefs.pdf_documents).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import caches
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from briefs.brief_content import brief_context, brief_queryset, minute
from briefs.models import Incident

FRAGMENT_SECONDS = 120


def brief_stamp(incident: Incident) -> str:
    """Changes whenever anything the brief shows changes: every service that writes to an
    incident or to the rows it shows bumps its `version` or touches its `updated_at`."""
    return stamp_of(incident.pk, incident.version, incident.updated_at)


def stamp_of(pk: int, version: int, updated_at: datetime) -> str:
    """`brief_stamp` from the three columns, for views that read them without the model."""
    return f"{pk}:{version}:{updated_at.isoformat()}"


def cached_html(key: str, render: Callable[[], str]) -> SafeString:
    """HTML from this process's fragment cache, rendered and stored on a miss.

    Only for HTML whose key names everything it depends on (so an entry is never stale, only
    unused) and which holds no per-request secret: no CSRF token, no CSP nonce.
    """
    html = cast(str, caches["fragments"].get_or_set(key, render, FRAGMENT_SECONDS))
    return mark_safe(html)  # noqa: S308 - our own templates' escaped output


@dataclass(frozen=True)
class LiveRegion:
    """The part of the brief that changes, as one audience sees it in one minute and zone.

    Rendered once per brief version, minute, zone and audience, then shared by every viewer of
    that audience: `key` names everything the HTML depends on. `stamp` is the incident's
    `brief_stamp`; the incident and everything it shows are loaded only on a miss.
    """

    incident_id: int
    stamp: str
    zone: ZoneInfo
    now: datetime
    architect: bool
    urls: dict[str, str]
    seen_sequence: int | None = None
    full_timeline: bool = False

    @cached_property
    def key(self) -> str:
        material = "|".join(
            [
                self.stamp,
                minute(self.now).isoformat(),
                self.zone.key,
                "architect" if self.architect else "executive",
                str(self.seen_sequence),
                str(self.full_timeline),
                *(f"{name}={url}" for name, url in sorted(self.urls.items())),
            ]
        )
        return hashlib.sha256(material.encode()).hexdigest()

    @property
    def etag(self) -> str:
        return f'"{self.key}"'

    def html(self) -> SafeString:
        return cached_html(self.key, self._render)

    def _render(self) -> str:
        now = minute(self.now)
        context = brief_context(
            brief_queryset().get(pk=self.incident_id),
            zone=self.zone,
            now=now,
            architect=self.architect,
            seen_sequence=self.seen_sequence,
            full_timeline=self.full_timeline,
        )
        context.update(self.urls)
        context["refresh_seconds"] = settings.BRIEF_REFRESH_SECONDS
        with timezone.override(self.zone):
            return render_to_string("briefs/_live.html", context)
