"""After the meeting: its record, action items, resolution, the RCA and the audit trail."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from briefs import services
from briefs.brief_content import rca_context
from briefs.forms import (
    ActionItemForm,
    ActionItemFormSet,
    MeetingDecisionFormSet,
    MeetingForm,
    RcaForm,
    ReopenForm,
    ResolveForm,
)
from briefs.history import incident_history_entries
from briefs.meeting_script import cadence_words
from briefs.middleware import zone_from_request
from briefs.models import ActionItem, Incident, PdfKind, Status
from briefs.pdf_downloads import pdf_file_response, size_from_request
from briefs.services import (
    ActionInput,
    DecisionInput,
    RcaVersionConflict,
    VersionConflict,
)
from briefs.views.common import (
    conflict_page,
    current_user,
    incident_for_editor,
    incident_people,
    incident_row_for_editor,
)


def _brief_url(incident: Incident, anchor: str = "") -> str:
    return reverse("briefs:incident_brief", args=[incident.public_id]) + anchor


def _action_input(data: dict[str, Any]) -> ActionInput:
    return ActionInput(
        description=data["description"],
        kind=data["kind"],
        due_on=data.get("due_on"),
        owner=data.get("owner"),
        owner_name=data.get("owner_name", ""),
    )


def _latest_entry(incident: Incident) -> str | None:
    latest = incident.updates.order_by("-sequence").first()
    return latest.what_changed if latest else None


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    people = incident_people(incident)
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(
        data,
        initial={
            "version": incident.version,
            "held_at": timezone.localtime().replace(second=0, microsecond=0),
        },
    )
    asks = incident.decisions.all()
    decisions = MeetingDecisionFormSet(
        data, prefix="decisions", form_kwargs={"asks": asks if asks else None}
    )
    actions = ActionItemFormSet(data, prefix="actions", form_kwargs={"people": people})
    status = 200
    if request.method == "POST":
        if form.is_valid() and decisions.is_valid() and actions.is_valid():
            try:
                services.meeting_record(
                    incident=incident,
                    recorded_by=current_user(request),
                    expected_version=form.cleaned_data["version"],
                    held_at=form.cleaned_data["held_at"],
                    attendees=form.cleaned_data["attendees"],
                    resources_granted=form.cleaned_data["resources_granted"],
                    rca_due_on=form.cleaned_data["rca_due_on"],
                    cadence_minutes=form.cleaned_data["cadence_minutes"],
                    decisions=[
                        DecisionInput(d["decision"], d["decided_by"], d.get("ask"))
                        for d in decisions.cleaned_data
                        if d.get("decision")
                    ],
                    actions=[
                        _action_input(a) for a in actions.cleaned_data if a.get("description")
                    ],
                )
            except VersionConflict as conflict:
                return _meeting_conflict(request, incident, form, conflict.current)
            else:
                messages.success(request, "The meeting is recorded.")
                return redirect(_brief_url(incident, "#commitments"))
        else:
            status = 400
    return render(
        request,
        "briefs/meeting_form.html",
        {"incident": incident, "form": form, "decisions": decisions, "actions": actions},
        status=status,
    )


def _meeting_conflict(
    request: HttpRequest, incident: Incident, form: MeetingForm, current: Incident
) -> HttpResponse:
    """Their side: the meeting recorded last and the cadence in force."""
    theirs = current.meetings.order_by("-held_at", "-pk").first()
    yours = form.cleaned_data
    rows = [
        (form.fields[name].label, getattr(theirs, name, None), yours.get(name))
        for name in ["held_at", "attendees", "resources_granted", "rca_due_on"]
    ]
    cadence = yours.get("cadence_minutes")
    rows.append(
        (
            form.fields["cadence_minutes"].label,
            cadence_words(current.update_cadence_minutes),
            cadence_words(cadence) if cadence else "No change",
        )
    )
    url = reverse("briefs:meeting_create", args=[incident.public_id])
    return conflict_page(request, current, "the meeting record", rows, form_url=url)


@require_POST
def action_create(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    form = ActionItemForm(request.POST, people=incident_people(incident))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = ""
    back = back or _brief_url(incident, "#commitments")
    if form.is_valid():
        services.action_item_add(incident=incident, data=_action_input(form.cleaned_data))
        messages.success(request, "The action item is added.")
    else:
        problems = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"The action item was not added: {problems}")
    return redirect(back)


@require_POST
def action_complete(request: HttpRequest, public_id: UUID, item_id: UUID) -> HttpResponse:
    item = incident_row_for_editor(request, ActionItem, public_id, item_id)
    services.action_item_complete(item=item)
    messages.success(request, f"“{item.description}” is done.")
    return redirect(_brief_url(item.incident, "#commitments"))


@require_http_methods(["GET", "POST"])
def incident_resolve(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    if incident.status == Status.DRAFT:
        raise Http404("A draft cannot be resolved")
    now = timezone.now()
    initial = {
        "version": incident.version,
        "resolved_at": timezone.localtime(now).replace(second=0, microsecond=0),
    }
    data = request.POST if request.method == "POST" else None
    form = ResolveForm(data, incident=incident, now=now, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.cleaned_data
            try:
                services.incident_resolve(
                    incident=incident,
                    author=current_user(request),
                    expected_version=values["version"],
                    resolved_at=values["resolved_at"],
                    estimate=form.estimate_input(),
                    closing_update=values["closing_update"],
                )
            except VersionConflict as conflict:
                return _resolve_conflict(request, incident, form, conflict.current)
            else:
                messages.success(
                    request, "The incident is resolved; the executive link shows the follow-up."
                )
                return redirect(_brief_url(incident))
        else:
            status = 400
    return render(
        request, "briefs/resolve_form.html", {"incident": incident, "form": form}, status=status
    )


def _resolve_conflict(
    request: HttpRequest, incident: Incident, form: ResolveForm, current: Incident
) -> HttpResponse:
    """Their side: the incident's state, its current estimate and its latest timeline entry."""
    estimate = current.current_estimate()
    yours = form.cleaned_data
    rows: list[tuple[Any, Any, Any]] = [
        ("Status", current.get_status_display(), Status.RESOLVED.label),
        (form.fields["resolved_at"].label, current.resolved_at, yours["resolved_at"]),
    ]
    rows += [
        (form.fields[name].label, getattr(estimate, name, None), yours[name])
        for name in ["revenue_per_hour", "customers_affected", "confidence", "basis"]
    ]
    rows.append(("Latest timeline entry", _latest_entry(current), yours["closing_update"]))
    url = reverse("briefs:incident_resolve", args=[incident.public_id])
    return conflict_page(request, current, "the resolution", rows, form_url=url)


@require_POST
def incident_reopen(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for reopening, and reload the page if it is old.")
        return redirect(_brief_url(incident))
    try:
        # A stale page first: someone else may have reopened it already, with their reason.
        if form.cleaned_data["version"] != incident.version:
            raise VersionConflict(incident)
        if incident.resolved_at is None:
            messages.error(request, "The incident is not resolved.")
            return redirect(_brief_url(incident))
        services.incident_reopen(
            incident=incident,
            author=current_user(request),
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
        )
    except VersionConflict as conflict:
        current = conflict.current
        return conflict_page(
            request,
            incident=current,
            subject="the incident",
            rows=[
                ("Status", current.get_status_display(), Status.MITIGATING.label),
                (
                    "Latest timeline entry",
                    _latest_entry(current),
                    f"Reopened: {form.cleaned_data['reason']}",
                ),
            ],
            current_version=current.version,
            form_url=reverse("briefs:incident_reopen", args=[incident.public_id]),
            back_url=_brief_url(incident),
        )
    messages.success(request, "The incident is reopened.")
    return redirect(_brief_url(incident))


def _resolved_or_404(incident: Incident) -> None:
    if incident.resolved_at is None:
        raise Http404("The root-cause analysis comes after resolution")


@require_http_methods(["GET", "POST"])
def rca_edit(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    _resolved_or_404(incident)
    existing = getattr(incident, "rca", None)
    # A first draft starts from the root cause as it was understood during the incident.
    initial: dict[str, Any] = {"version": existing.version if existing else 0}
    if not existing:
        initial["root_cause"] = incident.root_cause
    data = request.POST if request.method == "POST" else None
    form = RcaForm(data, instance=existing, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            fields = {name: form.cleaned_data[name] for name in form._meta.fields or []}
            try:
                services.rca_save(
                    incident=incident,
                    author=current_user(request),
                    fields=fields,
                    expected_version=form.cleaned_data["version"],
                )
            except RcaVersionConflict as conflict:
                theirs = conflict.current
                url = reverse("briefs:rca_edit", args=[incident.public_id])
                return conflict_page(
                    request,
                    incident=incident,
                    subject="the root-cause analysis",
                    rows=[
                        (form.fields[name].label, getattr(theirs, name, None), value)
                        for name, value in fields.items()
                    ],
                    current_version=theirs.version if theirs else 0,
                    form_url=url,
                    back_url=url,
                )
            messages.success(request, "The root-cause analysis is saved.")
            return redirect("briefs:rca_edit", incident.public_id)
        status = 400
    context = rca_context(incident, zone=zone_from_request(request))
    context.update(
        {
            "form": form,
            "action_form": ActionItemForm(
                people=incident_people(incident), initial={"kind": "preventive"}
            ),
            "architect": True,
        }
    )
    return render(request, "briefs/rca.html", context, status=status)


@require_GET
def rca_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    _resolved_or_404(incident)
    return pdf_file_response(
        request, incident, kind=PdfKind.RCA, size=size_from_request(request), architect=True
    )


@require_GET
def incident_history(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    return render(
        request,
        "briefs/history.html",
        {"incident": incident, "entries": incident_history_entries(incident)},
    )
