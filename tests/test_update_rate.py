"""Update posts are rate-limited per incident (issue 15): a person posts a few a minute."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pytest_django.fixtures import Settings

from briefs.models import Incident, IncidentUpdate
from briefs.seed import make_incident

NOW = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def post(client: Client, incident: Incident, text: str, **headers: str) -> Any:
    data = {
        "what_changed": text,
        "operating_state": "degraded",
        "next_update_due": "2026-11-30T13:00",
    }
    return client.post(f"/incidents/{incident.public_id}/updates/", data, headers=headers)


def fill_the_minute(client: Client, incident: Incident, clock: Any, count: int = 6) -> None:
    for number in range(count):
        assert post(client, incident, f"Update {number}").status_code == 302
        clock.shift(timedelta(seconds=5))


def test_a_seventh_update_in_a_minute_is_refused_and_what_was_typed_is_kept(
    owner_client: Client, incident: Incident, clock: Any
) -> None:
    fill_the_minute(owner_client, incident, clock)  # the first at :30, the sixth at :55
    response = post(owner_client, incident, "Orders flowing at 40% & rising")
    assert response.status_code == 429
    # The first leaves the minute at 12:01:30; it is 12:01:00.
    assert response["Retry-After"] == "30"
    content = response.content.decode()
    assert "This incident has had 6 updates in the last minute. Post this one in 30 seconds" in (
        content
    )
    assert "Orders flowing at 40% &amp; rising</textarea>" in content
    assert IncidentUpdate.objects.filter(incident=incident).count() == 6


def test_with_htmx_the_refusal_replaces_only_the_form(
    owner_client: Client, incident: Incident, clock: Any
) -> None:
    fill_the_minute(owner_client, incident, clock)
    response = post(owner_client, incident, "Still degraded", HX_Request="true")
    assert response.status_code == 429
    assert response["HX-Retarget"] == "#update-form"
    content = response.content.decode()
    assert content.lstrip().startswith("<form")
    assert 'role="alert">This incident has had 6 updates' in content
    assert "Still degraded</textarea>" in content


def test_posting_works_again_once_the_minute_has_passed(
    owner_client: Client, incident: Incident, clock: Any
) -> None:
    fill_the_minute(owner_client, incident, clock)
    assert post(owner_client, incident, "Too soon").status_code == 429
    clock.shift(timedelta(seconds=30))  # the first post is now a minute old
    assert post(owner_client, incident, "In time").status_code == 302
    assert IncidentUpdate.objects.filter(incident=incident).count() == 7


def test_the_limit_is_per_incident_and_a_setting(
    owner_client: Client, owner: User, incident: Incident, clock: Any, settings: Settings
) -> None:
    settings.UPDATE_POST_LIMIT_PER_MINUTE = 2
    fill_the_minute(owner_client, incident, clock, count=2)
    assert post(owner_client, incident, "Third").status_code == 429
    other = make_incident(owner=owner, title="Search outage")
    assert post(owner_client, other, "First of the other").status_code == 302
