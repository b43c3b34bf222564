"""Everything the brief shows, computed once per request from rows loaded up front.

The architect's page, the executive link, the PDF and the Markdown all render from this, so they
show the same facts. Times are taken to the minute: the brief says "as of 14:05", and two
requests in the same minute render the same bytes (which lets the executive link answer 304).
Caching what this computes is `briefs.page_cache`'s job; the files made of it, `briefs.exports`'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from briefs import summary
from briefs.chart import CostChart, cost_chart
from briefs.models import (
    ActionItem,
    ActionKind,
    CeoDecision,
    CostRange,
    FinalCost,
    ImpactEstimate,
    Incident,
    IncidentQuerySet,
    IncidentUpdate,
    Meeting,
    MeetingDecision,
)
from briefs.timeline import (
    GapRow,
    HourGroup,
    PromiseRecord,
    group_by_hour,
    promise_record,
    timeline_key,
    timeline_rows,
)

# The timeline keeps the incident's last day in full; older hours shrink to one line per day
# (see `recent_timeline`). The page links to the full record.
FULL_TIMELINE = timedelta(hours=24)


def _brief_prefetches() -> list[str | Prefetch[Any]]:
    return [
        "estimates",
        Prefetch(
            "updates",
            queryset=IncidentUpdate.objects.select_related("author", "estimate", "corrects"),
        ),
        "decisions",
        Prefetch("action_items", queryset=ActionItem.objects.select_related("owner")),
        Prefetch("meetings", queryset=Meeting.objects.prefetch_related("decisions")),
    ]


def brief_queryset() -> IncidentQuerySet:
    """One incident with everything the brief shows, in a fixed number of queries."""
    return Incident.objects.select_related("owner", "rca").prefetch_related(*_brief_prefetches())


def with_brief_rows(incident: Incident) -> Incident:
    """The incident with everything the brief shows, reusing the row the caller already has
    (unless it was loaded with only some fields: then it is loaded whole)."""
    if incident.get_deferred_fields():
        return brief_queryset().get(pk=incident.pk)
    prefetch_related_objects([incident], *_brief_prefetches())
    return incident


def minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Facts:
    """The key figures at one moment."""

    as_of: datetime
    cost_so_far: Decimal
    elapsed: timedelta
    estimate: ImpactEstimate | None
    next_update_due: datetime | None
    overdue_by: timedelta | None
    projection: CostRange | None
    # Once resolved, the one total every page states (with its uncertainty as an aside).
    final_cost: FinalCost | None = None


@dataclass(frozen=True)
class DaySummary:
    """One line of the printed timeline for a day older than the last 24 hours."""

    day: datetime
    count: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class RootCause:
    """The one root cause the brief states, with how sure we are of it in words."""

    text: str
    confidence: str
    from_rca: bool


def root_cause(incident: Incident) -> RootCause:
    """Once resolved, the root-cause analysis's cause when it has one (confirmed or not);
    otherwise the cause as understood during the incident. One cause, one confidence: the
    follow-up and the root-cause section never disagree."""
    rca = getattr(incident, "rca", None) if incident.resolved_at is not None else None
    if rca is not None and rca.root_cause:
        confidence = "confirmed" if rca.root_cause_confirmed else "not yet confirmed"
        return RootCause(rca.root_cause, confidence, from_rca=True)
    confidence = (
        incident.get_root_cause_confidence_display().lower()
        if incident.root_cause_confidence
        else ""
    )
    return RootCause(incident.root_cause, confidence, from_rca=False)


# The action items that change how we work; communication and the RCA itself are commitments,
# not changes.
CHANGE_KINDS = {ActionKind.CORRECTIVE, ActionKind.PREVENTIVE, ActionKind.MONITORING}


@dataclass(frozen=True)
class FollowUp:
    """The summary at the top of a resolved brief: the whole story in a few lines."""

    duration: timedelta
    final_cost: FinalCost
    customers: int | None
    root_cause: RootCause
    # What has changed, from the action items' status: done, and still planned. With no
    # change recorded as an action item, the plan is the prevention written in the wizard.
    done: list[ActionItem]
    planned: list[ActionItem]
    planned_text: str
    still_open: list[ActionItem]


def follow_up(incident: Incident) -> FollowUp | None:
    final_cost = incident.final_cost()
    if final_cost is None:
        return None
    estimate = incident.current_estimate()
    items = list(incident.action_items.all())
    changes = [item for item in items if item.kind in CHANGE_KINDS]
    planned_text = [incident.preventive_measures, incident.monitoring_changes]
    return FollowUp(
        duration=incident.elapsed(),
        final_cost=final_cost,
        customers=estimate.customers_affected if estimate else None,
        root_cause=root_cause(incident),
        done=[item for item in changes if item.done_at is not None],
        planned=[item for item in changes if item.done_at is None],
        planned_text="" if changes else " ".join(text for text in planned_text if text),
        still_open=[
            item for item in items if item.done_at is None and item.kind not in CHANGE_KINDS
        ],
    )


@dataclass(frozen=True)
class DecidedAsk:
    """An ask of the CEO that a meeting decision answered: shown as decided, no longer asked."""

    ask: CeoDecision
    decision: str
    decided_by: str
    decided_at: datetime


def asks(incident: Incident) -> tuple[list[CeoDecision], list[DecidedAsk]]:
    """The asks still open and the asks decided, each in the order the architect put them.

    When several meetings answered the same ask, the latest decision is the one that stands.
    """
    answers: dict[int, tuple[MeetingDecision, datetime]] = {}
    for meeting in sorted(incident.meetings.all(), key=lambda m: (m.held_at, m.pk)):
        for decision in meeting.decisions.all():
            if decision.ask_id is not None:
                answers[decision.ask_id] = (decision, meeting.held_at)
    open_asks: list[CeoDecision] = []
    decided: list[DecidedAsk] = []
    for ask in incident.decisions.all():
        if ask.pk in answers:
            answer, held_at = answers[ask.pk]
            decided.append(DecidedAsk(ask, answer.decision, answer.decided_by, held_at))
        else:
            open_asks.append(ask)
    return open_asks, decided


@dataclass(frozen=True)
class Event:
    """One line of the RCA's timeline."""

    at: datetime
    kind: str
    text: str


def rca_timeline(incident: Incident) -> list[Event]:
    """The incident's story from its own records: milestones, estimate revisions, updates."""
    events = [
        Event(at, kind, text)
        for at, kind, text in [
            (incident.started_at, "milestone", "The incident started."),
            (incident.detected_at, "milestone", "We detected it."),
            (incident.escalated_at, "milestone", "It was escalated to the CEO."),
            (incident.resolved_at, "milestone", "It was resolved."),
        ]
        if at is not None
    ]
    for estimate, text in revision_texts(incident).items():
        events.append(Event(estimate.effective_at, "estimate", text))
    events += [Event(u.facts_at, "update", u.what_changed) for u in incident.updates.all()]
    order = {"milestone": 0, "estimate": 1, "update": 2}
    return sorted(events, key=lambda event: (event.at, order[event.kind]))


def revision_texts(incident: Incident) -> dict[ImpactEstimate, str]:
    """Each estimate, oldest first, with what it changed from the one before."""
    estimates = incident.estimates_in_order()
    return {
        estimate: estimate.change_from(estimates[index - 1] if index else None, incident.currency)
        for index, estimate in enumerate(estimates)
    }


def facts(incident: Incident, now: datetime) -> Facts:
    return Facts(
        as_of=now,
        cost_so_far=incident.cost_between(incident.end_or(now)),
        elapsed=incident.elapsed(now),
        estimate=incident.current_estimate(),
        next_update_due=incident.next_update_due(),
        overdue_by=incident.overdue_by(now),
        projection=incident.projected_cost(now),
        final_cost=incident.final_cost(),
    )


def brief_context(
    incident: Incident,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
    architect: bool,
    seen_sequence: int | None = None,
    full_timeline: bool = False,
) -> dict[str, Any]:
    """Everything the brief shows. The timeline holds the last day in full and one line per
    older day, unless `full_timeline`: a month-long incident must not make a 400 KB page."""
    now = minute(now or timezone.now())
    estimates = incident.estimates_in_order()
    updates = sorted(incident.updates.all(), key=lambda u: u.sequence)
    record: PromiseRecord = promise_record(
        updates=updates,
        escalated_at=incident.escalated_at,
        cadence_minutes=incident.update_cadence_minutes,
        now=now,
        resolved_at=incident.resolved_at,
    )
    older_days: list[DaySummary] = []
    if full_timeline:
        shown, gaps = updates, record.gaps
    else:
        shown, older_days = recent_timeline(updates, zone=zone, end=incident.end_or(now))
        cutoff = incident.end_or(now) - FULL_TIMELINE
        gaps = [gap for gap in record.gaps if gap.end >= cutoff]
    rows: list[HourGroup | GapRow] = timeline_rows(group_by_hour(shown, zone), gaps, zone=zone)
    chart: CostChart = cost_chart(
        incident, estimates=estimates, updates=updates, now=now, zone=zone
    )
    corrected = {u.corrects_id for u in updates if u.corrects_id is not None}
    open_asks, decided_asks = asks(incident)
    cause = root_cause(incident)
    return {
        "incident": incident,
        "facts": facts(incident, now),
        "architect": architect,
        "record": record,
        "rows": rows,
        "older_days": older_days,
        "updates": updates,
        "corrected_ids": corrected,
        "revisions": {estimate.pk: text for estimate, text in revision_texts(incident).items()},
        "chart": chart,
        "zone": zone,
        "seen_sequence": seen_sequence,
        "follow_up": follow_up(incident),
        "root_cause": cause,
        # What the CEO is still asked, and what they already decided (with whom and when).
        "open_asks": open_asks,
        "decided_asks": decided_asks,
        "page_one": summary.page_one(
            incident,
            open_asks=[(ask.question, ask.recommendation) for ask in open_asks],
            decisions=[(d.decision, d.decided_by) for d in decided_asks]
            + [
                (decision.decision, decision.decided_by)
                for meeting in incident.meetings.all()
                for decision in meeting.decisions.all()
                if decision.ask_id is None
            ],
            cause=(cause.text, cause.confidence),
        ),
        "action_items": list(incident.action_items.all()),
        "meetings": list(incident.meetings.all()),
        "today": timezone.localdate(now, zone),
        "now": now,
    }


def recent_timeline(
    updates: list[IncidentUpdate], *, zone: ZoneInfo, end: datetime
) -> tuple[list[IncidentUpdate], list[DaySummary]]:
    """The updates of the incident's last 24 hours in full, and one summary line per older day
    (newest first). The last 24 hours run up to now, or up to the resolution."""
    cutoff = end - FULL_TIMELINE
    recent = [u for u in updates if u.facts_at >= cutoff]
    days: dict[Any, list[IncidentUpdate]] = {}
    for update in sorted(updates, key=timeline_key):
        if update.facts_at < cutoff:
            days.setdefault(update.facts_at.astimezone(zone).date(), []).append(update)
    summaries = [
        DaySummary(
            day=entries[0].facts_at.astimezone(zone),
            count=len(entries),
            first=entries[0].facts_at,
            last=entries[-1].facts_at,
        )
        for entries in reversed(days.values())
    ]
    return recent, summaries


def rca_context(
    incident: Incident, *, zone: ZoneInfo, now: datetime | None = None
) -> dict[str, Any]:
    context = brief_context(incident, zone=zone, now=now, architect=False)
    prevention = {ActionKind.PREVENTIVE, ActionKind.MONITORING}
    context.update(
        {
            "rca": getattr(incident, "rca", None),
            "events": rca_timeline(incident),
            "preventive_items": [i for i in incident.action_items.all() if i.kind in prevention],
        }
    )
    return context
