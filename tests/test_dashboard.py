import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from briefs.models import Incident, Status
from tests.factories import make_estimate, make_incident


def test_dashboard_explains_how_to_start_when_empty(owner_client: Client) -> None:
    response = owner_client.get("/")
    assert response.status_code == 200
    assert b"No escalations yet" in response.content


def test_dashboard_lists_own_incidents_with_cost_so_far(owner_client: Client, owner: User) -> None:
    # On the minute: the dashboard, like the brief, states costs as of the current minute.
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        incident = make_incident(owner=owner)
        make_estimate(incident, revenue_per_hour="48000")
        response = owner_client.get("/")
    assert incident.title.encode() in response.content
    assert b"$96,000" in response.content  # 2 h at $48,000/h


def test_dashboard_separates_drafts(owner_client: Client, owner: User) -> None:
    make_incident(owner=owner, title="Half-written", status=Status.DRAFT, escalated_at=None)
    response = owner_client.get("/")
    assert b"Drafts to resume" in response.content
    assert b"Half-written" in response.content


def test_dashboard_hides_other_peoples_incidents(
    outsider_client: Client, incident: Incident
) -> None:
    response = outsider_client.get("/")
    assert incident.title.encode() not in response.content


def test_dashboard_shows_overdue_updates_in_red(owner_client: Client, owner: User) -> None:
    from datetime import timedelta

    make_incident(owner=owner, escalated_at=timezone.now() - timedelta(hours=3))
    response = owner_client.get("/")
    assert b'class="overdue"' in response.content


def test_resolved_incidents_come_a_page_at_a_time_and_the_totals_count_them_all(
    owner_client: Client, owner: User
) -> None:
    from datetime import timedelta

    start = timezone.now() - timedelta(days=40)
    for number in range(27):
        make_incident(
            owner=owner,
            title=f"Resolved #{number:02}",
            status=Status.RESOLVED,
            started_at=start + timedelta(days=number),
            detected_at=start + timedelta(days=number),
            escalated_at=start + timedelta(days=number),
            resolved_at=start + timedelta(days=number, hours=2),
        )
    make_incident(owner=owner, title="Still burning")
    first = owner_client.get("/").content.decode()
    second = owner_client.get("/?page=2").content.decode()
    # Newest resolution first: #26 down to #02 on the first page, #01 and #00 on the second.
    assert "Resolved #26" in first and "Resolved #02" in first
    assert "Resolved #01" not in first
    assert "Resolved #01" in second and "Resolved #00" in second
    assert "Resolved #02" not in second
    assert "Page 1 of 2 (1–25 of 27)" in first
    assert 'href="?page=2#resolved-h" rel="next">Older</a>' in first
    # The open incident is on every page; the totals always cover all 28.
    for page in (first, second):
        assert "Still burning" in page
        assert "<dt>Median escalation → resolution</dt><dd>2 h" in page
    # A page past the end or not a number shows the nearest page rather than an error.
    assert "Resolved #00" in owner_client.get("/?page=99").content.decode()
    assert "Resolved #26" in owner_client.get("/?page=x").content.decode()
