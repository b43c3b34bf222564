from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.db import DatabaseError, connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, get_conditional_response
from django.utils.http import quote_etag, url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.http import retarget
from django_htmx.middleware import HtmxDetails

from briefs import glossary, pdf, services, wizard
from briefs.brief import brief_context, brief_pdf, brief_queryset
from briefs.forms import (
    AssessForm,
    CauseForm,
    DecisionFormSet,
    ImpactForm,
    OutlookForm,
    ResourcesForm,
    ShareLinkForm,
    StepForm,
    UpdateForm,
    WhatHappenedForm,
)
from briefs.middleware import TIME_ZONE_COOKIE, zone_from_request
from briefs.models import (
    CENT,
    SECONDS_PER_HOUR,
    EstimateConfidence,
    Incident,
    OperatingState,
    ShareLink,
    Status,
)
from briefs.services import (
    EstimateInput,
    VersionConflict,
    impact_save_first_estimate,
    incident_create_draft,
    incident_mark_escalated,
    incident_save_step,
    update_post,
)

logger = logging.getLogger(__name__)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


STEP_FORMS: dict[str, type[StepForm]] = {
    "assess": AssessForm,
    "what-happened": WhatHappenedForm,
    "cause": CauseForm,
    "outlook": OutlookForm,
    "resources": ResourcesForm,
}


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _incident_for_editor(request: HttpRequest, public_id: UUID) -> Incident:
    """The one access rule for changing an incident: owner or collaborator, else 404."""
    editable = Incident.objects.editable_by(request.user).values("pk")
    return get_object_or_404(brief_queryset().filter(pk__in=editable), public_id=public_id)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    incidents = list(
        Incident.objects.editable_by(request.user)
        .select_related("owner")
        .prefetch_related("estimates", "updates")
        .order_by("-created_at")
    )
    now = timezone.now()
    drafts = [i for i in incidents if i.status == Status.DRAFT]
    active = [i for i in incidents if i.status != Status.DRAFT]
    return render(
        request,
        "briefs/dashboard.html",
        {"drafts": drafts, "active": active, "now": now},
    )


@require_POST
def incident_new(request: HttpRequest) -> HttpResponse:
    incident = incident_create_draft(owner=_user(request), title=wizard.DRAFT_TITLE)
    return redirect("briefs:incident_step", incident.public_id, "assess")


@require_GET
def incident_resume(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_editor(request, public_id)
    return redirect(
        "briefs:incident_step", incident.public_id, wizard.first_incomplete_step(incident)
    )


def _step_url(incident: Incident, slug: str) -> str:
    return reverse("briefs:incident_step", args=[incident.public_id, slug])


def _build_forms(
    request: HttpRequest, incident: Incident, slug: str, *, complete: bool
) -> tuple[forms.BaseForm, Any]:
    """The step's form (and the decisions formset on the resources step), bound on POST."""
    data = request.POST if request.method == "POST" else None
    formset = None
    form: forms.BaseForm
    if slug == "impact":
        first = incident.estimates_in_order()[0] if incident.estimates_in_order() else None
        form = ImpactForm(data, instance=first, initial={"currency": incident.currency})
    elif slug == "resources":
        form = ResourcesForm(
            data, instance=incident, can_add_collaborators=incident.owner_id == request.user.pk
        )
        formset = DecisionFormSet(data, instance=incident, prefix="decisions")
    else:
        form = STEP_FORMS[slug](data, instance=incident)
    if not complete:
        # Back and the step list save what is there; only Next insists on a complete step.
        for field in form.fields.values():
            field.required = False
    return form, formset


def _render_step(
    request: HttpRequest,
    incident: Incident,
    slug: str,
    form: forms.BaseForm | None,
    formset: Any = None,
    *,
    status: int = 200,
    partial: str = "",
) -> HttpResponse:
    step = wizard.STEPS_BY_SLUG[slug]
    before, after = wizard.neighbours(slug)
    context: dict[str, Any] = {
        "incident": incident,
        "step": step,
        "progress": wizard.progress(incident, slug),
        "form": form,
        "formset": formset,
        "before": before,
        "after": after,
        "step_url": _step_url(incident, slug),
        "recommendation": _preview_incident(incident, form).recommendation()
        if slug == "assess"
        else None,
        "now": timezone.now(),
    }
    if slug == "impact":
        context["preview"] = _cost_preview(incident, form)
    template = "briefs/wizard_step.html" + (f"#{partial}" if partial else "")
    return render(request, template, context, status=status)


def _preview_incident(incident: Incident, form: forms.BaseForm | None) -> Incident:
    """The incident as it would be with the form's (valid) values, for live advice."""
    if form is None or not form.is_bound or not isinstance(form, AssessForm):
        return incident
    form.is_valid()
    preview = Incident(
        **{f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    )
    for name, value in form.cleaned_data.items():
        setattr(preview, name, value)
    return preview


def _cost_preview(incident: Incident, form: forms.BaseForm | None) -> dict[str, Any]:
    """Cost so far and per hour from the numbers on the impact form, before they are saved."""
    rate = None
    currency = incident.currency
    if form is not None and form.is_bound:
        form.is_valid()
        rate = form.cleaned_data.get("revenue_per_hour")
        currency = form.cleaned_data.get("currency") or currency
    elif incident.current_estimate() is not None:
        rate = incident.estimates_in_order()[0].revenue_per_hour
    cost = None
    if rate is not None and incident.started_at is not None:
        seconds = Decimal(incident.elapsed().total_seconds())
        cost = (rate * seconds / SECONDS_PER_HOUR).quantize(CENT)
    return {"rate": rate, "cost": cost, "currency": currency, "elapsed": incident.elapsed()}


@require_http_methods(["GET", "POST"])
def incident_step(request: HtmxHttpRequest, public_id: UUID, step: str) -> HttpResponse:
    incident = _incident_for_editor(request, public_id)
    if step not in wizard.STEPS_BY_SLUG:
        raise Http404("No such step")
    if step == "review":
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        return _review(request, incident)

    nav = request.POST.get("nav", "next")
    complete = request.method == "POST" and nav == "next" and not request.GET
    form, formset = _build_forms(request, incident, step, complete=complete)
    if request.method == "GET":
        return _render_step(request, incident, step, form, formset)

    # htmx asks for advice while the architect types: validate and preview, never save.
    if request.htmx and "validate" in request.GET:
        name = request.GET["validate"]
        if name not in form.fields:
            return HttpResponseBadRequest("Unknown field")
        form.is_valid()
        return render(request, "briefs/_field.html", {"field": form[name]})
    if request.htmx and "preview" in request.GET:
        partial = "recommendation" if step == "assess" else "cost_preview"
        return _render_step(request, incident, step, form, formset, partial=partial)

    try:
        expected_version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("The form is missing its version; reload the page.")

    forms_valid = form.is_valid() and (formset is None or formset.is_valid())
    if not forms_valid:
        return _render_step(request, incident, step, form, formset, status=400)

    try:
        _save_step(request, incident, step, form, formset, expected_version)
    except VersionConflict as conflict:
        return _conflict(request, incident, step, form, conflict.current)

    target = _navigation_target(step, nav)
    return redirect(_step_url(incident, target))


def _navigation_target(step: str, nav: str) -> str:
    before, after = wizard.neighbours(step)
    if nav == "back":
        return before or step
    if nav in wizard.STEPS_BY_SLUG:
        return nav
    return after or step


def _save_step(
    request: HttpRequest,
    incident: Incident,
    step: str,
    form: forms.BaseForm,
    formset: Any,
    expected_version: int,
) -> None:
    user = _user(request)
    data = form.cleaned_data
    if step == "impact":
        fields = {"currency": data["currency"]} if data.get("currency") else {}

        def save_estimate(current: Incident) -> None:
            if data.get("revenue_per_hour") is None or data.get("customers_affected") is None:
                return
            impact_save_first_estimate(
                incident=current,
                author=user,
                data=EstimateInput(
                    revenue_per_hour=data["revenue_per_hour"],
                    customers_affected=data["customers_affected"],
                    confidence=data.get("confidence") or "medium",
                    basis=data.get("basis", ""),
                    other_impact=data.get("other_impact", ""),
                    sla_breach=data.get("sla_breach", False),
                    regulatory=data.get("regulatory", False),
                    data_exposure=data.get("data_exposure", False),
                    reputation=data.get("reputation", False),
                ),
            )

        incident_save_step(
            incident=incident,
            expected_version=expected_version,
            fields=fields,
            after_save=save_estimate,
        )
        return

    assert isinstance(form, forms.ModelForm)
    model_fields = {name: data[name] for name in form._meta.fields or [] if name in data}
    if step == "assess":
        model_fields["assessed_at"] = incident.assessed_at or timezone.now()
    if step == "what-happened" and not data.get("title"):
        model_fields.pop("title", None)

    def save_related(current: Incident) -> None:
        if formset is not None:
            formset.instance = current
            formset.save()
        collaborator = getattr(form, "new_collaborator", None)
        if collaborator is not None:
            current.collaborators.add(collaborator)

    incident_save_step(
        incident=incident,
        expected_version=expected_version,
        fields=model_fields,
        after_save=save_related,
    )


def _conflict(
    request: HttpRequest, incident: Incident, step: str, form: forms.BaseForm, current: Incident
) -> HttpResponse:
    """Show their saved version beside ours; nothing is overwritten without a second decision."""
    rows = []
    for name, field in form.fields.items():
        if not hasattr(current, name):
            continue
        theirs = getattr(current, name)
        yours = form.cleaned_data.get(name)
        rows.append(
            {
                "label": field.label or name,
                "theirs": theirs,
                "yours": yours,
                "differs": theirs != yours,
            }
        )
    resubmit = [
        (key, item)
        for key, values in request.POST.lists()
        if key not in {"version", "csrfmiddlewaretoken"}
        for item in values
    ]
    return render(
        request,
        "briefs/conflict.html",
        {
            "incident": current,
            "step": wizard.STEPS_BY_SLUG[step],
            "rows": rows,
            "resubmit": resubmit,
            "current_version": current.version,
            "step_url": _step_url(incident, step),
        },
        status=409,
    )


def _review(
    request: HttpRequest, incident: Incident, *, status: int = 200, errors: Any = None
) -> HttpResponse:
    context = brief_context(incident, zone=zone_from_request(request), architect=True)
    context.update(
        {
            "step": wizard.STEPS_BY_SLUG["review"],
            "progress": wizard.progress(incident, "review"),
            "questions": wizard.ceo_questions(incident),
            "script": wizard.meeting_script(incident),
            "flags": glossary.check_texts(wizard.executive_texts(incident)),
            "missing": errors if errors is not None else wizard.missing_for_escalation(incident),
            "show_errors": errors is not None,
        }
    )
    return render(request, "briefs/review.html", context, status=status)


@require_POST
def incident_escalate(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_editor(request, public_id)
    missing = wizard.missing_for_escalation(incident)
    if missing:
        return _review(request, incident, status=400, errors=missing)
    incident_mark_escalated(incident=incident)
    return redirect("briefs:incident_brief", incident.public_id)


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    zones = sorted(available_timezones())
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")
        if chosen in zones:
            response = redirect(next_url)
            response.set_cookie(
                TIME_ZONE_COOKIE,
                chosen,
                max_age=365 * 86400,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
        return render(
            request,
            "briefs/time_zone.html",
            {"zones": zones, "next": next_url, "error": "Choose a time zone from the list."},
            status=400,
        )
    return render(request, "briefs/time_zone.html", {"zones": zones, "next": next_url})


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


def _architect_context(request: HttpRequest, incident: Incident, now: datetime) -> dict[str, Any]:
    context = brief_context(incident, zone=zone_from_request(request), now=now, architect=True)
    brief_url = reverse("briefs:incident_brief", args=[incident.public_id])
    context.update(
        {
            "live_url": f"{brief_url}?fragment=live",
            "brief_url": brief_url,
            "refresh_seconds": settings.BRIEF_REFRESH_SECONDS,
        }
    )
    return context


def _architect_brief(
    request: HttpRequest, incident: Incident, *, form: UpdateForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    corrects = request.GET.get("corrects", "")
    context = _architect_context(request, incident, now)
    context.update(
        {
            "form": form
            or _update_form(incident, now, corrects=int(corrects) if corrects.isdigit() else None),
            "links": list(incident.share_links.all()),
            "link_form": ShareLinkForm(),
        }
    )
    return render(request, "briefs/brief.html", context, status=status)


@require_GET
def incident_brief(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_editor(request, public_id)
    if incident.status == Status.DRAFT:
        return redirect("briefs:incident_resume", incident.public_id)
    if request.htmx and request.GET.get("fragment") == "live":
        context = _architect_context(request, incident, timezone.now())
        return render(request, "briefs/brief.html#live", context)
    return _architect_brief(request, incident)


@require_POST
def update_create(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_editor(request, public_id)
    now = timezone.now()
    form = _update_form(incident, now, data=request.POST)
    if not form.is_valid():
        if not request.htmx:
            return _architect_brief(request, incident, form=form, status=400)
        context = {"form": form, "incident": incident, "brief_url": request.path}
        response = render(request, "briefs/brief.html#update_form", context, status=400)
        return retarget(response, "#update-form")
    data = form.cleaned_data
    estimate = None
    if data.get("revenue_per_hour") is not None:
        estimate = EstimateInput(
            revenue_per_hour=data["revenue_per_hour"],
            customers_affected=data["customers_affected"],
            confidence=data.get("estimate_confidence") or EstimateConfidence.MEDIUM,
            basis=data.get("estimate_basis", ""),
        )
    update_post(
        incident=incident,
        author=_user(request),
        what_changed=data["what_changed"],
        operating_state=data["operating_state"],
        next_steps=data["next_steps"],
        eta_earliest=data.get("eta_earliest"),
        eta_latest=data.get("eta_latest"),
        next_update_due=data["next_update_due"],
        estimate=estimate,
        corrects=form.corrected,
        posted_at=now,
    )
    brief_url = reverse("briefs:incident_brief", args=[incident.public_id])
    if not request.htmx:
        return redirect(f"{brief_url}#timeline")
    # The new entry, figures and chart replace the live region; a fresh form comes out of band.
    fresh = _incident_for_editor(request, public_id)
    context = _architect_context(request, fresh, now)
    context["form"] = _update_form(fresh, now)
    return render(request, "briefs/update_posted.html", context)


# --- Executive links --------------------------------------------------------------------------


@require_POST
def share_link_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_editor(request, public_id)
    form = ShareLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(reverse("briefs:incident_brief", args=[incident.public_id]) + "#links")
    link, token = services.share_link_create(
        incident=incident,
        created_by=_user(request),
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
    incident = _incident_for_editor(request, public_id)
    link = get_object_or_404(ShareLink, incident=incident, public_id=link_id)
    services.share_link_revoke(link=link)
    messages.success(request, f"The link “{link.label}” no longer opens the brief.")
    return redirect(reverse("briefs:incident_brief", args=[incident.public_id]) + "#links")


def _active_link(token: str) -> ShareLink:
    """The link for a token, or the same 404 for a wrong, expired or revoked one."""
    link = (
        ShareLink.objects.filter(token_hash=ShareLink.hash_token(token), revoked_at__isnull=True)
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
def share_view(request: HtmxHttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    fragment = request.htmx and request.GET.get("fragment") == "live"
    # A full load is a visit: what is new is measured against the previous one.
    seen = link.seen_sequence
    if not fragment and request.method == "GET":
        services.share_link_record_visit(link=link, incident=incident)
    context = brief_context(
        incident, zone=zone_from_request(request), architect=False, seen_sequence=seen
    )
    context.update(
        {
            "live_url": reverse("briefs:share_view", args=[token]) + "?fragment=live",
            "refresh_seconds": settings.BRIEF_REFRESH_SECONDS,
            "token": token,
        }
    )
    template = "briefs/share.html#live" if fragment else "briefs/share.html"
    response = render(request, template, context)
    _public_headers(response)
    # Two requests in the same minute render the same bytes: answer the second with 304.
    response["ETag"] = quote_etag(hashlib.sha256(response.content).hexdigest())
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


@login_not_required
@require_safe
def share_markdown(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    return _public_headers(_markdown_response(request, incident, architect=False))


@login_not_required
@require_safe
def share_pdf(request: HttpRequest, token: str) -> HttpResponse:
    link = _active_link(token)
    incident = get_object_or_404(brief_queryset(), pk=link.incident_id)
    return _public_headers(_pdf_response(request, incident, architect=False))


# --- Exports ----------------------------------------------------------------------------------


def _markdown_response(
    request: HttpRequest, incident: Incident, *, architect: bool
) -> HttpResponse:
    context = brief_context(incident, zone=zone_from_request(request), architect=architect)
    html_escaped = render_to_string("briefs/brief.md", context, request=request)
    # Escaped like HTML, so pasted into a Markdown renderer no tag comes alive; quotes and
    # apostrophes cannot open a tag, so they are given back for readability.
    text = html_escaped.replace("&#x27;", "'").replace("&quot;", '"')
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = "inline"
    return response


def _pdf_response(request: HttpRequest, incident: Incident, *, architect: bool) -> HttpResponse:
    try:
        content, etag = brief_pdf(
            incident,
            zone=zone_from_request(request),
            size=pdf.page_size_for(request.GET.get("size")),
            appendix=architect and request.GET.get("appendix") == "1",
            base_url=request.build_absolute_uri("/"),
        )
    except pdf.PdfRenderTimeout:
        logger.warning("PDF render timed out for incident %s", incident.public_id)
        return render(request, "briefs/pdf_failed.html", {"reason": "timeout"}, status=503)
    except pdf.PdfRenderError:
        logger.exception("PDF render failed for incident %s", incident.public_id)
        return render(request, "briefs/pdf_failed.html", {"reason": "error"}, status=500)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = pdf.content_disposition(incident.title)
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response) or response


@require_GET
def incident_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _pdf_response(request, _incident_for_editor(request, public_id), architect=True)


@require_GET
def incident_markdown(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _markdown_response(request, _incident_for_editor(request, public_id), architect=True)
