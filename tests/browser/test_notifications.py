"""The architect adds an executive, posts an update and sees it delivered (issue 16), in
Chromium: the mail goes through the app's notification engine to Django's test outbox."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import expect

from briefs.models import Incident
from tests.browser.support import Watch
from tests.browser.test_journeys import log_in, post_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_architect_adds_an_executive_posts_an_update_and_sees_it_sent(
    open_context: Any, look: Any, watch: Watch, owner: User, incident: Incident
) -> None:
    page = open_context().new_page()
    log_in(page, owner)
    page.get_by_role("link", name=incident.title, exact=True).click()
    panel = page.get_by_role("region", name="Executives by email")
    expect(panel).to_contain_text("No one gets this incident by email yet.")

    # A bad address comes back with its error beside it, and the name still typed.
    watch.allow("400 (Bad Request)")
    panel.get_by_label("Name").fill("Dana Chen")
    panel.get_by_label("Email").fill("dana at example")
    panel.get_by_role("button", name="Add executive").click()
    expect(panel.get_by_text("Enter an email address like dana@example.com.")).to_be_visible()
    expect(panel.get_by_label("Name")).to_have_value("Dana Chen")
    expect(panel.get_by_label("Email")).to_have_attribute("aria-invalid", "true")

    panel.get_by_label("Email").fill("ceo@example.com")
    panel.get_by_role("button", name="Add executive").click()
    expect(panel).to_contain_text("Dana Chen <ceo@example.com>, every update")
    assert [message.to for message in mail.outbox] == [["Dana Chen <ceo@example.com>"]]

    post_update(page, "Card payments moved to the backup provider.")
    expect(page.get_by_role("region", name="Timeline of updates")).to_contain_text(
        "Card payments moved to the backup provider."
    )
    assert len(mail.outbox) == 2
    assert "Card payments moved to the backup provider." in mail.outbox[1].body

    page.reload()
    line = page.locator("#delivery-line")
    expect(line).to_contain_text("Sent to 1 executive at")
    look(page, "brief-with-executives")
    line.get_by_role("link", name="Delivery details").click()
    expect(page.get_by_role("heading", name="What was sent")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Update posted")
    look(page, "deliveries")
