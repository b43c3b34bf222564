"""The API in a real browser: the docs page (Swagger UI from our own static files) working
under the site's CSP (a violation is a console error, which fails the test), and the tokens
page."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from briefs.seed import make_incident
from briefs.services import api_token_create
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_lists_the_api_and_tries_a_call_with_a_token(
    open_context: Any, owner: User
) -> None:
    make_incident(owner=owner, title="Checkout outage")
    _, token = api_token_create(user=owner, name="docs")
    page = open_context().new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/v1/docs")
    expect(page.get_by_text("Escalation Briefs API").first).to_be_visible()
    listing = page.locator(".opblock-summary-get", has_text="/api/v1/incidents").first
    expect(listing).to_be_visible()

    page.get_by_role("button", name="Authorize").first.click()
    page.locator(".modal-ux input[type=text], .modal-ux input[type=password]").first.fill(token)
    page.locator(".modal-ux button.modal-btn.authorize").click()
    page.locator(".modal-ux button.btn-done").click()

    listing.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table td.response-col_status").last).to_have_text("200")
    expect(page.locator(".live-responses-table").first).to_contain_text("Checkout outage")
    # Nothing from elsewhere: no CDN, no font service.
    assert all(url.startswith(page.url.split("/api/")[0]) for url in requests), requests


def test_a_token_is_created_shown_once_used_and_revoked_on_the_settings_page(
    open_context: Any, look: Any, owner: User, live_server: Any
) -> None:
    page = open_context().new_page()
    page.goto("/settings/time-zone/")
    page.get_by_label("Username").fill(owner.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="your API tokens").click()
    page.get_by_label("Name").fill("deploy script")
    page.get_by_label("Read only").check()
    page.get_by_role("button", name="Create token").click()

    token = page.get_by_label("Your new token “deploy script”").input_value()
    assert token.startswith("ebk_")
    look(page, "api-token-created")
    answer = page.request.get(
        f"{live_server.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200

    page.goto("/settings/api-tokens/")
    expect(page.get_by_text(token)).to_have_count(0)
    row = page.get_by_role("row", name="deploy script")
    expect(row).to_contain_text("Read only")
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("The token “deploy script” no longer works.")).to_be_visible()
    look(page, "api-tokens")
    answer = page.request.get(
        f"{live_server.url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 401
