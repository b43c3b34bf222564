"""Cost so far, projections and the update promise: the numbers the CEO acts on."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import User

from briefs.models import Incident, Status
from briefs.seed import make_estimate, make_incident
from briefs.services import update_post
from tests.factories import make_revised_incident

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def revised(owner: User) -> Incident:
    """$48,000/h from 08:00, revised to $52,000/h at 12:00 and to $30,000/h at 18:00."""
    incident = make_revised_incident(owner=owner, start=START)
    return incident


def test_first_estimate_applies_from_the_start_of_the_incident(revised: Incident) -> None:
    assert revised.cost_between(START + timedelta(hours=1)) == Decimal("48000.00")


def test_cost_so_far_integrates_each_revision_until_the_next(revised: Incident) -> None:
    with time_machine.travel(START + timedelta(hours=12, minutes=30), tick=False):
        # 4 h at 48,000 + 6 h at 52,000 + 2.5 h at 30,000
        assert revised.cost_so_far() == Decimal("192000") + Decimal("312000") + Decimal("75000")


def test_cost_so_far_counts_fractions_of_an_hour_to_the_cent(owner: User) -> None:
    incident = make_incident(owner=owner, started_at=START, detected_at=START)
    make_estimate(incident=incident, revenue_per_hour="1000", effective_at=START)
    with time_machine.travel(START + timedelta(seconds=1), tick=False):
        assert incident.cost_so_far() == Decimal("0.28")


def test_cost_stops_at_resolution(revised: Incident) -> None:
    revised.resolved_at = START + timedelta(hours=2)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert revised.cost_so_far() == Decimal("96000.00")


def test_cost_is_zero_without_an_estimate_or_a_start(owner: User) -> None:
    assert make_incident(owner=owner).cost_so_far() == Decimal("0")
    no_start = make_incident(owner=owner, started_at=None, detected_at=None)
    make_estimate(incident=no_start, effective_at=START)
    assert no_start.cost_so_far() == Decimal("0")


def test_a_revision_dated_before_the_start_does_not_count_time_before_the_start(
    owner: User,
) -> None:
    incident = make_incident(owner=owner, started_at=START, detected_at=START)
    make_estimate(
        incident=incident, revenue_per_hour="100", effective_at=START - timedelta(hours=5)
    )
    make_estimate(
        incident=incident, revenue_per_hour="200", effective_at=START - timedelta(hours=1)
    )
    assert incident.cost_between(START + timedelta(hours=1)) == Decimal("200.00")


def test_projected_cost_spans_the_eta_range_at_the_current_rate(revised: Incident) -> None:
    revised.eta_earliest = START + timedelta(hours=14)
    revised.eta_latest = START + timedelta(hours=16)
    with time_machine.travel(START + timedelta(hours=12), tick=False):
        projection = revised.projected_cost()
    assert projection is not None
    assert projection.low == Decimal("192000") + Decimal("312000") + Decimal("120000")
    assert projection.high == Decimal("192000") + Decimal("312000") + Decimal("180000")


def test_projection_never_goes_below_cost_so_far_when_the_eta_has_passed(revised: Incident) -> None:
    revised.eta_earliest = START + timedelta(hours=1)
    revised.eta_latest = START + timedelta(hours=2)
    with time_machine.travel(START + timedelta(hours=12), tick=False):
        projection = revised.projected_cost()
        assert projection is not None
        assert projection.low == projection.high == revised.cost_so_far()


def test_projection_is_unknown_without_an_eta(revised: Incident) -> None:
    assert revised.projected_cost() is None


def test_elapsed_runs_until_now_then_stops_at_resolution(revised: Incident) -> None:
    with time_machine.travel(START + timedelta(hours=3), tick=False):
        assert revised.elapsed() == timedelta(hours=3)
    revised.resolved_at = START + timedelta(hours=5)
    assert revised.elapsed(START + timedelta(days=2)) == timedelta(hours=5)


def test_next_update_is_due_one_cadence_after_escalation(revised: Incident) -> None:
    assert revised.next_update_due() == START + timedelta(minutes=90)


def test_next_update_due_follows_the_latest_promise(revised: Incident, owner: User) -> None:
    update_post(
        incident=revised,
        author=owner,
        what_changed="Rollback started",
        posted_at=START + timedelta(hours=1),
        next_update_due=START + timedelta(hours=1, minutes=30),
    )
    assert revised.next_update_due() == START + timedelta(hours=1, minutes=30)


def test_overdue_only_after_the_promised_time(revised: Incident) -> None:
    due = START + timedelta(minutes=90)
    assert revised.overdue_by(due) is None
    assert revised.overdue_by(due + timedelta(minutes=12)) == timedelta(minutes=12)
    assert revised.is_overdue(due + timedelta(seconds=1))


def test_a_resolved_incident_is_never_overdue(revised: Incident) -> None:
    revised.status = Status.RESOLVED
    revised.resolved_at = START + timedelta(hours=1)
    assert revised.next_update_due() is None
    assert not revised.is_overdue(START + timedelta(days=1))


def test_a_draft_has_no_update_due(owner: User) -> None:
    draft = make_incident(owner=owner, status=Status.DRAFT, escalated_at=None)
    assert draft.next_update_due() is None
