"""The meeting with the CEO's summary (issues 16 and 18): recorded through the follow-up form or
ended on the presenter view, it reaches every receiving subscriber and chat target once, through
the real notification engine (locmem outbox), with its decisions, actions, cadence and the next
update's time in the incident's zone."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from briefs import chat, notifications, services
from briefs.models import CeoDecision, Delivery, DeliveryStatus, Incident, Meeting, Subscriber
from briefs.notices import NoticeKind
from briefs.seed import make_estimate, make_incident
from tests.test_followup import MEETING
from tests.test_present import ASK, capture_everything, started
from tests.test_present import url as present_url

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 13:00 CET in Paris

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def incident(owner: User) -> Incident:
    incident = make_incident(
        owner=owner,
        title="Order processing outage",
        time_zone="Europe/Paris",
        escalated_at=NOW - timedelta(minutes=10),
    )
    make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=12500)
    CeoDecision.objects.create(
        incident=incident,
        question=ASK,
        options="Restore now, or wait for a newer copy.",
        trade_offs="Six hours of data against a longer outage.",
        recommendation="Restore now.",
    )
    return incident


def subscribe(incident: Incident, owner: User, name: str, email: str) -> Subscriber:
    return services.subscriber_add(
        incident=incident, created_by=owner, name=name, email=email, cadence="each_update"
    )


@pytest.fixture
def dana(incident: Incident, owner: User) -> Subscriber:
    return subscribe(incident, owner, "Dana Chen", "ceo@example.com")


@pytest.fixture
def gone(incident: Incident, owner: User) -> Subscriber:
    subscriber = subscribe(incident, owner, "Former CFO", "cfo@example.com")
    services.subscriber_unsubscribe(subscriber=subscriber)
    return subscriber


def summaries() -> list[Any]:
    return [m for m in mail.outbox if "Meeting with the CEO" in m.subject]


def test_ending_the_meeting_mails_each_subscriber_its_summary_once(
    owner_client: Client,
    incident: Incident,
    owner: User,
    dana: Subscriber,
    gone: Subscriber,
    django_capture_on_commit_callbacks: Any,
) -> None:
    started(incident)
    capture_everything(owner_client, incident, owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            present_url(incident, "end"), {"version": incident.version, "attendees": "Dana Chen"}
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["Dana Chen <ceo@example.com>"]
    assert message.subject == (
        "[SEV1] Meeting with the CEO on Order processing outage: 1 decision, 2 action items"
    )
    body = message.body
    assert f"Decided (Dana Chen): Restore now. Answers: {ASK}" in body
    assert "Action: Restore the database (Sam Ops, due 3 Mar 2026)" in body
    assert "Action: Tell the board by Friday. (Olivia Owner, no due date)" in body
    assert "Resources granted: Two engineers from payments." in body
    assert "Update cadence: every 30 min" in body
    # Escalated at 11:50 UTC with nothing posted: the next update is one new cadence later.
    assert "Next update: 13:20 CET" in body
    assert notifications.link_url(notifications.subscriber_token(dana)) in body
    html, _mimetype = message.alternatives[0]  # type: ignore[attr-defined]
    assert "Restore the database" in html and "13:20 CET" in html
    [delivery] = Delivery.objects.filter(trigger=NoticeKind.MEETING)
    assert (delivery.subscriber, delivery.status) == (dana, DeliveryStatus.SENT)

    # Once per meeting: queued again (a retried request, a second call), nothing more leaves.
    with django_capture_on_commit_callbacks(execute=True):
        again = notifications.queue_meeting(meeting=Meeting.objects.get())
        notifications.send_due()
    assert again == []
    assert len(summaries()) == 1


def test_the_follow_up_form_mails_the_summary_and_not_to_the_unsubscribed(
    owner_client: Client,
    incident: Incident,
    dana: Subscriber,
    gone: Subscriber,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/incidents/{incident.public_id}/meeting/", {**MEETING, "version": incident.version}
        )

    assert response.status_code == 302
    [message] = summaries()
    assert len(mail.outbox) == 1
    assert message.to == ["Dana Chen <ceo@example.com>"]
    body = message.body
    assert "Decided (CEO): Send a voucher." in body
    assert "Decided (CFO): Freeze releases." in body
    assert "Action: Email affected customers (Jamie (Care), due 1 Mar 2026)" in body
    assert "Action: Deliver the root-cause analysis to the CEO (Olivia Owner, due 6 Mar" in body
    assert "Resources granted: Two engineers." in body
    assert "Update cadence: every 2 h" in body
    assert "Next update: 14:50 CET" in body
    assert not Delivery.objects.filter(subscriber=gone, trigger=NoticeKind.MEETING).exists()


def test_chat_targets_get_the_meeting_summary(
    owner_client: Client,
    incident: Incident,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    target = chat.ChatTarget(
        key="slack:abc", channel="slack", label="Slack: #exec", url="https://hooks.example"
    )
    sent: list[Any] = []
    monkeypatch.setattr(chat, "targets_for", lambda incident: [target])
    monkeypatch.setattr(chat, "send", lambda target, notice: sent.append(notice))

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            f"/incidents/{incident.public_id}/meeting/", {**MEETING, "version": incident.version}
        )

    [notice] = sent
    assert notice.kind == NoticeKind.MEETING
    assert "Decided (CEO): Send a voucher." in notice.paragraphs
    assert ("Next update", "14:50 CET") in notice.facts
    assert notice.link_url.startswith("http://127.0.0.1:8000/b/")
