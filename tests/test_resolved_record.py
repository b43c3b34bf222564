"""A resolved brief reads as a record: past tense, no open asks, no "depends on", one root cause,
and what has changed split into done and planned. Reopening switches it back."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from briefs.models import Incident
from briefs.seed import make_estimate, make_incident
from briefs.services import ActionInput, action_item_add, action_item_complete, rca_save
from tests.factories import form_data, pdf_text, visible_text

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=4)

CAUSE = "Probably a bad payment settings change."
CONFIRMED = "A settings change pushed without review disabled card payments."
ASK = "Do we switch to the backup payment provider?"


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def incident(owner: User) -> Incident:
    incident = make_incident(
        owner=owner,
        title="Card payments down",
        started_at=START,
        escalated_at=START,
        operating_state="degraded",
        root_cause=CAUSE,
        root_cause_confidence="likely",
        mitigation="Rolling back the settings.",
        dependencies="The backup provider taking our volume.",
        resources_needed="Two engineers.",
        remediation_overseer="Priya Shah",
        eta_earliest=NOW + timedelta(hours=1),
        eta_latest=NOW + timedelta(hours=2),
    )
    make_estimate(
        incident=incident, revenue_per_hour="10000", customers_affected=900, basis="Orders."
    )
    incident.decisions.create(
        question=ASK, options="Switch, or wait.", trade_offs="Fees.", recommendation="Switch."
    )
    done = action_item_add(
        incident=incident,
        data=ActionInput("Roll back the settings", "corrective", owner=owner),
    )
    action_item_complete(item=done, now=START + timedelta(hours=1))
    action_item_add(
        incident=incident,
        data=ActionInput(
            "Review every settings change", "preventive", due_on=date(2026, 3, 9), owner=owner
        ),
    )
    action_item_add(
        incident=incident,
        data=ActionInput("Email affected customers", "communication", owner=owner),
    )
    return incident


def url(incident: Incident, suffix: str = "") -> str:
    return f"/incidents/{incident.public_id}/{suffix}"


def resolve(client: Client, incident: Incident) -> None:
    data = form_data(client.get(url(incident, "resolve/")).content.decode())
    data.update(resolved_at="2026-03-02T11:00", closing_update="Payments are back.")
    assert client.post(url(incident, "resolve/"), data).status_code == 302


def brief_text(client: Client, incident: Incident) -> str:
    text = visible_text(client.get(url(incident)).content.decode())
    # The brief itself, without the architect's side panel (its forms say "Resolve" and so on).
    return text[: text.index("Timeline of updates")]


def assert_reads_as_a_record(text: str) -> None:
    for ongoing in [
        "What we are doing",
        "When it will be resolved",
        "What we need from you",
        "Depends on",
        "We recommend:",
        "Current state",
        "so far",
        "As we understand it now",
        "personally oversees",
    ]:
        assert ongoing not in text, ongoing
    for record in [
        "What we did",
        "When it was resolved",
        "What we needed from you",
        f"Not decided before the resolution: {ASK}",
        "Resources asked for: Two engineers.",
        "Final state: Restored",
        "Updates were promised every hour",
        "Priya Shah personally oversaw the remediation.",
    ]:
        assert record in text, record


def test_a_resolved_brief_reads_as_a_record(owner_client: Client, incident: Incident) -> None:
    resolve(owner_client, incident)
    text = brief_text(owner_client, incident)
    assert_reads_as_a_record(text)
    assert "revenue was at risk per hour; about 900 customers were affected" in text


def test_what_has_changed_separates_done_from_planned(
    owner_client: Client, incident: Incident
) -> None:
    resolve(owner_client, incident)
    text = brief_text(owner_client, incident)
    assert "What has changed Done: Roll back the settings (2 Mar)." in text
    assert "What is planned Review every settings change (due 9 Mar)." in text
    assert "Other open commitments Email affected customers." in text


def test_the_confirmed_rca_is_the_one_root_cause(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    resolve(owner_client, incident)
    text = brief_text(owner_client, incident)
    # Before the RCA: the cause as understood, said once, in the past.
    assert text.count(CAUSE) == 3  # page 1, the follow-up and the root-cause section agree
    assert "As understood at the resolution: likely." in text
    rca_save(
        incident=incident,
        author=owner,
        fields={"root_cause": CONFIRMED, "root_cause_confirmed": True},
    )
    text = brief_text(owner_client, incident)
    assert CAUSE not in text
    assert "likely" not in text.lower()
    assert f"Root cause {CONFIRMED} (confirmed)" in text
    assert f"{CONFIRMED} From the root-cause analysis: confirmed." in text


def test_an_unconfirmed_rca_says_so_and_nothing_claims_confirmed(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    resolve(owner_client, incident)
    rca_save(incident=incident, author=owner, fields={"root_cause": CONFIRMED})
    text = brief_text(owner_client, incident)
    assert f"Root cause {CONFIRMED} (not yet confirmed)" in text
    assert "From the root-cause analysis: not yet confirmed." in text
    assert CAUSE not in text


def test_the_resolved_pdf_and_markdown_read_as_a_record(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    resolve(owner_client, incident)
    rca_save(
        incident=incident,
        author=owner,
        fields={"root_cause": CONFIRMED, "root_cause_confirmed": True},
    )
    text = pdf_text(owner_client.get(url(incident, "pdf")).content)
    assert_reads_as_a_record(text[: text.index("Timeline of updates")])
    assert "Done: Roll back the settings (2 Mar)." in text
    assert "likely" not in text.lower()
    markdown = owner_client.get(url(incident, "brief.md")).content.decode()
    for ongoing in ["What we are doing", "When it will be resolved", "Depends on", CAUSE]:
        assert ongoing not in markdown, ongoing
    assert "## What we did" in markdown
    assert "per hour was at risk; about 900 customers were affected." in markdown
    assert "Resolved Mon 2 Mar 11:00 UTC." in markdown
    assert "Priya Shah personally oversaw the remediation." in markdown
    assert f"{CONFIRMED} (root-cause analysis: confirmed)" in markdown


def test_reopening_switches_the_brief_back_to_ongoing(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    resolve(owner_client, incident)
    rca_save(incident=incident, author=owner, fields={"root_cause": CONFIRMED})
    incident.refresh_from_db()
    owner_client.post(url(incident, "reopen"), {"version": incident.version, "reason": "Back."})
    text = brief_text(owner_client, incident)
    for ongoing in [
        "What we are doing",
        "When it will be resolved",
        "What we need from you",
        "Depends on: The backup provider taking our volume.",
        "We recommend: Switch.",
        f"{CAUSE} As we understand it now: likely.",
        "kept on time so far",
        "Priya Shah personally oversees the remediation.",
    ]:
        assert ongoing in text, ongoing
    assert "What we did" not in text
    assert "Not decided before the resolution" not in text
