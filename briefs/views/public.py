"""The executive link: read-only, no account, nothing beyond its one brief."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_not_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.http import (
    require_safe,
)

from briefs import services
from briefs.brief import brief_queryset, live_fragment, rca_context
from briefs.middleware import zone_from_request
from briefs.models import (
    Incident,
    ShareLink,
)
from briefs.security import share_link_rate_limited
from briefs.views.brief import markdown_response, pdf_response
from briefs.views.common import HtmxHttpRequest
from briefs.views.followup import rca_pdf_response

logger = logging.getLogger(__name__)


def _active_link(token: str) -> ShareLink:
    """The link for a token, or the same 404 for a wrong, expired or revoked one."""
    link = (
        ShareLink.objects.select_related("incident")
        .filter(token_hash=ShareLink.hash_token(token), revoked_at__isnull=True)
        .filter(expires_at__gt=timezone.now())
        .first()
    )
    if link is None:
        raise Http404("No such brief")
    return link


def _public_headers(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
@require_safe
@share_link_rate_limited
def share_view(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    now = timezone.now()
    fragment = request.htmx and request.GET.get("fragment") == "live"
    full_timeline = request.GET.get("timeline") == "full"
    share_url = reverse("briefs:share_view", args=[token])
    suffix = "&timeline=full" if full_timeline else ""
    # What is new is measured against the previous visit, recorded after this one is drawn.
    live, etag = live_fragment(
        link.incident,
        zone=zone_from_request(request),
        now=now,
        architect=False,
        seen_sequence=link.seen_sequence,
        full_timeline=full_timeline,
        urls={
            "live_url": f"{share_url}?fragment=live{suffix}",
            "full_timeline_url": f"{share_url}?timeline=full",
        },
    )
    if fragment:
        # The refresh of an unchanged brief costs one cache lookup and answers 304.
        response = HttpResponse(live)
        response["ETag"] = etag
        response = get_conditional_response(request, etag=etag, response=response) or response
        return _public_headers(response)
    if request.method == "GET":
        services.share_link_record_visit(link=link, now=now)
    context = {"incident": link.incident, "live": live, "token": token}
    return _public_headers(render(request, "briefs/share.html", context))


@login_not_required
@require_safe
@share_link_rate_limited
def share_markdown(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    return _public_headers(markdown_response(request, incident, architect=False))


@login_not_required
@require_safe
@share_link_rate_limited
def share_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    return _public_headers(pdf_response(request, link.incident, architect=False))


def _link_rca(token: str) -> Incident:
    link = _active_link(token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    if incident.resolved_at is None or getattr(incident, "rca", None) is None:
        raise Http404("No such brief")
    return incident


@login_not_required
@require_safe
@share_link_rate_limited
def share_rca(request: HttpRequest, token: str) -> HttpResponse:
    incident = _link_rca(token)
    context = rca_context(incident, zone=zone_from_request(request))
    context.update({"architect": False, "token": token})
    return _public_headers(render(request, "briefs/share_rca.html", context))


@login_not_required
@require_safe
@share_link_rate_limited
def share_rca_pdf(request: HttpRequest, token: str) -> HttpResponse:
    return _public_headers(rca_pdf_response(request, _link_rca(token)))
