"""The meeting with the CEO (issue 18): the presenter view, its captures, its end, the screen."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from briefs.models import (
    ActionKind,
    Capture,
    CeoDecision,
    Incident,
    Meeting,
    Presentation,
    ScreenSection,
)
from briefs.page_cache import brief_stamp
from briefs.presentation import screen_state
from briefs.seed import make_estimate, make_incident
from briefs.services import presentation_start, share_link_create, update_post
from tests.test_constraints import violated_constraint

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ASK = "Do we restore from the six-hour-old backup now?"

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def incident(owner: User, collaborator: User) -> Incident:
    incident = make_incident(
        owner=owner,
        title="Order processing outage",
        ceo_name="Dana Chen",
        eta_earliest=NOW + timedelta(hours=2),
        eta_latest=NOW + timedelta(hours=4),
        dependencies="the vendor's patch",
        resources_needed="Two more engineers.",
    )
    incident.collaborators.add(collaborator)
    make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=12500)
    CeoDecision.objects.create(
        incident=incident,
        question=ASK,
        options="Restore now, or wait for a newer copy.",
        trade_offs="Six hours of data against a longer outage.",
        recommendation="Restore now.",
    )
    return incident


def url(incident: Incident, suffix: str = "") -> str:
    return f"/incidents/{incident.public_id}/present/{suffix}"


def started(incident: Incident) -> Presentation:
    return presentation_start(incident=incident, started_by=incident.owner)


def screen_stamp(response: Any) -> str:
    found = re.search(r"\?since=([0-9a-f]+)", response.content.decode())
    assert found, "the screen polls with the stamp it shows"
    return found.group(1)


def shown_section(response: Any) -> str:
    found = re.search(r'id="screen" class="screen" data-section="(\w+)"', response.content.decode())
    assert found
    return found.group(1)


HX = {"HX-Request": "true"}


# --- Who may present -------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "screen"])
def test_owner_and_collaborator_open_both_views_and_others_get_404(
    client: Client, incident: Incident, owner: User, collaborator: User, outsider: User, suffix: str
) -> None:
    started(incident)
    seen = {}
    for user in [owner, collaborator, outsider]:
        client.force_login(user)
        seen[user.username] = client.get(url(incident, suffix)).status_code
    client.logout()
    anonymous = client.get(url(incident, suffix))
    assert seen == {"owner": 200, "collaborator": 200, "outsider": 404}
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]


@pytest.mark.parametrize("suffix", ["start", "show", "captures/", "captures/remove", "end"])
def test_presenter_posts_are_405_on_get_and_404_for_an_outsider(
    client: Client, incident: Incident, outsider: User, owner: User, suffix: str
) -> None:
    started(incident)
    client.force_login(owner)
    assert client.get(url(incident, suffix)).status_code == 405
    client.force_login(outsider)
    data = {"question": 1, "kind": "resources", "resources-text": "x", "capture": 1}
    assert client.post(url(incident, suffix), data).status_code == 404
    assert Capture.objects.count() == 0
    assert Presentation.objects.get().section == ScreenSection.OVERVIEW


def test_the_brief_offers_to_present(owner_client: Client, incident: Incident) -> None:
    page = owner_client.get(f"/incidents/{incident.public_id}/").content.decode()
    assert f'href="{url(incident)}"' in page


# --- Starting and resuming -------------------------------------------------------------------


def test_the_presenter_view_offers_to_start_and_starting_twice_resumes_the_same_meeting(
    owner_client: Client, client: Client, incident: Incident, collaborator: User
) -> None:
    before = owner_client.get(url(incident)).content.decode()
    assert "Start the meeting" in before and "Meeting clock" not in before
    assert owner_client.post(url(incident, "start"))["Location"] == url(incident)
    other = Client()
    other.force_login(collaborator)
    other.post(url(incident, "start"))
    assert Presentation.objects.filter(incident=incident).count() == 1
    page = other.get(url(incident)).content.decode()
    assert "Meeting clock" in page and "Start the meeting" not in page


def test_only_one_open_presentation_per_incident_in_the_database(incident: Incident) -> None:
    started(incident)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Presentation.objects.create(incident=incident, started_by=incident.owner)
    assert violated_constraint(refused.value) == "presentation_one_open_per_incident"
    # An ended one does not count: the next meeting can start.
    Presentation.objects.filter(incident=incident).update(ended_at=NOW)
    Presentation.objects.create(incident=incident, started_by=incident.owner)


PRESENTATION_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "section": ("presentation_section_valid", {"section": "gossip"}),
    "ends": ("presentation_ends_after_start", {"ended_at": NOW - timedelta(hours=1)}),
    "screen_version": ("presentation_screen_version_positive", {"screen_version": 0}),
}


@pytest.mark.parametrize("case", PRESENTATION_CASES)
def test_the_database_refuses_a_bad_presentation(incident: Incident, case: str) -> None:
    constraint, fields = PRESENTATION_CASES[case]
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Presentation.objects.create(
            incident=incident, started_by=incident.owner, started_at=NOW, **fields
        )
    assert violated_constraint(refused.value) == constraint


CAPTURE_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "kind": ("capture_kind_valid", {"kind": "rumour", "text": "x"}),
    "text": ("capture_has_text", {"kind": "resources", "text": ""}),
    "decider": ("capture_decision_has_decider", {"kind": "decision", "text": "x"}),
    "owner": (
        "capture_action_has_owner_and_date",
        {"kind": "action", "text": "x", "due_on": NOW.date()},
    ),
    "date": (
        "capture_action_has_owner_and_date",
        {"kind": "action", "text": "x", "owner_name": "Sam"},
    ),
    "cadence": ("capture_cadence_range", {"kind": "cadence", "cadence_minutes": 2}),
    "action_kind": (
        "capture_action_kind_valid",
        {"kind": "commitment", "text": "x", "action_kind": "vague"},
    ),
}


@pytest.mark.parametrize("case", CAPTURE_CASES)
def test_the_database_refuses_a_bad_capture(incident: Incident, case: str) -> None:
    constraint, fields = CAPTURE_CASES[case]
    presentation = started(incident)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Capture.objects.create(presentation=presentation, **fields)
    assert violated_constraint(refused.value) == constraint


def test_the_presenter_shows_the_script_the_six_questions_and_the_next_update(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    page = owner_client.get(url(incident)).content.decode()
    assert page.count('class="cue-card"') == 9
    assert "$48,000 of revenue at risk every hour" in page  # today's figures in the script
    for key in range(1, 7):
        assert f'id="question-{key}"' in page
    assert "When will it be resolved?" in page and "depending on the vendor" in page
    assert "Next promised update" in page
    for listed in ["d", "a", "1</kbd>–<kbd>6"]:
        assert f"<kbd>{listed}</kbd>" in page


def test_the_presenter_and_the_screen_state_the_same_cost_within_the_minute(
    owner_client: Client, incident: Incident, frozen: time_machine.Traveller
) -> None:
    # Two hours at $48,000 an hour, read 40 s into the minute: the brief and the screen say
    # $96,000 as of 12:00; the presenter said $96,533.
    started(incident)
    frozen.shift(timedelta(seconds=40))
    presenter = owner_client.get(url(incident)).content.decode()
    screen = owner_client.get(url(incident, "screen")).content.decode()
    assert "Cost so far: <strong>$96,000</strong> as of 12:00 UTC" in presenter
    assert "$96,000" in screen and "$96,533" not in presenter


# --- Driving the screen ------------------------------------------------------------------------


def test_a_question_key_puts_its_section_on_the_screen(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    assert shown_section(owner_client.get(url(incident, "screen"))) == "overview"
    response = owner_client.post(url(incident, "show"), {"question": 3}, headers=HX)
    assert response.status_code == 200
    assert '<strong id="on-screen">When it will be resolved</strong>' in response.content.decode()
    assert shown_section(owner_client.get(url(incident, "screen"))) == "when"
    owner_client.post(url(incident, "show"), {"question": 5})
    assert shown_section(owner_client.get(url(incident, "screen"))) == "need"


def test_next_and_previous_move_through_the_cards_and_stop_at_the_ends(
    owner_client: Client, incident: Incident
) -> None:
    presentation = started(incident)
    cards = []
    for step in ["previous", "next", "next", "next", *["next"] * 10, "previous"]:
        response = owner_client.post(url(incident, "show"), {"step": step})
        presentation.refresh_from_db()
        cards.append(presentation.card)
    assert response["Location"] == url(incident, "#card-7")
    assert cards == [0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8, 8, 8, 7]
    assert presentation.section == ScreenSection.NEED


def test_a_move_is_refused_when_it_names_no_card_or_question(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    assert owner_client.post(url(incident, "show"), {"question": 9}).status_code == 400
    assert owner_client.post(url(incident, "show"), {"step": "sideways"}).status_code == 400


def test_the_screen_answers_204_in_one_query_while_nothing_changed(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    stamp = screen_stamp(owner_client.get(url(incident, "screen")))
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(url(incident, f"screen?since={stamp}"), headers=HX)
    assert response.status_code == 204
    ours = [q["sql"] for q in queries.captured_queries if "briefs_" in q["sql"]]
    assert len(ours) == 1, ours


def test_the_screen_follows_a_move_a_new_update_and_the_next_minute(
    owner_client: Client, incident: Incident, frozen: time_machine.Traveller
) -> None:
    started(incident)
    stamp = screen_stamp(owner_client.get(url(incident, "screen")))
    owner_client.post(url(incident, "show"), {"question": 1})
    moved = owner_client.get(url(incident, f"screen?since={stamp}"), headers=HX)
    assert moved.status_code == 200 and shown_section(moved) == "what"
    assert not moved.content.decode().lstrip().startswith("<!doctype")  # the fragment only
    stamp = screen_stamp(moved)
    frozen.shift(timedelta(minutes=1))
    ticked = owner_client.get(url(incident, f"screen?since={stamp}"), headers=HX)
    assert ticked.status_code == 200
    assert "as of 12:01 UTC" in ticked.content.decode()
    stamp = screen_stamp(ticked)
    update_post(
        incident=incident,
        author=incident.owner,
        what_changed="Half of the orders go through.",
        next_update_due=NOW + timedelta(hours=1),
    )
    updated = owner_client.get(url(incident, f"screen?since={stamp}"), headers=HX)
    assert updated.status_code == 200 and "Due 13:00 UTC" in updated.content.decode()


def test_the_screen_shows_figures_with_their_zone_and_nothing_of_the_architects(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    page = owner_client.get(url(incident, "screen")).content.decode()
    assert "Cost so far" in page and "as of 12:00 UTC" in page
    assert "14:00 – Mon 16:00 UTC" in page  # the ETA range with its zone
    assert "Due " in page and "UTC" in page
    assert "Good afternoon" not in page and "Thank you for your time" not in page  # no script
    assert "<form" not in page and "<button" not in page
    assert not re.search(r'<a [^>]*href="/(?!static)', page), "no way into the app"
    assert "Not yet answered" not in page  # the CEO's wording, not the architect's


def test_the_screen_state_is_none_for_someone_who_may_not_see_the_incident(
    incident: Incident, outsider: User
) -> None:
    assert screen_state(outsider, incident.public_id) is None
    assert screen_state(AnonymousUser(), incident.public_id) is None
    state = screen_state(incident.owner, incident.public_id)
    assert state is not None and state.presentation_id is None


# --- Capturing ---------------------------------------------------------------------------------


def test_captures_are_saved_as_they_are_made_and_a_reopened_view_shows_them(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    started(incident)
    ask = incident.decisions.get()
    response = owner_client.post(
        url(incident, "captures/"),
        {
            "kind": "decision",
            "decision-text": "Restore now.",
            "decision-decided_by": "Dana Chen",
            "decision-ask": ask.pk,
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert 'role="status"' in response.content.decode()
    owner_client.post(
        url(incident, "captures/"),
        {
            "kind": "action",
            "action-text": "Brief the support team",
            "action-owner": owner.pk,
            "action-due_on": "2026-03-03",
            "action-action_kind": "communication",
        },
    )
    saved = list(Capture.objects.values_list("kind", "text", "ask_id", "owner_id", "due_on"))
    assert saved == [
        ("decision", "Restore now.", ask.pk, None, None),
        ("action", "Brief the support team", None, owner.pk, date(2026, 3, 3)),
    ]
    reopened = Client()
    reopened.force_login(owner)
    page = reopened.get(url(incident)).content.decode()
    assert "Restore now." in page and "Brief the support team" in page


def test_a_decision_cannot_answer_another_incidents_ask(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    started(incident)
    elsewhere = make_incident(owner=owner, title="Another outage")
    foreign = CeoDecision.objects.create(
        incident=elsewhere, question="Q?", options="o", trade_offs="t", recommendation="r"
    )
    data = {
        "kind": "decision",
        "decision-text": "Yes.",
        "decision-decided_by": "Dana Chen",
        "decision-ask": foreign.pk,
    }
    assert owner_client.post(url(incident, "captures/"), data).status_code == 400
    assert Capture.objects.count() == 0


def test_an_action_without_owner_or_date_is_refused_and_nothing_is_saved(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    response = owner_client.post(
        url(incident, "captures/"),
        {"kind": "action", "action-text": "Fix it", "action-action_kind": "corrective"},
        headers=HX,
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Name an owner" in page and 'id="id_action-due_on_error"' in page
    assert Capture.objects.count() == 0


def test_a_capture_can_be_removed(owner_client: Client, incident: Incident) -> None:
    presentation = started(incident)
    owner_client.post(url(incident, "captures/"), {"kind": "resources", "resources-text": "x"})
    capture = presentation.captures.get()
    owner_client.post(url(incident, "captures/remove"), {"capture": capture.pk})
    assert not presentation.captures.exists()


# --- Ending ------------------------------------------------------------------------------------


def capture_everything(client: Client, incident: Incident, owner: User) -> None:
    ask = incident.decisions.get()
    for data in [
        {
            "kind": "decision",
            "decision-text": "Restore now.",
            "decision-decided_by": "Dana Chen",
            "decision-ask": ask.pk,
        },
        {"kind": "commitment", "commitment-text": "Tell the board by Friday."},
        {
            "kind": "action",
            "action-text": "Restore the database",
            "action-owner_name": "Sam Ops",
            "action-due_on": "2026-03-03",
            "action-action_kind": "corrective",
        },
        {"kind": "resources", "resources-text": "Two engineers from payments"},
        {"kind": "cadence", "cadence-cadence_minutes": "30"},
    ]:
        assert client.post(url(incident, "captures/"), data).status_code == 302, data


def test_ending_the_meeting_writes_the_record_and_the_brief_and_link_show_it_at_once(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    started(incident)
    capture_everything(owner_client, incident, owner)
    owner_client.get(f"/b/{token}")  # cached at the old stamp
    before = brief_stamp(incident)
    response = owner_client.post(
        url(incident, "end"), {"version": incident.version, "attendees": "Dana Chen, Olivia"}
    )
    assert response["Location"] == f"/incidents/{incident.public_id}/#commitments"
    incident.refresh_from_db()
    assert brief_stamp(incident) != before
    assert incident.update_cadence_minutes == 30
    meeting = Meeting.objects.get()
    assert meeting.attendees == "Dana Chen, Olivia"
    assert meeting.resources_granted == "Two engineers from payments."
    assert meeting.presentation.ended_at is not None
    items = {(i.description, i.kind, i.owner_display()) for i in incident.action_items.all()}
    assert items == {
        ("Restore the database", ActionKind.CORRECTIVE, "Sam Ops"),
        ("Tell the board by Friday.", ActionKind.COMMUNICATION, "Olivia Owner"),
    }
    for page in [
        owner_client.get(f"/incidents/{incident.public_id}/").content.decode(),
        owner_client.get(f"/b/{token}").content.decode(),
    ]:
        assert "Decided:</strong> Restore now. (Dana Chen" in page
        assert "Restore the database" in page and "Tell the board by Friday." in page
        assert "every 30 minutes" in page
        assert "We recommend:</strong> Restore now." not in page  # the ask is closed
    screen = owner_client.get(url(incident, "screen")).content.decode()
    assert "The meeting has ended" in screen


def test_ending_on_a_stale_version_shows_the_conflict_and_keeps_the_meeting_open(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    presentation = started(incident)
    capture_everything(owner_client, incident, owner)
    stale = incident.version
    Incident.objects.filter(pk=incident.pk).update(version=stale + 1)  # someone else saved
    response = owner_client.post(url(incident, "end"), {"version": stale, "attendees": "Dana"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved" in page and "every 30 minutes" in page
    assert f'value="{stale + 1}"' in page  # saving over theirs is a second, deliberate step
    presentation.refresh_from_db()
    assert presentation.ended_at is None and presentation.captures.count() == 5
    assert not Meeting.objects.exists() and not incident.action_items.exists()
    again = owner_client.post(url(incident, "end"), {"version": stale + 1, "attendees": "Dana"})
    assert again.status_code == 302 and Meeting.objects.count() == 1


def test_nothing_can_be_captured_or_moved_after_the_meeting_ended(
    owner_client: Client, incident: Incident
) -> None:
    started(incident)
    owner_client.post(url(incident, "end"), {"version": incident.version, "attendees": "Dana"})
    data = {"kind": "resources", "resources-text": "x"}
    assert owner_client.post(url(incident, "captures/"), data).status_code == 404
    assert owner_client.post(url(incident, "show"), {"question": 1}).status_code == 404
    assert "Start the meeting" in owner_client.get(url(incident)).content.decode()


def test_an_empty_attendee_list_keeps_the_meeting_open_with_the_error(
    owner_client: Client, incident: Incident
) -> None:
    presentation = started(incident)
    response = owner_client.post(url(incident, "end"), {"version": incident.version})
    assert response.status_code == 400
    assert 'id="id_attendees_error"' in response.content.decode()
    presentation.refresh_from_db()
    assert presentation.ended_at is None
