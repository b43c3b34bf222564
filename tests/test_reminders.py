"""Reminders that keep the update promise (issue 16): when they are scheduled, what silences
them, that each goes out once, the mail, and the banner on every architect page."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.tasks import default_task_backend
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings

from briefs.models import (
    Delivery,
    DeliveryStatus,
    Incident,
    ReminderKind,
    Severity,
    Status,
    UpdatePromise,
    UpdateReminder,
)
from briefs.notices import NoticeKind
from briefs.reminders import due_updates_for, enqueue_missed, promise_track, remind
from briefs.seed import make_incident, make_user
from briefs.services import (
    EstimateInput,
    incident_mark_escalated,
    incident_reopen,
    incident_resolve,
    incident_step_save,
    meeting_record,
    update_post,
)
from briefs.tasks import send_update_reminder
from tests.factories import PASSWORD

NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
DUE = datetime(2026, 3, 2, 14, 55, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("frozen")

Capture = Callable[..., Any]


@pytest.fixture
def queue(settings: Settings) -> Iterator[list[Any]]:
    """A queue that keeps what is enqueued, deferred jobs included, without running it."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    results: list[Any] = default_task_backend.results  # type: ignore[attr-defined]
    results.clear()
    yield results


def _scheduled(results: list[Any]) -> list[tuple[str, datetime | None, list[Any]]]:
    """The reminders enqueued (a change also enqueues its PDF's render)."""
    return [
        (r.task.name, r.task.run_after, r.args)
        for r in results
        if r.task.name == "send_update_reminder"
    ]


@pytest.fixture
def owner_with_email(owner: User) -> User:
    owner.email = "olivia@example.com"
    owner.save()
    return owner


@pytest.fixture
def collaborator_with_email(collaborator: User) -> User:
    collaborator.email = "colin@example.com"
    collaborator.save()
    return collaborator


def _post(incident: Incident, *, due: datetime, at: datetime = NOW) -> None:
    update_post(
        incident=incident,
        author=incident.owner,
        what_changed="Rolled back the payment gateway.",
        next_update_due=due,
        posted_at=at,
    )


def _remind(incident: Incident, kind: ReminderKind, *, due: datetime = DUE, seq: int = 1) -> str:
    """Run the reminder as its job would, and the mails it queues once that commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return remind(incident_id=incident.pk, kind=kind, due_at=due, after_sequence=seq)


# --- Scheduling ------------------------------------------------------------------------------


def test_escalating_schedules_a_reminder_before_the_first_promise_and_one_at_it(
    owner: User, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    draft = make_incident(owner=owner, status=Status.DRAFT, escalated_at=None)
    draft.update_cadence_minutes = 30
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        incident_mark_escalated(incident=draft, now=NOW)
    due = NOW + timedelta(minutes=30)
    assert _scheduled(queue) == [
        (
            "send_update_reminder",
            due - timedelta(minutes=10),
            [draft.pk, "reminder_due", due.isoformat(), 0],
        ),
        ("send_update_reminder", due, [draft.pk, "reminder_overdue", due.isoformat(), 0]),
    ]
    assert UpdatePromise.objects.get(incident=draft).due_at == due


def test_posting_an_update_schedules_the_reminders_of_its_promise(
    incident: Incident,
    queue: list[Any],
    settings: Settings,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    settings.REMINDER_LEAD_MINUTES = 15
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, due=DUE)
    assert _scheduled(queue) == [
        (
            "send_update_reminder",
            DUE - timedelta(minutes=15),
            [incident.pk, "reminder_due", DUE.isoformat(), 1],
        ),
        ("send_update_reminder", DUE, [incident.pk, "reminder_overdue", DUE.isoformat(), 1]),
    ]


def test_a_new_cadence_in_the_meeting_moves_the_first_promise_and_its_reminders(
    owner: User, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    incident = make_incident(owner=owner, escalated_at=NOW - timedelta(minutes=10))
    promise_track(incident_id=incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_record(
            incident=incident,
            recorded_by=owner,
            expected_version=incident.version,
            held_at=NOW,
            attendees="CEO",
            decisions=[],
            actions=[],
            cadence_minutes=30,
        )
    due = NOW + timedelta(minutes=20)
    assert [run_after for _, run_after, _ in _scheduled(queue)] == [
        NOW + timedelta(minutes=10),
        due,
    ]
    assert UpdatePromise.objects.get(incident=incident).due_at == due


def test_editing_an_escalated_incidents_cadence_moves_the_first_promise(
    owner: User, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    incident = make_incident(owner=owner, escalated_at=NOW)
    promise_track(incident_id=incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        incident_step_save(
            incident=incident,
            author=owner,
            step="resources",
            expected_version=incident.version,
            fields={"update_cadence_minutes": 45},
        )
    due = NOW + timedelta(minutes=45)
    assert [run_after for _, run_after, _ in _scheduled(queue)] == [
        due - timedelta(minutes=10),
        due,
    ]


def test_reopening_makes_a_new_promise_with_its_reminders(
    incident: Incident, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    _post(incident, due=DUE)
    _resolve(incident)
    incident.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(
            incident=incident,
            author=incident.owner,
            expected_version=incident.version,
            reason="Back.",
        )
    due = NOW + timedelta(minutes=incident.update_cadence_minutes)
    assert UpdatePromise.objects.get(incident=incident).due_at == due
    assert [run_after for _, run_after, _ in _scheduled(queue)] == [
        due - timedelta(minutes=10),
        due,
    ]


def test_a_promise_already_late_schedules_only_the_overdue_reminder_now(
    owner: User, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    incident = make_incident(owner=owner, escalated_at=NOW - timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        promise_track(incident_id=incident.pk)
    late = NOW - timedelta(hours=1)
    assert _scheduled(queue) == [
        ("send_update_reminder", NOW, [incident.pk, "reminder_overdue", late.isoformat(), 0])
    ]


def test_a_promise_that_did_not_move_schedules_nothing_more(
    incident: Incident, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, due=DUE)
        promise_track(incident_id=incident.pk)
        promise_track(incident_id=incident.pk)
    assert len(_scheduled(queue)) == 2


def test_resolving_ends_the_promise_and_schedules_nothing(
    incident: Incident, queue: list[Any], django_capture_on_commit_callbacks: Capture
) -> None:
    _post(incident, due=DUE)
    assert UpdatePromise.objects.filter(incident=incident).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _resolve(incident)
    assert not UpdatePromise.objects.filter(incident=incident).exists()
    assert _scheduled(queue) == []


def test_without_a_queue_that_can_defer_nothing_is_scheduled_and_the_post_works(
    incident: Incident, django_capture_on_commit_callbacks: Capture
) -> None:
    # The immediate backend (tests' default, a box without a worker) would send at once.
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, due=DUE)
    assert mail.outbox == []
    assert UpdatePromise.objects.get(incident=incident).due_at == DUE


def _resolve(incident: Incident) -> None:
    incident.refresh_from_db()
    incident_resolve(
        incident=incident,
        author=incident.owner,
        expected_version=incident.version,
        resolved_at=NOW,
        estimate=EstimateInput(
            revenue_per_hour=Decimal(0), customers_affected=0, confidence="high"
        ),
        closing_update="Fixed.",
        now=NOW,
    )


# --- When it runs: silenced, sent once ---------------------------------------------------------


def test_the_due_reminder_mails_owner_and_collaborators_with_the_time_in_the_incident_zone(
    owner_with_email: User, collaborator_with_email: User, incident: Incident, outsider: User
) -> None:
    incident.time_zone = "Europe/Berlin"
    incident.severity = Severity.SEV1
    incident.title = "Order processing\noutage"
    incident.save()
    outsider.email = "oscar@example.com"
    outsider.save()
    _post(incident, due=DUE)
    with time_machine.travel(DUE - timedelta(minutes=10), tick=False):
        assert _remind(incident, ReminderKind.DUE) == "queued"
    assert sorted(m.to[0] for m in mail.outbox) == [
        "Olivia Owner <olivia@example.com>",
        "collaborator <colin@example.com>",
    ]
    message = mail.outbox[0]
    # 14:55 UTC is 15:55 in Berlin in March; the title's line break never makes a header.
    assert message.subject == "[SEV1] Update due at 15:55 CET: Order processing outage"
    assert "The next update to the CEO is due at 15:55 CET, in 10 min." in message.body
    link = f"http://testserver-site/incidents/{incident.public_id}/#update-form"
    assert f"Post the update: {link}" in message.body
    assert isinstance(message, EmailMultiAlternatives)
    html = message.alternatives[0][0]
    assert f'href="{link}"' in str(html)
    reminder = UpdateReminder.objects.get()
    assert (reminder.kind, reminder.recipients) == (ReminderKind.DUE, 2)
    # Recorded by the notification engine, as every message is.
    sent = Delivery.objects.filter(trigger=NoticeKind.REMINDER_DUE, status=DeliveryStatus.SENT)
    assert sorted(sent.values_list("recipient_address", flat=True)) == [
        "colin@example.com",
        "olivia@example.com",
    ]


@pytest.fixture(autouse=True)
def site_url(settings: Settings) -> None:
    settings.SITE_URL = "http://testserver-site"


def test_the_overdue_reminder_says_how_late(owner_with_email: User, incident: Incident) -> None:
    _post(incident, due=DUE)
    with time_machine.travel(DUE + timedelta(minutes=12), tick=False):
        assert _remind(incident, ReminderKind.OVERDUE) == "queued"
    [message] = mail.outbox
    assert message.subject == "[SEV1] Update overdue by 12 min (due 14:55 UTC): Checkout outage"
    assert "Overdue by: 12 min" in message.body


def test_an_update_posted_before_the_reminder_runs_silences_it(
    owner_with_email: User, incident: Incident
) -> None:
    _post(incident, due=DUE)
    _post(incident, due=DUE, at=NOW + timedelta(minutes=30))  # same time, a new promise
    with time_machine.travel(DUE, tick=False):
        assert _remind(incident, ReminderKind.OVERDUE, seq=1) == "silenced"
    assert mail.outbox == []
    assert not UpdateReminder.objects.exists()


def test_a_new_promise_silences_the_old_ones_reminder(owner_with_email: User, owner: User) -> None:
    incident = make_incident(owner=owner, escalated_at=NOW)
    first_due = NOW + timedelta(minutes=60)
    incident.update_cadence_minutes = 30
    incident.save()
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        assert _remind(incident, ReminderKind.DUE, due=first_due, seq=0) == "silenced"
        assert (
            _remind(incident, ReminderKind.DUE, due=NOW + timedelta(minutes=30), seq=0) == "queued"
        )
    assert len(mail.outbox) == 1


def test_the_resolution_silences_the_overdue_reminder(
    owner_with_email: User, incident: Incident
) -> None:
    _post(incident, due=DUE)
    _resolve(incident)
    with time_machine.travel(DUE, tick=False):
        assert _remind(incident, ReminderKind.OVERDUE) == "silenced"
    assert mail.outbox == []


def test_a_reminder_run_twice_or_scheduled_twice_goes_out_once(
    owner_with_email: User, incident: Incident
) -> None:
    _post(incident, due=DUE)
    args: tuple[int, str, str, int] = (incident.pk, "reminder_due", DUE.isoformat(), 1)
    overdue: tuple[int, str, str, int] = (incident.pk, "reminder_overdue", DUE.isoformat(), 1)
    with (
        time_machine.travel(DUE - timedelta(minutes=10), tick=False),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        assert send_update_reminder.call(*args) == "queued"
        assert send_update_reminder.call(*args) == "already sent"
    assert len(mail.outbox) == 1
    with time_machine.travel(DUE, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        assert send_update_reminder.call(*overdue) == "queued"
    assert len(mail.outbox) == 2


def test_the_database_refuses_a_second_reminder_for_one_promise_and_kind(
    incident: Incident,
) -> None:
    fields = {"incident": incident, "kind": ReminderKind.DUE, "due_at": DUE, "after_sequence": 1}
    UpdateReminder.objects.create(**fields)
    with pytest.raises(IntegrityError, match="update_reminder_once|UNIQUE"), transaction.atomic():
        UpdateReminder.objects.create(**fields)
    refused = []
    for kind in ["reminder_due", "digest"]:
        try:
            with transaction.atomic():
                UpdateReminder.objects.create(**{**fields, "kind": kind, "after_sequence": 9})
            refused.append((kind, False))
        except IntegrityError as error:
            refused.append((kind, "reminder_kind_valid" in str(error)))
    assert refused == [("reminder_due", False), ("digest", True)]


# --- The banner ------------------------------------------------------------------------------


def _banner_of(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    start = page.find('<div id="due-updates"')
    if start < 0:
        return ""
    # An empty banner closes at once; one that speaks ends with its list.
    empty_end = page.index("</div>", start)
    list_start = page.find("<ul>", start)
    if list_start < 0 or list_start > empty_end:
        return page[start:empty_end]
    return page[start : page.index("</ul>", start)]


def test_the_banner_shows_the_update_due_soon_on_the_dashboard_and_the_brief(
    incident: Incident, owner_client: Client
) -> None:
    _post(incident, due=DUE)
    brief = f"/incidents/{incident.public_id}/"
    assert "Update due" not in _banner_of(owner_client, "/")  # 55 min away: not yet
    with time_machine.travel(DUE - timedelta(minutes=8), tick=False):
        for url in ["/", brief, brief]:  # the brief twice: drawn, then from its cache
            banner = _banner_of(owner_client, url)
            assert "Update due for Checkout outage at 14:55 UTC (in 8 min)" in banner, url
            assert f'href="{brief}#update-form"' in banner


def test_the_banner_says_how_late_an_overdue_update_is(
    incident: Incident, owner_client: Client
) -> None:
    _post(incident, due=DUE)
    with time_machine.travel(DUE + timedelta(minutes=12, seconds=20), tick=False):
        banner = _banner_of(owner_client, "/")
    assert "Update overdue for Checkout outage: due at 14:55 UTC, overdue by 12 min" in banner


def test_the_banner_shows_for_collaborators_and_not_for_others_nor_on_the_executive_link(
    incident: Incident, collaborator: User, client: Client, executive_token: str
) -> None:
    _post(incident, due=DUE)
    outsider = make_user(username="someone", password=PASSWORD)
    with time_machine.travel(DUE - timedelta(minutes=5), tick=False):
        executive_page = client.get(f"/b/{executive_token}").content.decode()
        assert "Update due for" not in executive_page
        assert 'id="due-updates"' not in executive_page
        client.force_login(collaborator)
        assert "Update due for Checkout outage" in _banner_of(client, "/")
        client.force_login(outsider)
        assert "Update due" not in _banner_of(client, "/")


def test_the_cached_brief_follows_the_promises_of_the_viewers_other_incidents(
    incident: Incident, owner_client: Client
) -> None:
    other = make_incident(owner=incident.owner, title="Search outage")
    _post(incident, due=DUE)
    _post(other, due=DUE + timedelta(minutes=5))
    brief = f"/incidents/{incident.public_id}/"
    with time_machine.travel(DUE - timedelta(minutes=5), tick=False):
        before = _banner_of(owner_client, brief)
        _post(other, due=DUE + timedelta(hours=1), at=DUE - timedelta(minutes=5))
        after = _banner_of(owner_client, brief)
    assert "Search outage" in before and "Checkout outage" in before
    # The other incident's update moved nothing this page's key follows: the banner still knew.
    assert "Search outage" not in after and "Checkout outage" in after


def test_the_banner_costs_one_query_however_many_incidents_are_due(
    owner: User, collaborator: User, django_assert_num_queries: Any
) -> None:
    for title in ["Checkout outage", "Search outage", "Billing outage"]:
        incident = make_incident(owner=owner, title=title)
        incident.collaborators.add(collaborator)
        _post(incident, due=DUE)
    with django_assert_num_queries(1):
        due = due_updates_for(collaborator, now=DUE - timedelta(minutes=1))
    assert len(due) == 3


def test_posting_the_update_with_htmx_clears_the_banner_out_of_band(
    incident: Incident, owner_client: Client
) -> None:
    _post(incident, due=DUE)
    with time_machine.travel(DUE - timedelta(minutes=5), tick=False):
        assert "Update due for" in _banner_of(owner_client, "/")
        response = owner_client.post(
            f"/incidents/{incident.public_id}/updates/",
            {
                "what_changed": "Payments flow again.",
                "operating_state": "degraded",
                "next_update_due": "2026-03-02T15:50",
            },
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200, response.content.decode()[:2000]
    page = response.content.decode()
    start = page.index('<div id="due-updates"')
    swapped = page[start : page.index("</div>", start)]
    assert 'hx-swap-oob="true"' in swapped
    assert "Update due" not in swapped


def test_the_worker_sweep_enqueues_a_reminder_whose_job_was_lost(
    incident: Incident, queue: list[Any], settings: Settings
) -> None:
    settings.TASK_LEASE_SECONDS = 60
    _post(incident, due=DUE)  # its jobs never reached the queue (no commit here)
    due_run = DUE - timedelta(minutes=10)
    with time_machine.travel(due_run + timedelta(seconds=59), tick=False):
        assert enqueue_missed() == 0  # not a lease late yet: its job may still be coming
    with time_machine.travel(due_run + timedelta(seconds=61), tick=False):
        assert enqueue_missed() == 1
        assert _remind(incident, ReminderKind.DUE) == "queued"
        assert enqueue_missed() == 0  # claimed: nothing more
    with time_machine.travel(DUE + timedelta(minutes=5), tick=False):
        assert enqueue_missed() == 1
    assert [(args[1], run_after) for _, run_after, args in _scheduled(queue)] == [
        ("reminder_due", None),
        ("reminder_overdue", None),
    ]


def test_the_brief_key_names_the_soonest_promise_due_of_the_viewers_incidents(
    incident: Incident, owner: User, collaborator: User, outsider: User
) -> None:
    other = make_incident(owner=collaborator, title="Search outage")
    _post(incident, due=DUE)
    _post(other, due=DUE - timedelta(minutes=3))
    with time_machine.travel(DUE - timedelta(minutes=9), tick=False):
        soonest = {
            user.get_username(): key.due_soonest
            for user in [owner, collaborator]
            if (key := Incident.objects.brief_key_for(user, incident.public_id)) is not None
        }
    # The collaborator owns the other incident, due first; the owner sees only their own.
    assert soonest == {"owner": DUE, "collaborator": DUE - timedelta(minutes=3)}
    with time_machine.travel(DUE - timedelta(minutes=11), tick=False):
        key = Incident.objects.brief_key_for(owner, incident.public_id)
    assert key is not None and key.due_soonest is None
    assert Incident.objects.brief_key_for(outsider, incident.public_id) is None


def test_the_cached_brief_costs_no_query_more_while_nothing_is_due(
    incident: Incident, owner_client: Client
) -> None:
    _post(incident, due=DUE)
    brief = f"/incidents/{incident.public_id}/"
    owner_client.get(brief)  # drawn once, then from the cache
    with CaptureQueriesContext(connection) as quiet:
        assert "Update due" not in _banner_of(owner_client, brief)
    with time_machine.travel(DUE - timedelta(minutes=5), tick=False):
        owner_client.get(brief)
        with CaptureQueriesContext(connection) as due:
            assert "Update due" in _banner_of(owner_client, brief)
    assert len(due) == len(quiet) + 1  # the banner's own query, only while one is due


def test_the_banner_names_the_five_most_urgent_updates(owner: User) -> None:
    for minutes in range(6):
        incident = make_incident(owner=owner, title=f"Outage {minutes}")
        _post(incident, due=DUE - timedelta(minutes=minutes))
    due = due_updates_for(owner, now=DUE)
    assert [d.title for d in due] == [f"Outage {n}" for n in [5, 4, 3, 2, 1]]
    assert [d.overdue_by for d in due] == ["5 min", "4 min", "3 min", "2 min", "1 min"]
