"""Signing in through the identity provider in a real browser: oidc-provider-mock in a thread,
its own authorize page, back to the dashboard, and out again at both ends."""

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.contrib.auth.models import User
from oidc_provider_mock import run_server_in_thread
from playwright.sync_api import Route, expect
from pytest_django.fixtures import Settings

from briefs.models import SingleSignOnIdentity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def provider(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with run_server_in_thread(require_nonce=True) as server:
        issuer = f"http://localhost:{server.server_port}"
        settings.OIDC_ISSUER = issuer
        settings.OIDC_CLIENT_ID = "escalation-briefs"
        settings.OIDC_CLIENT_SECRET = "client-secret"
        settings.SSO_ALLOWED_EMAIL_DOMAINS = ["example.com"]
        # As settings.py allows the issuer's origin when OIDC_ISSUER is set
        # (tests/test_sso_settings.py): the logout form's redirect goes there.
        settings.SECURE_CSP = {
            **settings.SECURE_CSP,
            "form-action": [*settings.SECURE_CSP["form-action"], issuer],
        }
        yield issuer


def no_cdn(route: Route) -> None:
    # The provider's page styles itself from a CDN, which the test machine cannot reach.
    route.fulfill(status=200, content_type="text/css", body="")


def test_an_architect_signs_in_through_the_provider_and_out_at_both_ends(
    open_context: Any, look: Any, provider: str
) -> None:
    requests.put(
        f"{provider}/users/ada-0001",
        json={"email": "ada@example.com", "given_name": "Ada", "family_name": "Lovelace"},
        timeout=5,
    ).raise_for_status()
    context = open_context()
    context.route("https://cdn.jsdelivr.net/**", no_cdn)
    page = context.new_page()
    page.goto("/")
    look(page, "sso-login")
    page.get_by_role("link", name="Sign in with single sign-on").click()

    # The provider's own page: who to sign in as.
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    assert page.url.startswith(provider)
    page.get_by_label("Subject").fill("ada-0001")
    page.get_by_role("button", name="Authorize", exact=True).click()

    expect(page.get_by_role("button", name="Start a new escalation")).to_be_visible()
    look(page, "sso-dashboard")
    user = User.objects.get(sso_identities__subject="ada-0001")
    assert (user.email, user.get_full_name()) == ("ada@example.com", "Ada Lovelace")
    assert SingleSignOnIdentity.objects.get(user=user).issuer == provider

    page.get_by_role("button", name="Log out").click()
    # The provider asks to end its session too, then sends the browser back here.
    assert page.url.startswith(f"{provider}/oauth2/end_session")
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
