"""The guided escalation: a draft's steps, their live advice, the review and escalation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from briefs import escalation_steps, glossary
from briefs.brief_content import brief_context, minute
from briefs.forms import (
    AssessForm,
    CauseForm,
    DecisionFormSet,
    ImpactForm,
    OutlookForm,
    ResourcesForm,
    StepForm,
    VersionedForm,
    WhatHappenedForm,
)
from briefs.meeting_script import ceo_questions, executive_texts, meeting_script
from briefs.middleware import zone_from_request
from briefs.models import Incident, Status
from briefs.services import (
    VersionConflict,
    draft_discard,
    incident_create_draft,
    incident_mark_escalated,
    incident_step_save,
)
from briefs.views.common import (
    HtmxHttpRequest,
    conflict_page,
    current_user,
    incident_for_editor,
    subscriber_panel,
)

STEP_FORMS: dict[str, type[StepForm]] = {
    "assess": AssessForm,
    "cause": CauseForm,
    "outlook": OutlookForm,
    "resources": ResourcesForm,
}


@require_POST
def incident_new(request: HttpRequest) -> HttpResponse:
    incident = incident_create_draft(
        owner=current_user(request),
        title=escalation_steps.DRAFT_TITLE,
        # The owner's zone: the cookie is set from their profile at login (briefs.middleware).
        time_zone=zone_from_request(request).key,
    )
    return redirect("briefs:incident_step", incident.public_id, "assess")


@require_POST
def incident_discard(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The owner throws a draft away; a collaborator or an outsider gets 404."""
    incident = incident_for_editor(request, public_id, with_rows=False)
    if incident.owner_id != request.user.pk or incident.status != Status.DRAFT:
        raise Http404("No such draft")
    if draft_discard(incident=incident):
        messages.success(request, f"The draft “{incident.title}” is discarded.")
    return redirect("briefs:dashboard")


@require_GET
def incident_resume(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    return redirect(
        "briefs:incident_step", incident.public_id, escalation_steps.first_incomplete_step(incident)
    )


def _step_url(incident: Incident, slug: str) -> str:
    return reverse("briefs:incident_step", args=[incident.public_id, slug])


# A step's form: the incident's fields (StepForm), or the first estimate (ImpactForm).
WizardForm = StepForm | ImpactForm


def _build_forms(
    request: HttpRequest, incident: Incident, slug: str, *, complete: bool
) -> tuple[WizardForm, Any]:
    """The step's form (and the decisions formset on the resources step), bound on POST."""
    data = request.POST if request.method == "POST" else None
    formset = None
    form: WizardForm
    if slug == "impact":
        first = incident.estimates_in_order()[0] if incident.estimates_in_order() else None
        form = ImpactForm(data, instance=first, initial={"currency": incident.currency})
    elif slug == "resources":
        form = ResourcesForm(
            data, instance=incident, can_add_collaborators=incident.owner_id == request.user.pk
        )
        formset = DecisionFormSet(data, instance=incident, prefix="decisions")
    elif slug == "what-happened":
        form = WhatHappenedForm(data, instance=incident, now=timezone.now())
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
    form: WizardForm,
    formset: Any = None,
    *,
    status: int = 200,
    partial: str = "",
) -> HttpResponse:
    step = escalation_steps.STEPS_BY_SLUG[slug]
    before, after = escalation_steps.neighbours(slug)
    context: dict[str, Any] = {
        "incident": incident,
        "step": step,
        "progress": escalation_steps.progress(incident, slug),
        "form": form,
        "formset": formset,
        "before": before,
        "after": after,
        "step_url": _step_url(incident, slug),
        "recommendation": _assessed(incident, form).recommendation() if slug == "assess" else None,
        "now": timezone.now(),
    }
    if slug == "impact":
        context["preview"] = _cost_preview(incident, form)
    if slug == "resources" and not partial:
        # Who gets the notices by mail (issue 16): a panel of its own below the step's form.
        context.update(subscriber_panel(incident))
    template = "briefs/wizard_step.html" + (f"#{partial}" if partial else "")
    return render(request, template, context, status=status)


def _assessed(incident: Incident, form: WizardForm) -> Incident:
    """The incident with the assess form's valid values, for live advice; as saved on GET."""
    if not form.is_bound or not isinstance(form, AssessForm):
        return incident
    form.is_valid()
    return escalation_steps.assessed(incident, form.cleaned_data)


def _cost_preview(incident: Incident, form: WizardForm) -> escalation_steps.CostPreview:
    """The figures on the impact form before they are saved; the saved ones on GET."""
    # To the minute, as the brief states its figures (briefs.brief_content.minute).
    now = minute(timezone.now())
    if form.is_bound:
        form.is_valid()
        return escalation_steps.cost_preview(
            incident,
            rate=form.cleaned_data.get("revenue_per_hour"),
            currency=form.cleaned_data.get("currency") or incident.currency,
            now=now,
        )
    first = incident.estimates_in_order()[0] if incident.estimates_in_order() else None
    rate = first.revenue_per_hour if first is not None else None
    return escalation_steps.cost_preview(incident, rate=rate, currency=incident.currency, now=now)


@require_http_methods(["GET", "POST"])
def incident_step(request: HtmxHttpRequest, public_id: UUID, step: str) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    if step not in escalation_steps.STEPS_BY_SLUG:
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
            # Nothing to swap in: the field stays as the user left it.
            return HttpResponse(status=204)
        form.is_valid()
        return render(request, "briefs/_field.html", {"field": form[name]})
    if request.htmx and "preview" in request.GET:
        partial = "recommendation" if step == "assess" else "cost_preview"
        return _render_step(request, incident, step, form, formset, partial=partial)

    # The version the page was read at, as every form that changes an incident carries it.
    version = VersionedForm(request.POST)
    if not version.is_valid():
        return HttpResponseBadRequest("The form is missing its version; reload the page.")

    forms_valid = form.is_valid() and (formset is None or formset.is_valid())
    if not forms_valid:
        return _render_step(request, incident, step, form, formset, status=400)
    if nav != "next" and not form.has_changed() and (formset is None or not formset.has_changed()):
        # Nothing typed: moving between steps writes nothing, so a draft stays untouched
        # (off the dashboard, deleted after a day: Incident.objects.untouched_drafts).
        return redirect(_step_url(incident, _navigation_target(step, nav)))

    try:
        incident_step_save(
            incident=incident,
            author=current_user(request),
            step=step,
            expected_version=version.cleaned_data["version"],
            fields=form.incident_fields(),
            estimate=form.estimate_input(),
            decisions=formset.decision_changes() if formset is not None else None,
            collaborator=form.new_collaborator,
        )
    except VersionConflict as conflict:
        return _conflict(request, incident, step, form, conflict.current)

    target = _navigation_target(step, nav)
    return redirect(_step_url(incident, target))


def _navigation_target(step: str, nav: str) -> str:
    before, after = escalation_steps.neighbours(step)
    if nav == "back":
        return before or step
    if nav in escalation_steps.STEPS_BY_SLUG:
        return nav
    return after or step


def _conflict(
    request: HttpRequest, incident: Incident, step: str, form: WizardForm, current: Incident
) -> HttpResponse:
    """Their saved version beside ours, for the fields of the step the incident has."""
    rows = [
        (field.label or name, getattr(current, name), form.cleaned_data.get(name))
        for name, field in form.fields.items()
        if hasattr(current, name)
    ]
    subject = escalation_steps.STEPS_BY_SLUG[step].name
    return conflict_page(request, current, subject, rows, form_url=_step_url(incident, step))


def _review(
    request: HttpRequest, incident: Incident, *, status: int = 200, errors: Any = None
) -> HttpResponse:
    context = brief_context(incident, zone=zone_from_request(request), architect=True)
    context.update(
        {
            "step": escalation_steps.STEPS_BY_SLUG["review"],
            "progress": escalation_steps.progress(incident, "review"),
            "questions": ceo_questions(incident),
            "script": meeting_script(incident),
            "flags": glossary.check_texts(executive_texts(incident)),
            "missing": errors
            if errors is not None
            else escalation_steps.missing_for_escalation(incident),
            "show_errors": errors is not None,
        }
    )
    return render(request, "briefs/review.html", context, status=status)


@require_POST
def incident_escalate(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    missing = escalation_steps.missing_for_escalation(incident)
    if missing:
        return _review(request, incident, status=400, errors=missing)
    incident_mark_escalated(incident=incident)
    return redirect("briefs:incident_brief", incident.public_id)
