"""The meeting with the CEO: the presenter's cockpit, and the screen it drives."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from briefs import services
from briefs.brief_content import brief_context, brief_queryset, facts, minute
from briefs.meeting_script import cadence_words
from briefs.models import Capture, CaptureKind, Incident, Presentation, ScreenSection
from briefs.presentation import (
    cue_cards,
    keyed_questions,
    screen_state,
    section_of_question,
)
from briefs.presentation_forms import CAPTURE_FORMS, CaptureForm, EndMeetingForm, ShowForm
from briefs.services import PresentationEnded, VersionConflict
from briefs.views.common import (
    HtmxHttpRequest,
    conflict_page,
    current_user,
    incident_for_editor,
    incident_people,
)

PRESENTER = "briefs/present/presenter.html"
SCREEN = "briefs/present/screen.html"


def _presenter_url(incident: Incident, anchor: str = "") -> str:
    return reverse("briefs:present", args=[incident.public_id]) + anchor


def _open_presentation(incident: Incident) -> Presentation | None:
    return Presentation.objects.filter(incident=incident, ended_at__isnull=True).first()


def _open_or_404(incident: Incident) -> Presentation:
    presentation = _open_presentation(incident)
    if presentation is None:
        raise Http404("No meeting is being presented")
    return presentation


def _capture_forms(
    incident: Incident, *, bound: CaptureForm | None = None
) -> dict[str, CaptureForm]:
    """One empty form per kind of capture, except the one just posted with its errors."""
    return {
        kind: bound if bound is not None and bound.kind == kind else _capture_form(incident, kind)
        for kind in CAPTURE_FORMS
    }


def _capture_form(incident: Incident, kind: str, data: Any = None) -> CaptureForm:
    form_class = CAPTURE_FORMS[kind]
    kwargs: dict[str, Any] = {"prefix": kind}
    if kind == "decision":
        kwargs["asks"] = incident.decisions.all()
        kwargs["initial"] = {"decided_by": incident.ceo_name}
    elif kind == "action":
        kwargs["people"] = incident_people(incident)
    return form_class(data, **kwargs)


def _presenter_context(
    request: HttpRequest,
    incident: Incident,
    presentation: Presentation | None,
    *,
    bound: CaptureForm | None = None,
    end_form: EndMeetingForm | None = None,
) -> dict[str, Any]:
    now = timezone.now()
    context: dict[str, Any] = {
        "incident": incident,
        "presentation": presentation,
        # To the minute, as the brief and the screen state it: one figure per fact.
        "facts": facts(incident, minute(now)),
        "screen_url": reverse("briefs:present_screen", args=[incident.public_id]),
    }
    if presentation is None:
        return context
    cards = cue_cards(incident)
    current = cards[min(presentation.card, len(cards) - 1)]
    attendees = ", ".join(
        name
        for name in [incident.ceo_name, incident.owner.get_full_name() or incident.owner.username]
        if name
    )
    context.update(
        {
            "cards": cards,
            "current_card": current,
            "questions": keyed_questions(incident),
            "section_label": ScreenSection(presentation.section).label,
            "captures": list(presentation.captures.select_related("ask", "owner")),
            "capture_forms": _capture_forms(incident, bound=bound),
            "end_form": end_form
            or EndMeetingForm(initial={"version": incident.version, "attendees": attendees}),
            "cadence_now": cadence_words(incident.update_cadence_minutes),
        }
    )
    return context


@require_GET
def present(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The presenter view: resumes the meeting open on this incident, or offers to start one."""
    incident = incident_for_editor(request, public_id)
    context = _presenter_context(request, incident, _open_presentation(incident))
    return render(request, PRESENTER, context)


@require_POST
def present_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    services.presentation_start(incident=incident, started_by=current_user(request))
    return redirect(_presenter_url(incident))


@require_POST
def present_show(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    """Move to a cue card, a question's section or the next or previous card; the screen
    follows on its next poll."""
    incident = incident_for_editor(request, public_id)
    presentation = _open_or_404(incident)
    form = ShowForm(request.POST)
    if not form.is_valid():
        return HttpResponse("Not a card or a question.", status=400)
    cards = cue_cards(incident)
    card, section = presentation.card, presentation.section
    values = form.cleaned_data
    if values["question"] is not None:
        section = section_of_question(values["question"]) or section
    else:
        if values["card"] is not None:
            card = values["card"]
        elif values["step"]:
            card += 1 if values["step"] == "next" else -1
        card = max(0, min(card, len(cards) - 1))
        section = cards[card].section
    if not services.presentation_show(presentation=presentation, card=card, section=section):
        raise Http404("The meeting has ended")
    presentation.card, presentation.section = card, section
    if request.htmx:
        context = _presenter_context(request, incident, presentation)
        return render(request, PRESENTER + "#stage", context)
    return redirect(_presenter_url(incident, f"#card-{card}"))


@require_POST
def present_capture(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    """Save a decision, commitment, action item, resources or cadence as it is made."""
    incident = incident_for_editor(request, public_id)
    presentation = _open_or_404(incident)
    kind = request.POST.get("kind", "")
    if kind not in CAPTURE_FORMS:
        return HttpResponse("Not a kind of capture.", status=400)
    form = _capture_form(incident, kind, request.POST)
    status = 200
    bound: CaptureForm | None = None
    if form.is_valid():
        try:
            services.presentation_capture_add(
                presentation=presentation, kind=kind, fields=form.capture_fields()
            )
        except PresentationEnded:
            raise Http404("The meeting has ended") from None
        except ValueError as refused:
            form.add_error(None, str(refused))
            bound, status = form, 400
        else:
            if not request.htmx:
                messages.success(request, f"{CaptureKind(kind).label} saved.")
                return redirect(_presenter_url(incident, "#captures"))
    else:
        bound, status = form, 400
    context = _presenter_context(request, incident, presentation, bound=bound)
    context["saved_kind"] = kind if status == 200 else ""
    template = PRESENTER + "#captures" if request.htmx else PRESENTER
    return render(request, template, context, status=status)


@require_POST
def present_capture_remove(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    presentation = _open_or_404(incident)
    try:
        capture_id = int(request.POST.get("capture", ""))
    except ValueError:
        return HttpResponse("Not a capture.", status=400)
    try:
        services.presentation_capture_remove(presentation=presentation, capture_id=capture_id)
    except PresentationEnded:
        raise Http404("The meeting has ended") from None
    if request.htmx:
        context = _presenter_context(request, incident, presentation)
        return render(request, PRESENTER + "#captures", context)
    return redirect(_presenter_url(incident, "#captures"))


@require_POST
def present_end(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """End the meeting: what was captured becomes the meeting record."""
    incident = incident_for_editor(request, public_id)
    presentation = _open_presentation(incident)
    if presentation is None:
        messages.info(request, "The meeting had already ended.")
        return redirect(reverse("briefs:incident_brief", args=[incident.public_id]))
    form = EndMeetingForm(request.POST)
    if not form.is_valid():
        context = _presenter_context(request, incident, presentation, end_form=form)
        return render(request, PRESENTER, context, status=400)
    try:
        services.presentation_end(
            presentation=presentation,
            ended_by=current_user(request),
            expected_version=form.cleaned_data["version"],
            attendees=form.cleaned_data["attendees"],
        )
    except VersionConflict as conflict:
        return _end_conflict(request, incident, presentation, form, conflict.current)
    except PresentationEnded:
        messages.info(request, "The meeting had already ended.")
    else:
        messages.success(request, "The meeting has ended; its record is on the brief.")
    return redirect(reverse("briefs:incident_brief", args=[incident.public_id]) + "#commitments")


def _end_conflict(
    request: HttpRequest,
    incident: Incident,
    presentation: Presentation,
    form: EndMeetingForm,
    current: Incident,
) -> HttpResponse:
    """Their side: the incident's cadence and the meeting recorded last; ours: the captures."""
    theirs = current.meetings.order_by("-held_at", "-pk").first()
    captures: list[Capture] = list(presentation.captures.all())
    cadences = [c.cadence_minutes for c in captures if c.cadence_minutes]
    rows: list[tuple[Any, Any, Any]] = [
        ("Who attended", getattr(theirs, "attendees", None), form.cleaned_data["attendees"]),
        (
            "Update cadence",
            cadence_words(current.update_cadence_minutes),
            cadence_words(cadences[-1]) if cadences else "No change",
        ),
        ("Captured in this meeting", None, "; ".join(str(c) for c in captures) or None),
    ]
    return conflict_page(
        request,
        current,
        "the incident",
        rows,
        form_url=reverse("briefs:present_end", args=[incident.public_id]),
        back_url=_presenter_url(incident),
    )


@require_GET
def present_screen(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    """What the CEO sees. Polled every second with the stamp it shows (`?since=`): 204 while
    nothing changed, which costs one query; else the screen again."""
    state = screen_state(request.user, public_id)
    if state is None:
        raise Http404("No such incident")
    now = timezone.now()
    stamp = state.stamp(now)
    if request.htmx and request.GET.get("since") == stamp:
        return HttpResponse(status=204)
    incident = brief_queryset().get(pk=state.incident_id)
    zone = state.zone
    context = brief_context(incident, zone=zone, now=now, architect=False)
    context.update(
        {
            "section": state.section,
            "presenting": state.presentation_id is not None,
            "stamp": stamp,
            "poll_url": reverse("briefs:present_screen", args=[incident.public_id]),
        }
    )
    template = SCREEN + "#screen" if request.htmx else SCREEN
    with timezone.override(zone):
        return render(request, template, context)
