"""Dashboard figures: how fast incidents are detected, escalated and resolved, and promises kept.

Open incidents are computed from the rows the dashboard loaded with its prefetches (they are all
listed, and their cost and promises run on); resolved ones from the figures stored on them at
resolution; the totals from one aggregate query and one query of durations. So the page runs
the same number of queries for 10 incidents as for 1,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import median

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from briefs.models import Incident
from briefs.timeline import promise_record


@dataclass(frozen=True)
class IncidentFigures:
    incident: Incident
    # The cost so far, or the final cost once resolved, at the minute the brief states it
    # (None only for a resolved incident whose figures were never stored).
    cost: Decimal | None
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


def _figures(
    incident: Incident, *, cost: Decimal | None, kept: int, promised: int
) -> IncidentFigures:
    """`incident` comes from `IncidentQuerySet.with_action_counts`."""
    return IncidentFigures(
        incident=incident,
        cost=cost,
        to_detect=_between(incident.started_at, incident.detected_at),
        to_escalate=_between(incident.detected_at, incident.escalated_at),
        to_resolve=_between(incident.escalated_at, incident.resolved_at),
        kept=kept,
        promised=promised,
        open_actions=incident.open_actions,  # type: ignore[attr-defined]
        overdue_actions=incident.overdue_actions,  # type: ignore[attr-defined]
    )


def open_figures(incident: Incident, *, now: datetime) -> IncidentFigures:
    """An open incident's row from its prefetched estimates and updates. `now` is taken to the
    minute by the caller, as the brief takes it (`brief.minute`)."""
    record = promise_record(
        updates=list(incident.updates.all()),
        escalated_at=incident.escalated_at,
        cadence_minutes=incident.update_cadence_minutes,
        now=now,
        resolved_at=incident.resolved_at,
    )
    cost = incident.cost_between(incident.end_or(now))
    return _figures(incident, cost=cost, kept=record.kept, promised=record.promised)


def resolved_figures(incident: Incident) -> IncidentFigures:
    """A resolved incident's row from the figures stored at its resolution."""
    return _figures(
        incident,
        cost=incident.final_cost_amount,
        kept=incident.promises_kept or 0,
        promised=incident.promises_made or 0,
    )


def _median(seconds: Sequence[float | None]) -> timedelta | None:
    # As `_between`: a time entered out of order counts as no time, not as negative time.
    known = [max(value, 0.0) for value in seconds if value is not None]
    return timedelta(seconds=median(known)) if known else None


def totals(
    *,
    open_rows: Sequence[IncidentFigures],
    sums: dict[str, int],
    durations: Sequence[tuple[float | None, ...]],
) -> Totals:
    """Across every incident: `sums` from `IncidentQuerySet.dashboard_totals` (which holds the
    resolved incidents' promises), `durations` from `stage_durations`, plus the open rows'
    promises, which are computed live."""
    detect, escalate, resolve = list(zip(*durations, strict=True)) or [(), (), ()]
    return Totals(
        median_to_detect=_median(detect),
        median_to_escalate=_median(escalate),
        median_to_resolve=_median(resolve),
        kept=sums["kept"] + sum(row.kept for row in open_rows),
        promised=sums["promised"] + sum(row.promised for row in open_rows),
        open_actions=sums["open_actions"],
        overdue_actions=sums["overdue_actions"],
    )


def last_weeks(today: date, count: int = 12) -> list[tuple[date, datetime, datetime]]:
    """The last `count` weeks (Monday first), oldest first: each Monday and the instants its
    week starts and ends, at midnight in the current time zone."""
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=n) for n in reversed(range(count))]
    return [
        (
            monday,
            timezone.make_aware(datetime.combine(monday, time())),
            timezone.make_aware(datetime.combine(monday + timedelta(weeks=1), time())),
        )
        for monday in mondays
    ]


@dataclass(frozen=True)
class WeeklyChart:
    svg: SafeString
    text_alternative: str
    counts: list[tuple[date, int]]


def incidents_per_week(counts: list[tuple[date, int]]) -> WeeklyChart:
    """A bar per week of escalated incidents by start date: `counts` is (Monday, incidents),
    oldest first, from `last_weeks` and `IncidentQuerySet.dashboard_totals`."""
    weeks = len(counts)
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
