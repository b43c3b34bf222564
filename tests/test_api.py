"""The JSON API (/api/v1/): every resource, through the pages' access rule, with problem+json
errors. Tokens and their settings page: tests/test_api_tokens.py."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from briefs.models import (
    ActionItem,
    Incident,
    IncidentUpdate,
    OperatingState,
    ShareLink,
    Status,
)
from briefs.seed import make_incident
from briefs.services import api_token_create, api_token_revoke, share_link_create

BASE = "/api/v1"
# Every test at a whole minute, so the brief's figures (taken to the minute) are exact.
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
pytestmark = pytest.mark.usefixtures("frozen")


class Api:
    """A client that sends one user's token (or none) and JSON bodies."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(BASE + path, query, headers=self._headers())

    def send(self, method: str, path: str, body: Any = None, *, raw: str | None = None) -> Any:
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return getattr(self.client, method)(
            BASE + path, data=data, content_type="application/json", headers=self._headers()
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.send("post", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.send("patch", path, body, **kwargs)


def _api(user: User, *, read_only: bool = False) -> Api:
    return Api(Client(), api_token_create(user=user, name="script", read_only=read_only)[1])


@pytest.fixture
def owner_api(owner: User) -> Api:
    return _api(owner)


@pytest.fixture
def collaborator_api(collaborator: User) -> Api:
    return _api(collaborator)


@pytest.fixture
def outsider_api(outsider: User) -> Api:
    return _api(outsider)


@pytest.fixture
def reader_api(owner: User) -> Api:
    return _api(owner, read_only=True)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    return body


def _due(minutes: int = 60) -> str:
    return (timezone.now() + timedelta(minutes=minutes)).isoformat()


def _update(**fields: Any) -> dict[str, Any]:
    return {
        "what_changed": "Payments flow through the backup provider.",
        "operating_state": OperatingState.DEGRADED,
        "next_steps": "Confirm full volume.",
        "next_update_due": _due(),
        **fields,
    }


# --- Incidents: list and get --------------------------------------------------------------------


def test_list_shows_own_and_collaborating_incidents_only(
    owner_api: Api, collaborator_api: Api, outsider_api: Api, incident: Incident, outsider: User
) -> None:
    make_incident(owner=outsider, title="Someone else's")
    for api in (owner_api, collaborator_api):
        body = api.get("/incidents").json()
        assert body["count"] == 1
        assert [item["id"] for item in body["items"]] == [str(incident.public_id)]
    assert [item["title"] for item in outsider_api.get("/incidents").json()["items"]] == [
        "Someone else's"
    ]


def test_list_filters_by_status_and_severity_and_pages(owner_api: Api, owner: User) -> None:
    for number in range(3):
        make_incident(owner=owner, title=f"Escalated {number}", severity="SEV2")
    make_incident(owner=owner, title="Resolved one", status=Status.RESOLVED, severity="SEV1")
    escalated = owner_api.get("/incidents", status="escalated").json()
    assert escalated["count"] == 3
    assert owner_api.get("/incidents", severity="SEV1").json()["count"] == 1
    page = owner_api.get("/incidents", limit=2, offset=2).json()
    assert (page["count"], page["limit"], page["offset"], len(page["items"])) == (4, 2, 2, 2)
    refused = _problem(owner_api.get("/incidents", status="sleeping"), 422)
    assert "status" in refused["errors"]
    assert _problem(owner_api.get("/incidents", limit=1000), 422)["errors"].keys() == {"limit"}


def test_get_returns_the_brief_as_data(owner_api: Api, incident: Incident, owner: User) -> None:
    body = owner_api.get(f"/incidents/{incident.public_id}").json()
    assert body["incident"]["title"] == "Checkout outage"
    assert body["incident"]["url"].endswith(f"/incidents/{incident.public_id}/")
    figures = body["figures"]
    assert figures["revenue_per_hour"] == "48000.00"
    assert figures["customers_affected"] == 12500
    # Two hours at 48,000 an hour: the brief's own figure.
    assert figures["cost_so_far"] == "96000.00"
    assert figures["currency"] == "USD"
    assert {"what_happened", "root_cause", "summary"} <= body["sections"].keys()
    assert body["sections"]["what_happened"] == "Customers cannot pay for orders."
    assert body["timeline"] == []
    assert body["asks"] == [] and body["decisions"] == []


def test_times_are_in_the_incidents_zone(owner_api: Api, owner: User) -> None:
    incident = make_incident(owner=owner, time_zone="Asia/Tokyo")
    body = owner_api.get(f"/incidents/{incident.public_id}").json()
    assert body["incident"]["started_at"].endswith("+09:00")
    assert body["figures"]["as_of"].endswith("+09:00")


def test_get_lists_the_timeline_newest_first(owner_api: Api, incident: Incident) -> None:
    assert owner_api.post(f"/incidents/{incident.public_id}/updates", _update()).status_code == 201
    second = _update(what_changed="Volume at 80%.")
    assert owner_api.post(f"/incidents/{incident.public_id}/updates", second).status_code == 201
    timeline = owner_api.get(f"/incidents/{incident.public_id}").json()["timeline"]
    assert [entry["what_changed"] for entry in timeline] == [
        "Volume at 80%.",
        "Payments flow through the backup provider.",
    ]
    assert timeline[0]["sequence"] == 2


# --- The access-rule walk -----------------------------------------------------------------------


def _every_call(
    incident: Incident, link: ShareLink, item: ActionItem
) -> list[tuple[str, str, Any]]:
    """Every API call on one incident: (method, path, body)."""
    base = f"/incidents/{incident.public_id}"
    return [
        ("get", base, None),
        ("patch", base, {"version": incident.version, "title": "Renamed"}),
        ("post", f"{base}/escalate", None),
        ("post", f"{base}/updates", _update()),
        (
            "post",
            f"{base}/resolve",
            {"version": 1, "resolved_at": _due(0), "closing_update": "Done", "basis": "Logs"},
        ),
        ("get", f"{base}/links", None),
        ("post", f"{base}/links", {"label": "CEO"}),
        ("post", f"{base}/links/{link.public_id}/revoke", None),
        ("get", f"{base}/actions", None),
        ("post", f"{base}/actions", {"description": "Add a check", "owner_name": "Sam"}),
        ("post", f"{base}/actions/{item.public_id}/complete", None),
        ("get", f"{base}/pdf", None),
    ]


@pytest.fixture
def rows(incident: Incident, owner: User) -> tuple[ShareLink, ActionItem]:
    link, _ = share_link_create(incident=incident, created_by=owner, label="Board")
    item = ActionItem.objects.create(
        incident=incident, description="Add a check", kind="preventive", owner=owner
    )
    return link, item


def _call(api: Api, method: str, path: str, body: Any) -> Any:
    return api.get(path) if method == "get" else api.send(method, path, body)


@pytest.mark.parametrize("who", ["owner", "collaborator"])
def test_the_owner_and_a_collaborator_reach_every_call(
    who: str, request: pytest.FixtureRequest, incident: Incident, rows: tuple[ShareLink, ActionItem]
) -> None:
    api: Api = request.getfixturevalue(f"{who}_api")
    for method, path, body in _every_call(incident, *rows):
        response = _call(api, method, path, body)
        # Escalating an escalated incident, and resolving with the version read before the
        # PATCH, are refused for what they ask (409), after access is granted.
        assert response.status_code in {200, 201, 409}, (method, path, response.content)


def test_a_stranger_gets_404_for_every_call(
    outsider_api: Api, incident: Incident, rows: tuple[ShareLink, ActionItem]
) -> None:
    for method, path, body in _every_call(incident, *rows):
        _problem(_call(outsider_api, method, path, body), 404)
    assert Incident.objects.get(pk=incident.pk).title == "Checkout outage"
    assert not IncidentUpdate.objects.exists()


def test_anonymous_gets_401_for_every_call(
    client: Client, incident: Incident, rows: tuple[ShareLink, ActionItem]
) -> None:
    anonymous = Api(client, None)
    for method, path, body in [*_every_call(incident, *rows), ("get", "/incidents", None)]:
        response = _call(anonymous, method, path, body)
        _problem(response, 401)
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_session_does_not_authenticate_the_api(owner_client: Client, incident: Incident) -> None:
    # A signed-in browser cannot be made to call the API (no CSRF token needed, none taken).
    _problem(owner_client.get(f"{BASE}/incidents/{incident.public_id}"), 401)
    _problem(
        Api(owner_client, None).post(f"/incidents/{incident.public_id}/updates", _update()), 401
    )


def test_a_read_only_token_reads_but_gets_403_on_every_write(
    reader_api: Api, incident: Incident, rows: tuple[ShareLink, ActionItem]
) -> None:
    for method, path, body in _every_call(incident, *rows):
        response = _call(reader_api, method, path, body)
        if method == "get":
            assert response.status_code in {200, 202}, (path, response.content)
        else:
            _problem(response, 403)
    _problem(reader_api.post("/incidents", {"title": "New"}), 403)
    assert not IncidentUpdate.objects.exists()
    assert ShareLink.objects.filter(revoked_at__isnull=True).count() == 1


def test_a_collaborator_can_post_an_update(collaborator_api: Api, incident: Incident) -> None:
    response = collaborator_api.post(f"/incidents/{incident.public_id}/updates", _update())
    assert response.status_code == 201
    assert response.json()["author"] == "collaborator"


@pytest.mark.parametrize("how", ["revoked", "expired", "unknown", "deactivated"])
def test_revoked_expired_unknown_tokens_and_deactivated_users_get_401(
    client: Client, owner: User, incident: Incident, how: str
) -> None:
    row, token = api_token_create(user=owner, name="script")
    if how == "revoked":
        api_token_revoke(token=row)
    elif how == "expired":
        row.created_at = timezone.now() - timedelta(days=2)
        row.expires_at = timezone.now() - timedelta(seconds=1)
        row.save()
    elif how == "unknown":
        token = token[:-2] + "xx"
    else:
        owner.is_active = False
        owner.save()
    _problem(Api(client, token).get(f"/incidents/{incident.public_id}"), 401)


# --- Problems: bad JSON, too large, unknown fields ---------------------------------------------


def test_bad_json_is_400(owner_api: Api, incident: Incident) -> None:
    body = _problem(owner_api.post(f"/incidents/{incident.public_id}/updates", raw="{nope"), 400)
    assert body["type"].endswith("/bad-json")
    _problem(owner_api.post(f"/incidents/{incident.public_id}/updates", raw="[1, 2]"), 400)


def test_a_body_over_the_limit_is_413(owner_api: Api, incident: Incident, settings: Any) -> None:
    settings.API_MAX_BODY_BYTES = 2048
    body = _update(next_steps="x" * 3000)
    _problem(owner_api.post(f"/incidents/{incident.public_id}/updates", body), 413)
    assert not IncidentUpdate.objects.exists()


def test_an_unknown_field_is_422_and_named(owner_api: Api, incident: Incident) -> None:
    body = _problem(
        owner_api.post(f"/incidents/{incident.public_id}/updates", _update(mood="calm")), 422
    )
    assert body["errors"] == {"mood": ["This field is not allowed."]}


def test_a_missing_or_wrong_field_is_422_per_field(owner_api: Api, incident: Incident) -> None:
    body = _problem(
        owner_api.post(
            f"/incidents/{incident.public_id}/updates",
            {"operating_state": "sleeping", "next_update_due": "tomorrow"},
        ),
        422,
    )
    assert {"what_changed", "operating_state", "next_update_due"} <= body["errors"].keys()


# --- Drafts: create, change, escalate -----------------------------------------------------------


def test_a_draft_is_created_changed_and_escalated(owner_api: Api, owner: User) -> None:
    created = owner_api.post("/incidents", {"title": "Search is down", "time_zone": "Europe/Paris"})
    assert created.status_code == 201
    draft = created.json()
    assert (draft["status"], draft["time_zone"], draft["version"]) == ("draft", "Europe/Paris", 1)
    path = f"/incidents/{draft['id']}"
    refused = _problem(owner_api.post(f"{path}/escalate"), 422)
    assert "assess" in refused["errors"] and "impact" in refused["errors"]
    start = timezone.now() - timedelta(hours=1)
    fields = {
        "version": 1,
        "system": "Search",
        "description": "Customers cannot find products.",
        "started_at": start.isoformat(),
        "detected_at": (start + timedelta(minutes=5)).isoformat(),
        "operating_state": "degraded",
        "root_cause": "A bad index.",
        "root_cause_confidence": "likely",
        "mitigation": "Rebuilding the index.",
        "eta_earliest": _due(60),
        "eta_latest": _due(120),
        "dependencies": "The rebuild.",
        "recurrence_risk": "Low.",
        "preventive_measures": "Check indexes.",
        "monitoring_changes": "Alert on empty results.",
        "resources_needed": "None.",
        "accountability": "I own it.",
        "remediation_overseer": "I",
        "assess_revenue_per_hour": "20000",
        "assess_customers": 5000,
        "assess_beyond_authority": True,
        "estimate": {"revenue_per_hour": "20000", "customers_affected": 5000},
    }
    changed = owner_api.patch(path, fields)
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 2
    escalated = owner_api.post(f"{path}/escalate")
    assert escalated.status_code == 200, escalated.content
    assert escalated.json()["status"] == "escalated"
    incident = Incident.objects.get(public_id=draft["id"])
    assert incident.assessed_at is not None
    assert getattr(incident.current_estimate(), "revenue_per_hour", None) == 20000
    _problem(owner_api.post(f"{path}/escalate"), 409)


def test_an_unknown_time_zone_is_422(owner_api: Api) -> None:
    body = _problem(owner_api.post("/incidents", {"title": "X", "time_zone": "Mars/Base"}), 422)
    assert body["errors"].keys() == {"time_zone"}


def test_patch_with_a_stale_version_is_409_with_both_versions(
    owner_api: Api, collaborator_api: Api, incident: Incident
) -> None:
    path = f"/incidents/{incident.public_id}"
    first = collaborator_api.patch(path, {"version": 1, "title": "Checkout down"})
    assert first.json()["version"] == 2
    body = _problem(owner_api.patch(path, {"version": 1, "title": "Payments down"}), 409)
    assert (body["current_version"], body["your_version"]) == (2, 1)
    assert body["current"] == {"title": "Checkout down"}
    assert body["yours"] == {"title": "Payments down"}
    assert Incident.objects.get(pk=incident.pk).title == "Checkout down"


def test_patch_refuses_what_the_database_would(owner_api: Api, incident: Incident) -> None:
    path = f"/incidents/{incident.public_id}"
    assert incident.started_at is not None
    late = (incident.started_at - timedelta(hours=1)).isoformat()
    body = _problem(owner_api.patch(path, {"version": 1, "detected_at": late}), 422)
    assert "incident_detected_after_start" in body["detail"]
    _problem(owner_api.patch(path, {"version": 1, "title": "x" * 201}), 422)
    assert Incident.objects.get(pk=incident.pk).version == 1


# --- Updates, resolution --------------------------------------------------------------------------


def test_an_update_posted_by_the_api_shows_on_the_executive_link_at_once(
    owner_api: Api, incident: Incident, executive_token: str, client: Client
) -> None:
    before = client.get(f"/b/{executive_token}")
    assert b"Volume back at 80%" not in before.content
    response = owner_api.post(
        f"/incidents/{incident.public_id}/updates",
        _update(
            what_changed="Volume back at 80%", revenue_per_hour="12000", customers_affected=3000
        ),
    )
    assert response.status_code == 201, response.content
    assert response.json()["revised_estimate"] is True
    page = client.get(f"/b/{executive_token}")
    assert b"Volume back at 80%" in page.content
    assert incident.estimates.count() == 2


def test_an_update_with_a_revised_eta(owner_api: Api, incident: Incident) -> None:
    body = _update(eta_earliest=_due(30), eta_latest=_due(90))
    assert owner_api.post(f"/incidents/{incident.public_id}/updates", body).status_code == 201
    incident.refresh_from_db()
    assert incident.eta_latest is not None
    half = _update(eta_earliest=_due(30))
    refused = _problem(owner_api.post(f"/incidents/{incident.public_id}/updates", half), 422)
    assert refused["errors"] == {"eta_latest": ["Give both ends of the range."]}


def test_an_update_due_in_the_past_is_refused_as_the_form_refuses_it(
    owner_api: Api, incident: Incident
) -> None:
    body = _problem(
        owner_api.post(
            f"/incidents/{incident.public_id}/updates", _update(next_update_due=_due(-30))
        ),
        422,
    )
    assert body["errors"] == {"next_update_due": ["The next update must be due in the future."]}


def test_updates_past_the_rate_limit_get_429(
    owner_api: Api, incident: Incident, settings: Any
) -> None:
    settings.UPDATE_POST_LIMIT_PER_MINUTE = 2
    path = f"/incidents/{incident.public_id}/updates"
    assert [owner_api.post(path, _update()).status_code for _ in range(2)] == [201, 201]
    response = owner_api.post(path, _update())
    _problem(response, 429)
    assert int(response["Retry-After"]) >= 1


def test_a_draft_takes_no_update(owner_api: Api, owner: User) -> None:
    draft = make_incident(owner=owner, status=Status.DRAFT, escalated_at=None)
    _problem(owner_api.post(f"/incidents/{draft.public_id}/updates", _update()), 409)


def test_resolve_stops_the_clock_and_keeps_the_estimate(owner_api: Api, incident: Incident) -> None:
    body = {
        "version": incident.version,
        "resolved_at": timezone.now().isoformat(),
        "closing_update": "Payments are back.",
        "basis": "Order logs.",
    }
    response = owner_api.post(f"/incidents/{incident.public_id}/resolve", body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "resolved"
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert getattr(incident.current_estimate(), "revenue_per_hour", None) == 48000
    assert incident.updates.get().what_changed == "Payments are back."
    _problem(owner_api.post(f"/incidents/{incident.public_id}/resolve", body), 409)


def test_resolve_with_a_stale_version_is_409(owner_api: Api, incident: Incident) -> None:
    body = {
        "version": incident.version + 5,
        "resolved_at": timezone.now().isoformat(),
        "closing_update": "Back.",
        "basis": "Logs.",
    }
    conflict = _problem(owner_api.post(f"/incidents/{incident.public_id}/resolve", body), 409)
    assert conflict["current_version"] == incident.version
    assert Incident.objects.get(pk=incident.pk).resolved_at is None


# --- Executive links, action items ---------------------------------------------------------------


def test_links_are_created_listed_and_revoked(
    owner_api: Api, incident: Incident, client: Client
) -> None:
    path = f"/incidents/{incident.public_id}/links"
    created = owner_api.post(path, {"label": "Board", "valid_days": 3})
    assert created.status_code == 201
    link = created.json()
    assert client.get(link["url"]).status_code == 200
    listed = owner_api.get(path).json()
    assert [(item["label"], item["active"]) for item in listed] == [("Board", True)]
    assert "url" not in listed[0]
    revoked = owner_api.post(f"{path}/{link['id']}/revoke")
    assert revoked.json()["active"] is False
    assert client.get(link["url"]).status_code == 404
    _problem(owner_api.post(path, {"label": "Board", "valid_days": 31}), 422)


def test_a_link_of_another_incident_is_404(owner_api: Api, incident: Incident, owner: User) -> None:
    other = make_incident(owner=owner, title="Other")
    link, _ = share_link_create(incident=other, created_by=owner, label="CEO")
    _problem(owner_api.post(f"/incidents/{incident.public_id}/links/{link.public_id}/revoke"), 404)
    assert ShareLink.objects.get(pk=link.pk).revoked_at is None


def test_action_items_are_added_listed_and_completed(
    owner_api: Api, incident: Incident, collaborator: User
) -> None:
    path = f"/incidents/{incident.public_id}/actions"
    added = owner_api.post(
        path,
        {
            "description": "Check settings before release",
            "owner": "collaborator",
            "kind": "preventive",
            "due_on": "2030-01-31",
        },
    )
    assert added.status_code == 201, added.content
    item = added.json()
    assert (item["owner"], item["status"], item["due_on"]) == ("collaborator", "Open", "2030-01-31")
    done = owner_api.post(f"{path}/{item['id']}/complete").json()
    assert done["status"] == "Done"
    assert [row["status"] for row in owner_api.get(path).json()] == ["Done"]


def test_an_action_item_needs_an_owner_of_the_incident(owner_api: Api, incident: Incident) -> None:
    path = f"/incidents/{incident.public_id}/actions"
    body = _problem(owner_api.post(path, {"description": "Fix", "owner": "outsider"}), 422)
    assert body["errors"].keys() == {"owner"}
    body = _problem(owner_api.post(path, {"description": "Fix"}), 422)
    assert body["errors"] == {"owner_name": ["Name an owner: someone in the app or outside it."]}


# --- The PDF -------------------------------------------------------------------------------------


def test_the_pdf_is_the_stored_one(owner_api: Api, incident: Incident) -> None:
    # The immediate task backend renders it inside the request that asks for it.
    response = owner_api.get(f"/incidents/{incident.public_id}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:4]
        == b"%PDF"
    )


def test_the_pdf_is_202_with_retry_after_while_it_renders(
    owner_api: Api, incident: Incident, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    response = owner_api.get(f"/incidents/{incident.public_id}/pdf")
    body = _problem(response, 202)
    assert body["type"].endswith("/pdf-preparing")
    assert response["Retry-After"] == "2"


# --- The schema and its docs page ---------------------------------------------------------------


def test_the_openapi_schema_lists_every_path(client: Client) -> None:
    schema = client.get(f"{BASE}/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/incidents",
        "/api/v1/incidents/{public_id}",
        "/api/v1/incidents/{public_id}/escalate",
        "/api/v1/incidents/{public_id}/updates",
        "/api/v1/incidents/{public_id}/resolve",
        "/api/v1/incidents/{public_id}/links",
        "/api/v1/incidents/{public_id}/links/{link_id}/revoke",
        "/api/v1/incidents/{public_id}/actions",
        "/api/v1/incidents/{public_id}/actions/{item_id}/complete",
        "/api/v1/incidents/{public_id}/pdf",
    } <= schema["paths"].keys()
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_the_docs_page_is_served_from_our_static_files_under_the_strict_csp(
    client: Client, owner_client: Client
) -> None:
    docs = client.get(f"{BASE}/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle" in html and "cdn" not in html.lower()
    # No exception for Swagger UI: the site's own policy (tests/browser/test_api_docs.py
    # shows it works under it).
    csp = docs["Content-Security-Policy"]
    assert csp == owner_client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp


# --- Subscribers (issue 16) ----------------------------------------------------------------------


def test_subscribers_are_added_listed_and_removed(
    owner_api: Api,
    incident: Incident,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    path = f"/incidents/{incident.public_id}/subscribers"
    with django_capture_on_commit_callbacks(execute=True):
        added = owner_api.post(path, {"name": "Dana  CEO", "email": "dana@example.com"})
    assert added.status_code == 201, added.content
    subscriber = added.json()
    assert (subscriber["name"], subscriber["cadence"], subscriber["active"]) == (
        "Dana CEO",
        "each_update",
        True,
    )
    # The escalated incident's mail goes to her at once.
    assert [mail.to for mail in mailoutbox] == [["Dana CEO <dana@example.com>"]]
    listed = owner_api.get(path).json()
    assert [row["email"] for row in listed] == ["dana@example.com"]
    again = _problem(owner_api.post(path, {"name": "Dana", "email": "DANA@example.com"}), 409)
    assert again["type"].endswith("/already-subscribed")
    removed = owner_api.send("delete", f"{path}/{subscriber['id']}")
    assert removed.status_code == 204
    assert owner_api.get(path).json()[0]["active"] is False


def test_a_subscriber_needs_a_valid_email_and_no_unknown_fields(
    owner_api: Api, incident: Incident
) -> None:
    path = f"/incidents/{incident.public_id}/subscribers"
    body = _problem(owner_api.post(path, {"name": "Dana", "email": "not-an-address"}), 422)
    assert body["errors"] == {"email": ["Enter an email address like dana@example.com."]}
    body = _problem(owner_api.post(path, {"name": "Dana", "email": "d@example.com", "vip": 1}), 422)
    assert body["errors"] == {"vip": ["This field is not allowed."]}


def test_subscribers_follow_the_access_rule(
    outsider_api: Api, reader_api: Api, incident: Incident, owner: User
) -> None:
    from briefs.services import subscriber_add

    subscriber = subscriber_add(
        incident=incident, created_by=owner, name="Dana", email="d@example.com", cadence="digest"
    )
    path = f"/incidents/{incident.public_id}/subscribers"
    _problem(outsider_api.get(path), 404)
    _problem(outsider_api.post(path, {"name": "Eve", "email": "e@example.com"}), 404)
    _problem(outsider_api.send("delete", f"{path}/{subscriber.public_id}"), 404)
    assert reader_api.get(path).status_code == 200
    _problem(reader_api.post(path, {"name": "Eve", "email": "e@example.com"}), 403)
    _problem(reader_api.send("delete", f"{path}/{subscriber.public_id}"), 403)
    _problem(Api(Client(), None).get(path), 401)
    subscriber.share_link.refresh_from_db()
    assert subscriber.share_link.revoked_at is None


def test_an_update_posted_by_the_api_notifies_the_subscribers(
    owner_api: Api,
    incident: Incident,
    owner: User,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from briefs.services import subscriber_add

    subscriber_add(
        incident=incident,
        created_by=owner,
        name="Dana",
        email="d@example.com",
        cadence="each_update",
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        posted = owner_api.post(
            f"/incidents/{incident.public_id}/updates", _update(what_changed="Volume at 80%.")
        )
    assert posted.status_code == 201
    assert [mail.to for mail in mailoutbox] == [["Dana <d@example.com>"]]
    assert "Volume at 80%." in mailoutbox[0].body


def test_a_draft_reads_as_data_too(owner_api: Api) -> None:
    draft = owner_api.post("/incidents", {"title": "Search is slow"}).json()
    body = owner_api.get(f"/incidents/{draft['id']}").json()
    assert body["incident"]["status"] == "draft"
    assert body["figures"]["revenue_per_hour"] is None
    assert body["timeline"] == []


def test_a_method_a_route_lacks_is_a_405_problem(owner_api: Api, incident: Incident) -> None:
    response = owner_api.post(f"/incidents/{incident.public_id}/pdf")
    _problem(response, 405)
    assert response["Allow"] == "GET"


def test_the_brief_as_data_costs_the_same_queries_however_long_the_timeline(
    owner_api: Api, incident: Incident, owner: User
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from briefs.services import update_post

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_api.get(f"/incidents/{incident.public_id}").status_code == 200
        return len(captured)

    update_post(incident=incident, author=owner, what_changed="One", next_update_due=NOW)
    queries()  # the token's first use of the minute writes its last use: not part of the count
    few = queries()
    for number in range(10):
        update_post(incident=incident, author=owner, what_changed=f"{number}", next_update_due=NOW)
    assert queries() == few
