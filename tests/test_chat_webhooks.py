"""Adding and removing an incident's Slack and Teams webhooks on the architect's brief."""

import html
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from briefs import chat, notifications, services
from briefs.models import ChatKind, ChatLink, ChatWebhook, Delivery, DeliveryStatus, Incident
from briefs.notices import Notice
from briefs.seed import make_incident
from briefs.services import chat_webhook_add
from tests.factories import PASSWORD
from tests.test_constraints import _rejected

SLACK_URL = "https://hooks.slack.com/services/T0001/B0001/abcdefghijklmnopqrstWXYZ"
TEAMS_URL = "https://acme.webhook.office.com/webhookb2/1234/IncomingWebhook/abcd/ef99"


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """Webhook hosts resolve as the test says, without the network."""
    answers = {
        "hooks.slack.com": ["52.89.214.238"],
        "acme.webhook.office.com": ["52.96.0.10"],
    }

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"unknown name {host}")
        return answers[host]

    monkeypatch.setattr(chat, "resolve", resolve)
    yield answers


def add_url(incident: Incident) -> str:
    return f"/incidents/{incident.public_id}/chat/"


def remove_url(incident: Incident, webhook: ChatWebhook) -> str:
    return f"/incidents/{incident.public_id}/chat/{webhook.public_id}/remove"


def brief(client: Client, incident: Incident) -> str:
    return client.get(f"/incidents/{incident.public_id}/").content.decode()


def test_owner_adds_a_slack_channel_and_sees_it_without_its_secret(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    before = brief(owner_client, incident)  # a cached page, which adding must not leave stale
    assert "Slack: #exec-incidents" not in html.unescape(before)

    response = owner_client.post(
        add_url(incident), {"kind": "slack", "label": "#exec-incidents", "url": SLACK_URL}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.public_id}/#chat"
    webhook = ChatWebhook.objects.get()
    assert (webhook.incident, webhook.kind, webhook.label, webhook.url, webhook.created_by) == (
        incident,
        ChatKind.SLACK,
        "#exec-incidents",
        SLACK_URL,
        owner,
    )
    page = html.unescape(owner_client.get(response["Location"]).content.decode())
    assert "now also go to Slack: #exec-incidents" in page
    assert "https://hooks.slack.com/…WXYZ" in page
    assert SLACK_URL not in page and "abcdefghijklmnop" not in page
    again = html.unescape(brief(owner_client, incident))  # the cached page, message gone
    assert "Slack: #exec-incidents" in again and SLACK_URL not in again


def test_a_collaborator_adds_a_teams_channel(
    client: Client, collaborator: User, incident: Incident
) -> None:
    client.force_login(collaborator)
    response = client.post(
        add_url(incident), {"kind": "teams", "label": "Exec war room", "url": TEAMS_URL}
    )
    assert response.status_code == 302
    assert [t.label for t in chat.targets_for(incident)] == ["Microsoft Teams: Exec war room"]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://hooks.slack.com/services/T/B/x", "A webhook address must start with https://."),
        ("https://evil.example.com/hook", "this one goes to evil.example.com"),
        ("https://hooks.slack.com:8443/services/x", "the standard HTTPS port"),
        ("https://nowhere.webhook.office.com/x", "does not resolve"),
    ],
)
def test_a_bad_address_is_refused_with_a_clear_error_and_nothing_lost(
    owner_client: Client, incident: Incident, url: str, error: str
) -> None:
    response = owner_client.post(
        add_url(incident), {"kind": "teams", "label": "Exec war room", "url": url}
    )
    assert response.status_code == 400
    assert "no-store" in response["Cache-Control"]
    page = html.unescape(response.content.decode())
    assert error in page
    assert "The channel was not added" in page
    assert 'value="Exec war room"' in page
    assert f'value="{url}"' in page
    assert '<option value="teams" selected>' in page
    # The error is tied to the field for a screen reader.
    assert 'aria-describedby="chat_url_helptext chat_url_error"' in page
    assert 'id="chat_url_error"' in page
    assert not ChatWebhook.objects.exists()


def test_an_address_inside_the_network_is_refused_on_the_form(
    owner_client: Client, incident: Incident, dns: dict[str, list[str]]
) -> None:
    dns["hooks.slack.com"] = ["169.254.169.254"]
    response = owner_client.post(
        add_url(incident), {"kind": "slack", "label": "#exec", "url": SLACK_URL}
    )
    assert response.status_code == 400
    assert "resolves to a private or reserved address (169.254.169.254)" in html.unescape(
        response.content.decode()
    )
    assert not ChatWebhook.objects.exists()


def test_a_missing_label_is_refused(owner_client: Client, incident: Incident) -> None:
    response = owner_client.post(add_url(incident), {"kind": "slack", "url": SLACK_URL})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ChatWebhook.objects.exists()


def test_owner_removes_a_channel_and_notices_stop_going_there(
    owner_client: Client, incident: Incident, owner: User
) -> None:
    webhook = chat_webhook_add(
        incident=incident, created_by=owner, kind="slack", label="#exec", url=SLACK_URL
    )
    assert "Slack: #exec" in html.unescape(brief(owner_client, incident))

    response = owner_client.post(remove_url(incident, webhook))

    assert response.status_code == 302
    webhook.refresh_from_db()
    assert webhook.disabled_at is not None
    assert chat.targets_for(incident) == []
    page = html.unescape(brief(owner_client, incident))
    assert "no longer go to Slack: #exec" in page
    assert "Remove Slack #exec" not in page
    assert "Slack: #exec" not in html.unescape(brief(owner_client, incident))


def test_an_outsider_can_neither_add_nor_remove_nor_see_channels(
    outsider_client: Client, incident: Incident, owner: User
) -> None:
    webhook = chat_webhook_add(
        incident=incident, created_by=owner, kind="slack", label="#exec", url=SLACK_URL
    )
    added = outsider_client.post(
        add_url(incident), {"kind": "slack", "label": "#mine", "url": SLACK_URL}
    )
    removed = outsider_client.post(remove_url(incident, webhook))
    page = outsider_client.get(f"/incidents/{incident.public_id}/")

    assert (added.status_code, removed.status_code, page.status_code) == (404, 404, 404)
    assert ChatWebhook.objects.count() == 1
    webhook.refresh_from_db()
    assert webhook.disabled_at is None


def test_a_webhook_cannot_be_removed_through_another_incident(
    client: Client, owner: User, incident: Incident
) -> None:
    theirs = make_incident(owner=User.objects.create_user("other", password=PASSWORD))
    webhook = chat_webhook_add(
        incident=theirs, created_by=theirs.owner, kind="slack", label="#x", url=SLACK_URL
    )
    client.force_login(owner)
    response = client.post(remove_url(incident, webhook))
    assert response.status_code == 404
    webhook.refresh_from_db()
    assert webhook.disabled_at is None


def test_chat_views_accept_only_post(owner_client: Client, incident: Incident, owner: User) -> None:
    webhook = chat_webhook_add(
        incident=incident, created_by=owner, kind="slack", label="#exec", url=SLACK_URL
    )
    assert owner_client.get(add_url(incident)).status_code == 405
    assert owner_client.get(remove_url(incident, webhook)).status_code == 405


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, incident: Incident) -> None:
    response = client.post(add_url(incident), {"kind": "slack", "label": "#x", "url": SLACK_URL})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or "login" in response["Location"]
    assert not ChatWebhook.objects.exists()


@pytest.mark.parametrize(
    ("constraint", "fields"),
    [
        ("chatwebhook_kind_valid", {"kind": "irc"}),
        ("chatwebhook_url_https", {"url": "http://hooks.slack.com/services/x"}),
        ("chatwebhook_label_length", {"label": "#" * 81}),
    ],
)
def test_the_database_refuses_a_bad_webhook_row(
    incident: Incident, owner: User, constraint: str, fields: dict[str, str]
) -> None:
    row = {"kind": "slack", "label": "#exec", "url": SLACK_URL, **fields}
    _rejected(
        constraint,
        lambda: ChatWebhook.objects.create(incident=incident, created_by=owner, **row),
    )
    ChatWebhook.objects.create(
        incident=incident, created_by=owner, kind="teams", label="#exec", url=TEAMS_URL
    )
    assert ChatWebhook.objects.get().masked_url == "https://acme.webhook.office.com/…ef99"


def test_the_same_webhook_twice_is_refused_and_once_removed_may_return(
    owner_client: Client, incident: Incident
) -> None:
    post = {"kind": "slack", "label": "#exec  \n incidents", "url": SLACK_URL}
    assert owner_client.post(add_url(incident), post).status_code == 302
    again = owner_client.post(add_url(incident), post)
    assert again.status_code == 400
    assert "This incident already posts to this webhook." in html.unescape(again.content.decode())
    first = ChatWebhook.objects.get()
    assert first.label == "#exec incidents"  # one line, as delivery lists show it

    owner_client.post(remove_url(incident, first))
    assert owner_client.post(add_url(incident), post).status_code == 302
    assert ChatWebhook.objects.active().count() == 1


# --- What a removed webhook leaves behind: its executive link and its queued notices ---


def _post_update(incident: Incident, owner: User, text: str = "Rolled back.") -> None:
    services.update_post(
        incident=incident,
        author=owner,
        what_changed=text,
        next_update_due=timezone.now() + timedelta(hours=1),
    )


def _posted(monkeypatch: pytest.MonkeyPatch) -> list[Notice]:
    sent: list[Notice] = []
    monkeypatch.setattr(chat, "send", lambda target, notice: sent.append(notice))
    return sent


def test_removing_a_channel_ends_the_executive_link_it_was_sent(
    owner_client: Client,
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent = _posted(monkeypatch)
    webhook = chat_webhook_add(
        incident=incident, created_by=owner, kind="slack", label="#exec", url=SLACK_URL
    )
    with django_capture_on_commit_callbacks(execute=True):
        _post_update(incident, owner)
    (notice,) = sent
    path = notice.link_url.removeprefix(settings.SITE_URL)
    assert Client().get(path).status_code == 200

    owner_client.post(remove_url(incident, webhook))

    # Everyone in that channel still has the link: removing the channel must end it.
    assert Client().get(path).status_code == 404


def test_a_channels_link_is_kept_open_by_each_notice_for_a_long_incident(
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent = _posted(monkeypatch)
    chat_webhook_add(incident=incident, created_by=owner, kind="slack", label="#e", url=SLACK_URL)
    with django_capture_on_commit_callbacks(execute=True):
        _post_update(incident, owner, "First.")
    link = ChatLink.objects.get(incident=incident).share_link
    with time_machine.travel(link.expires_at - timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            _post_update(incident, owner, "Second.")
        link.refresh_from_db()
        assert link.expires_at > timezone.now() + timedelta(days=29)
        path = sent[-1].link_url.removeprefix(settings.SITE_URL)
    with time_machine.travel(link.expires_at - timedelta(days=1)):
        assert Client().get(path).status_code == 200


def test_after_every_link_is_revoked_a_channel_gets_its_notice_without_a_dead_link(
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent = _posted(monkeypatch)
    chat_webhook_add(incident=incident, created_by=owner, kind="slack", label="#e", url=SLACK_URL)
    with django_capture_on_commit_callbacks(execute=True):
        _post_update(incident, owner, "First.")
    services.share_links_revoke(incident=incident)

    with django_capture_on_commit_callbacks(execute=True):
        _post_update(incident, owner, "Second.")

    assert [n.paragraphs[0] for n in sent] == ["First.", "Second."]
    assert sent[0].link_url and sent[1].link_url == ""


def test_a_notice_queued_before_its_channel_was_removed_is_cancelled_not_failed(
    owner_client: Client,
    incident: Incident,
    owner: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = _posted(monkeypatch)
    webhook = chat_webhook_add(
        incident=incident, created_by=owner, kind="slack", label="#exec", url=SLACK_URL
    )
    _post_update(incident, owner)  # its send waits for the commit, which the test never makes
    owner_client.post(remove_url(incident, webhook))

    notifications.send_due(timezone.now() + timedelta(minutes=5))

    assert sent == []
    delivery = Delivery.objects.get(channel="slack")
    assert delivery.status == DeliveryStatus.CANCELLED
    assert "removed" in delivery.last_error
    line = owner_client.get(
        reverse("briefs:incident_deliveries", args=[incident.public_id]) + "?fragment=line",
        headers={"HX-Request": "true"},
    )
    assert 'id="delivery-line"' in line.content.decode()
    assert "failed" not in line.content.decode()
