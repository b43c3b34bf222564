"""Notifications through a real SMTP server (aiosmtpd) and Django's SMTP backend: what arrives,
a server that fails and then recovers, one that refuses for good, and a real worker process."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from briefs import notifications, services
from briefs.models import Delivery, DeliveryStatus, Incident, Subscriber
from tests.smtp_inbox import free_port, smtp_inbox


def _subscribe(incident: Incident, owner: User) -> Subscriber:
    return services.subscriber_add(
        incident=incident,
        created_by=owner,
        name="Dana Chen",
        email="ceo@example.com",
        cadence="each_update",
    )


def _post(incident: Incident, owner: User) -> Any:
    return services.update_post(
        incident=incident,
        author=owner,
        what_changed="Payments are flowing through the standby gateway.",
        next_update_due=timezone.now() + timedelta(hours=1),
    )


def test_an_update_arrives_as_real_mail_with_text_html_and_one_click_unsubscribe(
    incident: Incident, owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = _subscribe(incident, owner)  # its welcome is never enqueued: no commit
    with smtp_inbox() as inbox:
        settings.MAILERS = inbox.settings()
        with django_capture_on_commit_callbacks(execute=True):
            _post(incident, owner)
    (message,) = inbox.messages
    assert message["To"] == "Dana Chen <ceo@example.com>"
    assert message["List-Unsubscribe"] == f"<{notifications.unsubscribe_url(subscriber)}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On the wire as RFC 2369 writes it, not folded into RFC 2047 encoded-words that mail
    # clients would not read as a link (briefs.mail_backend).
    unsubscribe_line = f"List-Unsubscribe: <{notifications.unsubscribe_url(subscriber)}>\r\n"
    assert unsubscribe_line.encode() in inbox.raw[0]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "standby gateway" in text.get_content()
    assert "standby gateway" in html.get_content()
    link = notifications.link_url(notifications.subscriber_token(subscriber))
    assert link in text.get_content() and link in html.get_content()
    # No external assets: a phone's mail client shows it as sent.
    assert "<img" not in html.get_content() and "<link" not in html.get_content()


def test_a_mail_server_that_fails_then_recovers_gets_the_mail_once(
    incident: Incident, owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(incident, owner)  # the welcome mail goes to Django's test outbox
    with smtp_inbox(refuse=1) as inbox:
        settings.MAILERS = inbox.settings()
        with django_capture_on_commit_callbacks(execute=True):
            update = _post(incident, owner)
        delivery = Delivery.objects.get(update=update)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
        assert "451" in delivery.last_error
        assert inbox.messages == []
        # The immediate backend cannot defer the retry: the worker's sweep sends it when due.
        assert delivery.next_attempt_at is not None
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            assert notifications.send_due() == 1
            notifications.send_due()  # a second sweep finds nothing left to send
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert len(inbox.messages) == 1
    assert inbox.refused == 1


def test_a_permanent_refusal_fails_at_once(
    incident: Incident, owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _subscribe(incident, owner)
    with smtp_inbox(refuse=5, answer="550 5.1.1 No such user") as inbox:
        settings.MAILERS = inbox.settings()
        with django_capture_on_commit_callbacks(execute=True):
            update = _post(incident, owner)
    delivery = Delivery.objects.get(update=update)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "550" in delivery.last_error


def test_a_mail_server_that_is_down_is_retried_until_the_last_attempt(
    incident: Incident, owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    _subscribe(incident, owner)
    with django_capture_on_commit_callbacks(execute=True):
        update = _post(incident, owner)
    delivery = Delivery.objects.get(update=update)
    assert delivery.status == DeliveryStatus.RETRYING
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at is not None
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        notifications.send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2)


@pytest.mark.real_queue
@pytest.mark.django_db(transaction=True)
def test_a_posted_update_reaches_the_mail_server_through_a_real_worker(
    incident: Incident, owner: User, client: Client, tmp_path: Path
) -> None:
    from tests.test_worker import _wait, _worker

    _subscribe(incident, owner)
    client.force_login(owner)
    log = tmp_path / "worker.log"
    with (
        smtp_inbox(refuse=1) as inbox,
        _worker(log, **inbox.environment(), NOTIFY_RETRY_BACKOFF_SECONDS="0"),
    ):
        # The welcome mail is refused once (451), then retried by the worker.
        _wait(lambda: len(inbox.messages) == 1, log)
        response = client.post(
            reverse("briefs:update_create", args=[incident.public_id]),
            {
                "what_changed": "Standby gateway is taking all payments.",
                "operating_state": "degraded",
                "next_update_due": (timezone.localtime() + timedelta(hours=1)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
            },
        )
        assert response.status_code == 302
        _wait(lambda: len(inbox.messages) == 2, log)
    subjects = [message["Subject"] for message in inbox.messages]
    assert all(subject.startswith("[SEV1] Checkout outage: $") for subject in subjects)
    assert "Standby gateway" in inbox.messages[1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
