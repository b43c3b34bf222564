"""Attack it: access, sessions, CSRF, executive-link guessing, headers and logs.

Each test fails when the protection it names is removed.
"""

import logging
import os
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from briefs.models import Incident, IncidentUpdate, ShareLink, ShareLinkGuesses
from briefs.seed import make_estimate, make_incident
from tests.factories import ANSWER_FIELDS, PASSWORD

ROOT = Path(__file__).resolve().parent.parent


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield pattern.name or "", route, pattern.callback


APP_ROUTES = [(n, r, c) for n, r, c in _patterns(get_resolver()) if not r.startswith("admin/")]
INCIDENT_ROUTES = [(n, r) for n, r, _ in APP_ROUTES if r.startswith("incidents/<uuid:public_id>/")]


def _fill(route: str, incident: Incident, sample: uuid.UUID) -> str:
    path = route.replace("<uuid:public_id>", str(incident.public_id))
    path = re.sub(r"<uuid:\w+>", str(sample), path)
    return "/" + path.replace("<slug:step>", "cause")


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "route"), INCIDENT_ROUTES, ids=[n for n, _ in INCIDENT_ROUTES])
def test_an_outsider_gets_404_on_every_incident_url(
    outsider_client: Client, incident: Incident, name: str, route: str
) -> None:
    """Incidents are visible only to their owner and collaborators: to anyone else they do not
    exist, read-only included (a decision: briefs hold unreleased business figures)."""
    url = _fill(route, incident, uuid.uuid4())
    statuses = {
        outsider_client.get(url).status_code,
        outsider_client.post(url, {"version": 1}).status_code,
    }
    # Each URL answers 404 to the method it accepts, and 405 to the other one.
    assert 404 in statuses, url
    assert statuses <= {404, 405}, url


def test_the_access_walk_covers_exports_and_fragments() -> None:
    names = {name for name, _ in INCIDENT_ROUTES}
    assert {
        "incident_pdf",
        "incident_markdown",
        "rca_pdf",
        "update_create",
        "incident_step",
    } <= names


def test_extra_post_fields_change_nothing(
    owner_client: Client, incident: Incident, owner: User, outsider: User
) -> None:
    other = make_incident(owner=outsider, title="Someone else's")
    before = Incident.objects.values().get(pk=incident.pk)
    response = owner_client.post(
        f"/incidents/{incident.public_id}/updates/",
        {
            "what_changed": "Rollback done.",
            "operating_state": "degraded",
            "next_update_due": (timezone.localtime() + timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "owner": outsider.pk,
            "status": "closed",
            "version": 99,
            "created_at": "2001-01-01T00:00",
            "incident": other.pk,
            "incident_id": other.pk,
            "author": outsider.pk,
            "sequence": 77,
        },
    )
    assert response.status_code == 302
    update = IncidentUpdate.objects.get()
    assert (update.incident_id, update.author_id, update.sequence) == (incident.pk, owner.pk, 1)
    after = Incident.objects.values().get(pk=incident.pk)
    assert {k: after[k] for k in ("owner_id", "status", "version", "created_at")} == {
        k: before[k] for k in ("owner_id", "status", "version", "created_at")
    }
    assert not other.updates.exists()


# --- Login throttling and sessions -----------------------------------------------------------


def _login(client: Client, password: str, address: str = "10.0.0.1", **headers: str) -> Any:
    return client.post(
        "/login/", {"username": "owner", "password": password}, REMOTE_ADDR=address, headers=headers
    )


def test_login_is_throttled_after_repeated_failures(client: Client, owner: User) -> None:
    for _ in range(4):
        assert _login(client, "wrong-password").status_code == 200
    assert _login(client, "wrong-password").status_code == 429  # the fifth failure locks
    locked = _login(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()


def test_an_attacker_cannot_lock_out_the_real_user_from_another_address(
    client: Client, owner: User
) -> None:
    for _ in range(6):
        _login(client, "wrong-password", address="203.0.113.9")
    assert _login(Client(), PASSWORD, address="198.51.100.7").status_code == 302


def test_a_spoofed_forwarded_for_does_not_bypass_the_throttle(client: Client, owner: User) -> None:
    for number in range(6):
        _login(client, "wrong-password", **{"X-Forwarded-For": f"192.0.2.{number}"})
    assert _login(client, PASSWORD, **{"X-Forwarded-For": "192.0.2.200"}).status_code == 429


def test_passwords_need_12_characters(owner: User) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Short-pw-1!", owner)


def test_login_rotates_the_session_key(client: Client, owner: User) -> None:
    client.get("/login/")
    client.session["probe"] = 1
    anonymous_key = client.session.session_key
    _login(client, PASSWORD)
    assert client.session.session_key != anonymous_key


def test_logout_ends_the_session(owner_client: Client) -> None:
    assert owner_client.get("/").status_code == 200
    owner_client.post("/logout/")
    assert owner_client.get("/").status_code == 302


def test_deactivating_a_user_ends_their_sessions(owner_client: Client, owner: User) -> None:
    assert owner_client.get("/").status_code == 200
    owner.is_active = False
    owner.save()
    assert owner_client.get("/").status_code == 302


def test_sessions_end_after_8_idle_hours_but_not_while_used(owner_client: Client) -> None:
    start = timezone.now()
    for hours in (7, 14):  # each request pushes the expiry back
        with time_machine.travel(start + timedelta(hours=hours)):
            assert owner_client.get("/").status_code == 200
    with time_machine.travel(start + timedelta(hours=22, minutes=1)):
        assert owner_client.get("/").status_code == 302


# --- CSRF -----------------------------------------------------------------------------------


def test_no_view_is_csrf_exempt_but_the_alert_hook_and_the_one_click_unsubscribe() -> None:
    # The JSON API (issue 17) is exempt as a whole: it takes bearer tokens only, never the
    # session cookie a forged request would carry (tests/test_api.py, a session gets 401).
    exempt = [
        name
        for name, route, callback in APP_ROUTES
        if getattr(callback, "csrf_exempt", False) and not route.startswith("api/v1/")
    ]
    # Alert webhooks (issue 17): alerting tools post without cookies; the secret URL (and
    # PagerDuty's signature) is the credential, so no browser session can be ridden there.
    # RFC 8058: a mail client's one-click POST carries no CSRF token; the unsubscribe token in
    # its address is the proof (briefs.views.unsubscribe, tests/test_notifications.py).
    assert sorted(exempt) == ["alert_hook", "unsubscribe"]


@pytest.mark.parametrize(
    ("name", "route"),
    INCIDENT_ROUTES + [("incident_new", "incidents/new/")],
    ids=[n for n, _ in INCIDENT_ROUTES] + ["incident_new"],
)
def test_every_state_changing_request_needs_a_csrf_token(
    owner: User, incident: Incident, name: str, route: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = _fill(route, incident, uuid.uuid4())
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(url, {"version": incident.version}, headers=headers)
        assert response.status_code in {403, 405}, (url, response.status_code)


# --- The executive link ---------------------------------------------------------------------


def test_a_database_dump_yields_no_usable_link(
    capsys: pytest.CaptureFixture[str], executive_token: str
) -> None:
    call_command("dumpdata", "briefs", stdout=sys.stdout)
    dump = capsys.readouterr().out
    assert executive_token not in dump
    assert ShareLink.hash_token(executive_token) in dump


def test_guessing_tokens_gets_429_after_30_misses_a_minute(
    client: Client, executive_token: str
) -> None:
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        misses = [client.get(f"/b/{secrets.token_urlsafe(32)}").status_code for _ in range(30)]
        assert set(misses) == {404}
        assert client.get(f"/b/{secrets.token_urlsafe(32)}").status_code == 429
        # Once limited, even a right token waits: otherwise the guessing could go on.
        assert client.get(f"/b/{executive_token}").status_code == 429
        # Another client is not affected.
        assert client.get(f"/b/{executive_token}", REMOTE_ADDR="198.51.100.20").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert client.get(f"/b/{executive_token}").status_code == 200


def test_an_executive_refreshing_all_day_is_never_limited(
    client: Client, executive_token: str
) -> None:
    statuses = {
        client.get(
            f"/b/{executive_token}?fragment=live", headers={"HX-Request": "true"}
        ).status_code
        for _ in range(40)
    }
    assert statuses == {200}


def test_guesses_are_counted_in_the_database_shared_by_every_worker(
    client: Client, incident: Incident
) -> None:
    start = timezone.now().replace(second=1)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            client.get(f"/b/{secrets.token_urlsafe(32)}")
        assert ShareLinkGuesses.objects.get(client="127.0.0.1").misses == 3
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        client.get(f"/b/{secrets.token_urlsafe(32)}", REMOTE_ADDR="198.51.100.20")
    # A new miss clears the minutes gone by.
    assert list(ShareLinkGuesses.objects.values_list("client", "misses")) == [("198.51.100.20", 1)]


@pytest.mark.parametrize("suffix", ["", "?fragment=live", "/brief.md", "/pdf", "/rca", "/rca/pdf"])
def test_past_the_guess_limit_every_executive_url_answers_429(
    client: Client, settings: Any, suffix: str, executive_token: str
) -> None:
    settings.SHARE_LINK_GUESS_LIMIT = 2
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        for _ in range(2):
            assert client.get(f"/b/{secrets.token_urlsafe(32)}{suffix}").status_code == 404
        response = client.get(f"/b/{executive_token}{suffix}", headers={"HX-Request": "true"})
        assert response.status_code == 429
        assert response["Retry-After"] == "60"
        assert client.get(f"/b/{secrets.token_urlsafe(32)}{suffix}").status_code == 429


def test_the_link_reaches_no_architect_page(
    client: Client, incident: Incident, executive_token: str
) -> None:
    for path in [
        f"/b/{executive_token}/../incidents/{incident.public_id}/",
        f"/b/{executive_token}/admin/",
        f"/b/{executive_token}/x",
    ]:
        assert client.get(path).status_code in {302, 404}
    assert client.get(f"/incidents/{incident.public_id}/").status_code == 302


# --- Headers and configuration --------------------------------------------------------------


def test_deploy_checks_pass_with_production_settings() -> None:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        },
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "briefs.example.com",
        # Production sends its notifications through a mail server (issue 16); without one,
        # Django's deploy check refuses the file backend (mail.E001).
        "EMAIL_HOST": "smtp.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _csp(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


PAGES = [
    "/login/",
    "/",
    "/incidents/{id}/",
    "/incidents/{id}/escalate/assess/",
    "/incidents/{id}/escalate/review/",
    "/incidents/{id}/history/",
    "/b/{token}",
]


@pytest.mark.parametrize("page", PAGES)
def test_every_html_response_carries_a_strict_csp_with_no_inline_code(
    owner_client: Client, incident: Incident, page: str, executive_token: str
) -> None:
    response = owner_client.get(page.format(id=incident.public_id, token=executive_token))
    assert response.status_code == 200
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    # Scripts and styles only from our own static files: no inline code, so no nonce either
    # (a nonce would make every page unique, and the executive page is cached whole).
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    content = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", content)
    assert scripts, "htmx is loaded by a script tag"
    for tag in scripts:
        assert re.search(r'src="/static/[^"]+"', tag), tag
        assert "nonce" not in tag, tag
    assert "<style" not in content
    assert " style=" not in content  # inline style attributes would need 'unsafe-inline'
    assert '"allowEval": false' in content


def test_errors_show_a_generic_500_page(owner: User, settings: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(owner)
    from unittest import mock

    with mock.patch(
        "briefs.views.dashboard.dashboard_figures.totals", side_effect=RuntimeError("secret detail")
    ):
        response = client.get("/")
    assert response.status_code == 500
    content = response.content.decode()
    assert "Something went wrong" in content
    assert "secret detail" not in content and "Traceback" not in content


def test_logs_never_contain_share_tokens_passwords_or_bodies(
    client: Client, owner: User, caplog: pytest.LogCaptureFixture, executive_token: str
) -> None:
    from briefs.security import RedactSecrets

    handler_filter = RedactSecrets()
    caplog.handler.addFilter(handler_filter)
    wrong = secrets.token_urlsafe(32)
    with caplog.at_level(logging.INFO):
        client.get(f"/b/{wrong}")
        client.get(f"/b/{wrong}/pdf")
        client.post("/login/", {"username": "owner", "password": "hunter2-is-my-password"})
        client.post(f"/b/{executive_token}", {"what_changed": "body text"})
    text = caplog.text
    assert wrong not in text and executive_token not in text
    assert "hunter2-is-my-password" not in text
    assert "body text" not in text
    assert "/b/[redacted]" in text


def test_the_logging_config_redacts_on_every_handler(settings: Any) -> None:
    handlers = settings.LOGGING["handlers"]
    assert all("redact" in handler.get("filters", []) for handler in handlers.values())


def test_request_bodies_over_the_limit_get_400(owner_client: Client, incident: Incident) -> None:
    response = owner_client.post(
        f"/incidents/{incident.public_id}/updates/", {"what_changed": "x" * (300 * 1024)}
    )
    assert response.status_code == 400
    assert not IncidentUpdate.objects.exists()


# --- PDF: pathological input stays bounded --------------------------------------------------


def test_field_limits_make_a_200000_character_word_impossible(
    owner_client: Client, incident: Incident
) -> None:
    response = owner_client.post(
        f"/incidents/{incident.public_id}/escalate/cause/",
        {"version": incident.version, "nav": "back", "root_cause": "x" * 200_000},
    )
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.root_cause == ""


@pytest.mark.django_db(transaction=True)
def test_a_pathological_brief_renders_in_time_or_fails_cleanly_while_others_are_served(
    owner: User, settings: Any
) -> None:
    """Every field at its limit as one unbroken word, and 2,000 timeline entries in the last
    day: the PDF comes within the time limit or as the error page, and meanwhile the app keeps
    answering (the render runs in a child process, not in the request's thread)."""
    import threading
    import time

    from briefs.models import CeoDecision

    settings.PDF_RENDER_TIMEOUT_SECONDS = 5
    word = "W" * 2000
    now = timezone.now()
    incident = make_incident(
        owner=owner,
        title="T" * 200,
        system="S" * 200,
        description="D" * 300,
        started_at=now - timedelta(hours=23),
        detected_at=now - timedelta(hours=23),
        escalated_at=now - timedelta(hours=23),
        # Every prose answer but the short ones above and the accountability line.
        **dict.fromkeys(ANSWER_FIELDS[2:-1], word),
    )
    make_estimate(
        incident=incident,
        effective_at=now - timedelta(hours=23),
        other_impact="O" * 1000,
        basis="B" * 1000,
    )
    CeoDecision.objects.create(
        incident=incident,
        question="Q" * 300,
        options="P" * 1000,
        trade_offs="R" * 1000,
        recommendation="C" * 300,
    )
    IncidentUpdate.objects.bulk_create(
        IncidentUpdate(
            incident=incident,
            sequence=n + 1,
            posted_at=now - timedelta(seconds=40 * (2000 - n)),
            author=owner,
            what_changed=word,
            next_steps=word,
            next_update_due=now + timedelta(hours=1),
        )
        for n in range(2000)
    )
    client = Client()
    client.force_login(owner)
    answered: list[int] = []
    done = threading.Event()

    def keep_asking() -> None:
        other = Client()
        try:
            while not done.is_set():
                answered.append(other.get("/healthz").status_code)
                time.sleep(0.05)
        finally:
            connections.close_all()  # this thread's own connection, not the test's

    watcher = threading.Thread(target=keep_asking)
    watcher.start()
    started = time.monotonic()
    try:
        response = client.get(f"/incidents/{incident.public_id}/pdf")
    finally:
        done.set()
        watcher.join()
    elapsed = time.monotonic() - started
    assert response.status_code in {200, 503}
    assert elapsed < settings.PDF_RENDER_TIMEOUT_SECONDS + 20  # the limit, plus building the HTML
    assert answered and set(answered) == {200}


# --- The logged-in user, loaded on every request (briefs.auth, Django's ModelBackend otherwise) --


def test_changing_the_password_ends_the_other_sessions(owner_client: Client, owner: User) -> None:
    assert owner_client.get("/").status_code == 200
    owner.set_password("a-brand-new-passphrase")
    owner.save()
    assert owner_client.get("/").status_code == 302


def test_a_deleted_user_is_logged_out(owner_client: Client, owner: User) -> None:
    assert owner_client.get("/").status_code == 200
    owner.delete()
    assert owner_client.get("/").status_code == 302


def test_a_session_naming_a_missing_user_is_anonymous(owner_client: Client, owner: User) -> None:
    session = owner_client.session
    session["_auth_user_id"] = str(owner.pk + 1000)
    session.save()

    assert owner_client.get("/").status_code == 302


def test_the_logged_in_user_comes_with_aware_datetimes(owner_client: Client, owner: User) -> None:
    response = owner_client.get("/")

    user = response.wsgi_request.user
    assert user.pk == owner.pk
    assert timezone.is_aware(user.date_joined)
    assert user.date_joined == owner.date_joined


def test_a_client_past_the_guess_limit_is_not_counted_further(
    client: Client, incident: Incident, settings: Any
) -> None:
    settings.SHARE_LINK_GUESS_LIMIT = 2
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        statuses = [client.get(f"/b/{secrets.token_urlsafe(32)}").status_code for _ in range(6)]
        assert statuses == [404, 404, 429, 429, 429, 429]
        # Counted up to one past the limit, then only read: a flood costs no writes.
        assert ShareLinkGuesses.objects.get().misses == 3


def test_a_valid_link_on_a_page_it_lacks_is_not_counted_as_a_guess(
    client: Client, incident: Incident, settings: Any, executive_token: str
) -> None:
    """The RCA of an unresolved incident answers 404, but the token matched: an executive who
    tries it more often than the limit must still reach the brief."""
    settings.SHARE_LINK_GUESS_LIMIT = 3
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        for suffix in ["/rca", "/rca/pdf"] * 3:
            assert client.get(f"/b/{executive_token}{suffix}").status_code == 404
        assert not ShareLinkGuesses.objects.exists()
        assert client.get(f"/b/{executive_token}").status_code == 200
        # A wrong token on the same path still counts.
        client.get(f"/b/{secrets.token_urlsafe(32)}/rca")
        assert ShareLinkGuesses.objects.get().misses == 1


def _guess_from(client: Client, address: str) -> int:
    return client.get(f"/b/{secrets.token_urlsafe(32)}", REMOTE_ADDR=address).status_code


def test_ipv6_guessers_are_counted_by_their_64_not_their_address(
    client: Client, incident: Incident, settings: Any
) -> None:
    settings.SHARE_LINK_GUESS_LIMIT = 3
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        # Rotating through one /64: every address is the same client.
        statuses = [_guess_from(client, f"2001:db8:1:2::{n:x}") for n in range(1, 6)]
        assert statuses == [404, 404, 404, 429, 429]
        assert _guess_from(client, "2001:db8:1:2:ffff:ffff:ffff:ffff") == 429
        # The next /64 is another client, and so is each IPv4 address.
        assert _guess_from(client, "2001:db8:1:3::1") == 404
        assert _guess_from(client, "192.0.2.1") == 404
        assert _guess_from(client, "192.0.2.2") == 404
    clients = dict(ShareLinkGuesses.objects.values_list("client", "misses"))
    assert clients == {"2001:db8:1:2::": 4, "2001:db8:1:3::": 1, "192.0.2.1": 1, "192.0.2.2": 1}


def test_the_ipv6_prefix_is_a_setting(client: Client, incident: Incident, settings: Any) -> None:
    settings.RATE_LIMIT_IPV6_PREFIX = 128
    with time_machine.travel(timezone.now().replace(second=1), tick=False):
        _guess_from(client, "2001:db8::1")
        _guess_from(client, "2001:db8::2")
        # An IPv4 client reaching an IPv6 socket is keyed by its IPv4 address.
        _guess_from(client, "::ffff:192.0.2.7")
    clients = set(ShareLinkGuesses.objects.values_list("client", flat=True))
    assert clients == {"2001:db8::1", "2001:db8::2", "192.0.2.7"}


def test_the_login_throttle_keys_ipv6_by_its_64(client: Client, owner: User) -> None:
    for n in range(5):
        _login(client, "wrong-password-123", address=f"2001:db8:5:6::{n + 1:x}")
    # A sixth address of the same /64, with the right password, is still paused.
    response = _login(client, PASSWORD, address="2001:db8:5:6::99")
    assert response.status_code == 429
    # Another /64 is not.
    assert _login(client, PASSWORD, address="2001:db8:5:7::1").status_code == 302


# --- Deployment -------------------------------------------------------------------------------


def _compose_services() -> dict[str, set[str]]:
    """Each service of docker-compose.yml and its keys (no YAML library: the file's own shape)."""
    services: dict[str, set[str]] = {}
    current = None
    in_services = False
    for line in (ROOT / "docker-compose.yml").read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            in_services = line.rstrip() == "services:"
        elif in_services and re.match(r"^  \w[\w-]*:\s*$", line):
            current = line.strip().rstrip(":")
            services[current] = set()
        elif in_services and current and (found := re.match(r"^    (\w[\w-]*):", line)):
            services[current].add(found.group(1))
    return services


def test_only_the_buffering_proxy_is_published_never_gunicorn() -> None:
    services = _compose_services()
    assert {"web", "proxy", "db"} <= set(services)
    assert [name for name, keys in services.items() if "ports" in keys] == ["proxy"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "proxy_request_buffering on;" in nginx
    assert re.search(r"client_header_timeout \d+s;", nginx)


@pytest.mark.parametrize(
    "who", ["active", "inactive", "missing", "not a number", "staff with a changed password"]
)
def test_the_fast_user_lookup_returns_what_djangos_model_backend_returns(
    owner: User, who: str
) -> None:
    from django.contrib.auth.backends import ModelBackend as DjangosBackend

    from briefs.auth import ModelBackend

    user_id: object = owner.pk
    if who == "inactive":
        User.objects.filter(pk=owner.pk).update(is_active=False)
    elif who == "missing":
        user_id = owner.pk + 1000
    elif who == "not a number":
        user_id = "1; DROP TABLE auth_user"
    elif who == "staff with a changed password":
        owner.is_staff = True
        owner.set_password("another-long-passphrase")
        owner.save()
    ours = ModelBackend().get_user(user_id)
    if who == "not a number":
        # Django's backend raises where ours answers "nobody"; a session holds only ids it set.
        with pytest.raises(ValueError):
            DjangosBackend().get_user(user_id)
        assert ours is None
        return
    django = DjangosBackend().get_user(user_id)
    if django is None:
        assert ours is None
        return
    assert ours is not None
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(ours, name) for name in fields] == [getattr(django, name) for name in fields]
    assert ours.get_session_auth_hash() == django.get_session_auth_hash()
