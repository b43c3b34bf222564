"""The executive link: read-only, current, and private."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from briefs.models import Incident, ShareLink
from briefs.seed import make_estimate, make_incident
from briefs.services import share_link_create, update_post


@pytest.fixture(autouse=True)
def on_the_minute() -> Iterator[None]:
    # The brief states its figures as of the current minute.
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        yield


def share_url(token: str, suffix: str = "") -> str:
    return f"/b/{token}{suffix}"


def test_owner_creates_a_link_and_sees_it_once(owner_client: Client, incident: Incident) -> None:
    response = owner_client.post(
        f"/incidents/{incident.public_id}/links/", {"label": "Board", "valid_days": "7"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    match = re.search(r'value="(http://testserver/b/[^"]+)"', content)
    assert match is not None
    token = match.group(1).rsplit("/", 1)[1]
    link = ShareLink.objects.get()
    assert link.label == "Board"
    assert link.token_hash == ShareLink.hash_token(token)
    assert link.expires_at - link.created_at == timedelta(days=7)
    # The token is stored nowhere: not in the row, nor in the brief page afterwards.
    assert token not in str(ShareLink.objects.values_list().get())
    assert token not in owner_client.get(f"/incidents/{incident.public_id}/").content.decode()


def test_a_link_lasts_at_most_30_days(owner_client: Client, incident: Incident) -> None:
    response = owner_client.post(
        f"/incidents/{incident.public_id}/links/", {"label": "CEO", "valid_days": "31"}
    )
    assert response.status_code == 302
    assert ShareLink.objects.count() == 0
    with pytest.raises(ValueError):
        share_link_create(
            incident=incident, created_by=incident.owner, label="x", valid_for=timedelta(days=31)
        )


def test_token_is_long_and_random(executive_link: tuple[ShareLink, str]) -> None:
    _, token = executive_link
    assert len(token) >= 43


def test_executive_sees_the_brief_without_an_account(
    client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    _, token = executive_link
    response = client.get(share_url(token))
    assert response.status_code == 200
    content = response.content.decode()
    assert incident.title in content
    assert "$96,000" in content
    assert "<title>Briefing</title>" in content
    assert "og:" not in content


def test_executive_page_has_no_edit_controls_or_architect_links(
    client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    _, token = executive_link
    content = client.get(share_url(token)).content.decode()
    assert "/incidents/" not in content
    assert "Not yet answered" not in content
    assert "<form" not in content
    assert "Post an update" not in content
    assert "Correct</a>" not in content


def test_executive_responses_carry_privacy_headers(
    client: Client, executive_link: tuple[ShareLink, str]
) -> None:
    _, token = executive_link
    for suffix in ["", "/brief.md"]:
        response = client.get(share_url(token, suffix))
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]
        assert response["Cache-Control"] == "no-store"


def test_wrong_expired_and_revoked_tokens_get_the_same_404(
    client: Client, incident: Incident, owner: User
) -> None:
    _, expired = share_link_create(
        incident=incident, created_by=owner, label="Old", valid_for=timedelta(days=1)
    )
    revoked_link, revoked = share_link_create(incident=incident, created_by=owner, label="Gone")
    revoked_link.revoked_at = timezone.now()
    revoked_link.save()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        responses = [client.get(share_url(token)) for token in ["not-a-token", expired, revoked]]
    assert [r.status_code for r in responses] == [404, 404, 404]
    bodies = {r.content for r in responses}
    assert len(bodies) == 1


def test_revoking_takes_effect_on_the_next_request(
    owner_client: Client, client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    share, token = executive_link
    public = Client()
    assert public.get(share_url(token)).status_code == 200
    response = owner_client.post(f"/incidents/{incident.public_id}/links/{share.public_id}/revoke")
    assert response.status_code == 302
    assert public.get(share_url(token)).status_code == 404
    assert public.get(share_url(token, "/pdf")).status_code == 404
    assert public.get(share_url(token, "/brief.md")).status_code == 404


def test_outsider_cannot_create_or_revoke_links(
    outsider_client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    share, _ = executive_link
    assert (
        outsider_client.post(
            f"/incidents/{incident.public_id}/links/", {"label": "x", "valid_days": "7"}
        ).status_code
        == 404
    )
    assert (
        outsider_client.post(
            f"/incidents/{incident.public_id}/links/{share.public_id}/revoke"
        ).status_code
        == 404
    )
    share.refresh_from_db()
    assert share.revoked_at is None


def test_link_list_shows_views(
    owner_client: Client, client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    share, token = executive_link
    client.get(share_url(token))
    client.get(share_url(token))  # a reload within the minute is the same visit
    share.refresh_from_db()
    assert share.view_count == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        client.get(share_url(token))
    share.refresh_from_db()
    assert share.view_count == 2
    assert share.last_viewed_at is not None
    content = owner_client.get(f"/incidents/{incident.public_id}/").content.decode()
    assert "<td>2</td>" in content
    assert "Revoke" in content


def test_whats_new_since_the_last_visit_is_highlighted(
    client: Client, executive_link: tuple[ShareLink, str], incident: Incident, owner: User
) -> None:
    _, token = executive_link
    now = timezone.now()
    update_post(
        incident=incident,
        author=owner,
        what_changed="Seen before",
        next_update_due=now + timedelta(hours=1),
    )
    client.get(share_url(token))
    update_post(
        incident=incident,
        author=owner,
        what_changed="Brand new",
        next_update_due=now + timedelta(hours=1),
    )
    content = client.get(share_url(token)).content.decode()
    new_entry = content[content.index('id="update-2"') - 80 : content.index("Brand new")]
    assert "entry new" in new_entry
    old_entry = content[content.index('id="update-1"') - 80 : content.index("Seen before")]
    assert "entry new" not in old_entry


def test_the_executive_link_refreshes_a_fragment_only_while_open(
    client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    _, token = executive_link
    response = client.get(share_url(token, "?fragment=live"), headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="live"')
    assert "hx-trigger=" in content
    # As the resolve service does, bumping the version the cached HTML is keyed by.
    Incident.objects.filter(pk=incident.pk).update(
        resolved_at=timezone.now(), status="resolved", version=F("version") + 1
    )
    content = client.get(share_url(token)).content.decode()
    assert "hx-trigger=" not in content


def test_a_repeat_request_for_an_unchanged_brief_gets_304(
    client: Client, executive_link: tuple[ShareLink, str]
) -> None:
    _, token = executive_link
    client.get(share_url(token))  # the first visit marks everything as seen
    first = client.get(share_url(token, "?fragment=live"), headers={"HX-Request": "true"})
    again = client.get(
        share_url(token, "?fragment=live"),
        headers={"HX-Request": "true", "If-None-Match": first["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_and_head_reach_the_link(
    client: Client, executive_link: tuple[ShareLink, str], method: str
) -> None:
    _, token = executive_link
    for suffix in ["", "/pdf", "/brief.md"]:
        assert getattr(client, method)(share_url(token, suffix)).status_code == 405
    assert client.head(share_url(token)).status_code == 200


def test_the_plain_text_brief_puts_key_figures_first(
    client: Client, executive_link: tuple[ShareLink, str]
) -> None:
    _, token = executive_link
    response = client.get(share_url(token, "/brief.md"))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# Checkout outage")
    assert text.index("**Cost so far:** $96,000") < text.index("## What happened")


def test_the_link_runs_the_same_number_of_queries_with_5_or_200_updates(
    client: Client,
    owner: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    tokens: list[str] = []
    now = timezone.now()
    for count in [5, 200]:
        incident = make_incident(owner=owner, title=f"{count} updates")
        make_estimate(incident=incident)
        for number in range(count):
            update_post(
                incident=incident,
                author=owner,
                what_changed=f"#{number}",
                next_update_due=now + timedelta(hours=1),
            )
        tokens.append(share_link_create(incident=incident, created_by=owner, label="CEO")[1])
    with django_assert_max_num_queries(12) as small:
        assert client.get(share_url(tokens[0])).status_code == 200
    with django_assert_num_queries(len(small)):
        assert client.get(share_url(tokens[1])).status_code == 200


def test_the_link_shows_nothing_of_other_incidents(
    client: Client, executive_link: tuple[ShareLink, str], owner: User
) -> None:
    make_incident(owner=owner, title="Secret other incident")
    _, token = executive_link
    assert "Secret other incident" not in client.get(share_url(token)).content.decode()


def test_unanswered_sections_say_to_follow_for_executives(
    client: Client, executive_link: tuple[ShareLink, str]
) -> None:
    _, token = executive_link
    content = client.get(share_url(token)).content.decode()
    root_cause = content[content.index('id="s-cause"') : content.index('id="s-doing"')]
    assert "To follow." in root_cause
    assert "Not yet answered" not in content


def test_the_cached_page_shows_a_new_update_on_the_next_request(
    client: Client, executive_link: tuple[ShareLink, str], incident: Incident
) -> None:
    _, token = executive_link
    first = client.get(share_url(token)).content.decode()
    assert client.get(share_url(token)).content.decode() == first  # the same page, cached
    update_post(
        incident=incident,
        author=incident.owner,
        what_changed="Payments are back on the main provider.",
        next_update_due=timezone.now() + timedelta(hours=1),
    )
    assert (
        "Payments are back on the main provider." in client.get(share_url(token)).content.decode()
    )
