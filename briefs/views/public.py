"""The executive link: read-only, no account, nothing beyond its one brief.

Its answers' headers (no-store, noindex, no-referrer) come from `CacheHeadersMiddleware`
(briefs.middleware), for every answer under /b/ whatever its status: none are set here.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_not_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.http import (
    require_safe,
)

from briefs import services
from briefs.brief_content import brief_queryset, rca_context
from briefs.exports import markdown_response
from briefs.link_throttle import (
    NotAGuess,
    check_guesses,
    client_minute,
    share_link_rate_limited,
)
from briefs.middleware import link_zone
from briefs.models import (
    Incident,
    PdfKind,
    ShareLink,
)
from briefs.page_cache import LiveRegion, cached_html, stamp_of
from briefs.pdf_downloads import link_pdf_response
from briefs.views.common import HtmxHttpRequest

logger = logging.getLogger(__name__)


def _active_link(request: HttpRequest, token: str, *, hot: bool = False) -> ShareLink:
    """The link for a token, its incident's `LINK_INCIDENT_FIELDS` loaded, or the same 404 for
    a wrong, expired or revoked one (and 429 for a client past the guess limit, see
    `briefs.link_throttle`).

    `hot`: the executive page, its refresh (every executive's every minute) and the PDF
    download (budgeted at no more than the page, make bench) take the hand-written twin of the
    same lookup (`ShareLink.objects.active_with_stamp`).
    """
    now = timezone.now()
    client, minute = client_minute(request, now)
    lookup = ShareLink.objects.active_with_stamp if hot else ShareLink.objects.for_token
    found = lookup(ShareLink.hash_token(token), now, client=client, minute=minute)
    if found is None:
        raise Http404("No such brief")
    link, guesses = found
    check_guesses(guesses)
    return link


def _zone_context(zone: ZoneInfo, incident_zone: str) -> dict[str, Any]:
    """What base_public.html's zone switch needs: the zone shown and the incident's own."""
    return {"zone": zone, "incident_zone": incident_zone, "own_zone": zone.key != incident_zone}


@login_not_required
@require_safe
@share_link_rate_limited
def share_view(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = _active_link(request, token, hot=True)
    incident = link.incident
    now = timezone.now()
    full_timeline = request.GET.get("timeline") == "full"
    share_url = reverse("briefs:share_view", args=[token])
    zone = link_zone(request, incident.time_zone)
    suffix = "&timeline=full" if full_timeline else ""
    # What is new is measured against the previous visit, recorded after this one is drawn.
    live = LiveRegion(
        link.incident_id,
        stamp=stamp_of(link.incident_id, incident.version, incident.updated_at),
        zone=zone,
        now=now,
        architect=False,
        seen_sequence=link.seen_sequence,
        full_timeline=full_timeline,
        urls={
            "live_url": f"{share_url}?fragment=live{suffix}",
            "full_timeline_url": f"{share_url}?timeline=full",
        },
    )
    if request.htmx and request.GET.get("fragment") == "live":
        # The refresh of an unchanged brief costs one cache lookup and answers 304.
        response = HttpResponse(live.html())
        response["ETag"] = live.etag
        response = get_conditional_response(request, etag=live.etag, response=response) or response
        return response
    if request.method == "GET":
        services.share_link_record_visit(link=link, now=now)

    def render_page() -> str:
        # URLs built here, not by {% url %}: reversing costs more than the rest of the shell.
        context = {
            "live": live.html(),
            "pdf_url": f"{share_url}/pdf",
            "text_url": f"{share_url}/brief.md",
            **_zone_context(zone, incident.time_zone),
        }
        return render_to_string("briefs/share.html", context)

    # The whole page holds no per-request secret either (the CSP has no nonce), so it is
    # cached beside its live region and, like it, shared by every executive of that minute.
    return HttpResponse(cached_html(f"share-page:{live.key}", render_page))


@login_not_required
@require_safe
@share_link_rate_limited
def share_markdown(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(request, token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    zone = link_zone(request, incident.time_zone)
    return markdown_response(request, incident, architect=False, zone=zone)


@login_not_required
@require_safe
@share_link_rate_limited
def share_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(request, token, hot=True)
    return link_pdf_response(request, token, link.incident, kind=PdfKind.BRIEF)


def _link_rca(request: HttpRequest, token: str) -> tuple[Incident, ZoneInfo]:
    """The link's resolved incident with its RCA, and the zone to show it in; a 404 that is
    not counted as a guess before there is an RCA (the link itself is valid)."""
    link = _active_link(request, token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    if incident.resolved_at is None or getattr(incident, "rca", None) is None:
        raise NotAGuess("No such brief")
    return incident, link_zone(request, incident.time_zone)


@login_not_required
@require_safe
@share_link_rate_limited
def share_rca(request: HttpRequest, token: str) -> HttpResponse:
    incident, zone = _link_rca(request, token)
    context = rca_context(incident, zone=zone)
    context.update({"architect": False, "token": token, **_zone_context(zone, incident.time_zone)})
    with timezone.override(zone):
        return render(request, "briefs/share_rca.html", context)


@login_not_required
@require_safe
@share_link_rate_limited
def share_rca_pdf(request: HttpRequest, token: str) -> HttpResponse:
    incident, _ = _link_rca(request, token)
    return link_pdf_response(request, token, incident, kind=PdfKind.RCA)
