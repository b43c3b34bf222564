"""Alert webhooks (issue 17): `/hooks/<kind>/<token>` fed the payload examples of each tool's own
documentation (tests/fixtures/alerts/, their sources in its README), the drafts they open, the
cleared-alert notes, signatures, refusals, the settings page and `manage.py integration_create`."""

import copy
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from briefs.alert_sources import pagerduty_signature
from briefs.integrations import integration_create, integration_revoke, integration_set_secret
from briefs.models import (
    AlertClearance,
    AlertGroup,
    Delivery,
    DeliveryStatus,
    Incident,
    Integration,
    IntegrationKind,
    Status,
)
from briefs.notices import NoticeKind
from briefs.services import draft_discard, incident_save_versioned

FIXTURES = Path(__file__).parent / "fixtures" / "alerts"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SECRET = "pagerduty-made-this-secret"

pytestmark = pytest.mark.usefixtures("frozen")


def fixture(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return payload


def hook(kind: str, owner: User, *, name: str = "") -> tuple[Integration, str]:
    integration, token = integration_create(owner=owner, kind=kind, name=name)
    if kind == IntegrationKind.PAGERDUTY:
        integration_set_secret(integration=integration, secret=SECRET)
    return integration, reverse("briefs:alert_hook", args=[kind, token])


def post(client: Client, url: str, payload: Any, **headers: str) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post(url, data=body, content_type="application/json", headers=headers)


def signed(client: Client, url: str, payload: dict[str, Any], secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    return post(
        client,
        url,
        body,
        **{"X-PagerDuty-Signature": pagerduty_signature(body=body, secret=secret)},
    )


def drafts_of(user: User) -> list[Incident]:
    return list(Incident.objects.filter(owner=user, status=Status.DRAFT))


def escalate(incident: Incident) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        status=Status.ESCALATED, escalated_at=NOW - timedelta(hours=1), time_zone="Europe/Paris"
    )


def resolved(payload: dict[str, Any], ends_at: str) -> dict[str, Any]:
    """The same group's resolved notification, as Alertmanager and Grafana send it."""
    cleared = copy.deepcopy(payload)
    cleared["status"] = "resolved"
    for alert in cleared["alerts"]:
        alert["status"], alert["endsAt"] = "resolved", ends_at
    return cleared


def pagerduty_event(
    event_type: str, *, event_id: str, occurred_at: datetime = NOW
) -> dict[str, Any]:
    payload = fixture("pagerduty_incident.json")
    payload["event"].update(
        id=event_id,
        event_type=event_type,
        occurred_at=occurred_at.isoformat().replace("+00:00", "Z"),
    )
    return payload


# --- Each tool, with its documentation's example --------------------------------------------


def test_alertmanager_firing_opens_a_draft_prefilled_from_the_alert(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = "olivia@example.com"
    owner.save()
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, url, fixture("alertmanager_firing.json"))

    assert response.status_code == 201, response.content
    [draft] = drafts_of(owner)
    assert draft.title == "BlackBox Probe Failure: https://server.example.org"
    assert draft.system == "http_checks"
    assert draft.started_at == datetime(2023, 2, 6, 13, 8, 45, 828376, tzinfo=UTC)
    group = AlertGroup.objects.get(incident=draft)
    assert group.source_url.startswith("http://prometheus.example.org:9090/graph?")
    [message] = mail.outbox
    assert message.to == ["Olivia Owner <olivia@example.com>"]
    assert "BlackBox Probe Failure" in message.subject
    assert "Affected system: http_checks" in message.body
    assert "Source: http://prometheus.example.org:9090/graph?" in message.body
    resume = reverse("briefs:incident_resume", args=[draft.public_id])
    assert f"Review the draft: {settings.SITE_URL}{resume}" in message.body
    assert "Prometheus Alertmanager opened a draft escalation" in message.body
    [delivery] = Delivery.objects.filter(incident=draft)
    assert (delivery.trigger, delivery.status) == (NoticeKind.ALERT_DRAFT, DeliveryStatus.SENT)


def test_a_repeat_of_the_group_updates_its_draft_instead_of_opening_another(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = "olivia@example.com"
    owner.save()
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    with django_capture_on_commit_callbacks(execute=True):
        post(client, url, payload)
    payload["commonAnnotations"]["summary"] = "Probe failing on two regions"

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, url, payload)

    assert response.status_code == 200
    assert response.json() == {"outcome": "updated"}
    [draft] = drafts_of(owner)
    assert draft.title == "Probe failing on two regions"
    assert AlertGroup.objects.get(incident=draft).notifications == 2
    assert len(mail.outbox) == 1  # told once, when the draft opened
    assert Delivery.objects.filter(incident=draft).count() == 1


def test_the_alert_draft_mail_is_not_sent_for_a_draft_discarded_before_it_leaves(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = "olivia@example.com"
    owner.save()
    _, url = hook(IntegrationKind.GENERIC, owner)
    with django_capture_on_commit_callbacks(execute=False) as sends:
        post(client, url, {"dedup_key": "k", "status": "firing", "title": "Checkout 5xx"})
    [draft] = drafts_of(owner)
    assert Delivery.objects.filter(incident=draft).count() == 1

    assert draft_discard(incident=draft)
    for send in sends:
        send()

    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_the_alert_draft_mail_is_cancelled_for_a_draft_escalated_before_it_leaves(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = "olivia@example.com"
    owner.save()
    _, url = hook(IntegrationKind.GENERIC, owner)
    with django_capture_on_commit_callbacks(execute=False) as sends:
        post(client, url, {"dedup_key": "k", "status": "firing", "title": "Checkout 5xx"})
    [draft] = drafts_of(owner)

    escalate(draft)
    for send in sends:
        send()

    assert mail.outbox == []
    delivery = Delivery.objects.get(incident=draft)
    assert delivery.status == DeliveryStatus.CANCELLED
    assert "escalated before the mail left" in delivery.last_error


def test_the_alert_draft_mail_is_on_the_delivery_details_not_the_executives_line(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = "olivia@example.com"
    owner.save()
    _, url = hook(IntegrationKind.GENERIC, owner)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, url, {"dedup_key": "k", "status": "firing", "title": "Checkout 5xx"})
    [draft] = drafts_of(owner)
    escalate(draft)
    client.force_login(owner)
    deliveries = reverse("briefs:incident_deliveries", args=[draft.public_id])

    line = client.get(deliveries + "?fragment=line", headers={"HX-Request": "true"})
    details = client.get(deliveries).content.decode()

    assert "Sent to" not in line.content.decode()
    assert "Draft opened by an alert" in details and "Olivia Owner" in details


def test_an_owner_without_an_address_gets_no_alert_draft_mail(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = ""
    owner.save()
    _, url = hook(IntegrationKind.GENERIC, owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, url, {"dedup_key": "k", "status": "firing", "title": "x"})

    assert response.status_code == 201
    assert mail.outbox == []
    assert not Delivery.objects.exists()


def test_a_repeat_keeps_what_the_architect_typed(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    post(client, url, payload)
    [draft] = drafts_of(owner)
    incident_save_versioned(
        incident=draft, expected_version=draft.version, fields={"title": "Storefront is down"}
    )
    payload["commonAnnotations"]["summary"] = "Probe failing on two regions"
    payload["commonLabels"]["job"] = "storefront"

    post(client, url, payload)

    draft.refresh_from_db()
    assert draft.title == "Storefront is down"
    assert draft.system == "storefront"


def test_grafana_doc_payload_opens_a_draft_and_its_repeat_updates_it(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.GRAFANA, owner)
    payload = fixture("grafana_firing.json")

    first = post(client, url, payload)
    again = post(client, url, payload)

    assert (first.status_code, again.status_code) == (201, 200)
    [draft] = drafts_of(owner)
    assert draft.title == "This alert was triggered for zone us-1"
    assert draft.started_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
    assert AlertGroup.objects.get(incident=draft).source_url == (
        "https://play.grafana.org/alerting/1afz29v7z/edit"
    )


@pytest.mark.parametrize(
    ("kind", "fixture_name"),
    [
        (IntegrationKind.ALERTMANAGER, "alertmanager_firing.json"),
        (IntegrationKind.GRAFANA, "grafana_firing.json"),
    ],
)
def test_a_resolved_notification_adds_a_note_to_confirm_and_never_resolves(
    client: Client, owner: User, kind: str, fixture_name: str
) -> None:
    _, url = hook(kind, owner)
    payload = fixture(fixture_name)
    post(client, url, payload)
    [incident] = drafts_of(owner)
    escalate(incident)

    response = post(client, url, resolved(payload, "2026-12-01T09:41:00Z"))

    assert response.json() == {"outcome": "cleared"}
    incident.refresh_from_db()
    assert incident.status == Status.ESCALATED and incident.resolved_at is None
    client.force_login(owner)
    page = client.get(reverse("briefs:incident_brief", args=[incident.public_id])).content.decode()
    # 09:41 UTC in the incident's zone, Europe/Paris in December.
    assert "cleared at 10:41 CET" in page
    assert "Add to the timeline" in page
    source = AlertGroup.objects.get().source_url.replace("&", "&amp;")
    assert f'href="{source}"' in page
    assert not incident.updates.exists()


def test_confirming_a_cleared_alert_puts_it_on_the_timeline(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    post(client, url, payload)
    [incident] = drafts_of(owner)
    escalate(incident)
    post(client, url, resolved(payload, "2026-12-01T09:41:00Z"))
    clearance = AlertClearance.objects.get(incident=incident)
    client.force_login(owner)
    confirm = reverse(
        "briefs:alert_clearance_confirm", args=[incident.public_id, clearance.public_id]
    )

    response = client.post(confirm)

    assert response.status_code == 302
    [update] = incident.updates.all()
    assert (
        update.what_changed
        == "The alert “BlackBox Probe Failure: https://server.example.org” cleared at 10:41 CET."
    )
    page = client.get(reverse("briefs:incident_brief", args=[incident.public_id])).content.decode()
    assert "Add to the timeline" not in page
    assert client.post(confirm).status_code == 302
    assert incident.updates.count() == 1


def test_the_confirm_button_follows_the_incidents_access_rule(
    client: Client, owner: User, collaborator: User, outsider: User
) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    post(client, url, payload)
    [incident] = drafts_of(owner)
    escalate(incident)
    incident.collaborators.add(collaborator)
    post(client, url, resolved(payload, "2026-12-01T09:41:00Z"))
    clearance = AlertClearance.objects.get(incident=incident)
    confirm = reverse(
        "briefs:alert_clearance_confirm", args=[incident.public_id, clearance.public_id]
    )

    anonymous = client.post(confirm)
    client.force_login(outsider)
    as_outsider = client.post(confirm)
    client.force_login(collaborator)
    as_get = client.get(confirm)
    as_collaborator = client.post(confirm)

    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert as_outsider.status_code == 404
    assert as_get.status_code == 405
    assert as_collaborator.status_code == 302
    assert incident.updates.count() == 1


def test_an_alert_firing_again_withdraws_its_unconfirmed_note(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    post(client, url, payload)
    [incident] = drafts_of(owner)
    escalate(incident)
    post(client, url, resolved(payload, "2026-12-01T09:41:00Z"))
    assert AlertClearance.objects.filter(incident=incident).exists()

    again = post(client, url, payload)

    assert again.json() == {"outcome": "updated"}
    assert not AlertClearance.objects.filter(incident=incident).exists()
    client.force_login(owner)
    page = client.get(reverse("briefs:incident_brief", args=[incident.public_id])).content.decode()
    assert "Add to the timeline" not in page


def test_a_discarded_drafts_group_opens_a_new_draft_when_it_fires_again(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.GENERIC, owner)
    payload = {"dedup_key": "k", "status": "firing", "title": "Checkout returns 5xx"}
    post(client, url, payload)
    [first] = drafts_of(owner)
    assert draft_discard(incident=first)

    again = post(client, url, payload)

    assert again.json() == {"outcome": "opened"}
    [second] = drafts_of(owner)
    assert second.pk != first.pk


def test_a_resolved_notification_on_a_draft_adds_no_note(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.GRAFANA, owner)
    payload = fixture("grafana_firing.json")
    post(client, url, payload)

    response = post(client, url, resolved(payload, "2026-12-01T09:41:00Z"))

    assert response.json() == {"outcome": "ignored"}
    assert not AlertClearance.objects.exists()
    assert AlertGroup.objects.get().firing is False


# --- PagerDuty: signatures, replays, stale events ---------------------------------------------


def test_pagerduty_doc_event_of_another_type_is_accepted_and_ignored(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)
    # The documentation's example as it stands: an incident.priority_updated event.
    response = signed(client, url, fixture("pagerduty_incident.json"))

    assert response.status_code == 202
    assert drafts_of(owner) == []


def test_pagerduty_triggered_opens_a_draft_and_resolved_adds_the_note(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)

    opened = signed(client, url, pagerduty_event("incident.triggered", event_id="e-1"))
    [incident] = drafts_of(owner)
    escalate(incident)
    cleared = signed(
        client,
        url,
        pagerduty_event(
            "incident.resolved", event_id="e-2", occurred_at=NOW - timedelta(minutes=1)
        ),
    )

    assert opened.status_code == 201
    assert incident.title == "A little bump in the road"
    assert incident.system == "API Service"
    assert AlertGroup.objects.get().source_url == "https://acme.pagerduty.com/incidents/PGR0VU2"
    assert cleared.json() == {"outcome": "cleared"}
    assert AlertClearance.objects.get().cleared_at == NOW - timedelta(minutes=1)


def test_pagerduty_accepts_any_of_several_signatures(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)
    body = json.dumps(pagerduty_event("incident.triggered", event_id="e-1")).encode()
    header = ",".join(
        [
            pagerduty_signature(body=body, secret="the-old-secret"),
            pagerduty_signature(body=body, secret=SECRET),
        ]
    )

    response = post(client, url, body, **{"X-PagerDuty-Signature": header})

    assert response.status_code == 201


@pytest.mark.parametrize("header", ["", "v1=" + "0" * 64, "v0=whatever", "sha256=abc"])
def test_pagerduty_refuses_a_wrong_or_missing_signature(
    client: Client, owner: User, header: str
) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)
    body = json.dumps(pagerduty_event("incident.triggered", event_id="e-1")).encode()

    response = post(client, url, body, **{"X-PagerDuty-Signature": header})

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert drafts_of(owner) == []


def test_pagerduty_refuses_a_signature_made_with_another_secret(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)

    response = signed(
        client, url, pagerduty_event("incident.triggered", event_id="e-1"), secret="not-ours"
    )

    assert response.status_code == 401
    assert drafts_of(owner) == []


def test_pagerduty_refuses_every_delivery_until_its_secret_is_set(
    client: Client, owner: User
) -> None:
    integration, token = integration_create(owner=owner, kind=IntegrationKind.PAGERDUTY)
    url = reverse("briefs:alert_hook", args=["pagerduty", token])

    response = signed(client, url, pagerduty_event("incident.triggered", event_id="e-1"), secret="")

    assert response.status_code == 401
    assert integration.signing_secret == ""


def test_pagerduty_refuses_a_replayed_event_id(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)
    event = pagerduty_event("incident.triggered", event_id="e-1")

    first = signed(client, url, event)
    replay = signed(client, url, event)

    assert first.status_code == 201
    assert replay.json() == {"outcome": "duplicate"}
    assert AlertGroup.objects.get().notifications == 1


@pytest.mark.parametrize(
    "age", [timedelta(minutes=16), timedelta(days=400), -timedelta(minutes=10)]
)
def test_pagerduty_refuses_a_stale_event(client: Client, owner: User, age: timedelta) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)

    response = signed(
        client, url, pagerduty_event("incident.triggered", event_id="e-1", occurred_at=NOW - age)
    )

    assert response.status_code == 400
    assert "stale" in response.json()["detail"]
    assert drafts_of(owner) == []


def test_pagerduty_accepts_an_event_a_few_minutes_old(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.PAGERDUTY, owner)

    response = signed(
        client,
        url,
        pagerduty_event(
            "incident.triggered", event_id="e-1", occurred_at=NOW - timedelta(minutes=14)
        ),
    )

    assert response.status_code == 201


# --- The generic form -------------------------------------------------------------------------


def test_generic_form_opens_a_draft_and_its_resolution_adds_the_note(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.GENERIC, owner)
    firing = {
        "dedup_key": "checkout-5xx",
        "status": "firing",
        "title": "Checkout returns 5xx",
        "system": "Checkout API",
        "started_at": "2026-12-01T11:30:00Z",
        "source_url": "https://grafana.example.com/d/checkout",
    }

    opened = post(client, url, firing)
    [incident] = drafts_of(owner)
    escalate(incident)
    cleared = post(
        client,
        url,
        {"dedup_key": "checkout-5xx", "status": "resolved", "ended_at": "2026-12-01T11:55:00Z"},
    )

    assert opened.status_code == 201
    assert (incident.title, incident.system) == ("Checkout returns 5xx", "Checkout API")
    assert incident.started_at == datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
    assert cleared.json() == {"outcome": "cleared"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"dedup_key": "k", "status": "firing", "titel": "typo"}, "unknown field: 'titel'"),
        ({"dedup_key": "k", "status": "firing"}, '"title" must be a non-empty string'),
        ({"status": "firing", "title": "x"}, '"dedup_key" must be a non-empty string'),
        (
            {"dedup_key": "k", "status": "burning", "title": "x"},
            '"status" must be "firing" or "resolved"',
        ),
        (
            {"dedup_key": "k", "status": "firing", "title": "x", "started_at": "yesterday"},
            "RFC 3339",
        ),
        (["not", "an", "object"], "the payload must be a JSON object"),
    ],
)
def test_generic_form_refuses_what_it_does_not_define(
    client: Client, owner: User, payload: Any, reason: str
) -> None:
    _, url = hook(IntegrationKind.GENERIC, owner)

    response = post(client, url, payload)

    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert drafts_of(owner) == []


# --- Refusals: 400, 404, 405, 413 -------------------------------------------------------------


def test_a_body_that_is_not_json_is_400_with_the_reason(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)

    response = post(client, url, b"{not json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "the body is not JSON"


def test_alertmanager_payload_of_another_version_is_400(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    payload["version"] = "3"

    response = post(client, url, payload)

    assert response.status_code == 400
    assert '"version" must be "4"' in response.json()["detail"]


def test_alertmanager_payload_without_its_group_key_is_400(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    del payload["groupKey"]

    response = post(client, url, payload)

    assert response.status_code == 400
    assert "groupKey" in response.json()["detail"]


def test_unknown_revoked_and_wrong_kind_tokens_get_the_same_404(
    client: Client, owner: User
) -> None:
    integration, token = integration_create(owner=owner, kind=IntegrationKind.ALERTMANAGER)
    revoked, revoked_token = integration_create(owner=owner, kind=IntegrationKind.ALERTMANAGER)
    integration_revoke(integration=revoked)
    payload = fixture("alertmanager_firing.json")

    answers = [
        post(client, reverse("briefs:alert_hook", args=[kind, secret]), payload)
        for kind, secret in [
            ("alertmanager", "no-such-token"),
            ("alertmanager", revoked_token),
            ("grafana", token),
            ("nagios", token),
        ]
    ]

    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert drafts_of(owner) == []


def test_a_body_over_the_limit_is_413(client: Client, owner: User, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    _, url = hook(IntegrationKind.GENERIC, owner)
    payload = {"dedup_key": "k", "status": "firing", "title": "x" * 4000}

    response = post(client, url, payload)

    assert response.status_code == 413
    assert drafts_of(owner) == []


def test_the_hook_takes_only_post(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.GENERIC, owner)

    assert client.get(url).status_code == 405


# --- Nothing a payload carries is markup ------------------------------------------------------


def test_a_payload_with_markup_is_shown_as_text(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    payload = fixture("alertmanager_firing.json")
    payload["commonAnnotations"]["summary"] = "<script>alert(1)</script>"
    payload["commonLabels"]["job"] = "<img src=x onerror=alert(2)>"
    for alert in payload["alerts"]:
        alert["generatorURL"] = "javascript:alert(3)"
    payload["externalURL"] = "javascript:alert(4)"
    post(client, url, payload)
    [draft] = drafts_of(owner)
    client.force_login(owner)

    dashboard = client.get(reverse("briefs:dashboard")).content.decode()
    step = client.get(reverse("briefs:incident_step", args=[draft.public_id, "what-happened"]))
    wizard = step.content.decode()

    assert "<script>alert(1)</script>" not in dashboard + wizard
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dashboard
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in wizard
    assert "<img src=x" not in wizard
    assert "javascript:" not in wizard
    assert AlertGroup.objects.get().source_url == ""
    escalate(draft)
    post(client, url, resolved(payload, "2026-12-01T09:41:00Z"))
    brief = client.get(reverse("briefs:incident_brief", args=[draft.public_id])).content.decode()
    assert "<script>alert(1)</script>" not in brief
    assert "“&lt;script&gt;alert(1)&lt;/script&gt;” cleared at 10:41 CET" in brief


def test_the_alert_draft_mail_carries_a_payloads_markup_as_text(
    client: Client, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    owner.email = "olivia@example.com"
    owner.save()
    _, url = hook(IntegrationKind.GENERIC, owner)
    payload = {
        "dedup_key": "k",
        "status": "firing",
        "title": "<script>alert(1)</script>\nBcc: victim@example.com",
        "system": "<b>api</b>",
    }

    with django_capture_on_commit_callbacks(execute=True):
        post(client, url, payload)

    [message] = mail.outbox
    html, _mimetype = message.alternatives[0]  # type: ignore[union-attr]
    html = str(html)
    assert "<script>" not in html and "<b>api</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\n" not in message.subject and "Bcc" not in message.extra_headers
    assert "Affected system: <b>api</b>" in message.body  # the text part: plain, as typed


# --- The dashboard, the settings page, the command --------------------------------------------


def test_the_dashboard_counts_the_drafts_alerts_opened(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.GENERIC, owner)
    for key in ("a", "b"):
        post(client, url, {"dedup_key": key, "status": "firing", "title": f"Alert {key}"})
    client.force_login(owner)

    page = client.get(reverse("briefs:dashboard")).content.decode()

    assert "2 new drafts from alerts" in page
    assert page.count("opened by an alert") == 2


def test_the_wizard_links_back_to_the_alerts_source(client: Client, owner: User) -> None:
    _, url = hook(IntegrationKind.GRAFANA, owner, name="Grafana prod")
    post(client, url, fixture("grafana_firing.json"))
    [draft] = drafts_of(owner)
    client.force_login(owner)

    page = client.get(
        reverse("briefs:incident_step", args=[draft.public_id, "what-happened"])
    ).content.decode()

    assert "Opened by an alert from Grafana prod" in page
    assert 'href="https://play.grafana.org/alerting/1afz29v7z/edit"' in page


def test_settings_page_creates_shows_the_url_once_and_lists_it(client: Client, owner: User) -> None:
    client.force_login(owner)
    page = reverse("briefs:integration_list")

    created = client.post(page, {"kind": "alertmanager", "name": "Prod Alertmanager"})
    listing = client.get(page).content.decode()

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    integration = Integration.objects.get(owner=owner)
    url = created.context["url"]
    assert url.startswith("http://testserver/hooks/alertmanager/")
    token = url.rsplit("/", 1)[1]
    assert integration.token_hash == Integration.hash_token(token)
    assert token not in listing
    assert "Prod Alertmanager" in listing
    assert (
        post(
            Client(), url.removeprefix("http://testserver"), fixture("alertmanager_firing.json")
        ).status_code
        == 201
    )


def test_settings_page_refuses_an_unknown_kind(client: Client, owner: User) -> None:
    client.force_login(owner)

    response = client.post(reverse("briefs:integration_list"), {"kind": "nagios"})

    assert response.status_code == 400
    assert not Integration.objects.exists()


def test_revoking_an_integration_makes_its_url_404(client: Client, owner: User) -> None:
    integration, url = hook(IntegrationKind.GENERIC, owner)
    client.force_login(owner)

    response = client.post(reverse("briefs:integration_revoke", args=[integration.public_id]))

    assert response.status_code == 302
    answer = post(Client(), url, {"dedup_key": "k", "status": "firing", "title": "x"})
    assert answer.status_code == 404


def test_only_the_owner_may_revoke_or_set_the_secret(
    client: Client, owner: User, outsider: User
) -> None:
    integration, _ = hook(IntegrationKind.PAGERDUTY, owner)
    client.force_login(outsider)

    revoke = client.post(reverse("briefs:integration_revoke", args=[integration.public_id]))
    secret = client.post(
        reverse("briefs:integration_secret", args=[integration.public_id]), {"secret": "x"}
    )
    as_get = client.get(reverse("briefs:integration_revoke", args=[integration.public_id]))

    assert (revoke.status_code, secret.status_code, as_get.status_code) == (404, 404, 405)
    integration.refresh_from_db()
    assert integration.revoked_at is None and integration.signing_secret == SECRET


def test_the_owner_pastes_pagerdutys_secret_on_the_settings_page(
    client: Client, owner: User
) -> None:
    integration, token = integration_create(owner=owner, kind=IntegrationKind.PAGERDUTY)
    client.force_login(owner)

    client.post(
        reverse("briefs:integration_secret", args=[integration.public_id]), {"secret": SECRET}
    )

    url = reverse("briefs:alert_hook", args=["pagerduty", token])
    assert (
        signed(Client(), url, pagerduty_event("incident.triggered", event_id="e-1")).status_code
        == 201
    )
    assert SECRET not in client.get(reverse("briefs:integration_list")).content.decode()


def test_integration_create_command_prints_a_working_url(client: Client, owner: User) -> None:
    out = io.StringIO()

    call_command(
        "integration_create", "generic", "--owner", "owner", "--name", "Scripts", stdout=out
    )

    url = next(line for line in out.getvalue().splitlines() if "/hooks/generic/" in line)
    path = "/hooks/" + url.split("/hooks/", 1)[1]
    response = post(client, path, {"dedup_key": "k", "status": "firing", "title": "From a script"})
    assert response.status_code == 201
    assert Integration.objects.get().name == "Scripts"


def test_integration_create_command_takes_pagerdutys_secret(client: Client, owner: User) -> None:
    out = io.StringIO()

    call_command(
        "integration_create", "pagerduty", "--owner", "owner", "--secret", SECRET, stdout=out
    )

    url = next(line for line in out.getvalue().splitlines() if "/hooks/pagerduty/" in line)
    path = "/hooks/" + url.split("/hooks/", 1)[1]
    assert (
        signed(client, path, pagerduty_event("incident.triggered", event_id="e-1")).status_code
        == 201
    )


def test_integration_create_command_refuses_an_unknown_owner(db: None) -> None:
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("integration_create", "generic", "--owner", "nobody", stdout=io.StringIO())


def test_the_admin_never_shows_pagerdutys_secret(client: Client, owner: User) -> None:
    integration, _ = hook(IntegrationKind.PAGERDUTY, owner, name="PD")
    owner.is_staff = owner.is_superuser = True
    owner.save()
    client.force_login(owner)
    base = "/admin/briefs/integration/"

    pages = [client.get(base), client.get(f"{base}{integration.pk}/change/")]

    assert [page.status_code for page in pages] == [200, 200]
    assert all(SECRET not in page.content.decode() for page in pages)
    assert SECRET not in str(integration) + repr(integration)


def test_a_deactivated_owners_integration_gets_the_same_404_and_opens_no_draft(
    client: Client, owner: User
) -> None:
    _, url = hook(IntegrationKind.ALERTMANAGER, owner)
    miss = post(
        client,
        reverse("briefs:alert_hook", args=["alertmanager", "no-such-token"]),
        fixture("alertmanager_firing.json"),
    )
    # Someone who left: their alerting URL must not keep opening drafts nobody reads.
    owner.is_active = False
    owner.save()

    response = post(client, url, fixture("alertmanager_firing.json"))

    assert response.status_code == 404
    assert response.content == miss.content
    assert drafts_of(owner) == []
