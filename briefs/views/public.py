"""The executive link: read-only, no account, nothing beyond its one brief.

Its answers' headers (no-store, noindex, no-referrer) come from `CacheHeadersMiddleware`
(briefs.middleware), for every answer under /b/ whatever its status: none are set here.
"""

from __future__ import annotations

import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_not_required
from django.db.models.expressions import RawSQL
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
from briefs.brief import LiveRegion, brief_queryset, cached_html, rca_context, stamp_of
from briefs.guesses import (
    GUESSES_SQL,
    NotAGuess,
    check_guesses,
    guesses_params,
    share_link_rate_limited,
)
from briefs.middleware import link_zone
from briefs.models import (
    Incident,
    PdfKind,
    ShareLink,
)
from briefs.pdf_documents import link_pdf_response
from briefs.views.brief import markdown_response
from briefs.views.common import HtmxHttpRequest

logger = logging.getLogger(__name__)


# What the executive views need of the link and its incident. Every request reads them, so the
# query fetches these columns only and skips ordering: the page itself comes from the cache.
_LINK_FIELDS = ["incident_id", "expires_at", "revoked_at", "last_viewed_at", "seen_sequence"]
_INCIDENT_FIELDS = ["version", "updated_at", "title", "status", "resolved_at", "time_zone"]


def _active_link(request: HttpRequest, token: str) -> ShareLink:
    """The link for a token, or the same 404 for a wrong, expired or revoked one (and 429 for
    a client past the guess limit, see `briefs.guesses`)."""
    now = timezone.now()
    links = (
        ShareLink.objects.select_related("incident")
        .only(*_LINK_FIELDS, *(f"incident__{name}" for name in _INCIDENT_FIELDS))
        .annotate(guesses=RawSQL(GUESSES_SQL, guesses_params(request, now)))
        .filter(token_hash=ShareLink.hash_token(token), revoked_at__isnull=True, expires_at__gt=now)
        .order_by()[:1]
    )
    for link in links:
        check_guesses(link.guesses)
        return link
    raise Http404("No such brief")


def _zone_context(zone: ZoneInfo, incident_zone: str) -> dict[str, Any]:
    """What base_public.html's zone switch needs: the zone shown and the incident's own."""
    return {"zone": zone, "incident_zone": incident_zone, "own_zone": zone.key != incident_zone}


# The executive link's hot path: one indexed lookup joined to the incident's version stamp and
# the client's wrong guesses this minute, then the page from the fragment cache. Raw SQL
# because here the ORM's query compilation costs more than the query itself (make bench).
_LINK_AND_STAMP_SQL = f"""
    SELECT link.id, link.incident_id, link.seen_sequence, link.last_viewed_at,
           incident.version AS incident_version, incident.updated_at AS incident_updated_at,
           incident.time_zone AS incident_time_zone,
           ({GUESSES_SQL}) AS guesses
    FROM {ShareLink._meta.db_table} link
    JOIN {Incident._meta.db_table} incident ON incident.id = link.incident_id
    WHERE link.token_hash = %s AND link.revoked_at IS NULL AND link.expires_at > %s
"""  # noqa: S608 - table names from the models, values as parameters


@login_not_required
@require_safe
@share_link_rate_limited
def share_view(request: HtmxHttpRequest, token: str) -> HttpResponse:
    now = timezone.now()
    params = [*guesses_params(request, now), ShareLink.hash_token(token), now]
    found = list(ShareLink.objects.raw(_LINK_AND_STAMP_SQL, params))
    if not found:
        raise Http404("No such brief")
    link = found[0]
    check_guesses(link.guesses)  # type: ignore[attr-defined]
    full_timeline = request.GET.get("timeline") == "full"
    share_url = reverse("briefs:share_view", args=[token])
    incident_zone: str = link.incident_time_zone  # type: ignore[attr-defined]
    zone = link_zone(request, incident_zone)
    suffix = "&timeline=full" if full_timeline else ""
    # What is new is measured against the previous visit, recorded after this one is drawn.
    live = LiveRegion(
        link.incident_id,
        # The two incident columns ride along on the raw query's link row.
        stamp=stamp_of(link.incident_id, link.incident_version, link.incident_updated_at),  # type: ignore[attr-defined]
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
            **_zone_context(zone, incident_zone),
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
    link = _active_link(request, token)
    return link_pdf_response(request, token, link.incident, kind=PdfKind.BRIEF)


def _link_rca(request: HttpRequest, token: str) -> Incident:
    link = _active_link(request, token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    if incident.resolved_at is None or getattr(incident, "rca", None) is None:
        raise NotAGuess("No such brief")
    return incident


@login_not_required
@require_safe
@share_link_rate_limited
def share_rca(request: HttpRequest, token: str) -> HttpResponse:
    incident = _link_rca(request, token)
    zone = link_zone(request, incident.time_zone)
    context = rca_context(incident, zone=zone)
    context.update({"architect": False, "token": token, **_zone_context(zone, incident.time_zone)})
    with timezone.override(zone):
        return render(request, "briefs/share_rca.html", context)


@login_not_required
@require_safe
@share_link_rate_limited
def share_rca_pdf(request: HttpRequest, token: str) -> HttpResponse:
    incident = _link_rca(request, token)
    return link_pdf_response(request, token, incident, kind=PdfKind.RCA)
