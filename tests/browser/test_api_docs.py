"""The API's docs page in a real browser: Swagger UI from our own static files, working under
the page's CSP (a violation is a console error, which fails the test)."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from briefs.seed import make_incident
from briefs.services import api_token_create

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
