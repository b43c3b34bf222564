"""The cumulative cost chart: inline SVG built on the server, with a text alternative.

No JavaScript and no `style` attributes (the CSP forbids inline styles): colours and the font
are SVG presentation attributes. Every value is interpolated through `format_html`, so user
text (the incident title) and currency strings are escaped; only fragments this module built
with `format_html` are joined as safe.

Cost is piecewise linear between estimate revisions, so the start, each revision and the end
are all the points the line needs. Marks are capped (`MAX_REVISION_MARKS`,
`MAX_UPDATE_MARKS`) so an incident with thousands of updates still yields a small SVG.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from briefs.models import ImpactEstimate, Incident, IncidentUpdate

WIDTH, HEIGHT = 640, 200
# The plot area inside the viewBox; the margins hold the axis labels.
LEFT, RIGHT, TOP, BOTTOM = 56.0, 624.0, 22.0, 164.0
TICK_LENGTH = 6.0
DIAMOND = 5.0
MAX_UPDATE_MARKS = 120
MAX_REVISION_MARKS = 100
MAX_LISTED_REVISIONS = 5

FONT_FAMILY = "Brief Sans, sans-serif"
INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9dde3"
COST = "#b42318"
COST_AREA = "#fde8e7"
PAPER = "#ffffff"


@dataclass(frozen=True)
class ChartPoint:
    """A breakpoint of the cost line: the cumulative cost at `at` (UTC), and where it is drawn
    in viewBox units."""

    at: datetime
    cost: Decimal
    x: float
    y: float


@dataclass(frozen=True)
class ChartMark:
    """A revision diamond or an update tick, with the tooltip it carries."""

    at: datetime
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class CostChart:
    svg: SafeString
    text_alternative: str
    points: tuple[ChartPoint, ...] = ()
    revisions: tuple[ChartMark, ...] = ()
    update_marks: tuple[ChartMark, ...] = ()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _join(fragments: Iterable[SafeString]) -> SafeString:
    # Safe because every fragment came out of format_html, which escaped its arguments.
    return mark_safe("".join(fragments))


def _thin[T](items: Sequence[T], limit: int) -> list[T]:
    """At most `limit` items spread evenly, keeping the first and the last."""
    if len(items) <= limit:
        return list(items)
    last = len(items) - 1
    return [items[index] for index in sorted({round(i * last / (limit - 1)) for i in range(limit)})]


def _number(value: float) -> str:
    return f"{value:.1f}"


class _Scale:
    def __init__(self, start: datetime, end: datetime, top_cost: Decimal, zone: ZoneInfo) -> None:
        self.start = start
        self.seconds = (end - start).total_seconds()
        self.top_cost = top_cost
        self.zone = zone
        self.with_date = start.astimezone(zone).date() != end.astimezone(zone).date()

    def x(self, moment: datetime) -> float:
        if self.seconds <= 0:
            return LEFT
        share = (moment - self.start).total_seconds() / self.seconds
        return LEFT + min(max(share, 0.0), 1.0) * (RIGHT - LEFT)

    def y(self, cost: Decimal) -> float:
        if self.top_cost <= 0:
            return BOTTOM
        return BOTTOM - float(cost / self.top_cost) * (BOTTOM - TOP)

    def clock(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        if self.with_date:
            return f"{local.day} {local:%b %H:%M}"
        return f"{local:%H:%M}"


def _listing(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _update_marks(
    updates: Sequence[IncidentUpdate], start: datetime, end: datetime, scale: _Scale
) -> list[ChartMark]:
    """One tick per update at the time its facts were true (as the timeline places it), or
    per slice of the time axis when there are too many to draw."""
    ordered = sorted(updates, key=lambda u: (_utc(u.facts_at), u.sequence))
    times = [min(max(_utc(u.facts_at), start), end) for u in ordered]
    if len(ordered) <= MAX_UPDATE_MARKS:
        return [
            ChartMark(
                at=at,
                x=scale.x(at),
                y=BOTTOM,
                title=f"Update #{update.sequence} at {scale.clock(at)}",
            )
            for update, at in zip(ordered, times, strict=True)
        ]
    buckets: dict[int, list[datetime]] = {}
    for at in times:
        share = (at - start).total_seconds() / scale.seconds if scale.seconds > 0 else 0.0
        buckets.setdefault(min(int(share * MAX_UPDATE_MARKS), MAX_UPDATE_MARKS - 1), []).append(at)
    marks = []
    for bucket in buckets.values():
        first, last = bucket[0], bucket[-1]
        title = (
            f"Update at {scale.clock(first)}"
            if len(bucket) == 1
            else f"{len(bucket)} updates between {scale.clock(first)} and {scale.clock(last)}"
        )
        marks.append(ChartMark(at=first, x=scale.x(first), y=BOTTOM, title=title))
    return marks


def _text_alternative(
    incident: Incident,
    *,
    points: Sequence[ChartPoint],
    has_estimate: bool,
    revisions: Sequence[ChartMark],
    revision_count: int,
    update_count: int,
    scale: _Scale,
) -> str:
    first, final = points[0], points[-1]
    begin, finish = scale.clock(first.at), scale.clock(final.at)
    if not has_estimate:
        sentence = f"No estimate yet, so no cost is shown from {begin} to {finish}"
        if scale.seconds <= 0:
            sentence = f"No estimate yet; the incident started at {begin}"
    elif scale.seconds <= 0:
        sentence = f"The incident started at {begin}; no cost has accrued yet"
    elif final.cost <= 0:
        zero = incident.money(Decimal(0))
        sentence = f"Cumulative cost stayed at {zero} from {begin} to {finish}"
    else:
        resolved = incident.resolved_at is not None
        when = f"when it was resolved at {finish}" if resolved else f"at {finish}"
        sentence = (
            f"Cumulative cost rose from {incident.money(first.cost)} at {begin} "
            f"to {incident.money(final.cost)} {when}"
        )
    parts = [sentence]
    if revision_count > MAX_LISTED_REVISIONS:
        parts.append(
            f"the estimate was revised {revision_count} times, "
            f"last at {scale.clock(revisions[-1].at)}"
        )
    elif revision_count:
        parts.append(
            f"the estimate was revised at {_listing([scale.clock(r.at) for r in revisions])}"
        )
    if update_count == 0:
        parts.append("no updates were posted")
    elif update_count == 1:
        parts.append("1 update was posted")
    else:
        parts.append(f"{update_count:,} updates were posted")
    # The axis and the marks show bare clock times; the caption names their zone once.
    return "; ".join(parts) + f". Times in {scale.zone.key}."


def _svg(
    incident: Incident,
    *,
    points: Sequence[ChartPoint],
    revisions: Sequence[ChartMark],
    update_marks: Sequence[ChartMark],
    text: str,
    scale: _Scale,
) -> SafeString:
    chart_id = f"cost-chart-{incident.public_id}"
    first, final = points[0], points[-1]
    line = " ".join(f"{_number(p.x)},{_number(p.y)}" for p in points)
    area = f"{line} {_number(final.x)},{_number(BOTTOM)} {_number(first.x)},{_number(BOTTOM)}"
    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" '
            'role="img" aria-labelledby="{}-title {}-desc" font-family="{}" font-size="11" '
            'fill="{}">',
            WIDTH,
            HEIGHT,
            chart_id,
            chart_id,
            FONT_FAMILY,
            INK,
        ),
        format_html('<title id="{}-title">Cumulative cost: {}</title>', chart_id, incident.title),
        format_html('<desc id="{}-desc">{}</desc>', chart_id, text),
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="4 4"/>',
            _number(LEFT),
            _number(TOP),
            _number(RIGHT),
            _number(TOP),
            GRID,
        ),
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>',
            _number(LEFT),
            _number(BOTTOM),
            _number(RIGHT),
            _number(BOTTOM),
            MUTED,
        ),
    ]
    if len(points) > 1:
        parts.append(format_html('<polygon points="{}" fill="{}"/>', area, COST_AREA))
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="2" '
                'stroke-linejoin="round"/>',
                line,
                COST,
            )
        )
    else:
        parts.append(
            format_html(
                '<circle cx="{}" cy="{}" r="3" fill="{}"/>',
                _number(first.x),
                _number(first.y),
                COST,
            )
        )
    parts.append(format_html('<g stroke="{}" stroke-width="1.5">', MUTED))
    parts.extend(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" data-mark="update"><title>{}</title></line>',
            _number(mark.x),
            _number(BOTTOM),
            _number(mark.x),
            _number(BOTTOM + TICK_LENGTH),
            mark.title,
        )
        for mark in update_marks
    )
    parts.append(mark_safe("</g>"))
    parts.extend(
        format_html(
            '<path d="M{},{} L{},{} L{},{} L{},{} Z" fill="{}" stroke="{}" stroke-width="1.5" '
            'data-mark="revision"><title>{}</title></path>',
            _number(mark.x),
            _number(mark.y - DIAMOND),
            _number(mark.x + DIAMOND),
            _number(mark.y),
            _number(mark.x),
            _number(mark.y + DIAMOND),
            _number(mark.x - DIAMOND),
            _number(mark.y),
            PAPER,
            COST,
            mark.title,
        )
        for mark in revisions
    )
    if scale.top_cost > 0:
        # The top of the scale sits above the plot, where the rising line never reaches.
        parts.append(
            format_html(
                '<text x="{}" y="{}">{}</text>',
                _number(LEFT),
                _number(TOP - 8),
                incident.money(scale.top_cost),
            )
        )
    parts.append(
        format_html(
            '<text x="{}" y="{}" text-anchor="end">{}</text>',
            _number(LEFT - 6),
            _number(BOTTOM + 4),
            incident.money(Decimal(0)),
        )
    )
    axis_y = _number(BOTTOM + TICK_LENGTH + 14)
    parts.append(
        format_html(
            '<text x="{}" y="{}" fill="{}">{}</text>',
            _number(LEFT),
            axis_y,
            MUTED,
            scale.clock(first.at),
        )
    )
    if scale.seconds > 0:
        middle = first.at + (final.at - first.at) / 2
        parts.append(
            format_html(
                '<text x="{}" y="{}" fill="{}" text-anchor="middle">{}</text>',
                _number((LEFT + RIGHT) / 2),
                axis_y,
                MUTED,
                scale.clock(middle),
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" fill="{}" text-anchor="end">{}</text>',
                _number(RIGHT),
                axis_y,
                MUTED,
                scale.clock(final.at),
            )
        )
    parts.append(mark_safe("</svg>"))
    return _join(parts)


def cost_chart(
    incident: Incident,
    *,
    estimates: Sequence[ImpactEstimate],
    updates: Sequence[IncidentUpdate],
    now: datetime,
    zone: ZoneInfo,
) -> CostChart:
    """The cumulative cost from the start to the resolution (or now), with each estimate
    revision marked as a diamond on the line and each update as a tick on the time axis.

    The first estimate is not a revision: it applies from the start. Revisions dated after the
    end of the chart are left out; ones dated before the start are drawn at the start.
    """
    if incident.started_at is None:
        return CostChart(svg=SafeString(""), text_alternative="No start time yet")
    # In UTC, because arithmetic and comparison between two datetimes of one zone ignore the
    # offset: across a DST change they would be an hour off.
    started = _utc(incident.started_at)
    end = max(_utc(incident.end_or(now)), started)
    ordered = sorted(estimates, key=lambda e: (_utc(e.effective_at), e.pk or 0))
    in_range = [e for e in ordered[1:] if _utc(e.effective_at) <= end]
    shown = _thin(in_range, MAX_REVISION_MARKS)

    moments = [started, *(max(_utc(e.effective_at), started) for e in shown), end]
    costs: dict[datetime, tuple[datetime, Decimal]] = {}
    for moment in moments:
        costs.setdefault(_utc(moment), (moment, incident.cost_between(moment, ordered)))
    top_cost = max(cost for _, cost in costs.values())
    scale = _Scale(started, end, top_cost, zone)
    points = tuple(
        ChartPoint(at=at, cost=cost, x=scale.x(at), y=scale.y(cost)) for at, cost in costs.values()
    )
    revisions = []
    for estimate in shown:
        at, cost = costs[max(_utc(estimate.effective_at), started)]
        revisions.append(
            ChartMark(
                at=at,
                x=scale.x(at),
                y=scale.y(cost),
                title=(
                    f"Estimate revised to {incident.money(estimate.revenue_per_hour)}/h "
                    f"at {scale.clock(at)}"
                ),
            )
        )
    update_marks = _update_marks(updates, started, end, scale)
    text = _text_alternative(
        incident,
        points=points,
        has_estimate=bool(ordered),
        revisions=revisions,
        revision_count=len(in_range),
        update_count=len(updates),
        scale=scale,
    )
    svg = _svg(
        incident,
        points=points,
        revisions=revisions,
        update_marks=update_marks,
        text=text,
        scale=scale,
    )
    return CostChart(
        svg=svg,
        text_alternative=text,
        points=points,
        revisions=tuple(revisions),
        update_marks=tuple(update_marks),
    )
