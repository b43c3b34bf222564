"""Time zones: the user's stored zone, the incident's zone, and every time naming its zone."""

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from pypdf import PdfReader

from briefs.models import Incident, Profile, RootCauseAnalysis
from briefs.seed import make_estimate, make_incident
from briefs.services import share_link_create, update_post
from tests.factories import PASSWORD

# 17:47 UTC is 09:47 in Los Angeles (PST) and 18:47 in Berlin (CET).
NOW = datetime(2026, 11, 26, 17, 47, tzinfo=UTC)
LOS_ANGELES = "America/Los_Angeles"
BERLIN = "Europe/Berlin"


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def la_incident(owner: User) -> Incident:
    """An incident in Los Angeles whose next update is due now plus one hour (18:47 UTC)."""
    incident = make_incident(
        owner=owner,
        time_zone=LOS_ANGELES,
        started_at=NOW - timedelta(hours=2),
        detected_at=NOW - timedelta(hours=2),
        escalated_at=NOW - timedelta(hours=1),
    )
    make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=12500)
    update_post(
        incident=incident,
        author=owner,
        what_changed="Payments fail for every customer.",
        posted_at=NOW - timedelta(minutes=10),
        next_update_due=NOW + timedelta(hours=1),
    )
    return incident


@pytest.fixture
def link_url(la_incident: Incident) -> str:
    _, token = share_link_create(incident=la_incident, created_by=la_incident.owner, label="CEO")
    return f"/b/{token}"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def sign_in(client: Client, username: str = "owner") -> Client:
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


# --- The user's zone ---------------------------------------------------------------------------


def test_first_sign_in_proposes_the_browsers_zone_and_one_click_keeps_it(
    client: Client, owner: User
) -> None:
    page = sign_in(client).get("/").content.decode()
    assert "data-zone-proposal" in page
    # The proposal is filled in by a static script: the CSP allows no inline code.
    assert re.search(r'<script src="[^"]*js/time-zone\.js"', page)
    assert "<script>" not in page

    response = client.post("/settings/time-zone/", {"time_zone": BERLIN, "next": "/"})

    assert response.status_code == 302
    assert response.cookies["tz"].value == BERLIN
    assert Profile.objects.get(user=owner).time_zone == BERLIN
    page = client.get("/").content.decode()
    assert "data-zone-proposal" not in page
    assert f"Times in {BERLIN}" in page


def test_keeping_the_default_zone_also_ends_the_proposal(client: Client, owner: User) -> None:
    sign_in(client)
    client.post("/settings/time-zone/", {"time_zone": "UTC", "next": "/"})
    assert "data-zone-proposal" not in client.get("/").content.decode()
    assert Profile.objects.get(user=owner).time_zone == "UTC"


def test_sign_in_brings_the_stored_zone_to_a_new_browser_without_a_proposal(
    client: Client, owner: User
) -> None:
    Profile.objects.create(user=owner, time_zone=LOS_ANGELES)

    response = client.post("/login/", {"username": "owner", "password": PASSWORD})

    assert response.cookies["tz"].value == LOS_ANGELES
    page = client.get("/").content.decode()
    assert f"Times in {LOS_ANGELES}" in page
    assert "data-zone-proposal" not in page


def test_the_header_shows_the_zone_in_use(owner_client: Client) -> None:
    assert "Times in UTC" in owner_client.get("/").content.decode()
    owner_client.cookies["tz"] = BERLIN
    assert f"Times in {BERLIN}" in owner_client.get("/").content.decode()


# --- The incident's zone -----------------------------------------------------------------------


def test_a_new_draft_takes_its_owners_zone(owner_client: Client, owner: User) -> None:
    owner_client.cookies["tz"] = BERLIN
    owner_client.post("/incidents/new/")
    assert Incident.objects.get(owner=owner).time_zone == BERLIN


def test_the_wizard_changes_the_incidents_zone(owner_client: Client, la_incident: Incident) -> None:
    url = f"/incidents/{la_incident.public_id}/escalate/what-happened/"
    page = owner_client.get(url).content.decode()
    assert f'<option value="{LOS_ANGELES}" selected>' in page

    answers = {
        "version": str(la_incident.version),
        "nav": "next",
        "title": la_incident.title,
        "system": "Checkout service",
        "description": "Customers cannot pay.",
        "severity": "SEV1",
        "started_at": "2026-11-26T15:47",
        "detected_at": "2026-11-26T15:47",
        "time_zone": "Asia/Tokyo",
    }
    assert owner_client.post(url, answers).status_code == 302
    la_incident.refresh_from_db()
    assert la_incident.time_zone == "Asia/Tokyo"


# --- Every time names its zone -----------------------------------------------------------------


def test_the_architects_tiles_name_the_architects_zone(
    owner_client: Client, la_incident: Incident
) -> None:
    owner_client.cookies["tz"] = BERLIN
    page = owner_client.get(f"/incidents/{la_incident.public_id}/").content.decode()
    assert "Due 19:47 CET" in page
    assert "as of 18:47 CET" in page


def test_the_executive_link_uses_the_incidents_zone_whatever_the_readers_cookie(
    client: Client, link_url: str
) -> None:
    # An architect's own zone cookie (path /) reaches /b/ too, and must not change the link.
    client.cookies["tz"] = BERLIN
    page = client.get(link_url).content.decode()
    assert "Due 10:47 PST" in page
    assert f"Times in {LOS_ANGELES} (PST)" in page
    assert "data-link-zone" in page


def test_a_link_reader_can_switch_to_their_own_zone_and_back(client: Client, link_url: str) -> None:
    client.cookies["link_tz"] = BERLIN

    page = client.get(link_url).content.decode()
    assert "Due 19:47 CET" in page
    assert f"Times in {BERLIN} (CET)" in page
    assert f"Back to the incident's zone ({LOS_ANGELES})" in page
    assert "due 19:47 CET" in client.get(f"{link_url}/brief.md").content.decode()
    # The PDF is one stored file per version, in the incident's zone (issue 15), never the cookie's.
    assert f"Times in {LOS_ANGELES} (PST)" in pdf_text(client.get(f"{link_url}/pdf").content)

    del client.cookies["link_tz"]
    assert "Due 10:47 PST" in client.get(link_url).content.decode()


def test_a_link_reader_cookie_naming_no_zone_falls_back_to_the_incidents(
    client: Client, link_url: str
) -> None:
    client.cookies["link_tz"] = "Mars/Olympus_Mons"
    assert "Due 10:47 PST" in client.get(link_url).content.decode()


def test_the_link_pdf_states_the_incidents_zone_in_its_header_and_on_its_times(
    client: Client, link_url: str
) -> None:
    text = pdf_text(client.get(f"{link_url}/pdf").content)
    assert text.startswith(f"Times in {LOS_ANGELES} (PST)")
    assert "Due 10:47 PST" in text
    assert "09:37 PST" in text  # the timeline entry


def test_the_architects_pdf_is_in_the_incidents_zone_like_the_links(
    owner_client: Client, la_incident: Incident
) -> None:
    owner_client.cookies["tz"] = BERLIN
    text = pdf_text(owner_client.get(f"/incidents/{la_incident.public_id}/pdf").content)
    assert text.startswith(f"Times in {LOS_ANGELES} (PST)")
    assert "Due 10:47 PST" in text


def test_markdown_and_dashboard_name_the_zone(owner_client: Client, la_incident: Incident) -> None:
    owner_client.cookies["tz"] = LOS_ANGELES
    text = owner_client.get(f"/incidents/{la_incident.public_id}/brief.md").content.decode()
    assert "(as of 09:47 PST)" in text
    assert "due 10:47 PST" in text
    assert "Thu 26 Nov 09:37 PST: Payments fail" in text
    assert "10:47 PST" in owner_client.get("/").content.decode()


def test_a_zone_without_letters_of_its_own_is_named_by_its_offset(
    owner_client: Client, la_incident: Incident
) -> None:
    owner_client.cookies["tz"] = "Asia/Dubai"
    page = owner_client.get(f"/incidents/{la_incident.public_id}/").content.decode()
    assert "Due 22:47 UTC+04" in page


def test_the_links_rca_page_and_pdf_are_in_the_incidents_zone(
    client: Client, la_incident: Incident, link_url: str
) -> None:
    la_incident.resolved_at = NOW
    la_incident.status = "resolved"
    la_incident.save()
    RootCauseAnalysis.objects.create(
        incident=la_incident, root_cause="A bad deploy.", author=la_incident.owner
    )
    client.cookies["tz"] = BERLIN

    page = client.get(f"{link_url}/rca").content.decode()
    assert f"Times in {LOS_ANGELES} (PST)" in page
    assert "09:47 PST" in page  # "It was resolved."
    text = pdf_text(client.get(f"{link_url}/rca/pdf").content)
    assert text.startswith(f"Times in {LOS_ANGELES} (PST)")
    assert "09:47 PST" in text


def test_the_shells_pdf_export_defaults_to_the_incidents_zone(
    la_incident: Incident, tmp_path: Path
) -> None:
    out = tmp_path / "brief.pdf"
    call_command("export_pdf", str(la_incident.public_id), "-o", str(out))
    assert pdf_text(out.read_bytes()).startswith(f"Times in {LOS_ANGELES} (PST)")
