"""Every URL needs a login, except the few that are public on purpose."""

import re
import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from briefs.models import Incident
from briefs.seed import make_incident
from briefs.services import ActionInput, action_item_add, share_link_create

PUBLIC = {
    "login",
    # Single sign-on's start and the provider's return (tests/test_sso.py).
    "sso_login",
    "sso_callback",
    # The second step of a password sign-in: they send anyone without one back to /login/.
    "login_code",
    "login_enrol",
    # Unsubscribing from the notification mail (issue 16): the token in the address is the proof.
    "unsubscribe",
    "healthz",
    "share_view",
    "share_pdf",
    "share_markdown",
    "share_rca",
    "share_rca_pdf",
    # Alert webhooks (issue 17): a tool's POST, its secret URL the credential (views/hooks.py).
    "alert_hook",
}
SAMPLE = {"uuid": str(uuid.uuid4()), "str": "sample", "int": "1", "slug": "assess", "path": "x"}
# django-ninja's name for its UUID converter (the JSON API's routes).
SAMPLE["uuidstr"] = SAMPLE["uuid"]
# The JSON API (issue 17) signs requests in with tokens, not sessions: no login redirect there.
API = "api/v1/"


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, str]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield pattern.name or "", route


def _url(route: str) -> str:
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("\\/", "/")
    route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE[m.group(1) or "str"], route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    return "/" + route


ROUTES = sorted(
    (name, _url(route))
    for name, route in _walk(get_resolver())
    if name not in PUBLIC and not route.startswith(("admin/", API))
)
API_ROUTES = sorted(_url(route) for _, route in _walk(get_resolver()) if route.startswith(API))


@pytest.mark.parametrize(("name", "url"), ROUTES, ids=[name for name, _ in ROUTES])
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_anonymous_user_is_sent_to_login(
    client: Client, db: None, name: str, url: str, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get(url, headers=headers)
    assert response.status_code == 302, url
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("url", API_ROUTES)
def test_anonymous_api_calls_get_401_and_only_the_schema_is_public(
    client: Client, db: None, url: str
) -> None:
    response = client.get(url)
    if url in {"/api/v1/openapi.json", "/api/v1/docs"}:
        assert response.status_code == 200, url
    elif url == "/api/v1/":
        assert response.status_code == 404  # django-ninja's root: no page of its own
    else:
        # 405 where GET is not a method of the route: answered before anything is read.
        assert response.status_code in {401, 405}, url
        assert response["Content-Type"] == "application/problem+json", url


def test_the_walk_found_the_pages_it_should() -> None:
    names = {name for name, _ in ROUTES}
    assert {"dashboard", "time_zone"} <= names


def test_the_admin_needs_a_login_too(client: Client, db: None) -> None:
    response = client.get("/admin/briefs/incident/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_login_page_is_public(client: Client, db: None) -> None:
    assert client.get("/login/").status_code == 200


@pytest.mark.parametrize("kind", ["link", "action item"])
def test_a_row_of_another_incident_is_404_through_this_incidents_url(
    owner_client: Client, owner: User, incident: Incident, kind: str
) -> None:
    """Revoking a link or ticking off an action item goes through the incident in the URL: the
    editor of both incidents still cannot reach one incident's row through the other's."""
    other = make_incident(owner=owner, title="Another outage")
    if kind == "link":
        link, _token = share_link_create(incident=other, created_by=owner, label="CEO")
        path = f"/incidents/{incident.public_id}/links/{link.public_id}/revoke"
    else:
        item = action_item_add(incident=other, data=ActionInput("Add an alert", "monitoring"))
        path = f"/incidents/{incident.public_id}/actions/{item.public_id}/done"
    assert owner_client.post(path).status_code == 404
    own_path = path.replace(str(incident.public_id), str(other.public_id))
    assert owner_client.post(own_path).status_code == 302
    if kind == "link":
        link.refresh_from_db()
        assert link.revoked_at is not None
    else:
        item.refresh_from_db()
        assert item.done_at is not None
