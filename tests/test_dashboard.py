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
    with time_machine.travel(timezone.now(), tick=False):
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
