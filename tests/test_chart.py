"""The cumulative cost chart: the numbers it is drawn from, its markup and its words."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from briefs.chart import (
    BOTTOM,
    MAX_REVISION_MARKS,
    MAX_UPDATE_MARKS,
    TOP,
    CostChart,
    cost_chart,
)
from briefs.models import ImpactEstimate, Incident, IncidentUpdate
from briefs.seed import make_incident
from briefs.services import update_post
from tests.factories import make_revised_incident

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=12, minutes=30)
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def revised(owner: User) -> Incident:
    """$48,000/h from 08:00, revised to $52,000/h at 12:00 and to $30,000/h at 18:00,
    with an update every hour from 08:45."""
    incident = make_revised_incident(owner=owner, start=START)
    for hour in range(12):
        posted = START + timedelta(hours=hour, minutes=45)
        update_post(
            incident=incident,
            author=owner,
            what_changed="Still investigating",
            posted_at=posted,
            next_update_due=posted + timedelta(hours=1),
        )
    return incident


def chart_of(incident: Incident, *, now: datetime = NOW, zone: ZoneInfo = UTC_ZONE) -> CostChart:
    return cost_chart(
        incident,
        estimates=incident.estimates_in_order(),
        updates=list(incident.updates.all()),
        now=now,
        zone=zone,
    )


def test_chart_marks_each_estimate_revision_once(revised: Incident) -> None:
    chart = chart_of(revised)

    assert [mark.title for mark in chart.revisions] == [
        "Estimate revised to $52,000/h at 12:00",
        "Estimate revised to $30,000/h at 18:00",
    ]
    assert chart.svg.count('data-mark="revision"') == 2
    assert "<title>Estimate revised to $52,000/h at 12:00</title>" in chart.svg


def test_chart_line_ends_at_the_cost_so_far(revised: Incident) -> None:
    chart = chart_of(revised)

    with time_machine.travel(NOW, tick=False):
        cost_so_far = revised.cost_so_far()
    assert [point.cost for point in chart.points] == [
        Decimal("0.00"),
        Decimal("192000.00"),
        Decimal("504000.00"),
        cost_so_far,
    ]
    assert cost_so_far == Decimal("579000.00")
    assert chart.points[0].y == BOTTOM
    assert chart.points[-1].y == TOP
    assert chart.points[-1].at == NOW


def test_revision_diamonds_sit_on_the_line(revised: Incident) -> None:
    chart = chart_of(revised)

    on_line = {(point.x, point.y) for point in chart.points}
    assert {(mark.x, mark.y) for mark in chart.revisions} <= on_line


def test_text_alternative_tells_the_story_of_the_chart(revised: Incident) -> None:
    chart = chart_of(revised)

    assert chart.text_alternative == (
        "Cumulative cost rose from $0 at 08:00 to $579,000 at 20:30; "
        "the estimate was revised at 12:00 and 18:00; 12 updates were posted. Times in UTC."
    )
    assert f">{chart.text_alternative}</desc>" in chart.svg


def test_times_are_on_the_viewer_clock(revised: Incident) -> None:
    chart = chart_of(revised, zone=BERLIN)

    assert chart.text_alternative.startswith(
        "Cumulative cost rose from $0 at 09:00 to $579,000 at 21:30;"
    )
    assert ">09:00</text>" in chart.svg
    assert ">21:30</text>" in chart.svg
    assert chart.text_alternative.endswith(" Times in Europe/Berlin.")


def test_a_resolved_incident_stops_at_its_resolution(revised: Incident) -> None:
    revised.resolved_at = START + timedelta(hours=2)

    chart = chart_of(revised, now=START + timedelta(days=2))

    assert chart.points[-1].cost == Decimal("96000.00")
    assert chart.revisions == ()
    assert chart.text_alternative.startswith(
        "Cumulative cost rose from $0 at 08:00 to $96,000 when it was resolved at 10:00;"
    )


def test_chart_is_accessible_and_scales_on_a_phone(revised: Incident) -> None:
    svg = chart_of(revised).svg

    labelled_by = re.search(r'aria-labelledby="([^"]+)"', svg)
    assert labelled_by is not None
    title_id, desc_id = labelled_by.group(1).split()
    assert f'<title id="{title_id}">Cumulative cost: Checkout outage</title>' in svg
    assert f'<desc id="{desc_id}">' in svg
    assert 'role="img"' in svg
    assert 'viewBox="0 0 640 200" width="100%"' in svg
    assert 'font-family="Brief Sans, sans-serif"' in svg


def test_chart_has_no_style_attribute_or_script(revised: Incident) -> None:
    svg = chart_of(revised).svg

    assert "style=" not in svg
    assert "<script" not in svg
    assert "on" + "load=" not in svg


def test_user_text_is_escaped_in_the_svg(revised: Incident) -> None:
    revised.title = '<script>alert("title")</script>'
    revised.currency = "<b>"

    chart = chart_of(revised)

    assert "<script>" not in chart.svg
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in chart.svg
    assert "<b>" not in chart.svg
    assert "&lt;b&gt; 579,000" in chart.svg
    assert "Estimate revised to &lt;b&gt; 52,000/h" in chart.svg


def test_without_an_estimate_the_line_is_flat_at_zero(owner: User) -> None:
    incident = make_incident(owner=owner, started_at=START, detected_at=START, escalated_at=START)

    chart = chart_of(incident)

    assert {point.y for point in chart.points} == {BOTTOM}
    assert chart.text_alternative == (
        "No estimate yet, so no cost is shown from 08:00 to 20:30; no updates were posted. "
        "Times in UTC."
    )
    assert 'data-mark="revision"' not in chart.svg


def test_without_a_start_time_there_is_no_chart(owner: User) -> None:
    incident = make_incident(owner=owner, started_at=None, detected_at=None)

    chart = chart_of(incident)

    assert chart.svg == ""
    assert chart.text_alternative == "No start time yet"
    assert chart.points == ()


def test_a_chart_of_no_time_at_all_is_a_single_point(revised: Incident) -> None:
    chart = chart_of(revised, now=START)

    assert len(chart.points) == 1
    assert chart.points[0].cost == Decimal("0.00")
    assert "<circle" in chart.svg
    assert chart.text_alternative.startswith("The incident started at 08:00; no cost has accrued")


def test_a_start_in_the_future_does_not_break_the_chart(revised: Incident) -> None:
    chart = chart_of(revised, now=START - timedelta(hours=1))

    assert [point.cost for point in chart.points] == [Decimal("0.00")]


def test_a_long_incident_keeps_the_chart_small(revised: Incident) -> None:
    now = START + timedelta(days=3)
    updates = [
        IncidentUpdate(
            incident=revised,
            sequence=number,
            posted_at=START + timedelta(minutes=number),
            next_update_due=START + timedelta(minutes=number + 60),
            what_changed="Still investigating",
        )
        for number in range(1, 4001)
    ]
    estimates = [
        ImpactEstimate(
            incident=revised,
            revenue_per_hour=Decimal(1000 + number),
            customers_affected=10,
            effective_at=START + timedelta(minutes=10 * number),
        )
        for number in range(400)
    ]

    chart = cost_chart(revised, estimates=estimates, updates=updates, now=now, zone=UTC_ZONE)

    assert len(chart.update_marks) <= MAX_UPDATE_MARKS
    assert chart.svg.count('data-mark="update"') == len(chart.update_marks)
    assert len(chart.revisions) <= MAX_REVISION_MARKS
    assert chart.svg.count("<title>") <= MAX_UPDATE_MARKS + MAX_REVISION_MARKS + 1
    assert len(chart.svg) < 60_000
    assert chart.points[-1].cost == revised.cost_between(now, estimates)
    assert "the estimate was revised 399 times, last at 4 Mar 02:30" in chart.text_alternative
    assert chart.text_alternative.endswith("4,000 updates were posted. Times in UTC.")
    assert "updates between" in chart.update_marks[0].title


def test_each_update_is_a_tick_while_there_are_few(revised: Incident) -> None:
    chart = chart_of(revised)

    assert len(chart.update_marks) == 12
    assert chart.update_marks[0].title == "Update #1 at 08:45"
    assert {mark.y for mark in chart.update_marks} == {BOTTOM}
