"""The architect's brief: timeline, updates, executive links and exports."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response
from django.views.decorators.http import (
    require_GET,
    require_POST,
)
from django_htmx.http import retarget

from briefs import pdf, services
from briefs.brief import (
    LiveRegion,
    brief_context,
    brief_pdf,
    brief_stamp,
    cached_html,
    stamp_of,
)
from briefs.forms import (
    ActionItemForm,
    ShareLinkForm,
    UpdateForm,
)
from briefs.middleware import PROPOSE_ZONE, zone_from_request
from briefs.models import (
    Incident,
    OperatingState,
    PdfKind,
    ShareLink,
    Status,
)
from briefs.pdf_documents import pdf_file_response, size_from_request
from briefs.services import (
    EstimateInput,
    update_post,
)
from briefs.views.common import (
    CSRF_SLOT,
    HtmxHttpRequest,
    current_user,
    incident_for_editor,
    incident_people,
)

logger = logging.getLogger(__name__)


# --- The brief, its timeline and updates ------------------------------------------------------


def _update_form(
    incident: Incident, now: datetime, data: Any = None, corrects: int | None = None
) -> UpdateForm:
    due = timezone.localtime(now + timedelta(minutes=incident.update_cadence_minutes))
    initial = {
        "operating_state": incident.operating_state or OperatingState.DEGRADED,
        "next_update_due": due.replace(second=0, microsecond=0),
        "corrects": corrects,
    }
    return UpdateForm(data, incident=incident, now=now, initial=initial)


def _architect_live(
    request: HttpRequest,
    *,
    incident_id: int,
    public_id: UUID,
    stamp: str,
    now: datetime,
    full_timeline: bool = False,
) -> LiveRegion:
    brief_url = reverse("briefs:incident_brief", args=[public_id])
    suffix = "&timeline=full" if full_timeline else ""
    return LiveRegion(
        incident_id,
        stamp=stamp,
        zone=zone_from_request(request),
        now=now,
        architect=True,
        full_timeline=full_timeline,
        urls={
            "live_url": f"{brief_url}?fragment=live{suffix}",
            "full_timeline_url": f"{brief_url}?timeline=full",
            "correct_url": brief_url,
        },
    )


def _incident_live(request: HttpRequest, incident: Incident, now: datetime) -> LiveRegion:
    """`_architect_live` for a view that has the incident loaded."""
    return _architect_live(
        request,
        incident_id=incident.pk,
        public_id=incident.public_id,
        stamp=brief_stamp(incident),
        now=now,
    )


def _entry_number(value: str | None) -> int | None:
    """The timeline entry a "Correct this" link names, or None for anything that is not one.

    Not `str.isdigit`: it accepts "²", which int() refuses, and int() refuses over 4300 digits.
    """
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number >= 1 else None


def _brief_page_context(
    request: HttpRequest,
    incident: Incident,
    *,
    live: LiveRegion,
    form: UpdateForm | None = None,
    csrf_token: str | None = None,
) -> dict[str, Any]:
    """The context of the architect's brief page (its `live` region comes from the cache)."""
    now = live.now
    context = {
        "incident": incident,
        "live": live.html(),
        "form": form
        or _update_form(incident, now, corrects=_entry_number(request.GET.get("corrects"))),
        "links": list(incident.share_links.all()),
        "link_form": ShareLinkForm(),
        "action_form": ActionItemForm(people=incident_people(incident), auto_id="action_%s"),
        "open_actions": [item for item in incident.action_items.all() if item.done_at is None],
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return context


# The brief page's hot path, like the executive link's (views.public): one query applies the
# access rule of `Incident.objects.editable_by` (the owner or a collaborator) and reads what
# keys the cached page, including the newest visit through an executive link: a visit changes
# the links table on this page without touching the incident. Raw SQL because building the
# same query with the ORM costs several times running it (make bench).
_BRIEF_KEY_SQL = f"""
    SELECT incident.id, incident.version, incident.updated_at, incident.status,
           (SELECT max(link.last_viewed_at) FROM {ShareLink._meta.db_table} link
            WHERE link.incident_id = incident.id)
    FROM {Incident._meta.db_table} incident
    WHERE incident.public_id = %s AND (
        incident.owner_id = %s OR EXISTS (
            SELECT 1 FROM {Incident.collaborators.through._meta.db_table} collaborator
            WHERE collaborator.incident_id = incident.id AND collaborator.user_id = %s))
"""  # noqa: S608 - table names from the models, values as parameters

_PUBLIC_ID = Incident._meta.get_field("public_id")

# The addresses of the brief page that are cached: as it is, and with its full timeline.
_CACHED_QUERIES = {"", "timeline=full"}


@require_GET
def incident_brief(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    user = current_user(request)
    with connection.cursor() as cursor:
        # As the database stores it: a uuid on PostgreSQL, 32 hex digits on SQLite.
        public_id_value = _PUBLIC_ID.get_db_prep_value(public_id, connection)
        cursor.execute(_BRIEF_KEY_SQL, [public_id_value, user.pk, user.pk])
        found = cursor.fetchone()
    if found is None:
        raise Http404("No such incident")
    incident_id, version, updated_at, status, links_viewed_at = found
    if status == Status.DRAFT:
        return redirect("briefs:incident_resume", public_id)
    live = _architect_live(
        request,
        incident_id=incident_id,
        public_id=public_id,
        stamp=stamp_of(incident_id, version, updated_at),
        now=timezone.now(),
        full_timeline=request.GET.get("timeline") == "full",
    )
    if request.htmx and request.GET.get("fragment") == "live":
        response = HttpResponse(live.html())
        response["ETag"] = live.etag
        return get_conditional_response(request, etag=live.etag, response=response) or response
    if messages.get_messages(request) or request.GET.urlencode() not in _CACHED_QUERIES:
        # A message to show once, or a rarer address ("Correct this", or anything else a
        # client adds, which must not crowd the cache): drawn for this response only.
        incident = incident_for_editor(request, public_id, with_rows=False)
        return render(
            request, "briefs/brief.html", _brief_page_context(request, incident, live=live)
        )

    # Otherwise the page is cached per user, address, brief version, minute and zone (`live.key`)
    # and last executive visit. Drawing the side panel's forms costs far more than the rest.
    material = "|".join(
        [
            live.key,
            str(user.pk),
            user.get_username(),
            request.get_full_path(),
            str(links_viewed_at),
            # base.html proposes a time zone until the user has one.
            str(request.session.get(PROPOSE_ZONE, False)),
        ]
    )

    def render_page() -> str:
        incident = incident_for_editor(request, public_id, with_rows=False)
        context = _brief_page_context(request, incident, live=live, csrf_token=CSRF_SLOT)
        return render_to_string("briefs/brief.html", context, request=request)

    key = hashlib.sha256(material.encode()).hexdigest()
    page = cached_html(f"brief-page:{key}", render_page)
    return HttpResponse(page.replace(CSRF_SLOT, get_token(request)))


@require_POST
def update_create(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    now = timezone.now()
    form = _update_form(incident, now, data=request.POST)
    if not form.is_valid():
        if not request.htmx:
            region = _incident_live(request, incident, now)
            context = _brief_page_context(request, incident, live=region, form=form)
            return render(request, "briefs/brief.html", context, status=400)
        context = {"form": form, "incident": incident, "brief_url": request.path}
        response = render(request, "briefs/brief.html#update_form", context, status=400)
        return retarget(response, "#update-form")
    data = form.cleaned_data
    changes = form.estimate_changes()
    estimate = EstimateInput.revising(incident.current_estimate(), **changes) if changes else None
    update_post(
        incident=incident,
        author=current_user(request),
        what_changed=data["what_changed"],
        operating_state=data["operating_state"],
        next_steps=data["next_steps"],
        eta_earliest=data.get("eta_earliest"),
        eta_latest=data.get("eta_latest"),
        next_update_due=data["next_update_due"],
        estimate=estimate,
        corrects=form.corrected,
        posted_at=now,
        as_of=data["as_of"],
    )
    brief_url = reverse("briefs:incident_brief", args=[incident.public_id])
    if not request.htmx:
        return redirect(f"{brief_url}#timeline")
    # The new entry, figures and chart replace the live region; a fresh form comes out of band.
    fresh = incident_for_editor(request, public_id, with_rows=False)
    live = _incident_live(request, fresh, now).html()
    context = {"incident": fresh, "live": live, "form": _update_form(fresh, now)}
    return render(request, "briefs/update_posted.html", context)


# --- Executive links --------------------------------------------------------------------------


@require_POST
def share_link_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("briefs:incident_brief", args=[incident.public_id]) + "#links")
    link, token = services.share_link_create(
        incident=incident,
        created_by=current_user(request),
        label=form.cleaned_data["label"],
        valid_for=timedelta(days=form.cleaned_data["valid_days"]),
    )
    url = request.build_absolute_uri(reverse("briefs:share_view", args=[token]))
    # The token is shown once, in this response, and stored nowhere: not even in the session.
    response = render(
        request, "briefs/share_link_created.html", {"incident": incident, "link": link, "url": url}
    )
    add_never_cache_headers(response)
    return response


@require_POST
def share_link_revoke(request: HttpRequest, public_id: UUID, link_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    link = get_object_or_404(ShareLink, incident=incident, public_id=link_id)
    services.share_link_revoke(link=link)
    messages.success(request, f"The link “{link.label}” no longer opens the brief.")
    return redirect(reverse("briefs:incident_brief", args=[incident.public_id]) + "#links")


# --- Exports ----------------------------------------------------------------------------------


def markdown_response(
    request: HttpRequest, incident: Incident, *, architect: bool, zone: ZoneInfo | None = None
) -> HttpResponse:
    """The brief as Markdown, in `zone` (default: the viewer's)."""
    zone = zone or zone_from_request(request)
    context = brief_context(incident, zone=zone, architect=architect)
    # Typed text is escaped for Markdown in the template (|md), not for HTML.
    with timezone.override(zone):
        text = render_to_string("briefs/brief.md", context, request=request)
    disposition = pdf.content_disposition(incident.title, extension="md", attachment=False)
    return HttpResponse(
        text,
        content_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


def pdf_response(
    request: HttpRequest, incident: Incident, *, architect: bool, zone: ZoneInfo
) -> HttpResponse:
    """The brief as PDF, in `zone`: the incident's, or the executive link reader's own."""

    def render_brief() -> tuple[bytes, str]:
        return brief_pdf(
            incident,
            zone=zone,
            size=pdf.page_size_for(request.GET.get("size")),
            appendix=architect and request.GET.get("appendix") == "1",
            base_url=request.build_absolute_uri("/"),
        )

    return pdf_file_response(
        request,
        incident,
        kind=PdfKind.BRIEF_WITH_APPENDIX
        if architect and request.GET.get("appendix") == "1"
        else PdfKind.BRIEF,
        size=size_from_request(request),
        architect=architect,
    )


def pdf_download(
    request: HttpRequest,
    incident: Incident,
    render_pdf: Callable[[], tuple[bytes, str]],
    *,
    suffix: str,
) -> HttpResponse:
    """A PDF as a download, answering 304 to a repeat; a failed or slow render gets the error
    page rather than a hung or broken request."""
    try:
        content, etag = render_pdf()
    except pdf.PdfRenderTimeout:
        logger.warning("PDF render timed out for incident %s", incident.public_id)
        return render(request, "briefs/pdf_failed.html", {"reason": "timeout"}, status=503)
    except pdf.PdfRenderError:
        logger.exception("PDF render failed for incident %s", incident.public_id)
        return render(request, "briefs/pdf_failed.html", {"reason": "error"}, status=500)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = pdf.content_disposition(incident.title, suffix)
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response) or response


@require_GET
def incident_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    # In the incident's zone, as the executive link's PDF: the printout is for the CEO.
    return pdf_response(request, incident, architect=True, zone=incident.zone)


@require_GET
def incident_markdown(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return markdown_response(request, incident_for_editor(request, public_id), architect=True)
