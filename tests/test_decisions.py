"""Decisions close the ask: a meeting decision tied to the ask it answers turns the ask into
"Decided: ..." on every page the CEO reads; only undecided asks remain asks."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from briefs.brief_content import brief_context, brief_queryset
from briefs.models import CeoDecision, Incident, MeetingDecision
from briefs.seed import make_estimate, make_incident
from briefs.services import DecisionInput, meeting_record, share_link_create
from tests.factories import form_data, pdf_text, visible_text

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=3)

RESTORE = "Do we restore from the six-hour-old backup now?"
NOTIFY = "Do we tell customers before the restore finishes?"


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def asked(owner: User) -> Incident:
    incident = make_incident(
        owner=owner, title="Database deleted", started_at=START, escalated_at=START
    )
    make_estimate(incident=incident, revenue_per_hour="20000", customers_affected=5000)
    for position, (question, recommendation) in enumerate(
        [(RESTORE, "Restore now."), (NOTIFY, "Tell them now.")]
    ):
        incident.decisions.create(
            position=position,
            question=question,
            options="Now, or wait.",
            trade_offs="Speed against completeness.",
            recommendation=recommendation,
        )
    return incident


def meeting_url(incident: Incident) -> str:
    return f"/incidents/{incident.public_id}/meeting/"


def ask(incident: Incident, question: str) -> CeoDecision:
    return incident.decisions.get(question=question)


def record_meeting(client: Client, incident: Incident, **decisions: str) -> None:
    data = form_data(client.get(meeting_url(incident)).content.decode())
    data.update(held_at="2026-03-02T09:30", attendees="Dana Chen (CEO), Sam Patel (CFO)")
    data.update(decisions)
    response = client.post(meeting_url(incident), data)
    assert response.status_code == 302, response.content.decode()


def test_the_meeting_form_offers_the_incidents_own_asks(
    owner_client: Client, asked: Incident, owner: User
) -> None:
    other = make_incident(owner=owner, title="Another outage")
    other.decisions.create(question="Someone else's ask?", options="-", trade_offs="-")
    page = owner_client.get(meeting_url(asked)).content.decode()
    assert "Answers the ask" in page
    assert RESTORE in page and NOTIFY in page
    assert "Someone else&#x27;s ask?" not in page and "Someone else's ask?" not in page


def test_a_decision_closes_the_ask_it_answers_on_brief_link_pdf_and_markdown(
    owner_client: Client, client: Client, asked: Incident, owner: User
) -> None:
    record_meeting(
        owner_client,
        asked,
        **{
            "decisions-0-decision": "Restore now.",
            "decisions-0-decided_by": "Dana Chen (CEO)",
            "decisions-0-ask": str(ask(asked, RESTORE).pk),
        },
    )
    assert MeetingDecision.objects.get().ask == ask(asked, RESTORE)
    _, token = share_link_create(incident=asked, created_by=owner, label="CEO")
    decided = "Decided: Restore now. (Dana Chen (CEO), Mon 2 Mar, 09:30 UTC)"
    for where, text in {
        "brief": visible_text(owner_client.get(f"/incidents/{asked.public_id}/").content.decode()),
        "link": visible_text(client.get(f"/b/{token}").content.decode()),
        "pdf": pdf_text(client.get(f"/b/{token}/pdf").content),
    }.items():
        need = text[text.rindex("What we need from you") : text.index("Preventing a recurrence")]
        assert f"{RESTORE} {decided}" in need, where
        assert need.count("We recommend:") == 1, where  # only the undecided ask is still asked
        assert f"{NOTIFY} Options: Now, or wait." in need, where
    markdown = client.get(f"/b/{token}/brief.md").content.decode()
    assert f"**{RESTORE}** Decided: Restore now. (Dana Chen (CEO), Mon 2 Mar 09:30 UTC)" in markdown
    assert f"**{NOTIFY}** Options:" in markdown
    assert f"**{RESTORE}** Options:" not in markdown


def test_a_decision_that_answers_no_ask_is_listed_under_its_meeting_only(
    owner_client: Client, asked: Incident
) -> None:
    record_meeting(
        owner_client,
        asked,
        **{"decisions-0-decision": "Freeze releases.", "decisions-0-decided_by": "CEO"},
    )
    text = visible_text(owner_client.get(f"/incidents/{asked.public_id}/").content.decode())
    need = text[text.rindex("What we need from you") : text.index("Preventing a recurrence")]
    assert "Decided:" not in need
    assert need.count("We recommend:") == 2
    commitments = text[text.index("What we committed to") :]
    assert "Freeze releases. (decided by CEO)" in commitments


def test_a_decision_cannot_answer_another_incidents_ask(
    owner_client: Client, asked: Incident, owner: User
) -> None:
    other = make_incident(owner=owner, title="Another outage")
    foreign = other.decisions.create(question="Elsewhere?", options="-", trade_offs="-")
    data = form_data(owner_client.get(meeting_url(asked)).content.decode())
    data.update(
        {
            "held_at": "2026-03-02T09:30",
            "attendees": "CEO",
            "decisions-0-decision": "Yes.",
            "decisions-0-decided_by": "CEO",
            "decisions-0-ask": str(foreign.pk),
        }
    )
    assert owner_client.post(meeting_url(asked), data).status_code == 400
    asked.refresh_from_db()
    with pytest.raises(ValueError, match="its own incident"):
        meeting_record(
            incident=asked,
            recorded_by=owner,
            expected_version=asked.version,
            held_at=NOW,
            attendees="CEO",
            decisions=[DecisionInput("Yes.", "CEO", ask=foreign)],
            actions=[],
        )
    assert MeetingDecision.objects.count() == 0


def test_the_page_data_names_open_and_decided_asks(asked: Incident, owner: User) -> None:
    restore = ask(asked, RESTORE)
    for held_at, text in [(START, "Wait."), (START + timedelta(hours=1), "Restore now.")]:
        asked.refresh_from_db()
        meeting_record(
            incident=asked,
            recorded_by=owner,
            expected_version=asked.version,
            held_at=held_at,
            attendees="CEO",
            decisions=[DecisionInput(text, "CEO", ask=restore), ("Freeze releases.", "CFO")],
            actions=[],
        )
    context = brief_context(
        brief_queryset().get(pk=asked.pk), zone=ZoneInfo("UTC"), architect=False
    )
    assert [a.question for a in context["open_asks"]] == [NOTIFY]
    [decided] = context["decided_asks"]
    # The later meeting's decision is the one that stands.
    assert (decided.ask, decided.decision, decided.decided_by) == (restore, "Restore now.", "CEO")
    assert decided.decided_at == START + timedelta(hours=1)


def test_the_meeting_script_asks_only_what_is_still_open(
    asked: Incident, owner_client: Client
) -> None:
    restore = ask(asked, RESTORE)
    record_meeting(
        owner_client,
        asked,
        **{
            "decisions-0-decision": "Restore now.",
            "decisions-0-decided_by": "Dana Chen (CEO)",
            "decisions-0-ask": str(restore.pk),
        },
    )
    assert MeetingDecision.objects.filter(ask=restore).exists()

    page = visible_text(
        owner_client.get(f"/incidents/{asked.public_id}/escalate/review/").content.decode()
    )

    assert "As you decided on 2 March: Restore now." in page
    assert "Decided: Restore now." in page  # the CEO's likely question "What do you need?"
    assert "I need your decision: do we tell customers before the restore finishes?" in page
    assert "decision: do we restore from the six-hour-old backup now" not in page.lower()
