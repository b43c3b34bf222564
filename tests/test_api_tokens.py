"""Personal API tokens: the settings page, `manage.py api_token_create`, storage, last use and
the limit on wrong tokens."""

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from briefs.models import ApiToken, ApiTokenScope, Incident
from briefs.services import api_token_create

LIST = "/api/v1/incidents"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- The settings page ------------------------------------------------------------------------


def test_the_settings_page_creates_a_token_shown_once(owner_client: Client, owner: User) -> None:
    response = owner_client.post(
        "/settings/api-tokens/", {"name": "deploy script", "valid_days": 30, "read_only": "on"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    row = ApiToken.objects.get(user=owner)
    token = response.context["created"][1]
    assert token.encode() in response.content
    assert (row.name, row.scope) == ("deploy script", ApiTokenScope.READ)
    assert row.expires_at - row.created_at == timedelta(days=30)
    # Shown once: the list afterwards has its first characters only.
    again = owner_client.get("/settings/api-tokens/")
    assert token.encode() not in again.content
    assert row.visible_prefix.encode() in again.content
    assert b"Never" in again.content  # not used yet


def test_the_settings_page_shows_the_last_use(owner_client: Client, owner: User) -> None:
    _, token = api_token_create(user=owner, name="cron")
    with time_machine.travel(timezone.now().replace(hour=9, minute=41), tick=False):
        assert Client().get(LIST, headers=_bearer(token)).status_code == 200
    assert b"Never" not in owner_client.get("/settings/api-tokens/").content
    used = ApiToken.objects.get(user=owner).last_used_at
    assert used is not None and used.minute == 41


def test_the_settings_page_refuses_a_token_without_a_name(
    owner_client: Client, owner: User
) -> None:
    response = owner_client.post("/settings/api-tokens/", {"name": "", "valid_days": 30})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_on_the_settings_page_ends_the_token(
    owner_client: Client, owner: User, client: Client
) -> None:
    row, token = api_token_create(user=owner, name="cron")
    assert Client().get(LIST, headers=_bearer(token)).status_code == 200
    response = owner_client.post(f"/settings/api-tokens/{row.public_id}/revoke")
    assert response.status_code == 302
    assert Client().get(LIST, headers=_bearer(token)).status_code == 401
    assert b"Revoked" in owner_client.get("/settings/api-tokens/").content


def test_another_users_token_cannot_be_revoked(outsider_client: Client, owner: User) -> None:
    row, token = api_token_create(user=owner, name="cron")
    assert outsider_client.post(f"/settings/api-tokens/{row.public_id}/revoke").status_code == 404
    assert outsider_client.get(f"/settings/api-tokens/{row.public_id}/revoke").status_code == 405
    assert ApiToken.objects.get(pk=row.pk).revoked_at is None
    # Nor listed.
    assert b"cron" not in outsider_client.get("/settings/api-tokens/").content


def test_the_settings_page_needs_a_login(client: Client) -> None:
    assert client.get("/settings/api-tokens/").status_code == 302


# --- manage.py api_token_create ------------------------------------------------------------------


def test_the_command_prints_a_working_token_once(owner: User, incident: Incident) -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "api_token_create",
        "owner",
        "--name",
        "pager",
        "--expires-days",
        "7",
        "--read-only",
        stdout=out,
        stderr=err,
    )
    token = out.getvalue().strip()
    row = ApiToken.objects.get(user=owner)
    assert (row.name, row.scope) == ("pager", ApiTokenScope.READ)
    assert row.expires_at - row.created_at == timedelta(days=7)
    assert "shown only this once" in err.getvalue()
    assert Client().get(LIST, headers=_bearer(token)).json()["count"] == 1


def test_the_command_defaults_to_a_read_write_token_for_90_days(owner: User) -> None:
    call_command("api_token_create", "owner", stdout=StringIO(), stderr=StringIO())
    row = ApiToken.objects.get(user=owner)
    assert row.scope == ApiTokenScope.READ_WRITE
    assert row.expires_at - row.created_at == timedelta(days=90)


@pytest.mark.parametrize(
    ("args", "message"),
    [(["nobody"], "No active user"), (["owner", "--expires-days", "0"], "--expires-days")],
)
def test_the_command_refuses_bad_arguments(owner: User, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("api_token_create", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiToken.objects.exists()


# --- Storage -------------------------------------------------------------------------------------


def test_only_the_tokens_hash_is_stored(owner: User) -> None:
    row, token = api_token_create(user=owner, name="cron")
    assert token.startswith("ebk_") and len(token) > 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM briefs_apitoken")
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert token not in stored
    assert ApiToken.hash_token(token) in stored


def test_a_token_valid_for_more_than_a_year_is_refused(owner: User) -> None:
    with pytest.raises(ValueError, match="at most 365 days"):
        api_token_create(user=owner, name="forever", valid_for=timedelta(days=366))


def test_last_use_is_written_at_most_once_a_minute(
    owner: User, django_assert_num_queries: Any
) -> None:
    row, token = api_token_create(user=owner, name="cron")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        Client().get(LIST, headers=_bearer(token))
        first = ApiToken.objects.get(pk=row.pk).last_used_at
        assert first is not None
        Client().get(LIST, headers=_bearer(token))
        assert ApiToken.objects.get(pk=row.pk).last_used_at == first
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        Client().get(LIST, headers=_bearer(token))
        assert ApiToken.objects.get(pk=row.pk).last_used_at == first + timedelta(minutes=1)


# --- Wrong tokens are limited like logins ---------------------------------------------------------


def test_a_client_sending_wrong_tokens_gets_429_until_the_window_ends(
    owner: User, settings: Any
) -> None:
    settings.API_TOKEN_FAILURE_LIMIT = 3
    settings.API_TOKEN_COOLOFF_MINUTES = 15
    _, token = api_token_create(user=owner, name="cron")
    start = timezone.now().replace(minute=0, second=0, microsecond=0)
    client = Client(REMOTE_ADDR="203.0.113.7")
    with time_machine.travel(start, tick=False):
        statuses = [
            client.get(LIST, headers=_bearer(f"ebk_wrong{n}")).status_code for n in range(4)
        ]
        assert statuses == [401, 401, 401, 429]
        # Past the limit even the right token is refused: a right guess must not stand out.
        refused = client.get(LIST, headers=_bearer(token))
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/problem+json"
        assert int(refused["Retry-After"]) == 15 * 60
        # Another client is not affected.
        assert (
            Client(REMOTE_ADDR="203.0.113.8").get(LIST, headers=_bearer(token)).status_code == 200
        )
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        assert client.get(LIST, headers=_bearer(token)).status_code == 200


def test_requests_without_a_token_are_not_counted_as_failures(settings: Any, owner: User) -> None:
    settings.API_TOKEN_FAILURE_LIMIT = 2
    _, token = api_token_create(user=owner, name="cron")
    client = Client()
    assert [client.get(LIST).status_code for _ in range(3)] == [401, 401, 401]
    assert client.get(LIST, headers=_bearer(token)).status_code == 200


def test_the_admin_revokes_a_token_and_never_shows_its_hash(client: Client, owner: User) -> None:
    from briefs.seed import make_user
    from tests.factories import PASSWORD

    row, token = api_token_create(user=owner, name="cron")
    client.force_login(
        make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    )
    page = client.get(f"/admin/briefs/apitoken/{row.pk}/change/")
    assert page.status_code == 200
    assert row.token_hash.encode() not in page.content and token.encode() not in page.content
    assert client.get("/admin/briefs/apitoken/add/").status_code == 403
    revoked = client.post(
        f"/admin/briefs/apitoken/{row.pk}/change/",
        {"revoked_at_0": "2026-12-01", "revoked_at_1": "10:00:00"},
    )
    assert revoked.status_code == 302, revoked.content[:2000]
    assert Client().get(LIST, headers=_bearer(token)).status_code == 401
