"""The executives panel and the delivery details (issue 16), as the architect meets them."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from briefs import chat, services
from briefs.models import Delivery, DeliveryStatus, Incident, ShareLink, Status, Subscriber
from briefs.seed import make_estimate, make_incident

VALID: dict[str, Any] = {"name": "Dana Chen", "email": "ceo@example.com", "cadence": "each_update"}


def _line(client: Client, incident: Incident) -> str:
    """The brief's delivery line, as htmx loads it into the page."""
    url = reverse("briefs:incident_deliveries", args=[incident.public_id]) + "?fragment=line"
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = re.sub(r"<[^>]+>", "", response.content.decode()).strip()
    return text.removesuffix("Delivery details").strip()


def _add_url(incident: Incident) -> str:
    return reverse("briefs:subscriber_create", args=[incident.public_id])


def test_adding_an_executive_lists_them_and_mails_them_their_link(
    incident: Incident, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_add_url(incident), VALID)
    assert response.status_code == 302
    page = owner_client.get(response["Location"]).content.decode()
    assert "Dana Chen &lt;ceo@example.com&gt;, every update" in page
    # The link list says whose link it is.
    assert "Dana Chen (mail to ceo@example.com)" in page
    assert _line(owner_client, incident).startswith("Sent to 1 executive at ")
    (message,) = mail.outbox
    assert message.to == ["Dana Chen <ceo@example.com>"]


def test_a_bad_address_is_refused_with_a_clear_error_and_nothing_typed_is_lost(
    incident: Incident, owner_client: Client
) -> None:
    response = owner_client.post(_add_url(incident), {**VALID, "email": "dana at example"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an email address like dana@example.com." in page
    assert 'value="Dana Chen"' in page and 'value="dana at example"' in page
    assert 'aria-describedby="subscriber_email_error"' in page
    assert not Subscriber.objects.exists()


def test_htmx_gets_the_panel_back_with_the_error_or_the_new_executive(
    incident: Incident, owner_client: Client
) -> None:
    headers = {"HX-Request": "true"}
    refused = owner_client.post(_add_url(incident), {**VALID, "email": "x"}, headers=headers)
    assert refused.status_code == 400
    assert refused.content.decode().lstrip().startswith("<section")
    added = owner_client.post(_add_url(incident), VALID, headers=headers)
    assert added.status_code == 200
    assert "Dana Chen will get this incident" in added.content.decode()


def test_removing_an_executive_revokes_their_link_and_stops_their_mail(
    incident: Incident, owner: User, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    subscriber = services.subscriber_add(
        incident=incident, created_by=owner, name="Dana", email="d@example.com", cadence="digest"
    )
    url = reverse("briefs:subscriber_remove", args=[incident.public_id, subscriber.public_id])
    assert owner_client.post(url).status_code == 302
    assert ShareLink.objects.get(pk=subscriber.share_link_id).revoked_at is not None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.update_post(
            incident=incident,
            author=owner,
            what_changed="x",
            next_update_due=timezone.now() + timedelta(hours=1),
        )
    assert mail.outbox == []


def test_outsiders_get_404_and_wrong_methods_405(
    incident: Incident, owner: User, outsider_client: Client
) -> None:
    subscriber = services.subscriber_add(
        incident=incident, created_by=owner, name="Dana", email="d@example.com", cadence="digest"
    )
    remove = reverse("briefs:subscriber_remove", args=[incident.public_id, subscriber.public_id])
    deliveries = reverse("briefs:incident_deliveries", args=[incident.public_id])
    assert outsider_client.post(_add_url(incident), VALID).status_code == 404
    assert outsider_client.post(remove).status_code == 404
    assert outsider_client.get(deliveries).status_code == 404
    assert outsider_client.get(_add_url(incident)).status_code == 405
    assert outsider_client.get(remove).status_code == 405
    assert outsider_client.post(deliveries).status_code == 405
    assert Subscriber.objects.count() == 1
    assert ShareLink.objects.get(pk=subscriber.share_link_id).revoked_at is None


def test_a_collaborator_may_add_executives(
    incident: Incident, client: Client, collaborator: User
) -> None:
    client.force_login(collaborator)
    assert client.post(_add_url(incident), VALID).status_code == 302
    assert Subscriber.objects.get().created_by == collaborator


def test_the_delivery_line_says_what_failed_and_the_details_page_why(
    incident: Incident,
    owner: User,
    owner_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    target = chat.ChatTarget(key="slack:1", channel="slack", label="Slack: #exec", url="https://x")

    def refuse(target: chat.ChatTarget, notice: Any) -> None:
        raise chat.ChatDeliveryError("Slack answered 503", retryable=True)

    monkeypatch.setattr(chat, "targets_for", lambda incident: [target])
    monkeypatch.setattr(chat, "send", refuse)
    for number in range(3):
        services.subscriber_add(
            incident=incident,
            created_by=owner,
            name=f"Exec {number}",
            email=f"exec{number}@example.com",
            cadence="each_update",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.update_post(
            incident=incident,
            author=owner,
            what_changed="Failover done.",
            next_update_due=timezone.now() + timedelta(hours=1),
        )
    page = owner_client.get(reverse("briefs:incident_brief", args=[incident.public_id]))
    assert 'id="delivery-line"' in page.content.decode()
    line = _line(owner_client, incident)
    assert line.startswith("Sent to 3 recipients at ") and line.endswith("; 1 failed, retrying.")
    details = owner_client.get(reverse("briefs:incident_deliveries", args=[incident.public_id]))
    text = details.content.decode()
    assert "Slack: #exec" in text and "Slack answered 503" in text and "Retrying" in text
    assert text.count("exec0@example.com") >= 1
    assert Delivery.objects.filter(status=DeliveryStatus.RETRYING).count() == 1


def test_the_resources_step_adds_executives_before_the_escalation_who_then_get_the_pdf(
    owner: User, owner_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    draft = make_incident(owner=owner, status=Status.DRAFT, escalated_at=None)
    make_estimate(incident=draft, revenue_per_hour="48000", customers_affected=12500)
    step = owner_client.get(reverse("briefs:incident_step", args=[draft.public_id, "resources"]))
    assert 'id="executives"' in step.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        added = owner_client.post(_add_url(draft), VALID)
    assert added["Location"].endswith("/escalate/resources/#executives")
    assert mail.outbox == []  # a draft mails no one
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_mark_escalated(incident=draft)
    (message,) = mail.outbox
    ((name, content, mimetype),) = message.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    assert "The brief is attached as a PDF." in message.body


def test_without_the_pdf_setting_the_escalation_mail_has_no_attachment(
    owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NOTIFY_ATTACH_PDF = False
    draft = make_incident(owner=owner, status=Status.DRAFT, escalated_at=None)
    services.subscriber_add(incident=draft, created_by=owner, **VALID)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_mark_escalated(incident=draft)
    (message,) = mail.outbox
    assert message.attachments == []


def test_the_escalation_mail_waits_a_little_for_its_pdf_then_leaves_without_it_and_says_so(
    owner: User, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from briefs import notifications

    # A queue that can defer (as the worker's), where nothing runs: no PDF is ever rendered.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    draft = make_incident(owner=owner, status=Status.DRAFT, escalated_at=None)
    services.subscriber_add(incident=draft, created_by=owner, **VALID)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_mark_escalated(incident=draft)
    delivery = Delivery.objects.get()
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.deliver(delivery.pk, now=now) == DeliveryStatus.QUEUED
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now + notifications.PDF_POLL
    assert mail.outbox == []
    later = delivery.created_at + timedelta(seconds=settings.NOTIFY_PDF_WAIT_SECONDS)
    assert notifications.deliver(delivery.pk, now=later) == DeliveryStatus.SENT
    (message,) = mail.outbox
    assert message.attachments == []
    assert "The PDF of the brief was not ready in time" in message.body


def test_an_address_that_already_gets_the_mail_is_refused(
    incident: Incident, owner_client: Client
) -> None:
    assert owner_client.post(_add_url(incident), VALID).status_code == 302
    again = owner_client.post(_add_url(incident), {**VALID, "email": "CEO@example.com"})
    assert again.status_code == 400
    assert "This address already gets this incident&#x27;s mail." in again.content.decode()
    assert Subscriber.objects.count() == 1
