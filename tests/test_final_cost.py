"""One final cost after resolution, the same on every page; the dashboard to the brief's minute."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from briefs.models import Incident
from briefs.seed import make_estimate, make_incident
from briefs.services import rca_save, share_link_create
from tests.factories import form_data, pdf_text, visible_text

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=4)

# $48,000 an hour for the 2 hours up to the resolution; medium confidence allows 20% either way.
FINAL = "$96,000"
ASIDE = "could be $76,800–$115,200 given medium confidence"


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def resolved(owner_client: Client, owner: User) -> Incident:
    incident = make_incident(owner=owner, started_at=START, escalated_at=START)
    make_estimate(
        incident=incident, revenue_per_hour="48000", customers_affected=12500, confidence="medium"
    )
    url = f"/incidents/{incident.public_id}/resolve/"
    data = form_data(owner_client.get(url).content.decode())
    data.update(
        resolved_at="2026-03-02T10:00",
        basis="Measured lost orders.",
        closing_update="Checkout restored.",
    )
    assert owner_client.post(url, data).status_code == 302
    incident.refresh_from_db()
    return incident


def assert_one_total(text: str) -> None:
    """The final figure, its uncertainty only as the labelled aside, and no competing total."""
    assert FINAL in text
    assert f"{FINAL}, {ASIDE}" in text or f"{FINAL} final {ASIDE}" in text
    assert "$76,800 to $115,200" not in text
    assert text.count("$115,200") == text.count(ASIDE)
    assert "Cost so far" not in text


def test_the_resolved_brief_states_one_final_cost_in_tiles_and_follow_up(
    owner_client: Client, resolved: Incident
) -> None:
    page = owner_client.get(f"/incidents/{resolved.public_id}/").content.decode()
    text = visible_text(page)
    assert_one_total(text)
    assert f"Total cost {FINAL} final {ASIDE}" in text  # the tile
    assert f"Total cost {FINAL}, {ASIDE}" in text  # the follow-up


def test_the_executive_link_pdf_and_markdown_state_the_same_final_cost(
    owner_client: Client, client: Client, resolved: Incident, owner: User
) -> None:
    _, token = share_link_create(incident=resolved, created_by=owner, label="CEO")
    assert_one_total(visible_text(client.get(f"/b/{token}").content.decode()))
    assert_one_total(pdf_text(client.get(f"/b/{token}/pdf").content))
    markdown = client.get(f"/b/{token}/brief.md").content.decode()
    assert_one_total(markdown)
    assert f"**Total cost (final):** {FINAL}, {ASIDE}" in markdown


def test_the_rca_states_the_same_final_cost(
    owner_client: Client, resolved: Incident, owner: User
) -> None:
    rca_save(incident=resolved, author=owner, fields={"root_cause": "A settings change."})
    page = owner_client.get(f"/incidents/{resolved.public_id}/rca/").content.decode()
    assert f"Total cost {FINAL}, {ASIDE}" in visible_text(page)
    assert_one_total(pdf_text(owner_client.get(f"/incidents/{resolved.public_id}/rca/pdf").content))


def test_the_dashboard_lists_the_final_cost_of_a_resolved_incident(
    owner_client: Client, resolved: Incident
) -> None:
    text = visible_text(owner_client.get("/").content.decode())
    resolved_table = text[text.index("Resolved incidents") :]
    assert "Total cost" in resolved_table
    assert FINAL in resolved_table


def test_measured_figures_show_no_range(owner_client: Client, owner: User) -> None:
    incident = make_incident(owner=owner, started_at=START, escalated_at=START)
    make_estimate(incident=incident, revenue_per_hour="48000", confidence="high")
    url = f"/incidents/{incident.public_id}/resolve/"
    data = form_data(owner_client.get(url).content.decode())
    data.update(
        resolved_at="2026-03-02T10:00",
        basis="Measured lost orders.",
        closing_update="Checkout restored.",
    )
    owner_client.post(url, data)
    text = visible_text(owner_client.get(f"/incidents/{incident.public_id}/").content.decode())
    assert f"Total cost {FINAL} final" in text
    assert "could be" not in text


def test_the_dashboard_states_costs_to_the_same_minute_as_the_brief(
    owner_client: Client, owner: User
) -> None:
    incident = make_incident(owner=owner, started_at=START, escalated_at=START)
    make_estimate(incident=incident, revenue_per_hour="48000")
    # 45 seconds into the minute: the brief says $192,000 as of 12:00; $600 more is not a
    # different cost, only a different clock.
    with time_machine.travel(NOW + timedelta(seconds=45), tick=False):
        brief = visible_text(owner_client.get(f"/incidents/{incident.public_id}/").content.decode())
        dashboard = visible_text(owner_client.get("/").content.decode())
    assert "Cost so far $192,000 as of 12:00" in brief
    assert "$192,000" in dashboard
    assert "$192,600" not in dashboard
