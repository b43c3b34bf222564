"""Notifications (issue 16): subscribers, what each moment sends, once, and unsubscribing."""

from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from briefs import chat, notifications, services
from briefs.models import (
    Delivery,
    DeliveryStatus,
    Incident,
    ShareLink,
    Subscriber,
    SubscriberCadence,
)
from briefs.notices import NoticeKind


def _subscribe(incident: Incident, owner: User, **fields: Any) -> Subscriber:
    values: dict[str, Any] = {"name": "Dana Chen", "email": "ceo@example.com"}
    values["cadence"] = SubscriberCadence.EACH_UPDATE
    values.update(fields)
    return services.subscriber_add(incident=incident, created_by=owner, **values)


def _post(incident: Incident, owner: User, text: str = "Rolled back the deploy.") -> Any:
    return services.update_post(
        incident=incident,
        author=owner,
        what_changed=text,
        next_update_due=timezone.now() + timedelta(hours=1),
    )


def test_a_new_subscriber_of_an_escalated_incident_gets_the_brief_with_their_own_link(
    incident: Incident, owner: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = _subscribe(incident, owner)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["Dana Chen <ceo@example.com>"]
    assert message.subject.startswith("[SEV1] Checkout outage: $")
    assert "so far" in message.subject
    url = notifications.link_url(notifications.subscriber_token(subscriber))
    assert url in message.body
    # The link opens the brief without an account; the database never held the token.
    path = url.removeprefix("http://127.0.0.1:8000")
    assert client.get(path).status_code == 200
    token = path.rsplit("/", 1)[1]
    assert not ShareLink.objects.filter(token_hash=token).exists()
    assert subscriber.share_link.token_hash == ShareLink.hash_token(token)


def test_an_update_mails_each_subscriber_once_with_what_changed(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(incident, owner)
    _subscribe(incident, owner, name="Sam Board", email="board@example.com")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = _post(incident, owner, "Rolled back the payment gateway deploy.")
    assert sorted(m.to[0] for m in mail.outbox) == [
        "Dana Chen <ceo@example.com>",
        "Sam Board <board@example.com>",
    ]
    assert all("Rolled back the payment gateway deploy." in m.body for m in mail.outbox)
    rows = Delivery.objects.filter(update=update)
    assert {row.status for row in rows} == {DeliveryStatus.SENT}
    assert {row.attempts for row in rows} == {1}


def test_running_a_delivery_twice_sends_it_once(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(incident, owner)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = _post(incident, owner)
    delivery = Delivery.objects.get(update=update)
    assert notifications.deliver(delivery.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


def test_a_delivery_left_sending_by_a_dead_worker_is_not_sent_again(
    incident: Incident, owner: User, settings: Any
) -> None:
    _subscribe(incident, owner)
    update = _post(incident, owner)  # nothing enqueued: the commit never happens here
    delivery = Delivery.objects.get(update=update)
    mail.outbox.clear()
    # A worker claimed it and died before it could say whether the mail left.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING,
        attempts=1,
        claimed_at=timezone.now() - timedelta(seconds=settings.TASK_LEASE_SECONDS + 1),
    )
    assert notifications.deliver(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert "not sent again" in delivery.last_error
    assert mail.outbox == []


def test_the_same_message_is_recorded_once_per_recipient(incident: Incident, owner: User) -> None:
    subscriber = _subscribe(incident, owner)
    update = _post(incident, owner)
    again = notifications._save_and_enqueue(
        [
            notifications._subscriber_row(
                subscriber, NoticeKind.UPDATE, str(update.pk), update=update
            )
        ]
    )
    assert again == []
    assert Delivery.objects.filter(update=update).count() == 1


def test_header_injection_through_a_title_or_a_name_is_impossible(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    from briefs.seed import make_estimate, make_incident

    incident = make_incident(owner=owner, title="Outage\r\nBcc: victim@example.com")
    make_estimate(incident=incident)
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(incident, owner, name="Dana\nBcc: evil@example.com")
    (message,) = mail.outbox
    # As a mail server reads it: no header of its own came from the typed text.
    parsed = message_from_bytes(message.message().as_bytes(), policy=policy.default)
    assert parsed.get_all("Bcc") is None
    assert parsed["Subject"].startswith("[SEV1] Outage Bcc: victim@example.com: $")
    assert parsed["To"].addresses[0].addr_spec == "ceo@example.com"
    assert parsed["To"].addresses[0].display_name == "Dana Bcc: evil@example.com"


def test_mail_carries_one_click_unsubscribe_headers_and_a_stable_message_id(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = _subscribe(incident, owner)
    (message,) = mail.outbox
    headers = message.message()
    unsubscribe = notifications.unsubscribe_url(subscriber)
    assert headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    delivery = Delivery.objects.get(subscriber=subscriber)
    assert headers["Message-ID"] == notifications.message_id(delivery.idempotency_key)
    assert unsubscribe in message.body
    html, mimetype = message.alternatives[0]  # type: ignore[attr-defined]
    assert mimetype == "text/html" and unsubscribe in str(html)


def test_unsubscribe_shows_one_button_then_stops_the_mail(
    incident: Incident, owner: User, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = _subscribe(incident, owner)
    path = reverse("briefs:unsubscribe", args=[notifications.unsubscribe_token(subscriber)])
    page = client.get(path)
    assert page.status_code == 200
    assert b"Unsubscribe</button>" in page.content
    assert client.post(path).status_code == 302
    assert b"You are unsubscribed" in client.get(path).content
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, owner)
    assert mail.outbox == []


def test_one_click_unsubscribe_from_a_mail_client_needs_no_csrf_token(
    incident: Incident, owner: User
) -> None:
    subscriber = _subscribe(incident, owner)
    client = Client(enforce_csrf_checks=True)
    path = reverse("briefs:unsubscribe", args=[notifications.unsubscribe_token(subscriber)])
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None


def test_a_forged_unsubscribe_token_is_404(incident: Incident, owner: User, client: Client) -> None:
    subscriber = _subscribe(incident, owner)
    forged = f"{subscriber.public_id.hex}.{'0' * 32}"
    assert client.post(reverse("briefs:unsubscribe", args=[forged])).status_code == 404
    assert client.get(reverse("briefs:unsubscribe", args=["nonsense"])).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None


def test_revoking_a_persons_link_stops_their_mail(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = _subscribe(incident, owner)
    services.share_link_revoke(link=subscriber.share_link)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, owner)
    assert mail.outbox == []


def test_chat_targets_get_the_same_moments(
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    target = chat.ChatTarget(
        key="slack:abc", channel="slack", label="Slack: #exec", url="https://hooks.example"
    )
    sent: list[Any] = []
    monkeypatch.setattr(chat, "targets_for", lambda incident: [target])
    monkeypatch.setattr(chat, "send", lambda target, notice: sent.append((target, notice)))
    with django_capture_on_commit_callbacks(execute=True):
        update = _post(incident, owner, "Failover complete.")
    ((to, notice),) = sent
    assert to == target
    assert notice.paragraphs[0] == "Failover complete."
    assert notice.link_url.startswith("http://127.0.0.1:8000/b/")
    delivery = Delivery.objects.get(update=update)
    assert (delivery.channel, delivery.status) == ("slack", DeliveryStatus.SENT)


def test_a_retryable_chat_failure_retries_then_fails_after_the_last_attempt(
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 2
    target = chat.ChatTarget(key="teams:x", channel="teams", label="Teams", url="https://t")

    def refuse(target: chat.ChatTarget, notice: Any) -> None:
        raise chat.ChatDeliveryError("503 from the webhook", retryable=True)

    monkeypatch.setattr(chat, "targets_for", lambda incident: [target])
    monkeypatch.setattr(chat, "send", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        update = _post(incident, owner)
    delivery = Delivery.objects.get(update=update)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert delivery.last_error == "503 from the webhook"
    later = delivery.next_attempt_at
    assert later is not None and later > timezone.now()
    assert notifications.deliver(delivery.pk, now=later) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_a_digest_subscriber_gets_one_mail_at_the_promised_time_with_every_update(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(incident, owner, cadence=SubscriberCadence.DIGEST)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(incident, owner, "First finding.")
        _post(incident, owner, "Second finding.")
    assert mail.outbox == []
    digests = Delivery.objects.filter(trigger=NoticeKind.DIGEST)
    assert digests.count() == 1
    assert digests.get().next_attempt_at == first.next_update_due
    assert notifications.send_due(timezone.now()) == 0
    with time_machine.travel(first.next_update_due, tick=False):
        assert notifications.send_due() == 1
    (message,) = mail.outbox
    assert "First finding." in message.body and "Second finding." in message.body
    assert "2 updates" in message.body


def test_resolution_sends_the_follow_up_summary(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(incident, owner)
    mail.outbox.clear()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(
            incident=incident,
            author=owner,
            expected_version=incident.version,
            resolved_at=now,
            estimate=services.EstimateInput(
                revenue_per_hour=incident.current_estimate().revenue_per_hour,  # type: ignore[union-attr]
                customers_affected=12500,
                confidence="high",
            ),
            closing_update="Payments flow again.",
        )
    (message,) = mail.outbox
    assert message.subject.startswith("[SEV1] Resolved: Checkout outage after 2 h 0 min")
    assert "Final cost" in message.body
    assert "Duration: 2 h 0 min" in message.body


def test_the_demo_subscribes_dana_chen_and_says_where_her_mail_goes(
    db: None, capsys: pytest.CaptureFixture[str], settings: Any
) -> None:
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo")
    call_command("demo")  # again: the old incident, its links and subscriber go
    subscriber = Subscriber.objects.get()
    assert (subscriber.name, subscriber.email) == ("Dana Chen", "ceo@example.com")
    assert subscriber.incident.title == "Order processing outage"
    out = capsys.readouterr().out
    # pytest-django's mail backend stands in for the configured one here.
    assert "Dana Chen <ceo@example.com> gets the demo brief's updates by email: " in out


def test_the_subject_states_the_briefs_cost_and_fix_window_in_the_incidents_zone(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import UTC, datetime

    from briefs.seed import make_estimate, make_incident

    now = datetime(2026, 1, 15, 15, 2, 30, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        incident = make_incident(
            owner=owner,
            title="Order processing outage",
            time_zone="America/New_York",
            started_at=now - timedelta(hours=15, minutes=52, seconds=30),
            eta_earliest=datetime(2026, 1, 15, 15, 39, tzinfo=UTC),
            eta_latest=datetime(2026, 1, 15, 18, 39, tzinfo=UTC),
        )
        make_estimate(incident=incident, revenue_per_hour="48000")
        with django_capture_on_commit_callbacks(execute=True):
            _subscribe(incident, owner)
    (message,) = mail.outbox
    # 15 h 52 min at $48,000 an hour, to the minute as the brief states it; New York's times.
    assert message.subject == (
        "[SEV1] Order processing outage: $761,600 so far, fixed by 10:39–13:39 EST"
    )
    assert "Cost so far: $761,600 as of 10:02 EST" in message.body


def test_a_fix_window_across_midnight_names_both_days_as_the_brief_does(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    from datetime import UTC, datetime

    from briefs.seed import make_estimate, make_incident

    now = datetime(2026, 12, 1, 16, 50, tzinfo=UTC)  # a Tuesday
    with time_machine.travel(now, tick=False):
        incident = make_incident(
            owner=owner,
            title="GitHub.com degraded",
            started_at=now - timedelta(hours=3),
            eta_earliest=datetime(2026, 12, 1, 22, 50, tzinfo=UTC),
            eta_latest=datetime(2026, 12, 2, 14, 50, tzinfo=UTC),
        )
        make_estimate(incident=incident, revenue_per_hour="150000")
        with django_capture_on_commit_callbacks(execute=True):
            _subscribe(incident, owner)
    (message,) = mail.outbox
    # Not "22:50–2 Dec 14:50", which reads as a range from 22:50 to 2.
    assert message.subject.endswith("fixed by Tue 22:50 – Wed 14:50 UTC")
    assert "Expected fix: Tue 22:50 – Wed 14:50 UTC" in message.body


def test_unsubscribe_tokens_never_reach_the_logs(incident: Incident, owner: User) -> None:
    from briefs.security import redact

    subscriber = _subscribe(incident, owner)
    token = notifications.unsubscribe_token(subscriber)
    assert redact(f"GET /u/{token} HTTP/1.1") == "GET /u/[redacted] HTTP/1.1"
    assert redact("GET /b/abc HTTP/1.1") == "GET /b/[redacted] HTTP/1.1"


def test_a_database_dump_yields_no_subscribers_link(
    incident: Incident, owner: User, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from django.core.management import call_command

    subscriber = _subscribe(incident, owner)
    call_command("dumpdata", "briefs", stdout=sys.stdout)
    dump = capsys.readouterr().out
    assert notifications.subscriber_token(subscriber) not in dump
    assert subscriber.share_link.token_hash in dump


def test_a_mail_keeps_the_persons_link_open_for_a_long_incident(
    incident: Incident, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = _subscribe(incident, owner)
    link = subscriber.share_link
    with time_machine.travel(link.expires_at - timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            _post(incident, owner)
        link.refresh_from_db()
        assert link.expires_at > timezone.now() + timedelta(days=29)
    assert len(mail.outbox) == 1


def _digest_that_failed_once(
    incident: Incident, owner: User, monkeypatch: pytest.MonkeyPatch, capture: Any
) -> Delivery:
    """A digest subscriber's digest whose first try met a mail server's 451: it is retrying."""
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    with capture(execute=True):
        _subscribe(incident, owner, cadence=SubscriberCadence.DIGEST)
        first = _post(incident, owner, "First finding.")

    def busy(self: Any, fail_silently: bool = False) -> int:
        raise smtplib.SMTPResponseException(451, b"try again later")

    with monkeypatch.context() as patch:
        patch.setattr(EmailMultiAlternatives, "send", busy)
        with time_machine.travel(first.next_update_due, tick=False):
            assert notifications.send_due() == 1
    digest = Delivery.objects.get(trigger=NoticeKind.DIGEST)
    assert digest.status == DeliveryStatus.RETRYING
    return digest


def test_an_update_while_the_digest_retries_adds_to_it_rather_than_a_second_digest(
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    digest = _digest_that_failed_once(
        incident, owner, monkeypatch, django_capture_on_commit_callbacks
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _post(incident, owner, "Second finding.")
    assert Delivery.objects.filter(trigger=NoticeKind.DIGEST).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        notifications.send_due()
    (message,) = mail.outbox
    assert "First finding." in message.body and "Second finding." in message.body
    digest.refresh_from_db()
    assert digest.status == DeliveryStatus.SENT


def test_resolution_cancels_a_retrying_digest(
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    digest = _digest_that_failed_once(
        incident, owner, monkeypatch, django_capture_on_commit_callbacks
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(
            incident=incident,
            author=owner,
            expected_version=incident.version,
            resolved_at=timezone.now(),
            estimate=services.EstimateInput(
                revenue_per_hour=incident.current_estimate().revenue_per_hour,  # type: ignore[union-attr]
                customers_affected=12500,
                confidence="high",
            ),
            closing_update="Payments flow again.",
        )
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        notifications.send_due()
    (message,) = mail.outbox
    assert "Resolved" in message.subject
    digest.refresh_from_db()
    assert digest.status == DeliveryStatus.CANCELLED
