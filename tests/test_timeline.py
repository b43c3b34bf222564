"""The hourly timeline and the update promise, on the viewer's clock."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from briefs.models import Incident, IncidentUpdate
from briefs.seed import make_incident
from briefs.services import update_post
from briefs.timeline import (
    Gap,
    GapRow,
    HourGroup,
    cadence_phrase,
    group_by_hour,
    promise_record,
    timeline_rows,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
KOLKATA = ZoneInfo("Asia/Kolkata")
ESCALATED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def post(
    incident: Incident,
    at: datetime,
    *,
    due: datetime | None = None,
    corrects: IncidentUpdate | None = None,
) -> IncidentUpdate:
    return update_post(
        incident=incident,
        author=incident.owner,
        what_changed=f"Status at {at:%H:%M}",
        posted_at=at,
        next_update_due=due or at + timedelta(hours=1),
        corrects=corrects,
    )


def at(hour: int, minute: int = 0, *, day: datetime = ESCALATED) -> datetime:
    return day.replace(hour=hour, minute=minute)


@pytest.fixture
def escalated(owner: User) -> Incident:
    return make_incident(
        owner=owner,
        started_at=ESCALATED - timedelta(hours=1),
        detected_at=ESCALATED - timedelta(hours=1),
        escalated_at=ESCALATED,
    )


def labels(groups: list[HourGroup]) -> list[str]:
    return [group.label for group in groups]


def test_updates_are_grouped_by_the_clock_hour_they_were_posted_in(escalated: Incident) -> None:
    first = post(escalated, at(14, 5))
    second = post(escalated, at(14, 50))
    third = post(escalated, at(15, 10))

    groups = group_by_hour([first, second, third], UTC_ZONE)

    assert labels(groups) == ["15:00–16:00 UTC", "14:00–15:00 UTC"]
    assert groups[1].entries == (second, first)
    assert groups[1].start == at(14)
    assert groups[1].end == at(15)
    assert groups[1].day == ESCALATED.date()


def test_newest_hour_comes_first_and_newest_entry_first_within_it(escalated: Incident) -> None:
    updates = [post(escalated, at(hour, minute)) for hour in (9, 10, 11) for minute in (0, 30)]

    groups = group_by_hour(list(reversed(updates[2:])) + updates[:2], UTC_ZONE)

    assert [group.start.hour for group in groups] == [11, 10, 9]
    assert [[u.sequence for u in group.entries] for group in groups] == [[6, 5], [4, 3], [2, 1]]


def test_corrections_are_ordinary_entries_in_the_timeline(escalated: Incident) -> None:
    original = post(escalated, at(9, 0))
    correction = post(escalated, at(9, 20), corrects=original)

    (group,) = group_by_hour([original, correction], UTC_ZONE)

    assert group.entries == (correction, original)


def test_an_empty_timeline_has_no_groups() -> None:
    assert group_by_hour([], BERLIN) == []


def test_fall_back_night_gives_two_distinguishable_0200_hours(escalated: Incident) -> None:
    # 2025-10-26: Berlin goes from CEST (+2) back to CET (+1) at 01:00 UTC.
    summer = post(escalated, datetime(2025, 10, 26, 0, 15, tzinfo=UTC))
    winter = post(escalated, datetime(2025, 10, 26, 1, 15, tzinfo=UTC))
    after = post(escalated, datetime(2025, 10, 26, 2, 15, tzinfo=UTC))

    groups = group_by_hour([summer, winter, after], BERLIN)

    assert labels(groups) == ["03:00–04:00 CET", "02:00–03:00 CET", "02:00–03:00 CEST"]
    assert [group.entries for group in groups] == [(after,), (winter,), (summer,)]
    assert [group.start.astimezone(UTC).hour for group in groups] == [2, 1, 0]
    for group in groups:
        assert group.end.astimezone(UTC) - group.start.astimezone(UTC) == timedelta(hours=1)


def test_spring_forward_night_has_no_0200_hour(escalated: Incident) -> None:
    # 2025-03-30: Berlin jumps from 02:00 CET to 03:00 CEST at 01:00 UTC.
    before = post(escalated, datetime(2025, 3, 30, 0, 30, tzinfo=UTC))
    after = post(escalated, datetime(2025, 3, 30, 1, 30, tzinfo=UTC))

    groups = group_by_hour([before, after], BERLIN)

    assert labels(groups) == ["03:00–04:00 CEST", "01:00–02:00 CET"]
    assert groups[1].end == groups[0].start
    assert f"{groups[0].start:%H:%M %Z}" == "03:00 CEST"


def test_half_hour_zone_groups_by_local_hours_not_utc_hours(escalated: Incident) -> None:
    # India is UTC+05:30: 08:20 and 08:40 UTC share a UTC hour but not a local one.
    early = post(escalated, at(8, 20))
    late = post(escalated, at(8, 40))
    later = post(escalated, at(9, 25))

    groups = group_by_hour([early, late, later], KOLKATA)

    assert labels(groups) == ["14:00–15:00 IST", "13:00–14:00 IST"]
    assert groups[0].entries == (later, late)
    assert groups[0].start.astimezone(UTC) == at(8, 30)
    assert groups[0].end.astimezone(UTC) == at(9, 30)


@pytest.fixture
def kept_and_missed(escalated: Incident) -> list[IncidentUpdate]:
    """Escalated at 08:00 with hourly updates promised; two promises kept, one missed."""
    on_time = post(escalated, at(8, 50))  # first promise, due 09:00: kept
    late = post(escalated, at(10, 10))  # due 09:50: missed
    # A correction neither keeps nor makes a promise, though its own due time has passed.
    correction = post(escalated, at(10, 30), due=at(10, 35), corrects=late)
    exactly = post(escalated, at(11, 10))  # due 11:10: kept, to the minute
    return [on_time, late, correction, exactly]


def test_promises_kept_and_missed_are_counted(kept_and_missed: list[IncidentUpdate]) -> None:
    record = promise_record(
        updates=kept_and_missed, escalated_at=ESCALATED, cadence_minutes=60, now=at(12, 0)
    )

    assert (record.kept, record.promised, record.missed) == (2, 3, 1)
    assert record.gaps == [Gap(start=at(8, 50), end=at(10, 10), due=at(9, 50), cadence_minutes=60)]


def test_an_overdue_promise_counts_and_leaves_an_ongoing_gap(
    kept_and_missed: list[IncidentUpdate],
) -> None:
    record = promise_record(
        updates=kept_and_missed, escalated_at=ESCALATED, cadence_minutes=60, now=at(12, 40)
    )

    assert (record.kept, record.promised) == (2, 4)
    assert record.gaps[-1] == Gap(
        start=at(11, 10), end=at(12, 40), due=at(12, 10), cadence_minutes=60, ongoing=True
    )


def test_a_promise_not_yet_due_is_not_counted() -> None:
    record = promise_record(updates=[], escalated_at=ESCALATED, cadence_minutes=60, now=at(9, 0))

    assert (record.kept, record.promised, record.gaps) == (0, 0, [])


def test_silence_since_the_escalation_is_a_gap() -> None:
    record = promise_record(updates=[], escalated_at=ESCALATED, cadence_minutes=30, now=at(9, 0))

    assert record.promised == 1
    assert record.gaps[0].format(UTC_ZONE) == (
        "No update since 08:00 UTC; updates every 30 minutes were promised"
    )


def test_resolution_stops_the_promise_clock(kept_and_missed: list[IncidentUpdate]) -> None:
    before_due = promise_record(
        updates=kept_and_missed,
        escalated_at=ESCALATED,
        cadence_minutes=60,
        now=at(18, 0),
        resolved_at=at(11, 30),
    )
    after_due = promise_record(
        updates=kept_and_missed,
        escalated_at=ESCALATED,
        cadence_minutes=60,
        now=at(18, 0),
        resolved_at=at(12, 30),
    )

    assert (before_due.kept, before_due.promised) == (2, 3)
    assert (after_due.kept, after_due.promised) == (2, 4)
    assert after_due.gaps[-1].end == at(12, 30)
    assert not after_due.gaps[-1].ongoing


def test_gap_message_names_the_silence_on_the_viewer_clock() -> None:
    gap = Gap(start=at(13, 0), end=at(14, 10), due=at(14, 0), cadence_minutes=60)

    assert (
        gap.format(UTC_ZONE)
        == "No update between 13:00 and 14:10 UTC; hourly updates were promised"
    )
    assert (
        gap.format(BERLIN) == "No update between 14:00 and 15:10 CET; hourly updates were promised"
    )


def test_gap_message_across_midnight_names_the_days() -> None:
    gap = Gap(start=at(23, 0), end=at(1, 30) + timedelta(days=1), due=at(0, 0), cadence_minutes=120)

    assert gap.format(UTC_ZONE) == (
        "No update between 2 Mar 23:00 and 3 Mar 01:30 UTC; updates every 2 hours were promised"
    )


def test_gap_message_on_the_fall_back_night_names_the_offsets() -> None:
    gap = Gap(
        start=datetime(2025, 10, 26, 0, 10, tzinfo=UTC),
        end=datetime(2025, 10, 26, 1, 40, tzinfo=UTC),
        due=datetime(2025, 10, 26, 1, 10, tzinfo=UTC),
        cadence_minutes=90,
    )

    assert gap.format(BERLIN) == (
        "No update between 02:10 CEST and 02:40 CET; updates every 1 h 30 min were promised"
    )


@pytest.mark.parametrize(
    ("minutes", "phrase"),
    [
        (60, "hourly updates"),
        (120, "updates every 2 hours"),
        (30, "updates every 30 minutes"),
        (90, "updates every 1 h 30 min"),
        (24 * 60, "updates every 24 hours"),
    ],
)
def test_cadence_is_said_as_a_person_would(minutes: int, phrase: str) -> None:
    assert cadence_phrase(minutes) == phrase


def test_gaps_are_placed_where_the_silence_was(kept_and_missed: list[IncidentUpdate]) -> None:
    updates = [u for u in kept_and_missed if u.corrects_id is None]
    groups = group_by_hour(updates, UTC_ZONE)
    record = promise_record(
        updates=updates, escalated_at=ESCALATED, cadence_minutes=60, now=at(12, 40)
    )

    rows = timeline_rows(groups, record.gaps, zone=UTC_ZONE)

    assert [row.kind for row in rows] == ["gap", "hour", "hour", "gap", "hour"]
    assert [row.label for row in rows if isinstance(row, HourGroup)] == [
        "11:00–12:00 UTC",
        "10:00–11:00 UTC",
        "08:00–09:00 UTC",
    ]
    late = rows[3]
    assert isinstance(late, GapRow)
    assert late.message == "No update between 08:50 and 10:10 UTC; hourly updates were promised"


def test_a_timeline_with_no_updates_is_just_the_silence() -> None:
    record = promise_record(updates=[], escalated_at=ESCALATED, cadence_minutes=60, now=at(10, 0))

    rows = timeline_rows([], record.gaps, zone=BERLIN)

    assert rows == [
        GapRow(
            gap=record.gaps[0],
            message="No update since 09:00 CET; hourly updates were promised",
        )
    ]
