"""Updates carry when their facts were true; the timeline, the RCA and the PDF order by it."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from briefs.models import Incident, IncidentUpdate
from briefs.seed import make_estimate, make_incident
from briefs.services import update_post
from tests.factories import pdf_text

# Seconds included: the resolution must keep them.
NOW = datetime(2026, 11, 26, 17, 47, 40, tzinfo=UTC)
FORM_TIME = "%Y-%m-%dT%H:%M"


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def escalated(owner: User) -> Incident:
    incident = make_incident(
        owner=owner,
        started_at=NOW - timedelta(hours=6),
        detected_at=NOW - timedelta(hours=6),
        escalated_at=NOW - timedelta(hours=5),
    )
    make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=12500)
    return incident


def post(incident: Incident, what: str, posted_at: datetime, **fields: Any) -> IncidentUpdate:
    return update_post(
        incident=incident,
        author=incident.owner,
        what_changed=what,
        posted_at=posted_at,
        next_update_due=posted_at + timedelta(hours=1),
        **fields,
    )


def post_form(client: Client, incident: Incident, **fields: Any) -> Any:
    data = {
        "what_changed": "Rollback finished.",
        "operating_state": "degraded",
        "next_update_due": (NOW + timedelta(hours=1)).strftime(FORM_TIME),
        **fields,
    }
    return client.post(f"/incidents/{incident.public_id}/updates/", data)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" )", ")")


def in_order(text: str, *parts: str) -> bool:
    positions = [text.index(part) for part in parts]
    return positions == sorted(positions)


# --- Posting with an as-of time ----------------------------------------------------------------


def test_an_update_is_as_of_now_unless_told_otherwise(
    owner_client: Client, escalated: Incident
) -> None:
    assert post_form(owner_client, escalated).status_code == 302
    update = escalated.updates.get()
    assert update.facts_at == update.posted_at == NOW


def test_an_as_of_in_the_current_minute_means_now(
    owner_client: Client, escalated: Incident
) -> None:
    post(escalated, "Posted seconds earlier.", NOW - timedelta(seconds=30))
    assert post_form(owner_client, escalated, as_of=NOW.strftime(FORM_TIME)).status_code == 302
    assert escalated.updates.get(sequence=2).facts_at == NOW


def test_an_update_dated_earlier_is_placed_by_its_as_of_and_says_when_it_was_posted(
    owner_client: Client, escalated: Incident
) -> None:
    post(escalated, "Database restored from backup.", NOW - timedelta(minutes=30))
    as_of = NOW - timedelta(minutes=90)

    response = post_form(
        owner_client,
        escalated,
        what_changed="At 16:17 the replica had already failed.",
        as_of=as_of.strftime(FORM_TIME),
    )

    assert response.status_code == 302
    late = escalated.updates.get(sequence=2)
    assert late.as_of == as_of.replace(second=0)
    assert late.posted_at == NOW
    page = text_of(owner_client.get(f"/incidents/{escalated.public_id}/").content.decode())
    # Newest first by as-of: the update posted last sits below the one it predates.
    assert in_order(page, "Database restored from backup.", "At 16:17 the replica had already")
    assert "16:17 UTC (posted Thu 17:47 UTC)" in page
    # The chart marks it where the timeline places it.
    assert "Update #2 at 16:17" in page


def test_a_revised_estimate_takes_effect_from_the_as_of_time(
    owner_client: Client, escalated: Incident
) -> None:
    as_of = (NOW - timedelta(hours=2)).replace(second=0)
    post_form(
        owner_client,
        escalated,
        as_of=as_of.strftime(FORM_TIME),
        revenue_per_hour="96000",
        customers_affected="20000",
    )
    assert escalated.current_estimate().effective_at == as_of  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        (NOW + timedelta(minutes=5), "The facts cannot be as of a time in the future."),
        (NOW - timedelta(hours=25), "Report facts at most 24 hours old"),
        (NOW - timedelta(hours=7), "The facts cannot be as of before the incident started."),
    ],
)
def test_an_as_of_time_in_the_future_too_old_or_before_the_start_is_refused(
    owner_client: Client, escalated: Incident, as_of: datetime, message: str
) -> None:
    response = post_form(owner_client, escalated, as_of=as_of.strftime(FORM_TIME))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not escalated.updates.exists()


def test_as_of_may_be_a_full_day_earlier(owner: User, owner_client: Client) -> None:
    incident = make_incident(owner=owner, started_at=NOW - timedelta(days=3))
    as_of = NOW - timedelta(hours=24)
    assert post_form(owner_client, incident, as_of=as_of.strftime(FORM_TIME)).status_code == 302
    assert incident.updates.get().facts_at >= NOW - timedelta(hours=24)


# --- Resolution keeps its real time ------------------------------------------------------------


def resolve(client: Client, incident: Incident, resolved_at: datetime) -> Any:
    incident.refresh_from_db()
    data = {
        "version": incident.version,
        "resolved_at": resolved_at.strftime(FORM_TIME),
        "revenue_per_hour": "48000",
        "customers_affected": "12000",
        "confidence": "high",
        "basis": "Measured lost orders.",
        "closing_update": "Checkout fully restored.",
    }
    return client.post(f"/incidents/{incident.public_id}/resolve/", data)


def test_resolving_in_the_current_minute_keeps_the_seconds(
    owner_client: Client, escalated: Incident
) -> None:
    post(escalated, "Traffic is back to normal.", NOW - timedelta(seconds=20))

    assert resolve(owner_client, escalated, NOW).status_code == 302

    escalated.refresh_from_db()
    assert escalated.resolved_at == NOW
    rca = owner_client.get(f"/incidents/{escalated.public_id}/rca/").content.decode()
    assert in_order(rca, "Traffic is back to normal.", "It was resolved.")


def test_a_resolution_minute_typed_later_still_follows_the_updates_in_that_minute(
    owner_client: Client, escalated: Incident
) -> None:
    minute = (NOW - timedelta(minutes=5)).replace(second=0)
    post(escalated, "Last error seen.", minute + timedelta(seconds=30))

    assert resolve(owner_client, escalated, minute).status_code == 302

    escalated.refresh_from_db()
    assert escalated.resolved_at is not None
    assert minute + timedelta(seconds=30) < escalated.resolved_at < minute + timedelta(seconds=31)
    rca = owner_client.get(f"/incidents/{escalated.public_id}/rca/").content.decode()
    assert in_order(rca, "Last error seen.", "It was resolved.")
    page = owner_client.get(f"/incidents/{escalated.public_id}/").content.decode()
    assert in_order(page, "Checkout fully restored.", "Last error seen.")


# --- The PDF timeline shows what the page shows ------------------------------------------------


@pytest.fixture
def eventful(escalated: Incident) -> Incident:
    """Hourly promises; the ETA set, then moved; a silence between 14:17 and 16:30."""
    base = NOW.replace(second=0) - timedelta(hours=4)  # 13:47
    post(
        escalated,
        "First diagnosis posted.",
        base,
        eta_earliest=base + timedelta(hours=3),
        eta_latest=base + timedelta(hours=5),
    )
    post(escalated, "Vendor engaged.", base + timedelta(minutes=30))
    post(
        escalated,
        "Vendor needs a new disk image.",
        base + timedelta(hours=2, minutes=43),
        eta_earliest=base + timedelta(hours=8),
        eta_latest=base + timedelta(hours=15),
    )
    return escalated


def test_the_page_and_the_pdf_show_hour_bands_gaps_between_entries_and_eta_moves(
    owner_client: Client, eventful: Incident
) -> None:
    page = text_of(owner_client.get(f"/incidents/{eventful.public_id}/").content.decode())
    text = pdf_text(owner_client.get(f"/incidents/{eventful.public_id}/pdf").content)

    for shown in (page, text):
        gap = "No update between 14:17 and 16:30 UTC; hourly updates were promised"
        # Newest first: the late entry, then the silence it ended, then the entries before it.
        assert in_order(shown, "Vendor needs a new disk image.", gap, "Vendor engaged.")
        assert "16:00–17:00 UTC" in shown
        assert "13:00–14:00 UTC" in shown
        assert "ETA moved from Thu 16:47–Thu 18:47 UTC to Thu 21:47–Fri 04:47 UTC" in shown
        assert "ETA set: Thu 16:47–Thu 18:47 UTC" in shown
    timeline = text[text.index("Timeline of updates") :]
    assert timeline.index("Vendor needs a new disk image.") < timeline.index("No update between")
