"""Slack and Teams webhooks (briefs/chat.py): what reaches a real HTTPS receiver, how its
answers are read, the addresses refused (no server-side request forgery), and the formats."""

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from briefs import chat
from briefs.chat import ChatDeliveryError, ChatTarget
from briefs.models import ChatKind, ChatWebhook, Incident
from briefs.notices import Notice, NoticeKind
from briefs.services import chat_webhook_add, chat_webhook_disable
from escalation.settings import envwebhooks
from tests.chat_receiver import Answer, Receiver, make_certificate, running_receiver

SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
PUBLIC_ADDRESS = "52.89.214.238"

NOTICE = Notice(
    kind=NoticeKind.UPDATE,
    subject="[SEV1] Order processing outage: $762,000 so far, fixed by 10:39–13:39 UTC",
    headline="Orders are flowing again at half speed.",
    facts=[("Cost so far", "$762,000 as of 10:02 UTC"), ("Expected fix", "10:39–13:39 UTC")],
    paragraphs=["We moved traffic to the standby cluster.", "We need approval for overtime."],
    link_url="https://briefs.example.com/b/token",
    link_label="Open the brief",
)


@pytest.fixture(scope="session")
def localhost_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def local_chat(settings: Settings, localhost_certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    """A real HTTPS receiver, and webhooks allowed to post to it: localhost, its port, its
    certificate. The production rule stays on everywhere else."""
    settings.CHAT_WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = True
    settings.CHAT_WEBHOOK_CA_FILE = str(localhost_certificate[0])
    with running_receiver(*localhost_certificate) as receiver:
        yield receiver


@pytest.fixture
def resolves_to(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """DNS as the test says: {"hooks.slack.com": ["10.0.0.1"]}; other names are unknown."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"unknown name {host}")
        return answers[host]

    monkeypatch.setattr(chat, "resolve", resolve)
    yield answers


def target(url: str, channel: str = "slack") -> ChatTarget:
    return ChatTarget(key="webhook:test", channel=channel, label="Slack: #exec", url=url)


# --- Delivery to a real receiver --------------------------------------------------------------


def test_slack_notice_reaches_the_receiver_as_block_kit(local_chat: Receiver) -> None:
    chat.send(target(local_chat.url()), NOTICE)

    (request,) = local_chat.requests
    assert request.path == "/services/T000/B000/secretpart"
    assert request.headers["Content-Type"] == "application/json"
    message = request.json()
    assert message["text"].startswith("[SEV1] Order processing outage")
    types = [block["type"] for block in message["blocks"]]
    assert types == ["header", "section", "section", "section", "section", "actions"]
    assert message["blocks"][0]["text"] == {
        "type": "plain_text",
        "text": NOTICE.subject,
        "emoji": False,
    }
    fields = [f["text"] for f in message["blocks"][2]["fields"]]
    assert fields == ["Cost so far\n$762,000 as of 10:02 UTC", "Expected fix\n10:39–13:39 UTC"]
    (button,) = message["blocks"][-1]["elements"]
    assert button["type"] == "button"
    assert button["url"] == "https://briefs.example.com/b/token"
    assert button["text"]["text"] == "Open the brief"


def test_teams_notice_reaches_the_receiver_as_an_adaptive_card(local_chat: Receiver) -> None:
    chat.send(target(local_chat.url("/workflows/abc"), channel="teams"), NOTICE)

    message = local_chat.requests[0].json()
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.2"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert [item["type"] for item in card["body"]] == [
        "TextBlock",
        "TextBlock",
        "FactSet",
        "TextBlock",
        "TextBlock",
    ]
    assert card["body"][2]["facts"][0] == {
        "title": "Cost so far",
        "value": "$762,000 as of 10:02 UTC",
    }
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open the brief",
            "url": "https://briefs.example.com/b/token",
        }
    ]


def test_a_failing_webhook_is_retryable_until_it_recovers(local_chat: Receiver) -> None:
    local_chat.answer_next(
        Answer(500, "rollup_error"), Answer(429, "rate limited", {"Retry-After": "1"})
    )
    outcomes = []
    for _ in range(3):
        try:
            chat.send(target(local_chat.url()), NOTICE)
            outcomes.append("sent")
        except ChatDeliveryError as error:
            outcomes.append(f"retryable={error.retryable}: {error}")

    assert outcomes == [
        "retryable=True: Slack: #exec answered 500: rollup_error",
        "retryable=True: Slack: #exec answered 429: rate limited",
        "sent",
    ]
    assert len(local_chat.requests) == 3


def test_teams_throttling_inside_a_200_is_retryable(local_chat: Receiver) -> None:
    local_chat.answer_next(Answer(200, "Microsoft Teams endpoint returned HTTP error 429"))
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(local_chat.url(), channel="teams"), NOTICE)
    assert refused.value.retryable is True


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (403, "invalid_token"),
        (404, "no_service"),
        (404, "channel_not_found"),
        (400, "invalid_payload"),
    ],
)
def test_a_refusing_webhook_is_not_retried_and_says_why(
    local_chat: Receiver, status: int, code: str
) -> None:
    local_chat.answer_next(Answer(status, code))
    url = local_chat.url()
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(url), NOTICE)
    assert refused.value.retryable is False
    assert str(refused.value) == f"Slack: #exec answered {status}: {code}"
    assert "secretpart" not in str(refused.value)


def test_a_redirect_is_not_followed(local_chat: Receiver) -> None:
    elsewhere = local_chat.url("/elsewhere")
    local_chat.answer_next(Answer(302, "", {"Location": elsewhere}))
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(local_chat.url()), NOTICE)
    assert refused.value.retryable is False
    assert "redirect (302), which is not followed" in str(refused.value)
    assert [request.path for request in local_chat.requests] == ["/services/T000/B000/secretpart"]


def test_a_receiver_that_never_finishes_is_cut_off_at_the_total_timeout(
    local_chat: Receiver, settings: Settings
) -> None:
    settings.CHAT_WEBHOOK_TIMEOUT_SECONDS = 1
    local_chat.answer_next(Answer(200, "o" * 40, drip=0.2))  # 8 s to say all of it
    started = time.monotonic()
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(local_chat.url()), NOTICE)
    # Generous: the point is that it stops near 1 s, not after the 8 s the receiver takes.
    assert time.monotonic() - started < 5
    assert refused.value.retryable is True


def test_nobody_listening_is_retryable(local_chat: Receiver) -> None:
    url = local_chat.url()
    local_chat.server.shutdown()
    local_chat.server.server_close()
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(url), NOTICE)
    assert refused.value.retryable is True


def test_an_untrusted_certificate_is_refused(local_chat: Receiver, settings: Settings) -> None:
    settings.CHAT_WEBHOOK_CA_FILE = ""  # the system's authorities: the test's is not one
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(local_chat.url()), NOTICE)
    assert refused.value.retryable is False
    assert "TLS certificate is not valid" in str(refused.value)
    assert local_chat.requests == []


def test_the_connection_goes_to_the_address_checked_not_a_second_lookup(
    local_chat: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the first answer passes the check, a later one would point elsewhere.
    answers = [["127.0.0.1"], ["10.9.9.9"]]
    lookups = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[min(len(lookups) - 1, 1)]

    monkeypatch.setattr(chat, "resolve", resolve)
    chat.send(target(local_chat.url()), NOTICE)
    assert lookups == ["localhost"]
    assert len(local_chat.requests) == 1


# --- The URL rule: no server-side request forgery ---------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fd00::1",
        "fe80::1",
        "ff02::1",
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused(
    resolves_to: dict[str, list[str]], address: str
) -> None:
    resolves_to["hooks.slack.com"] = [address]
    problem = chat.check_url(SLACK_URL)
    assert problem is not None
    assert f"resolves to a private or reserved address ({address})" in problem
    with pytest.raises(ChatDeliveryError) as refused:
        chat.send(target(SLACK_URL), NOTICE)
    assert refused.value.retryable is False


def test_a_public_address_is_accepted(resolves_to: dict[str, list[str]]) -> None:
    resolves_to["hooks.slack.com"] = [PUBLIC_ADDRESS, "2600:1f14::1"]
    assert chat.check_url(SLACK_URL) is None


def test_one_private_address_among_public_ones_is_refused(
    resolves_to: dict[str, list[str]],
) -> None:
    resolves_to["hooks.slack.com"] = [PUBLIC_ADDRESS, "10.0.0.7"]
    assert "(10.0.0.7)" in (chat.check_url(SLACK_URL) or "")


def test_a_real_name_for_loopback_is_refused_without_the_allowance(
    settings: Settings,
) -> None:
    settings.CHAT_WEBHOOK_ALLOWED_HOSTS = ["localhost"]
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = False
    problem = chat.check_url("https://localhost/hook")
    assert problem is not None and "private or reserved address" in problem
    settings.CHAT_WEBHOOK_ALLOW_PRIVATE = True
    assert chat.check_url("https://localhost/hook") is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.slack.com/services/x", "must start with https://"),
        ("hooks.slack.com/services/x", "must start with https://"),
        ("https://evil.example.com/services/x", "this one goes to evil.example.com"),
        ("https://hooks.slack.com.evil.example/x", "this one goes to hooks.slack.com.evil.example"),
        ("https://webhook.office.com.evil.example/x", "goes to webhook.office.com.evil.example"),
        ("https://127.0.0.1/services/x", "this one goes to 127.0.0.1"),
        ("https://[::1]/services/x", "this one goes to ::1"),
        ("https://user:pw@hooks.slack.com/services/x", "no user name or password"),
        ("https://hooks.slack.com:8443/services/x", "standard HTTPS port"),
        ("https://hooks.slack.com:99999/x", "not a web address"),
    ],
)
def test_a_url_breaking_the_rule_is_refused_before_any_lookup(
    resolves_to: dict[str, list[str]], url: str, problem: str
) -> None:
    resolves_to["hooks.slack.com"] = [PUBLIC_ADDRESS]
    assert problem in (chat.url_problem(url) or "")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("hooks.slack.com", True),
        ("HOOKS.SLACK.COM.", True),
        ("acme.webhook.office.com", True),
        ("webhook.office.com", False),
        ("outlook.office.com", True),
        ("prod-12.westus.logic.azure.com", True),
        ("slack.com", False),
        ("xhooks.slack.com", False),
        ("evil-webhook.office.com", False),
    ],
)
def test_the_default_hosts_are_slack_and_teams_only(host: str, allowed: bool) -> None:
    assert chat.host_allowed(host) is allowed


# --- Formats ----------------------------------------------------------------------------------

HOSTILE = Notice(
    kind=NoticeKind.ESCALATED,
    subject="<!channel> Checkout & payments <https://evil.example|click>",
    headline="*bold* _italic_ ~gone~ `code` <@U123>",
    facts=[("Cost & risk", "> $1M <soon>")],
    paragraphs=[
        "- not a list\n1. not numbered\n# not a heading",
        "[click](https://evil.example) **x**",
    ],
    link_url="https://briefs.example.com/b/t",
)


def _texts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def test_slack_shows_angle_brackets_and_ampersands_as_typed_never_as_markup() -> None:
    message = chat.slack_payload(HOSTILE)
    assert message["text"].startswith(
        "&lt;!channel&gt; Checkout &amp; payments &lt;https://evil.example|click&gt;"
    )
    assert message["mrkdwn"] is False
    header = message["blocks"][0]["text"]["text"]
    assert header == "&lt;!channel&gt; Checkout &amp; payments &lt;https://evil.example|click&gt;"
    assert message["blocks"][2]["fields"][0]["text"] == "Cost &amp; risk\n&gt; $1M &lt;soon&gt;"
    # Markdown-ish text stays literal: every text object is plain_text, none mrkdwn.
    kinds = {obj["type"] for obj in _texts(message["blocks"]) if "text" in obj and "type" in obj}
    assert "mrkdwn" not in kinds
    assert message["blocks"][1]["text"] == {
        "type": "plain_text",
        "text": "*bold* _italic_ ~gone~ `code` &lt;@U123&gt;",
        "emoji": False,
    }
    assert "<" not in str(message) and ">" not in str(message).replace("->", "")


def test_teams_escapes_markdown_so_it_shows_as_typed() -> None:
    card = chat.teams_payload(HOSTILE)["attachments"][0]["content"]
    texts = [item["text"] for item in card["body"] if item["type"] == "TextBlock"]
    assert texts[1] == r"\*bold\* \_italic\_ \~gone\~ \`code\` <@U123>"
    assert texts[2] == "\\- not a list\n1\\. not numbered\n\\# not a heading"
    assert texts[3] == r"\[click\](https://evil.example) \*\*x\*\*"
    assert card["body"][2]["facts"] == [{"title": "Cost & risk", "value": r"\> $1M <soon>"}]


def test_slack_blocks_stay_within_block_kit_limits() -> None:
    long = Notice(
        kind=NoticeKind.UPDATE,
        subject="S" * 400,
        headline="H" * 5000,
        facts=[(f"Fact {n}", "v" * 3000) for n in range(14)],
        link_url="https://briefs.example.com/b/t",
        link_label="L" * 100,
    )
    blocks = chat.slack_payload(long)["blocks"]
    assert len(blocks[0]["text"]["text"]) == 150
    assert len(blocks[1]["text"]["text"]) == 3000
    assert len(blocks[2]["fields"]) == 10
    assert max(len(f["text"]) for f in blocks[2]["fields"]) == 2000
    assert len(blocks[-1]["elements"][0]["text"]["text"]) == 75


def test_a_notice_without_link_or_facts_has_no_button_or_fields() -> None:
    bare = Notice(kind=NoticeKind.RESOLVED, subject="Resolved", headline="")
    assert [block["type"] for block in chat.slack_payload(bare)["blocks"]] == ["header"]
    card = chat.teams_payload(bare)["attachments"][0]["content"]
    assert "actions" not in card and len(card["body"]) == 1


# --- Targets and the deployment's webhooks ----------------------------------------------------


def test_targets_are_the_deployments_and_the_incidents_active_webhooks(
    incident: Incident, owner: User, settings: Settings
) -> None:
    settings.CHAT_WEBHOOKS = [("teams", "https://acme.webhook.office.com/webhookb2/abc")]
    kept = chat_webhook_add(
        incident=incident, created_by=owner, kind=ChatKind.SLACK, label="#exec", url=SLACK_URL
    )
    removed = chat_webhook_add(
        incident=incident,
        created_by=owner,
        kind=ChatKind.SLACK,
        label="#old",
        url=SLACK_URL + "old",
    )
    chat_webhook_disable(webhook=removed)

    targets = chat.targets_for(incident)

    assert [(t.channel, t.label) for t in targets] == [
        ("teams", "Microsoft Teams: acme.webhook.office.com (all incidents)"),
        ("slack", "Slack: #exec"),
    ]
    assert targets[0].key.startswith("deploy:") and len(targets[0].key) == len("deploy:") + 16
    assert targets[1].key == f"webhook:{kept.public_id}"
    assert chat.targets_for(incident) == targets  # stable keys, run after run
    assert ChatWebhook.objects.get(pk=removed.pk).disabled_at is not None


def test_deployment_webhooks_parse_from_the_environment() -> None:
    raw = "slack:https://hooks.slack.com/services/a, teams:https://x.webhook.office.com/b"
    with mock.patch.dict(os.environ, {"CHAT_WEBHOOKS": raw}):
        assert envwebhooks("CHAT_WEBHOOKS") == [
            ("slack", "https://hooks.slack.com/services/a"),
            ("teams", "https://x.webhook.office.com/b"),
        ]


@pytest.mark.parametrize(
    "raw",
    [
        "discord:https://x.example/y",
        "slack:http://hooks.slack.com/secret",
        "https://hooks.slack.com/x",
    ],
)
def test_a_bad_deployment_webhook_stops_start_up_without_showing_the_url(raw: str) -> None:
    with (
        mock.patch.dict(os.environ, {"CHAT_WEBHOOKS": f"slack:https://hooks.slack.com/a,{raw}"}),
        pytest.raises(ImproperlyConfigured) as refused,
    ):
        envwebhooks("CHAT_WEBHOOKS")
    assert "entry 2 is not" in str(refused.value)
    assert "secret" not in str(refused.value) and "x.example" not in str(refused.value)


def test_an_incident_webhook_that_is_also_the_deployments_posts_once(
    incident: Incident, owner: User, settings: Settings
) -> None:
    settings.CHAT_WEBHOOKS = [("slack", SLACK_URL)]
    chat_webhook_add(
        incident=incident, created_by=owner, kind=ChatKind.SLACK, label="#exec", url=SLACK_URL
    )
    assert [t.key[:7] for t in chat.targets_for(incident)] == ["deploy:"]


def test_every_target_of_an_incident_receives_the_notice_in_its_own_format(
    local_chat: Receiver, incident: Incident, owner: User, settings: Settings
) -> None:
    settings.CHAT_WEBHOOKS = [("teams", local_chat.url("/workflows/deploy"))]
    chat_webhook_add(
        incident=incident,
        created_by=owner,
        kind=ChatKind.SLACK,
        label="#exec",
        url=local_chat.url("/services/incident"),
    )

    for each in chat.targets_for(incident):
        chat.send(each, NOTICE)

    received = {request.path: request.json() for request in local_chat.requests}
    assert received["/workflows/deploy"]["type"] == "message"
    assert received["/services/incident"]["blocks"][0]["type"] == "header"
