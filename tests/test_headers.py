"""Caching, indexing and referrer headers, and cookie flags, on every answer, whatever its status.

The walk below visits every URL pattern the app has, so a page added later that forgets a header
fails here without a test of its own.
"""

import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from briefs.integrations import integration_create
from briefs.models import (
    ActionItem,
    ChatWebhook,
    Incident,
    IntegrationKind,
    RootCauseAnalysis,
    ShareLink,
    Status,
)
from briefs.seed import make_incident
from briefs.services import (
    api_token_create,
    share_link_create,
    share_link_revoke,
    subscriber_add,
)

LINK_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield pattern.name or "", route


# The admin's own patterns are regular expressions; its index stands for them.
ROUTES = [(name, route) for name, route in _patterns(get_resolver()) if "admin/" not in route]
ROUTES.append(("admin", "admin/"))


class World:
    """A resolved incident with an RCA, an action item and a link: every route resolves to it."""

    def __init__(self, owner: User) -> None:
        now = timezone.now()
        self.incident = make_incident(
            owner=owner, status=Status.RESOLVED, resolved_at=now - timedelta(minutes=5)
        )
        RootCauseAnalysis.objects.create(
            incident=self.incident, root_cause="A settings change.", author=owner
        )
        self.item = ActionItem.objects.create(
            incident=self.incident, description="Add a check", kind="preventive", owner=owner
        )
        self.link, self.token = share_link_create(
            incident=self.incident, created_by=owner, label="CEO"
        )
        self.webhook = ChatWebhook.objects.create(
            incident=self.incident,
            created_by=owner,
            kind="slack",
            label="#exec",
            url="https://hooks.slack.com/services/T/B/x",
        )

        self.integration, _ = integration_create(owner=owner, kind=IntegrationKind.PAGERDUTY)

        # The API tokens page's rows (issue 17).
        self.api_token, _ = api_token_create(user=owner, name="script")
        # Notifications (issue 16): an executive who gets the mail.
        self.subscriber = subscriber_add(
            incident=self.incident,
            created_by=owner,
            name="Dana Chen",
            email="ceo@example.com",
            cadence="each_update",
        )

    def url(self, route: str) -> str:
        path = route.replace("<uuid:public_id>", str(self.incident.public_id))
        path = path.replace("<uuid:item_id>", str(self.item.public_id))
        path = path.replace("<uuid:link_id>", str(self.link.public_id))
        path = path.replace("<uuid:webhook_id>", str(self.webhook.public_id))

        path = path.replace("<uuid:subscriber_id>", str(self.subscriber.public_id))
        path = path.replace("<slug:step>", "cause").replace("<str:token>", self.token)
        # Alert webhooks (issue 17): a hook (404 for the link's token), an integration of the
        # owner's and a cleared alert that is not there (404).
        path = path.replace("<str:kind>", "generic")
        path = path.replace("<uuid:integration_id>", str(self.integration.public_id))
        path = path.replace("<uuid:clearance_id>", str(uuid.uuid4()))

        # The JSON API's routes (django-ninja names its UUID converter "uuidstr").
        path = path.replace("<uuidstr:public_id>", str(self.incident.public_id))
        path = path.replace("<uuidstr:item_id>", str(self.item.public_id))
        path = path.replace("<uuidstr:link_id>", str(self.link.public_id))
        path = path.replace("<uuid:token_id>", str(self.api_token.public_id))
        path = path.replace("<uuidstr:subscriber_id>", str(self.subscriber.public_id))
        assert "<" not in path, f"a new kind of URL parameter: {route}"
        return "/" + path


@pytest.fixture
def world(owner: User) -> World:
    return World(owner)


def _assert_headers(response: Any, url: str, *, signed_in: bool) -> None:
    where = f"{response.status_code} {url}"
    for cookie in response.cookies.values():
        if cookie["max-age"] == 0:
            continue  # a deletion (logout): empty and expired
        # Session, CSRF and message cookies: HTTPS only where settings say, never cross-site.
        assert cookie["samesite"] in {"Lax", "Strict"}, f"{cookie.key} on {where}"
        assert cookie["secure"], f"{cookie.key} on {where}"
        if cookie.key == "sessionid":
            assert cookie["httponly"], where
    assert "default-src 'self'" in response.get("Content-Security-Policy", ""), where
    if url.startswith("/b/"):
        for name, value in LINK_HEADERS.items():
            assert response.get(name) == value, f"{name} on {where}"
        return
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert "no-store" in directives, where
    if signed_in:
        assert "private" in directives, where
        assert "public" not in directives, where


@pytest.mark.parametrize(("name", "route"), ROUTES, ids=[name for name, _ in ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_url_answers_with_the_security_headers(
    client: Client, world: World, owner: User, name: str, route: str, method: str, settings: Any
) -> None:
    # As in production (the test settings run without HTTPS).
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    url = world.url(route)
    # Anonymous: a login redirect, the login page, a link's page, or a 403/405.
    _assert_headers(getattr(client, method)(url), url, signed_in=False)
    client.force_login(owner)
    _assert_headers(getattr(client, method)(url), url, signed_in=True)


def test_the_walk_reaches_every_kind_of_page(owner_client: Client, world: World) -> None:
    routes = dict(ROUTES)
    assert {"incident_brief", "incident_pdf", "share_view", "share_rca_pdf", "login"} <= set(routes)
    # The world is complete enough that the walk sees real pages, not only 404s.
    for name in ["incident_brief", "rca_edit", "incident_history", "share_rca", "share_rca_pdf"]:
        assert owner_client.get(world.url(routes[name])).status_code == 200, name


# --- The executive link: every answer, whatever its status ---------------------------------


def _assert_link_headers(response: Any) -> None:
    assert {name: response.get(name) for name in LINK_HEADERS} == LINK_HEADERS


@pytest.mark.parametrize("suffix", ["", "/pdf", "/brief.md", "/rca", "/rca/pdf", "/nothing"])
def test_a_wrong_expired_or_revoked_token_gets_404_with_the_link_headers(
    client: Client, incident: Incident, owner: User, suffix: str
) -> None:
    expired, expired_token = share_link_create(
        incident=incident, created_by=owner, label="Old", valid_for=timedelta(days=1)
    )
    revoked, revoked_token = share_link_create(incident=incident, created_by=owner, label="Gone")
    share_link_revoke(link=revoked)
    ShareLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    for token in [secrets.token_urlsafe(32), expired_token, revoked_token]:
        response = client.get(f"/b/{token}{suffix}")
        assert response.status_code == 404
        _assert_link_headers(response)


def test_a_links_rca_before_there_is_one_gets_404_with_the_link_headers(
    client: Client, executive_token: str
) -> None:
    response = client.get(f"/b/{executive_token}/rca")
    assert response.status_code == 404
    _assert_link_headers(response)


def test_the_429_and_405_of_a_link_carry_the_link_headers(
    client: Client, settings: Any, executive_token: str
) -> None:
    settings.SHARE_LINK_GUESS_LIMIT = 1
    not_allowed = client.post(f"/b/{executive_token}")
    assert not_allowed.status_code == 405
    _assert_link_headers(not_allowed)
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        client.get(f"/b/{secrets.token_urlsafe(32)}")
        limited = client.get(f"/b/{executive_token}")
    assert limited.status_code == 429
    _assert_link_headers(limited)


# --- The architect's pages: kept by no browser -----------------------------------------------


@pytest.mark.parametrize("suffix", ["", "brief.md", "history/", "pdf", "pdf?appendix=1"])
def test_the_architects_pages_are_private_and_not_stored(
    owner_client: Client, incident: Incident, suffix: str
) -> None:
    response = owner_client.get(f"/incidents/{incident.public_id}/{suffix}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_the_dashboard_is_private_and_not_stored(owner_client: Client, incident: Incident) -> None:
    response = owner_client.get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_repeat_pdf_request_still_gets_304_and_the_cached_brief_page_is_reused(
    owner_client: Client, incident: Incident
) -> None:
    url = f"/incidents/{incident.public_id}/pdf"
    first = owner_client.get(url)
    repeat = owner_client.get(url, headers={"If-None-Match": first["ETag"]})
    assert repeat.status_code == 304
    assert repeat["Cache-Control"] == "private, no-store"
    live = f"/incidents/{incident.public_id}/?fragment=live"
    fragment = owner_client.get(live, headers={"HX-Request": "true"})
    again = owner_client.get(
        live, headers={"HX-Request": "true", "If-None-Match": fragment["ETag"]}
    )
    assert again.status_code == 304
