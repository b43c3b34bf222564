"""The architect's brief: timeline, updates, executive links and exports."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response
from django.views.decorators.http import (
    require_GET,
    require_POST,
)
from django_htmx.http import retarget

from briefs import reminders, services
from briefs.exports import markdown_response
from briefs.forms import (
    ActionItemForm,
    ChatWebhookForm,
    ShareLinkForm,
    UpdateForm,
)
from briefs.integrations import brief_alerts
from briefs.middleware import PROPOSE_ZONE, zone_from_request
from briefs.models import (
    ChatWebhook,
    Incident,
    OperatingState,
    PdfKind,
    ShareLink,
    Status,
)
from briefs.page_cache import LiveRegion, brief_stamp, cached_html, stamp_of
from briefs.pdf_documents import brief_pdf_failure, failure_of_version
from briefs.pdf_downloads import pdf_file_response, size_from_request
from briefs.services import (
    UpdatesTooFrequent,
    update_post,
)
from briefs.views.common import (
    CSRF_SLOT,
    HtmxHttpRequest,
    current_user,
    incident_for_editor,
    incident_people,
    incident_row_for_editor,
    subscriber_panel,
)

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
    pdf_failure: str,
    form: UpdateForm | None = None,
    csrf_token: str | None = None,
    chat_form: ChatWebhookForm | None = None,
) -> dict[str, Any]:
    """The context of the architect's brief page (its `live` region comes from the cache).

    `pdf_failure` is `brief_pdf_failure`'s answer: the export area says why the PDF could not
    be made, so the architect learns it on the brief, not only when a download fails.
    """
    now = live.now
    links = list(incident.share_links.select_related("subscriber"))
    context = {
        "incident": incident,
        "live": live.html(),
        "pdf_failure": pdf_failure,
        "timeout_seconds": settings.PDF_RENDER_TIMEOUT_SECONDS,
        "memory_mb": settings.PDF_RENDER_MEMORY_MB,
        "form": form
        or _update_form(incident, now, corrects=_entry_number(request.GET.get("corrects"))),
        # With each link's subscriber (issue 16): the executives panel lists them from here.
        "links": links,
        "link_form": ShareLinkForm(),
        "action_form": ActionItemForm(people=incident_people(incident), auto_id="action_%s"),
        "open_actions": [item for item in incident.action_items.all() if item.done_at is None],
        # Chat webhooks (templates/briefs/_chat_webhooks.html).
        "chat_webhooks": list(incident.chat_webhooks.active()),
        "chat_form": chat_form or ChatWebhookForm(auto_id="chat_%s"),
        # Alert webhooks (issue 17): the alerts behind it, their cleared notes to confirm.
        "alerts": brief_alerts(incident),
        # Who gets the notices by mail (issue 16); how the latest went loads on its own.
        **subscriber_panel(incident, links=links),
    }
    if csrf_token is not None:
        context["csrf_token"] = csrf_token
    return context


# The addresses of the brief page that are cached: as it is, and with its full timeline.
_CACHED_QUERIES = {"", "timeline=full"}


@require_GET
def incident_brief(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    user = current_user(request)
    # The access rule and the cache key in one query (the page's hot path); the pages drawn
    # afresh below load the incident through `incident_for_editor`, the same rule.
    key = Incident.objects.brief_key_for(user, public_id)
    if key is None:
        raise Http404("No such incident")
    if key.status == Status.DRAFT:
        return redirect("briefs:incident_resume", public_id)
    live = _architect_live(
        request,
        incident_id=key.incident_id,
        public_id=public_id,
        stamp=stamp_of(key.incident_id, key.version, key.updated_at),
        now=timezone.now(),
        full_timeline=request.GET.get("timeline") == "full",
    )
    if request.htmx and request.GET.get("fragment") == "live":
        response = HttpResponse(live.html())
        response["ETag"] = live.etag
        return get_conditional_response(request, etag=live.etag, response=response) or response
    # A render that fails does not move the brief's stamp: the failure is part of the page's key.
    pdf_failure = failure_of_version(
        failed_stamp=key.pdf_failed_stamp, failure=key.pdf_failure, incident_stamp=live.stamp
    )
    if messages.get_messages(request) or request.GET.urlencode() not in _CACHED_QUERIES:
        # A message to show once, or a rarer address ("Correct this", or anything else a
        # client adds, which must not crowd the cache): drawn for this response only.
        incident = incident_for_editor(request, public_id, with_rows=False)
        context = _brief_page_context(request, incident, live=live, pdf_failure=pdf_failure)
        return render(request, "briefs/brief.html", context)

    # Otherwise the page is cached per user, address, brief version, minute and zone (`live.key`)
    # and last executive visit. Drawing the side panel's forms costs far more than the rest.
    material = "|".join(
        [
            live.key,
            str(user.pk),
            user.get_username(),
            request.get_full_path(),
            str(key.links_viewed_at),
            # base.html proposes a time zone until the user has one.
            str(request.session.get(PROPOSE_ZONE, False)),
            pdf_failure,
        ]
    )

    def render_page() -> str:
        incident = incident_for_editor(request, public_id, with_rows=False)
        context = _brief_page_context(
            request,
            incident,
            live=live,
            pdf_failure=pdf_failure,
            csrf_token=CSRF_SLOT,
        )
        # The reminders banner follows the viewer's other incidents too, which this key
        # does not: put in per request (briefs.reminders).
        context["due_updates_slot"] = reminders.BANNER_SLOT
        return render_to_string("briefs/brief.html", context, request=request)

    page_key = hashlib.sha256(material.encode()).hexdigest()
    page = cached_html(f"brief-page:{page_key}", render_page)
    banner = reminders.banner_html(request, anything_due=key.due_soonest is not None)
    html = page.replace(reminders.BANNER_SLOT, banner)
    return HttpResponse(html.replace(CSRF_SLOT, get_token(request)))


@require_POST
def update_create(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    now = timezone.now()
    form = _update_form(incident, now, data=request.POST)
    if not form.is_valid():
        return _update_form_refused(request, incident, form, now, status=400)
    try:
        update_post(
            incident=incident,
            author=current_user(request),
            posted_at=now,
            rate_limited=True,
            **form.update_post_fields(),
        )
    except UpdatesTooFrequent as refused:
        form.add_error(
            None,
            f"This incident has had {settings.UPDATE_POST_LIMIT_PER_MINUTE} updates in the "
            f"last minute. Post this one in {refused.retry_after} seconds; what you typed is "
            "still here.",
        )
        response = _update_form_refused(request, incident, form, now, status=429)
        response["Retry-After"] = str(refused.retry_after)
        return response
    brief_url = reverse("briefs:incident_brief", args=[incident.public_id])
    if not request.htmx:
        return redirect(f"{brief_url}#timeline")
    # The new entry, figures and chart replace the live region; a fresh form comes out of band.
    fresh = incident_for_editor(request, public_id, with_rows=False)
    live = _incident_live(request, fresh, now).html()
    context = {"incident": fresh, "live": live, "form": _update_form(fresh, now)}
    return render(request, "briefs/update_posted.html", context)


def _update_form_refused(
    request: HtmxHttpRequest, incident: Incident, form: UpdateForm, now: datetime, *, status: int
) -> HttpResponse:
    """The form again, with its errors and everything typed: the page, or for htmx the form."""
    if not request.htmx:
        region = _incident_live(request, incident, now)
        failure = brief_pdf_failure(incident.pk, region.stamp)
        context = _brief_page_context(
            request, incident, live=region, pdf_failure=failure, form=form
        )
        return render(request, "briefs/brief.html", context, status=status)
    context = {"form": form, "incident": incident, "brief_url": request.path}
    response = render(request, "briefs/brief.html#update_form", context, status=status)
    return retarget(response, "#update-form")


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
    link = incident_row_for_editor(request, ShareLink, public_id, link_id)
    services.share_link_revoke(link=link)
    messages.success(request, f"The link “{link.label}” no longer opens the brief.")
    return redirect(reverse("briefs:incident_brief", args=[public_id]) + "#links")


# --- Chat webhooks (briefs/chat.py) -----------------------------------------------------------


@require_POST
def chat_webhook_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    form = ChatWebhookForm(request.POST, auto_id="chat_%s")
    webhook = None
    if form.is_valid():
        try:
            webhook = services.chat_webhook_add(
                incident=incident,
                created_by=current_user(request),
                kind=form.cleaned_data["kind"],
                label=form.cleaned_data["label"],
                url=form.cleaned_data["url"],
            )
        except services.ChatWebhookExists:
            form.add_error("url", "This incident already posts to this webhook.")
    if webhook is None:
        # The page again with the form as typed and its errors: nothing is lost.
        region = _incident_live(request, incident, timezone.now())
        failure = brief_pdf_failure(incident.pk, region.stamp)
        context = _brief_page_context(
            request, incident, live=region, pdf_failure=failure, chat_form=form
        )
        response = render(request, "briefs/brief.html", context, status=400)
        add_never_cache_headers(response)  # it holds the webhook address as typed
        return response
    messages.success(request, f"This incident's notices now also go to {webhook}.")
    return redirect(reverse("briefs:incident_brief", args=[public_id]) + "#chat")


@require_POST
def chat_webhook_remove(request: HttpRequest, public_id: UUID, webhook_id: UUID) -> HttpResponse:
    webhook = incident_row_for_editor(request, ChatWebhook, public_id, webhook_id)
    services.chat_webhook_disable(webhook=webhook)
    messages.success(request, f"This incident's notices no longer go to {webhook}.")
    return redirect(reverse("briefs:incident_brief", args=[public_id]) + "#chat")


# --- Exports ----------------------------------------------------------------------------------


@require_GET
def incident_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    appendix = request.GET.get("appendix") == "1"
    kind = PdfKind.BRIEF_WITH_APPENDIX if appendix else PdfKind.BRIEF
    return pdf_file_response(
        request, incident, kind=kind, size=size_from_request(request), architect=True
    )


@require_GET
def incident_markdown(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return markdown_response(request, incident_for_editor(request, public_id), architect=True)
