"""Single sign-on against a real OpenID provider (oidc-provider-mock, in a thread), local
accounts with LOCAL_LOGIN off, and the admin's take-over of an incident.

The provider issues real signed ID tokens; the tests tamper with them on their way to the app,
where Authlib's checks must refuse them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import requests
import time_machine
from authlib.integrations.django_client import DjangoOAuth2App
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from oidc_provider_mock import run_server_in_thread
from pytest_django.fixtures import Settings as SettingsWrapper

from briefs.models import Incident, RecoveryCode, SingleSignOnIdentity, StaffAct, StaffActKind
from briefs.seed import make_incident, make_user
from tests.factories import PASSWORD

CLIENT_ID = "escalation-briefs"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso(settings: SettingsWrapper, issuer: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # The provider in the test speaks plain HTTP; Authlib refuses that unless told.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    settings.OIDC_ISSUER = issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = "client-secret"
    settings.OIDC_SCOPES = ["openid", "email", "profile"]
    settings.SSO_ALLOWED_EMAIL_DOMAINS = []
    settings.SSO_ADMIN_GROUP = ""
    return issuer


def set_user(issuer: str, sub: str, **claims: Any) -> None:
    requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5).raise_for_status()


def start(client: Client) -> str:
    """The app's redirect to the provider's authorize endpoint."""
    response = client.get("/login/sso/")
    assert response.status_code == 302
    return str(response["Location"])


def consent(authorize_url: str, sub: str) -> str:
    """The person signs in at the provider: it sends them back with a code and the state."""
    answer = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sign_in(client: Client, sub: str) -> Any:
    return client.get(consent(start(client), sub))


def signed_in_user(client: Client) -> User | None:
    response = client.get("/")
    return response.wsgi_request.user if response.status_code == 200 else None  # type: ignore[return-value]


def tamper_token(monkeypatch: pytest.MonkeyPatch, change: Callable[[dict[str, Any]], None]) -> None:
    """Changes the provider's token answer after the real exchange, before the app checks it."""
    fetch = DjangoOAuth2App.fetch_access_token

    def fetch_then_change(self: DjangoOAuth2App, *args: Any, **kwargs: Any) -> Any:
        token = fetch(self, *args, **kwargs)
        change(token)
        return token

    monkeypatch.setattr(DjangoOAuth2App, "fetch_access_token", fetch_then_change)


def id_token_for_another_client(issuer: str, sub: str, nonce: str) -> str:
    """A genuine, signed ID token the provider issued to another application."""
    callback = "http://other.example/callback"
    query = {
        "client_id": "another-app",
        "redirect_uri": callback,
        "response_type": "code",
        "scope": "openid email",
        "state": "s",
        "nonce": nonce,
    }
    authorize = requests.Request("GET", f"{issuer}/oauth2/authorize", params=query).prepare()
    code = parse_qs(urlsplit(consent(str(authorize.url), sub)).query)["code"][0]
    token = requests.post(
        f"{issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
            "client_id": "another-app",
            "client_secret": "x",
        },
        timeout=5,
    )
    token.raise_for_status()
    return str(token.json()["id_token"])


def test_the_login_page_offers_single_sign_on_first(client: Client, db: None, sso: str) -> None:
    page = client.get("/login/").content.decode()
    assert "Sign in with single sign-on" in page
    assert page.index("Sign in with single sign-on") < page.index('name="password"')


def test_without_oidc_settings_there_is_no_single_sign_on(
    client: Client, db: None, settings: SettingsWrapper
) -> None:
    settings.OIDC_ISSUER = ""
    assert "single sign-on" not in client.get("/login/").content.decode()
    assert client.get("/login/sso/").status_code == 404


def test_the_authorize_request_carries_pkce_state_and_nonce(
    client: Client, db: None, sso: str
) -> None:
    query = parse_qs(urlsplit(start(client)).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == ["openid email profile"]


def test_a_first_sign_in_creates_the_user_from_the_claims(
    client: Client, db: None, sso: str
) -> None:
    set_user(sso, "okta-00u1", email="Ada@Example.com", given_name="Ada", family_name="Lovelace")
    response = sign_in(client, "okta-00u1")
    assert response.status_code == 302 and response["Location"] == "/"
    user = signed_in_user(client)
    assert user is not None
    assert (user.email, user.first_name, user.last_name) == ("ada@example.com", "Ada", "Lovelace")
    assert not user.has_usable_password()
    identity = SingleSignOnIdentity.objects.get(user=user)
    assert (identity.issuer, identity.subject) == (sso, "okta-00u1")


def test_later_sign_ins_match_the_subject_not_the_email(db: None, sso: str) -> None:
    set_user(sso, "sub-a", email="sam@example.com")
    first = Client()
    sign_in(first, "sub-a")
    sam = signed_in_user(first)
    # Sam changes address at the provider: still Sam.
    set_user(sso, "sub-a", email="samantha@example.com")
    again = Client()
    sign_in(again, "sub-a")
    assert (user := signed_in_user(again)) is not None and user.pk == sam.pk  # type: ignore[union-attr]
    assert user.email == "samantha@example.com"
    # Someone else now holds Sam's old address: another user, never Sam's account.
    set_user(sso, "sub-b", email="sam@example.com")
    other = Client()
    sign_in(other, "sub-b")
    assert (stranger := signed_in_user(other)) is not None and stranger.pk != sam.pk  # type: ignore[union-attr]
    # A local account holding the same address is not taken over either.
    local = make_user(username="local", password=PASSWORD, email="local@example.com")
    set_user(sso, "sub-c", email="local@example.com")
    third = Client()
    sign_in(third, "sub-c")
    assert (created := signed_in_user(third)) is not None and created.pk != local.pk


def test_an_address_outside_the_allowed_domains_is_refused_with_a_clear_page(
    client: Client, db: None, sso: str, settings: SettingsWrapper
) -> None:
    settings.SSO_ALLOWED_EMAIL_DOMAINS = ["example.com"]
    set_user(sso, "mallory", email="mallory@evil.test")
    refused = sign_in(client, "mallory")
    assert refused.status_code == 403
    assert "mallory@evil.test is not an address of example.com" in refused.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="mallory@evil.test").exists()
    set_user(sso, "unverified", email="eve@example.com", email_verified=False)
    assert sign_in(Client(), "unverified").status_code == 403
    set_user(sso, "alice", email="alice@example.com", email_verified=True)
    assert sign_in(Client(), "alice").status_code == 302


def test_a_deactivated_user_is_refused_with_a_clear_page(
    client: Client, db: None, sso: str
) -> None:
    set_user(sso, "leaver", email="leaver@example.com")
    sign_in(Client(), "leaver")
    User.objects.filter(email="leaver@example.com").update(is_active=False)

    refused = sign_in(client, "leaver")

    assert refused.status_code == 403
    assert "deactivated" in refused.content.decode()
    assert signed_in_user(client) is None


@pytest.mark.parametrize("damage", ["signature", "claims"])
def test_a_tampered_id_token_is_refused(
    client: Client, db: None, sso: str, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    def tamper(token: dict[str, Any]) -> None:
        header, payload, signature = token["id_token"].split(".")
        if damage == "signature":
            signature = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")
        else:  # another subject, signature kept
            payload = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
        token["id_token"] = f"{header}.{payload}.{signature}"

    tamper_token(monkeypatch, tamper)
    set_user(sso, "victim", email="victim@example.com")
    response = sign_in(client, "victim")
    assert response.status_code == 400
    assert "Single sign-on did not complete" in response.content.decode()
    assert signed_in_user(client) is None


def test_an_expired_id_token_is_refused(
    client: Client, db: None, sso: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    travellers = []

    def arrive_late(token: dict[str, Any]) -> None:
        # The token reaches the app a day later than it was issued.
        traveller = time_machine.travel(timezone.now() + timedelta(days=1))
        traveller.start()
        travellers.append(traveller)

    tamper_token(monkeypatch, arrive_late)
    set_user(sso, "late", email="late@example.com")
    try:
        response = sign_in(client, "late")
    finally:
        for traveller in travellers:
            traveller.stop()
    assert travellers and response.status_code == 400
    assert not User.objects.filter(email="late@example.com").exists()


def test_an_id_token_issued_to_another_application_is_refused(
    client: Client, db: None, sso: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_user(sso, "aud", email="aud@example.com")
    authorize = start(client)
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    foreign = id_token_for_another_client(sso, "aud", nonce)
    tamper_token(monkeypatch, lambda token: token.update(id_token=foreign))
    response = client.get(consent(authorize, "aud"))
    assert response.status_code == 400
    assert signed_in_user(client) is None


def test_a_replayed_state_is_refused(client: Client, db: None, sso: str) -> None:
    set_user(sso, "replay", email="replay@example.com")
    callback = consent(start(client), "replay")
    assert client.get(callback).status_code == 302
    client.post("/logout/")
    assert signed_in_user(client) is None
    replayed = client.get(callback)
    assert replayed.status_code == 400
    assert signed_in_user(client) is None
    # Nor does a callback started in another browser work in this one.
    elsewhere = consent(start(Client()), "replay")
    assert client.get(elsewhere).status_code == 400


def test_members_of_the_admin_group_become_staff_and_leave_it_with_the_group(
    client: Client, db: None, sso: str, settings: SettingsWrapper
) -> None:
    settings.SSO_ADMIN_GROUP = "incident-admins"
    set_user(sso, "boss", email="boss@example.com", groups=["staff", "incident-admins"])
    sign_in(client, "boss")
    assert User.objects.get(email="boss@example.com").is_staff
    set_user(sso, "boss", email="boss@example.com", groups=["staff"])
    sign_in(Client(), "boss")
    assert not User.objects.get(email="boss@example.com").is_staff


def test_logout_ends_the_session_here_and_at_the_provider(
    client: Client, db: None, sso: str
) -> None:
    set_user(sso, "leaver", email="leaver@example.com")
    sign_in(client, "leaver")
    response = client.post("/logout/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == sso
    assert location.path == "/oauth2/end_session"
    query = parse_qs(location.query)
    assert query["id_token_hint"][0].count(".") == 2
    assert query["post_logout_redirect_uri"] == ["http://testserver/login/"]
    assert signed_in_user(client) is None


def test_with_local_login_off_only_staff_sign_in_with_a_password(
    client: Client, db: None, sso: str, settings: SettingsWrapper
) -> None:
    settings.LOCAL_LOGIN = False
    make_user(username="architect", password=PASSWORD)
    make_user(username="breakglass", password=PASSWORD, is_staff=True)
    page = client.get("/login/").content.decode()
    assert "Break-glass sign-in for admins" in page
    refused = client.post("/login/", {"username": "architect", "password": PASSWORD})
    assert refused.status_code == 200
    assert "Sign in with single sign-on" in refused.content.decode()
    assert signed_in_user(client) is None
    allowed = client.post("/login/", {"username": "breakglass", "password": PASSWORD})
    # Past the password, to the authenticator staff must have (the two-step tests below).
    assert allowed.status_code == 302 and allowed["Location"] == "/login/authenticator/"


def test_axes_still_locks_out_local_logins_beside_single_sign_on(
    client: Client, db: None, sso: str, settings: SettingsWrapper
) -> None:
    make_user(username="architect", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "architect", "password": "wrong"})
    locked = client.post("/login/", {"username": "architect", "password": PASSWORD})
    assert locked.status_code == 429
    assert signed_in_user(client) is None


# --- The admin's take-over ---


@pytest.fixture
def admin_client(db: None) -> Client:
    admin = make_user(username="night-admin", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(admin)
    return client


def test_an_admin_sees_every_incident(
    admin_client: Client, incident: Incident, outsider_client: Client
) -> None:
    assert admin_client.get(f"/incidents/{incident.public_id}/").status_code == 200
    assert incident.title in admin_client.get("/").content.decode()
    assert outsider_client.get(f"/incidents/{incident.public_id}/").status_code == 404


def test_an_admin_hands_ownership_over_and_the_history_says_so(
    admin_client: Client, incident: Incident, owner: User, outsider: User
) -> None:
    page = admin_client.get(f"/incidents/{incident.public_id}/takeover/")
    assert page.status_code == 200 and "Hand over" in page.content.decode()
    response = admin_client.post(
        f"/incidents/{incident.public_id}/takeover/owner", {"user": outsider.pk}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.owner == outsider
    assert owner in incident.collaborators.all()  # the former owner stays on it
    act = StaffAct.objects.get(incident=incident)
    assert (act.actor.username, act.kind, act.person) == (
        "night-admin",
        StaffActKind.HAND_OVER,
        outsider,
    )
    history = admin_client.get(f"/incidents/{incident.public_id}/history/").content.decode()
    assert "taken over: handed ownership to outsider" in history
    assert "by night-admin" in history


def test_an_admin_adds_a_collaborator_once(
    admin_client: Client, incident: Incident, outsider: User, outsider_client: Client
) -> None:
    url = f"/incidents/{incident.public_id}/takeover/collaborators"
    assert outsider_client.get(f"/incidents/{incident.public_id}/").status_code == 404
    assert admin_client.post(url, {"user": outsider.pk}).status_code == 302
    assert admin_client.post(url, {"user": outsider.pk}).status_code == 302
    assert outsider_client.get(f"/incidents/{incident.public_id}/").status_code == 200
    acts = StaffAct.objects.filter(incident=incident, kind=StaffActKind.ADD_COLLABORATOR)
    assert [act.person for act in acts] == [outsider]


@pytest.mark.parametrize("action", ["owner", "collaborators"])
def test_take_over_is_not_for_architects_and_wants_post(
    admin_client: Client,
    owner_client: Client,
    incident: Incident,
    outsider: User,
    action: str,
) -> None:
    url = f"/incidents/{incident.public_id}/takeover/{action}"
    assert admin_client.get(url).status_code == 405
    # Even the incident's owner is no admin: to them the take-over does not exist.
    assert owner_client.post(url, {"user": outsider.pk}).status_code == 404
    assert owner_client.get(f"/incidents/{incident.public_id}/takeover/").status_code == 404
    assert not StaffAct.objects.exists()


# --- Two-step sign-in for local accounts ---


@pytest.fixture(autouse=True)
def no_code_throttle(request: pytest.FixtureRequest, settings: SettingsWrapper) -> None:
    """django-otp makes the next try wait a second after a wrong code (doubling each time);
    tests that type a right code right after a wrong one turn that off, except the one that
    shows it."""
    if "throttle" not in request.node.name:
        settings.OTP_TOTP_THROTTLE_FACTOR = 0


def totp_for(page: str) -> pyotp.TOTP:
    secret = re.search(r'<code id="totp-secret">([A-Z2-7]+)</code>', page)
    assert secret is not None, page
    return pyotp.TOTP(secret.group(1))


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30-second step: django-otp refuses a step already used (and takes
    one step of drift), so two codes in one test do not collide."""
    return str(totp.at(time.time() + 30))


def enrol(client: Client) -> tuple[pyotp.TOTP, list[str]]:
    page = client.post("/settings/two-step/", {"start": "1"}).content.decode()
    totp = totp_for(page)
    done = client.post("/settings/two-step/", {"code": totp.now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{5}-[0-9a-f]{5})</code></li>", done.content.decode())
    assert len(codes) == 10
    return totp, codes


def test_an_account_with_an_authenticator_signs_in_with_a_code(db: None) -> None:
    make_user(username="architect", password=PASSWORD)
    setup = Client()
    setup.post("/login/", {"username": "architect", "password": PASSWORD})
    totp, _ = enrol(setup)
    client = Client()
    step = client.post("/login/", {"username": "architect", "password": PASSWORD, "next": "/"})
    assert step.status_code == 302 and step["Location"] == "/login/code/"
    assert signed_in_user(client) is None  # the password alone is not enough
    wrong = client.post("/login/code/", {"code": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert signed_in_user(client) is None
    right = client.post("/login/code/", {"code": next_code(totp)})
    assert right.status_code == 302 and right["Location"] == "/"
    assert (user := signed_in_user(client)) is not None and user.username == "architect"


def test_a_recovery_code_signs_in_once_and_is_stored_hashed(db: None) -> None:
    make_user(username="architect", password=PASSWORD)
    setup = Client()
    setup.post("/login/", {"username": "architect", "password": PASSWORD})
    _, codes = enrol(setup)
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    first = Client()
    first.post("/login/", {"username": "architect", "password": PASSWORD})
    assert first.post("/login/code/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    again.post("/login/", {"username": "architect", "password": PASSWORD})
    assert again.post("/login/code/", {"code": codes[0]}).status_code == 400
    assert again.post("/login/code/", {"code": codes[1]}).status_code == 302


def test_five_wrong_codes_send_the_person_back_to_the_password(db: None) -> None:
    make_user(username="architect", password=PASSWORD)
    setup = Client()
    setup.post("/login/", {"username": "architect", "password": PASSWORD})
    totp, _ = enrol(setup)
    client = Client()
    client.post("/login/", {"username": "architect", "password": PASSWORD})
    answers = [client.post("/login/code/", {"code": "123456"}).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 302]
    late = client.post("/login/code/", {"code": next_code(totp)})
    assert late.status_code == 302 and late["Location"] == "/login/"
    assert signed_in_user(client) is None


def test_staff_must_set_up_an_authenticator_before_their_password_signs_them_in(
    db: None,
) -> None:
    make_user(username="breakglass", password=PASSWORD, is_staff=True)
    client = Client()
    step = client.post("/login/", {"username": "breakglass", "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/login/authenticator/"
    assert signed_in_user(client) is None
    page = client.get("/login/authenticator/").content.decode()
    assert "Admins see every incident" in page
    totp = totp_for(page)
    assert client.post("/login/authenticator/", {"code": "000000"}).status_code == 400
    assert signed_in_user(client) is None
    done = client.post("/login/authenticator/", {"code": totp.now()})
    assert done.status_code == 200 and "recovery codes" in done.content.decode()
    assert (user := signed_in_user(client)) is not None and user.is_staff
    # From now on the password asks for a code.
    later = Client()
    assert (
        later.post("/login/", {"username": "breakglass", "password": PASSWORD})["Location"]
        == "/login/code/"
    )


def test_the_code_page_without_a_password_first_goes_back_to_login(
    client: Client, db: None
) -> None:
    assert client.get("/login/code/")["Location"] == "/login/"
    assert client.post("/login/code/", {"code": "123456"})["Location"] == "/login/"
    assert client.get("/login/authenticator/")["Location"] == "/login/"


def test_a_right_code_right_after_a_wrong_one_waits_for_the_throttle(db: None) -> None:
    make_user(username="architect", password=PASSWORD)
    setup = Client()
    setup.post("/login/", {"username": "architect", "password": PASSWORD})
    totp, _ = enrol(setup)
    client = Client()
    client.post("/login/", {"username": "architect", "password": PASSWORD})
    assert client.post("/login/code/", {"code": "000000"}).status_code == 400
    assert client.post("/login/code/", {"code": next_code(totp)}).status_code == 400
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        later = client.post("/login/code/", {"code": next_code(totp)})
    assert later.status_code == 302


def test_an_admins_dashboard_lists_others_incidents_but_only_their_own_drafts(
    admin_client: Client, owner: User
) -> None:
    escalated = make_incident(owner=owner, title="Checkout outage")
    draft = make_incident(owner=owner, title="Half-written brief", status="draft")
    page = admin_client.get("/").content.decode()
    assert escalated.title in page
    assert draft.title not in page


def test_the_admins_own_login_never_signs_in_with_a_password_alone(db: None) -> None:
    make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    setup = Client()
    setup.post("/login/", {"username": "root", "password": PASSWORD})
    page = setup.get("/login/authenticator/").content.decode()
    totp = totp_for(page)
    assert setup.post("/login/authenticator/", {"code": totp.now()}).status_code == 200

    client = Client()
    shown = client.get("/admin/login/?next=/admin/")
    posted = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})

    for answer in (shown, posted):
        assert answer.status_code == 302 and answer["Location"] == "/login/?next=/admin/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    # The app's sign-in, with its code, is the way in.
    step = client.post("/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert step["Location"] == "/login/code/"
    done = client.post("/login/code/", {"code": next_code(totp)})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_replacing_the_authenticator_takes_a_code_from_the_current_one(db: None) -> None:
    make_user(username="architect", password=PASSWORD)
    client = Client()
    client.post("/login/", {"username": "architect", "password": PASSWORD})
    totp, codes = enrol(client)
    stored = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    device_before = TOTPDevice.objects.get(confirmed=True).pk

    # Someone at an unlocked, signed-in browser: no code, a wrong one, or a confirm straight away.
    bare = client.post("/settings/two-step/", {"start": "1"})
    wrong = client.post("/settings/two-step/", {"start": "1", "current_code": "000000"})
    confirm = client.post("/settings/two-step/", {"code": next_code(totp)})

    assert (bare.status_code, wrong.status_code) == (400, 400)
    assert "totp-secret" not in bare.content.decode() + wrong.content.decode()
    assert "code from your current authenticator" in wrong.content.decode()
    assert confirm.status_code == 302 and confirm["Location"] == "/settings/two-step/"
    assert TOTPDevice.objects.get(confirmed=True).pk == device_before
    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == stored

    # The owner, with the authenticator (or a recovery code) at hand.
    page = client.post("/settings/two-step/", {"start": "1", "current_code": codes[0]})
    new = totp_for(page.content.decode())
    done = client.post("/settings/two-step/", {"code": new.now()})
    assert done.status_code == 200 and "recovery codes" in done.content.decode()
    assert TOTPDevice.objects.get(confirmed=True).pk != device_before
    assert not set(RecoveryCode.objects.values_list("code_hash", flat=True)) & stored
