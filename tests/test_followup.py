"""After the meeting: the record, the commitments, resolution, the RCA and the audit trail."""

import html
import io
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from pypdf import PdfReader

from briefs import dashboard_figures
from briefs.brief_content import rca_timeline
from briefs.models import ActionItem, Incident, Meeting, Status
from briefs.seed import make_estimate, make_incident
from briefs.services import (
    ActionInput,
    RcaVersionConflict,
    action_item_add,
    final_figures_store,
    rca_save,
    share_link_create,
    update_post,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
NOW = START + timedelta(hours=4)


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def escalated(owner: User, collaborator: User) -> Incident:
    incident = make_incident(
        owner=owner,
        title="Order processing outage",
        started_at=START,
        detected_at=START + timedelta(minutes=10),
        escalated_at=START + timedelta(minutes=30),
        root_cause="A payment settings change.",
        preventive_measures="Automatic checks of settings.",
    )
    incident.collaborators.add(collaborator)
    make_estimate(
        incident=incident,
        revenue_per_hour="48000",
        customers_affected=12500,
        effective_at=START,
        confidence="medium",
    )
    return incident


def url(incident: Incident, suffix: str = "") -> str:
    return f"/incidents/{incident.public_id}/{suffix}"


MEETING = {
    "held_at": "2026-03-02T09:30",
    "attendees": "CEO, CFO",
    "resources_granted": "Two engineers.",
    "cadence_minutes": "120",
    "rca_due_on": "2026-03-06",
    "decisions-TOTAL_FORMS": "2",
    "decisions-INITIAL_FORMS": "0",
    "decisions-0-decision": "Send a voucher.",
    "decisions-0-decided_by": "CEO",
    "decisions-1-decision": "Freeze releases.",
    "decisions-1-decided_by": "CFO",
    "actions-TOTAL_FORMS": "2",
    "actions-INITIAL_FORMS": "0",
    "actions-0-description": "Email affected customers",
    "actions-0-kind": "communication",
    "actions-0-owner_name": "Jamie (Care)",
    "actions-0-due_on": "2026-03-01",
    "actions-1-description": "",
}


def test_meeting_record_creates_decisions_and_action_items(
    owner_client: Client, escalated: Incident
) -> None:
    response = owner_client.post(
        url(escalated, "meeting/"), {**MEETING, "version": escalated.version}
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert [d.decided_by for d in meeting.decisions.all()] == ["CEO", "CFO"]
    descriptions = sorted(escalated.action_items.values_list("description", flat=True))
    assert descriptions == [
        "Deliver the root-cause analysis to the CEO",
        "Email affected customers",
    ]
    escalated.refresh_from_db()
    assert escalated.update_cadence_minutes == 120  # through the version-checked path
    assert escalated.version == 2


def test_a_meeting_recorded_on_a_stale_page_changes_nothing(
    owner_client: Client, escalated: Incident
) -> None:
    Incident.objects.filter(pk=escalated.pk).update(version=5)
    response = owner_client.post(url(escalated, "meeting/"), {**MEETING, "version": 1})
    assert response.status_code == 409
    assert "Someone else saved" in response.content.decode()
    assert "Send a voucher." in response.content.decode()  # nothing typed is lost
    assert Meeting.objects.count() == 0
    assert ActionItem.objects.count() == 0


def test_an_action_needs_an_owner(owner_client: Client, escalated: Incident) -> None:
    data = {**MEETING, "version": escalated.version, "actions-0-owner_name": ""}
    response = owner_client.post(url(escalated, "meeting/"), data)
    assert response.status_code == 400
    assert "Name an owner" in response.content.decode()


def test_overdue_commitments_are_highlighted_on_brief_and_executive_link(
    owner_client: Client, client: Client, escalated: Incident, owner: User
) -> None:
    action_item_add(
        incident=escalated,
        data=ActionInput(
            "Email customers", "communication", due_on=date(2026, 3, 1), owner_name="Jamie"
        ),
    )
    action_item_add(
        incident=escalated,
        data=ActionInput("Add an alert", "monitoring", due_on=date(2026, 3, 9), owner=owner),
    )
    brief = owner_client.get(url(escalated)).content.decode()
    assert '<tr class="overdue">' in brief
    assert '<strong class="overdue">Overdue</strong>' in brief
    _, token = share_link_create(incident=escalated, created_by=owner, label="CEO")
    public = client.get(f"/b/{token}").content.decode()
    assert "What we committed to" in public
    assert "Email customers" in public and "Jamie" in public
    assert '<strong class="overdue">Overdue</strong>' in public
    assert "<form" not in public  # no "Done" buttons for executives
    with time_machine.travel(datetime(2026, 3, 10, 12, tzinfo=UTC), tick=False):
        owner_client.force_login(owner)  # a week later the idle session has expired
        later = owner_client.get(url(escalated)).content.decode()
    assert later.count('<tr class="overdue">') == 2


def test_completing_an_action_stamps_the_time(owner_client: Client, escalated: Incident) -> None:
    item = action_item_add(
        incident=escalated, data=ActionInput("Email customers", "communication", owner_name="Jamie")
    )
    response = owner_client.post(url(escalated, f"actions/{item.public_id}/done"))
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.done_at == NOW


def test_a_row_of_another_incident_is_404_even_for_its_owner(
    owner_client: Client, owner: User, escalated: Incident
) -> None:
    # The owner's other incident: its rows are reached only through their own incident's URL.
    other = make_incident(owner=owner, title="Another outage")
    item = action_item_add(incident=other, data=ActionInput("x", "rca", owner_name="y"))
    link, _ = share_link_create(incident=other, created_by=owner, label="CEO")
    assert owner_client.post(url(escalated, f"actions/{item.public_id}/done")).status_code == 404
    assert owner_client.post(url(escalated, f"links/{link.public_id}/revoke")).status_code == 404
    item.refresh_from_db()
    link.refresh_from_db()
    assert item.done_at is None and link.revoked_at is None
    # Through its own incident, the same row is the owner's to change.
    assert owner_client.post(url(other, f"links/{link.public_id}/revoke")).status_code == 302
    link.refresh_from_db()
    assert link.revoked_at == NOW


def test_an_outsider_cannot_touch_commitments(outsider_client: Client, escalated: Incident) -> None:
    item = action_item_add(incident=escalated, data=ActionInput("x", "rca", owner_name="y"))
    assert outsider_client.post(url(escalated, f"actions/{item.public_id}/done")).status_code == 404
    assert (
        outsider_client.post(
            url(escalated, "actions/"), {"description": "x", "kind": "rca", "owner_name": "y"}
        ).status_code
        == 404
    )
    assert outsider_client.get(url(escalated, "meeting/")).status_code == 404
    assert outsider_client.get(url(escalated, "resolve/")).status_code == 404
    assert outsider_client.get(url(escalated, "history/")).status_code == 404


def resolve(client: Client, incident: Incident, **overrides: Any) -> Any:
    incident.refresh_from_db()
    data = {
        "version": incident.version,
        "resolved_at": "2026-03-02T10:00",
        "revenue_per_hour": "48000",
        "customers_affected": "12000",
        "confidence": "medium",
        "basis": "Measured lost orders.",
        "closing_update": "Checkout fully restored.",
        **overrides,
    }
    return client.post(url(incident, "resolve/"), data)


def test_resolution_freezes_the_cost(owner_client: Client, escalated: Incident) -> None:
    assert resolve(owner_client, escalated).status_code == 302
    escalated.refresh_from_db()
    assert escalated.status == Status.RESOLVED
    assert escalated.resolved_at == START + timedelta(hours=2)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        assert escalated.cost_so_far() == Decimal("96000.00")
    assert escalated.updates.last().what_changed == "Checkout fully restored."  # type: ignore[union-attr]


def test_resolution_cannot_be_before_the_start_or_in_the_future(
    owner_client: Client, escalated: Incident
) -> None:
    assert resolve(owner_client, escalated, resolved_at="2026-03-02T07:00").status_code == 400
    assert resolve(owner_client, escalated, resolved_at="2026-03-03T07:00").status_code == 400
    escalated.refresh_from_db()
    assert escalated.resolved_at is None


def test_the_resolved_executive_link_shows_the_follow_up_and_stops_refreshing(
    owner_client: Client, client: Client, escalated: Incident, owner: User
) -> None:
    action_item_add(
        incident=escalated, data=ActionInput("Add disk alerts", "preventive", owner=owner)
    )
    resolve(owner_client, escalated)
    _, token = share_link_create(incident=escalated, created_by=owner, label="CEO")
    content = client.get(f"/b/{token}").content.decode()
    assert "Resolved: the follow-up" in content
    assert "2 h 0 min" in content
    # One total; medium confidence allows 20% either way around it, said as an aside.
    assert "$96,000, could be $76,800–$115,200 given medium confidence" in content
    assert "12,000" in content
    assert "A payment settings change." in content
    assert "Automatic checks of settings." in content
    assert "Add disk alerts" in content
    assert "hx-trigger" not in content
    # After page 1's summary, before the full sections.
    assert content.index("Resolved: the follow-up") < content.index('id="s-what"')


def test_reopening_is_possible_and_recorded(owner_client: Client, escalated: Incident) -> None:
    resolve(owner_client, escalated)
    escalated.refresh_from_db()
    response = owner_client.post(
        url(escalated, "reopen"), {"version": escalated.version, "reason": "Errors are back."}
    )
    assert response.status_code == 302
    escalated.refresh_from_db()
    assert escalated.resolved_at is None
    assert escalated.status == Status.MITIGATING
    assert escalated.updates.last().what_changed == "Reopened: Errors are back."  # type: ignore[union-attr]
    history = owner_client.get(url(escalated, "history/")).content.decode()
    assert "Resolved at" in history


def test_rca_timeline_matches_the_updates_and_revisions(escalated: Incident, owner: User) -> None:
    for minutes, text in [(40, "First update"), (100, "Second update")]:
        update_post(
            incident=escalated,
            author=owner,
            what_changed=text,
            posted_at=START + timedelta(minutes=minutes),
            next_update_due=START + timedelta(minutes=minutes + 60),
        )
    make_estimate(
        incident=escalated, revenue_per_hour="30000", effective_at=START + timedelta(minutes=90)
    )
    events = rca_timeline(Incident.objects.get(pk=escalated.pk))
    texts = [event.text for event in events]
    assert texts == [
        "The incident started.",
        "First impact estimate: $48,000/h, 12,500 customers.",
        "We detected it.",
        "It was escalated to the CEO.",
        "First update",
        "Impact estimate revised: $30,000/h, 100 customers.",
        "Second update",
    ]


def test_the_rca_page_needs_a_resolved_incident(owner_client: Client, escalated: Incident) -> None:
    assert owner_client.get(url(escalated, "rca/")).status_code == 404


def test_writing_the_rca_and_its_pdf(
    owner_client: Client, escalated: Incident, owner: User
) -> None:
    resolve(owner_client, escalated)
    action_item_add(
        incident=escalated, data=ActionInput("Disk alerts at 70%", "preventive", owner=owner)
    )
    response = owner_client.post(
        url(escalated, "rca/"),
        {
            "root_cause": "A settings change without review.",
            "root_cause_confirmed": "on",
            "contributing_factors": "No automated check.",
            "why_not_caught": "We watched errors, not payments.",
            "went_well": "Fast rollback.",
            "went_badly": "Slow detection.",
            "version": 0,  # no RCA yet
        },
    )
    assert response.status_code == 302
    page = owner_client.get(url(escalated, "rca/")).content.decode()
    assert "Disk alerts at 70%" in page
    document = owner_client.get(url(escalated, "rca/pdf"))
    reader = PdfReader(io.BytesIO(document.content))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "ROOT-CAUSE ANALYSIS" in text
    for expected in [
        "A settings change without review.",
        "Why it was not caught earlier",
        "We watched errors, not payments.",
        "Disk alerts at 70%",
        "Checkout fully restored.",
    ]:
        assert expected in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Root-cause analysis: Order processing outage"


def test_the_rca_is_shared_through_the_same_link(
    owner_client: Client, client: Client, escalated: Incident, owner: User
) -> None:
    _, token = share_link_create(incident=escalated, created_by=owner, label="CEO")
    assert client.get(f"/b/{token}/rca").status_code == 404  # not resolved yet
    resolve(owner_client, escalated)
    escalated.refresh_from_db()
    rca_save(incident=escalated, author=owner, fields={"root_cause": "Settings change."})
    response = client.get(f"/b/{token}/rca")
    assert response.status_code == 200
    assert "Settings change." in response.content.decode()
    assert "<form" not in response.content.decode()
    assert client.get(f"/b/{token}/rca/pdf").status_code == 200


def test_each_audited_change_appears_with_old_and_new_values(
    owner_client: Client, escalated: Incident, owner: User
) -> None:
    owner_client.post(
        url(escalated, "escalate/cause/"),
        {"version": escalated.version, "nav": "back", "root_cause": "DNS after all."},
    )
    link, _ = share_link_create(incident=escalated, created_by=owner, label="Board")
    owner_client.post(url(escalated, f"links/{link.public_id}/revoke"))
    item = action_item_add(
        incident=escalated, data=ActionInput("Email customers", "communication", owner_name="Jamie")
    )
    owner_client.post(url(escalated, f"actions/{item.public_id}/done"))
    owner_client.post(
        url(escalated, "updates/"),
        {
            "what_changed": "x",
            "operating_state": "degraded",
            "next_update_due": "2026-03-02T13:00",
            "revenue_per_hour": "1000",
            "customers_affected": "5",
        },
    )
    content = owner_client.get(url(escalated, "history/")).content.decode()
    assert "Incident</strong> changed by Olivia Owner" in content
    assert "A payment settings change." in content and "DNS after all." in content
    assert "Executive link “Board”</strong> changed" in content
    assert "Revoked at" in content
    assert "Action “Email customers”</strong> changed" in content
    assert "Impact estimate of" in content


def test_nothing_in_the_app_edits_history(owner_client: Client, escalated: Incident) -> None:
    assert owner_client.post(url(escalated, "history/")).status_code == 405


def test_dashboard_figures_on_a_hand_computed_example(owner_client: Client, owner: User) -> None:
    first = make_incident(
        owner=owner,
        title="First",
        started_at=START,
        detected_at=START + timedelta(minutes=20),
        escalated_at=START + timedelta(minutes=50),
        resolved_at=START + timedelta(hours=2, minutes=50),
        status=Status.RESOLVED,
    )
    second = make_incident(
        owner=owner,
        title="Second",
        started_at=START + timedelta(hours=1),
        detected_at=START + timedelta(hours=1, minutes=40),
        escalated_at=START + timedelta(hours=2),
    )
    # First: promised 09:50, kept at 09:45; promised 10:45, posted 10:50 (late, closes the gap).
    for minutes in (105, 170):
        update_post(
            incident=first,
            author=owner,
            what_changed="u",
            posted_at=START + timedelta(minutes=minutes),
            next_update_due=START + timedelta(minutes=minutes + 60),
        )
    action_item_add(
        incident=first, data=ActionInput("overdue", "rca", due_on=date(2026, 3, 1), owner=owner)
    )
    done = action_item_add(incident=second, data=ActionInput("done", "rca", owner=owner))
    done.done_at = NOW
    done.save()
    action_item_add(
        incident=second, data=ActionInput("open", "rca", due_on=date(2026, 3, 5), owner=owner)
    )

    # Made resolved by the factory, not the service: store its figures as the resolution would.
    final_figures_store(incident=first)

    today = date(2026, 3, 2)
    rows = {
        f.incident.title: f
        for f in [
            dashboard_figures.resolved_figures(
                Incident.objects.with_action_counts(today).get(pk=first.pk)
            ),
            dashboard_figures.open_figures(
                Incident.objects.with_action_counts(today)
                .prefetch_related("updates", "estimates")
                .get(pk=second.pk),
                now=NOW,
            ),
        ]
    }
    assert rows["First"].to_detect == timedelta(minutes=20)
    assert rows["First"].to_escalate == timedelta(minutes=30)
    assert rows["First"].to_resolve == timedelta(hours=2)
    assert (rows["First"].kept, rows["First"].promised) == (1, 2)
    assert (rows["First"].open_actions, rows["First"].overdue_actions) == (1, 1)
    # Second: escalated 10:00, promised 11:00, nothing posted by 12:00: one promise, missed.
    assert (rows["Second"].kept, rows["Second"].promised) == (0, 1)
    assert (rows["Second"].open_actions, rows["Second"].overdue_actions) == (1, 0)
    escalated = Incident.objects.exclude(status=Status.DRAFT)
    total = dashboard_figures.totals(
        open_rows=[rows["Second"]],
        sums=escalated.dashboard_totals(today=today, weeks=[]),
        durations=list(escalated.stage_durations()),
    )
    assert total.median_to_detect == timedelta(minutes=30)
    assert total.median_to_escalate == timedelta(minutes=25)
    assert total.median_to_resolve == timedelta(hours=2)
    assert total.on_time_share == pytest.approx(1 / 3)
    assert (total.open_actions, total.overdue_actions) == (2, 1)

    content = owner_client.get("/").content.decode()
    assert "1 of 3 (33%)" in content
    assert '2, <span class="overdue">1 overdue</span>' in content
    assert "2 incidents started in the last 12 weeks" in content


def test_dashboard_query_count_does_not_grow_with_incidents(
    owner_client: Client, owner: User, django_assert_max_num_queries: Any
) -> None:
    for number in range(30):
        incident = make_incident(owner=owner, title=f"#{number}")
        make_estimate(incident=incident)
        action_item_add(incident=incident, data=ActionInput("x", "rca", owner=owner))
    # The first request after logging in also pushes the session's idle expiry back, which
    # happens once every few minutes (briefs.middleware): count a request after it.
    owner_client.get("/")
    with django_assert_max_num_queries(12):
        assert owner_client.get("/").status_code == 200


# --- Two editors at once: the second gets the conflict page, nothing is overwritten -----------


def _resubmit(page: str) -> dict[str, str]:
    """The conflict page's "Save my version over theirs" form, as the browser would post it."""
    form = page[page.index('<form method="post"') :]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in fields}


@pytest.fixture
def second(collaborator: User) -> Client:
    client = Client()
    client.force_login(collaborator)
    return client


def _page_version(client: Client, path: str) -> str:
    page = client.get(path).content.decode()
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found, path
    return found.group(1)


RCA = {
    "root_cause": "Theirs: a settings change.",
    "contributing_factors": "No review.",
    "why_not_caught": "",
    "went_well": "",
    "went_badly": "",
}


@pytest.mark.parametrize("already_written", [False, True])
def test_two_architects_saving_the_rca_the_second_gets_the_conflict_page(
    owner_client: Client, second: Client, escalated: Incident, owner: User, already_written: bool
) -> None:
    resolve(owner_client, escalated)
    if already_written:
        rca_save(incident=escalated, author=owner, fields={"root_cause": "A first draft."})
    rca_url = url(escalated, "rca/")
    first_version = _page_version(owner_client, rca_url)
    second_version = _page_version(second, rca_url)
    assert first_version == second_version == ("1" if already_written else "0")

    saved = owner_client.post(rca_url, {**RCA, "version": first_version})
    assert saved.status_code == 302
    conflict = second.post(
        rca_url, {**RCA, "root_cause": "Mine: a config push.", "version": second_version}
    )

    assert conflict.status_code == 409
    page = conflict.content.decode()
    assert "Theirs: a settings change." in page
    assert "Mine: a config push." in page
    escalated.refresh_from_db()
    assert escalated.rca.root_cause == "Theirs: a settings change."
    # Saving over theirs is a second, deliberate step, and then it wins.
    resubmit = _resubmit(page)
    assert resubmit["root_cause"] == "Mine: a config push."
    assert second.post(rca_url, resubmit).status_code == 302
    escalated.refresh_from_db()
    assert escalated.rca.root_cause == "Mine: a config push."
    assert escalated.rca.version == int(first_version) + 2


def test_two_architects_recording_the_meeting_the_second_gets_the_conflict_page(
    owner_client: Client, second: Client, escalated: Incident
) -> None:
    meeting_url = url(escalated, "meeting/")
    first_version = _page_version(owner_client, meeting_url)
    second_version = _page_version(second, meeting_url)
    assert owner_client.post(meeting_url, {**MEETING, "version": first_version}).status_code == 302
    conflict = second.post(
        meeting_url,
        {**MEETING, "attendees": "CEO, COO", "cadence_minutes": "30", "version": second_version},
    )
    assert conflict.status_code == 409
    page = conflict.content.decode()
    assert "CEO, CFO" in page and "CEO, COO" in page
    assert "every 2 hours" in page and "every 30 minutes" in page
    assert list(Meeting.objects.values_list("attendees", flat=True)) == ["CEO, CFO"]
    escalated.refresh_from_db()
    assert escalated.update_cadence_minutes == 120


def test_two_architects_resolving_the_second_gets_the_conflict_page(
    owner_client: Client, second: Client, escalated: Incident
) -> None:
    resolve_url = url(escalated, "resolve/")
    first_version = _page_version(owner_client, resolve_url)
    second_version = _page_version(second, resolve_url)
    assert resolve(owner_client, escalated, version=first_version).status_code == 302
    estimates = escalated.estimates.count()
    conflict = resolve(
        second, escalated, version=second_version, closing_update="Mine: all clear at 10:05."
    )
    assert conflict.status_code == 409
    page = conflict.content.decode()
    assert "Checkout fully restored." in page
    assert "Mine: all clear at 10:05." in page
    assert escalated.estimates.count() == estimates
    texts = list(escalated.updates.values_list("what_changed", flat=True))
    assert texts == ["Checkout fully restored."]


def test_two_architects_reopening_the_second_gets_the_conflict_page(
    owner_client: Client, second: Client, escalated: Incident
) -> None:
    resolve(owner_client, escalated)
    brief = url(escalated)
    first_version = _page_version(owner_client, brief)
    second_version = _page_version(second, brief)
    reopen_url = url(escalated, "reopen")
    first = owner_client.post(reopen_url, {"version": first_version, "reason": "Errors are back."})
    assert first.status_code == 302
    conflict = second.post(reopen_url, {"version": second_version, "reason": "Payments fail."})
    assert conflict.status_code == 409
    page = conflict.content.decode()
    assert "Reopened: Errors are back." in page
    assert "Reopened: Payments fail." in page
    reopened = escalated.updates.filter(what_changed__startswith="Reopened")
    assert list(reopened.values_list("what_changed", flat=True)) == ["Reopened: Errors are back."]


def test_two_architects_adding_and_completing_action_items_lose_nothing(
    owner_client: Client, second: Client, escalated: Incident, owner: User
) -> None:
    """Action items are only added and ticked off, never edited: no version is needed, and
    neither editor's work replaces the other's."""
    actions_url = url(escalated, "actions/")
    for client, text in [(owner_client, "Add disk alerts"), (second, "Review the runbook")]:
        data = {"description": text, "kind": "preventive", "owner": owner.pk}
        assert client.post(actions_url, data).status_code == 302
    items = list(escalated.action_items.order_by("description"))
    assert [item.description for item in items] == ["Add disk alerts", "Review the runbook"]
    done_url = url(escalated, f"actions/{items[0].public_id}/done")
    assert owner_client.post(done_url).status_code == 302
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        assert second.post(done_url).status_code == 302
    items[0].refresh_from_db()
    assert items[0].done_at == NOW  # the first completion stands


def test_an_rca_save_on_a_stale_version_raises_and_writes_nothing(
    escalated: Incident, owner: User, collaborator: User
) -> None:
    rca_save(incident=escalated, author=owner, fields={"root_cause": "Theirs."}, expected_version=0)
    with pytest.raises(RcaVersionConflict) as conflict:
        rca_save(
            incident=escalated,
            author=collaborator,
            fields={"root_cause": "Mine."},
            expected_version=0,
        )
    assert conflict.value.current is not None
    assert conflict.value.current.root_cause == "Theirs."
    escalated.refresh_from_db()
    assert (escalated.rca.root_cause, escalated.rca.version) == ("Theirs.", 1)
