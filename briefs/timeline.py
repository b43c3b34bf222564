"""The hourly timeline and the update promise, computed from rows the caller already loaded.

Nothing here queries the database: the brief page, the executive link and the PDF load an
incident's updates once and pass the list in, which keeps their query counts constant.

Entries are placed by `facts_at` (when their facts were true), then their sequence; promises
are kept or missed by when entries were posted. Times are grouped and labelled on the viewer's
local clock. Groups are keyed by the UTC instant
their local hour starts at, never by wall-clock values: on the fall-back night the 02:00 hour
happens twice, and two aware datetimes in one zone compare equal when only `fold` differs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import ClassVar
from zoneinfo import ZoneInfo

from briefs.models import IncidentUpdate

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class HourGroup:
    """One local clock hour of the timeline: `start` inclusive, `end` exclusive, both in the
    viewer's zone. `entries` are newest first.

    `label` is the nominal wall-clock hour ("14:00–15:00"). When that hour happens twice (the
    fall-back night) the zone abbreviation is added ("02:00–03:00 CEST", "02:00–03:00 CET").
    On the spring-forward night the hour before the jump keeps its nominal label
    ("01:00–02:00") although its `end` reads 03:00: the 02:00 hour does not exist.
    """

    kind: ClassVar[str] = "hour"

    start: datetime
    end: datetime
    day: date
    label: str
    entries: tuple[IncidentUpdate, ...]


@dataclass(frozen=True)
class Gap:
    """A missed promise: the silence from the last update (or the escalation) to the update that
    came late, or to `end` = now (or the resolution) while nothing has come yet."""

    start: datetime
    end: datetime
    due: datetime
    cadence_minutes: int
    ongoing: bool = False

    def format(self, zone: ZoneInfo) -> str:
        """No update between 14:00 and 15:10 CET; hourly updates were promised."""
        promised = f"{cadence_phrase(self.cadence_minutes)} were promised"
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        with_date = start.date() != end.date()
        if self.ongoing:
            return f"No update since {clock(start, with_date=with_date, zone=True)}; {promised}"
        return (
            f"No update between {clock(start, with_date=with_date)} and "
            f"{clock(end, with_date=with_date, zone=True)}; {promised}"
        )


@dataclass(frozen=True)
class GapRow:
    """A gap placed among the hour groups, with its message already in the viewer's zone."""

    kind: ClassVar[str] = "gap"

    gap: Gap
    message: str


@dataclass(frozen=True)
class PromiseRecord:
    kept: int
    promised: int
    gaps: list[Gap] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return self.promised - self.kept


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _posted_key(update: IncidentUpdate) -> tuple[datetime, int]:
    return (_utc(update.posted_at), update.sequence)


def timeline_key(update: IncidentUpdate) -> tuple[datetime, int]:
    """The timeline's order: by when the facts were true, then by sequence."""
    return (_utc(update.facts_at), update.sequence)


def is_ambiguous(wall: datetime) -> bool:
    """True when this wall-clock time happens twice in its zone (the fall-back hour)."""
    return wall.replace(fold=0).utcoffset() != wall.replace(fold=1).utcoffset()


def zone_abbreviation(local: datetime) -> str:
    """PST, CET, UTC; or UTC+04 where the zone has no letters of its own (Asia/Dubai)."""
    name = local.tzname() or ""
    return f"UTC{name}" if name[:1] in {"+", "-"} else name


def clock(local: datetime, *, with_date: bool = False, zone: bool = False) -> str:
    """14:05, or 26 Oct 14:05; with the zone abbreviation when the time happens twice, or
    always with `zone` (the last time of a sentence names its zone: "…and 15:10 UTC")."""
    text = f"{local:%H:%M}"
    if with_date:
        text = f"{local.day} {local:%b} {text}"
    if is_ambiguous(local):
        text = f"{text} {local.tzname()}"
    elif zone:
        text = f"{text} {zone_abbreviation(local)}"
    return text


def cadence_phrase(minutes: int) -> str:
    """hourly updates; updates every 2 hours; every 30 minutes; every 1 h 30 min."""
    if minutes == 60:
        return "hourly updates"
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"updates every {rest} minutes" if rest != 1 else "updates every minute"
    if not rest:
        return f"updates every {hours} hours"
    return f"updates every {hours} h {rest} min"


def _hour_label(start: datetime) -> str:
    label = f"{start:%H}:00–{(start.hour + 1) % 24:02d}:00"
    # Minute 59 as well as minute 0: a half-hour shift (Lord Howe) makes only half an hour repeat.
    # Every time shown names its zone: a band is "14:00–15:00 UTC" (its own abbreviation on
    # the hour that happens twice).
    if is_ambiguous(start) or is_ambiguous(start.replace(minute=59)):
        return f"{label} {start.tzname()}"
    return f"{label} {zone_abbreviation(start)}"


def group_by_hour(updates: Sequence[IncidentUpdate], zone: ZoneInfo) -> list[HourGroup]:
    """The updates grouped by the local clock hour of their `facts_at`, newest hour first and
    newest entry first inside each hour. Corrections are ordinary entries here."""
    buckets: dict[datetime, list[IncidentUpdate]] = {}
    for update in sorted(updates, key=timeline_key, reverse=True):
        local = update.facts_at.astimezone(zone)
        # replace() keeps `fold`, so the second 02:00 hour maps to its own UTC instant.
        key = _utc(local.replace(minute=0, second=0, microsecond=0))
        buckets.setdefault(key, []).append(update)
    groups = []
    for key, entries in sorted(buckets.items(), reverse=True):
        start = key.astimezone(zone)
        groups.append(
            HourGroup(
                start=start,
                end=(key + HOUR).astimezone(zone),
                day=start.date(),
                label=_hour_label(start),
                entries=tuple(entries),
            )
        )
    return groups


def promise_record(
    *,
    updates: Sequence[IncidentUpdate],
    escalated_at: datetime | None,
    cadence_minutes: int,
    now: datetime,
    resolved_at: datetime | None = None,
) -> PromiseRecord:
    """How often the promised update came on time, and the silences when it did not.

    The escalation promises the first update one cadence later; each update promises the next
    by its `next_update_due`. A promise is kept when the next update is posted at or before the
    due time, and counts once it was kept or its due time has passed by now (or the
    resolution, after which nothing more is owed).

    Corrections (`corrects_id` set) neither keep nor make a promise: they fix the record of an
    earlier entry rather than bring news, and letting one move the promise would let a typo fix
    excuse a late update. Updates posted before the escalation are ignored too: nothing had
    been promised to the CEO yet.
    """
    clock_stops = resolved_at if resolved_at is not None else now
    kept = promised = 0
    gaps: list[Gap] = []
    last: datetime | None = None
    due: datetime | None = None
    if escalated_at is not None:
        last = escalated_at
        # In UTC: adding to a zoned datetime moves its wall clock, which is wrong across DST.
        due = _utc(escalated_at) + timedelta(minutes=cadence_minutes)
    for update in sorted(updates, key=_posted_key):
        if update.corrects_id is not None:
            continue
        posted = _utc(update.posted_at)
        if escalated_at is not None and posted < _utc(escalated_at):
            continue
        if last is not None and due is not None:
            promised += 1
            if posted <= _utc(due):
                kept += 1
            else:
                gaps.append(
                    Gap(start=last, end=update.posted_at, due=due, cadence_minutes=cadence_minutes)
                )
        last, due = update.posted_at, update.next_update_due
    if last is not None and due is not None and _utc(due) < _utc(clock_stops):
        promised += 1
        gaps.append(
            Gap(
                start=last,
                end=clock_stops,
                due=due,
                cadence_minutes=cadence_minutes,
                ongoing=resolved_at is None,
            )
        )
    return PromiseRecord(kept=kept, promised=promised, gaps=gaps)


def timeline_rows(
    groups: Sequence[HourGroup], gaps: Sequence[Gap], *, zone: ZoneInfo
) -> list[HourGroup | GapRow]:
    """The hour groups with each gap placed where the silence was, newest first.

    Gaps sit between groups rather than inside them: a silence often spans hours that have no
    entries and so no group. A gap goes just above the first (newest-first) group holding an
    entry posted before the gap ended, so an ongoing gap tops the timeline and a gap closed by a
    late update sits below the hour of that update. Templates tell rows apart by `row.kind`
    ("hour" or "gap").
    """
    pending = sorted(gaps, key=lambda gap: _utc(gap.end), reverse=True)
    rows: list[HourGroup | GapRow] = []
    for group in groups:
        oldest = min((_utc(entry.posted_at) for entry in group.entries), default=_utc(group.start))
        while pending and oldest < _utc(pending[0].end):
            gap = pending.pop(0)
            rows.append(GapRow(gap=gap, message=gap.format(zone)))
        rows.append(group)
    rows.extend(GapRow(gap=gap, message=gap.format(zone)) for gap in pending)
    return rows
