"""The reminders banner in a real browser (issue 16): on a phone, announced, and it leads to the
update form; posting the update takes it away without a reload."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from briefs.models import Incident
from briefs.services import update_post
from tests.browser.support import PHONE
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_banner_on_a_phone_leads_to_the_update_form_and_goes_once_it_is_posted(
    open_context: Any, look: Any, collaborator: User, incident: Incident
) -> None:
    update_post(
        incident=incident,
        author=incident.owner,
        what_changed="Rolled back the payment gateway.",
        next_update_due=timezone.now() + timedelta(minutes=5, seconds=30),
    )
    page = open_context(viewport=PHONE).new_page()
    page.goto("/")
    page.get_by_label("Username").fill(collaborator.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    banner = page.get_by_role("status").filter(has_text="Update due for")
    expect(banner).to_contain_text("Update due for Checkout outage at")
    expect(banner).to_contain_text(re.compile(r"UTC \(in [56] min\)"))
    # Readable at phone width: nothing runs off the side.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    look(page, "reminder-banner")

    page.get_by_role("link", name="Update due for Checkout outage").click()
    expect(page.get_by_label("What changed")).to_be_visible()
    page.get_by_label("What changed").fill("Payments flow again.")
    page.get_by_role("button", name="Post update").click()
    expect(page.get_by_text("Payments flow again.").first).to_be_visible()
    expect(page.get_by_text("Update due for")).to_have_count(0)
