"""Dashboard figures: how fast incidents are detected, escalated and resolved, and promises kept.

Everything is computed from rows the dashboard loaded with its prefetches, so the page runs the
same number of queries for 10 incidents as for 500.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from briefs.models import Incident
from briefs.timeline import promise_record


@dataclass(frozen=True)
class IncidentFigures:
    incident: Incident
    # The cost so far, or the final cost once resolved, at the minute the brief states it.
    cost: Decimal
    to_detect: timedelta | None
    to_escalate: timedelta | None
    to_resolve: timedelta | None
    kept: int
    promised: int
    open_actions: int
    overdue_actions: int

    @property
    def on_time_share(self) -> float | None:
        return self.kept / self.promised if self.promised else None


@dataclass(frozen=True)
class Totals:
    median_to_detect: timedelta | None
    median_to_escalate: timedelta | None
    median_to_resolve: timedelta | None
    kept: int
    promised: int
    open_actions: int
    overdue_actions: int

    @property
    def on_time_share(self) -> float | None:
        return self.kept / self.promised if self.promised else None


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return max(end - start, timedelta(0))


def incident_figures(incident: Incident, *, now: datetime, today: date) -> IncidentFigures:
    """`now` is taken to the minute by the caller, as the brief takes it (`brief.minute`)."""
    record = promise_record(
        updates=list(incident.updates.all()),
        escalated_at=incident.escalated_at,
        cadence_minutes=incident.update_cadence_minutes,
        now=now,
        resolved_at=incident.resolved_at,
    )
    items = list(incident.action_items.all())
    return IncidentFigures(
        incident=incident,
        cost=incident.cost_between(incident.end_or(now)),
        to_detect=_between(incident.started_at, incident.detected_at),
        to_escalate=_between(incident.detected_at, incident.escalated_at),
        to_resolve=_between(incident.escalated_at, incident.resolved_at),
        kept=record.kept,
        promised=record.promised,
        open_actions=sum(1 for item in items if item.done_at is None),
        overdue_actions=sum(1 for item in items if item.is_overdue(today)),
    )


def _median(values: Sequence[timedelta | None]) -> timedelta | None:
    seconds = [value.total_seconds() for value in values if value is not None]
    return timedelta(seconds=median(seconds)) if seconds else None


def totals(figures: Sequence[IncidentFigures]) -> Totals:
    return Totals(
        median_to_detect=_median([f.to_detect for f in figures]),
        median_to_escalate=_median([f.to_escalate for f in figures]),
        median_to_resolve=_median([f.to_resolve for f in figures]),
        kept=sum(f.kept for f in figures),
        promised=sum(f.promised for f in figures),
        open_actions=sum(f.open_actions for f in figures),
        overdue_actions=sum(f.overdue_actions for f in figures),
    )


@dataclass(frozen=True)
class WeeklyChart:
    svg: SafeString
    text_alternative: str
    counts: list[tuple[date, int]]


def incidents_per_week(
    incidents: Sequence[Incident], *, today: date, weeks: int = 12
) -> WeeklyChart:
    """A bar per week (Monday first) of escalated incidents by start date, the last `weeks`."""
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in reversed(range(weeks))]
    counted = Counter(
        (moment.date() - timedelta(days=moment.date().weekday()))
        for moment in (i.started_at for i in incidents)
        if moment is not None
    )
    counts = [(monday, counted.get(monday, 0)) for monday in mondays]
    top = max((count for _, count in counts), default=0) or 1
    width, height, gap = 24, 60, 6
    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="#1d4ed8">'
        "<title>Week of {}: {}</title></rect>",
        (
            (
                index * (width + gap),
                height - round(count / top * height),
                width,
                round(count / top * height),
                monday.strftime("%d %b"),
                count,
            )
            for index, (monday, count) in enumerate(counts)
        ),
    )
    total = sum(count for _, count in counts)
    text = (
        f"{total} incident{'s' if total != 1 else ''} started in the last {weeks} weeks; "
        f"the busiest week had {max(c for _, c in counts)}."
    )
    svg = format_html(
        '<svg viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="weekly-title">'
        '<title id="weekly-title">{}</title>{}'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#8a94a6" stroke-width="1"/></svg>',
        weeks * (width + gap),
        height + 2,
        text,
        bars,
        height + 1,
        weeks * (width + gap),
        height + 1,
    )
    return WeeklyChart(svg=svg, text_alternative=text, counts=counts)
