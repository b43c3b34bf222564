"""Time zones in a real browser: the zone is the browser's own, read by static/js/time-zone.js."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from briefs.models import Profile
from briefs.seed import make_estimate, make_incident
from briefs.services import share_link_create, update_post
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_sign_in_proposes_the_browsers_zone_and_one_click_takes_it(
    open_context: Any, look: Any, owner: User
) -> None:
    page = open_context(timezone_id="Asia/Tokyo").new_page()
    page.goto("/")
    page.get_by_label("Username").fill(owner.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_text("Your browser is in Asia/Tokyo")).to_be_visible()
    look(page, "zone-proposal")
    page.get_by_role("button", name="Use Asia/Tokyo").click()

    expect(page.get_by_role("link", name="Times in Asia/Tokyo (JST)")).to_be_visible()
    expect(page.get_by_role("button", name="Use Asia/Tokyo")).to_have_count(0)
    assert Profile.objects.get(user=owner).time_zone == "Asia/Tokyo"


def test_an_executive_switches_the_link_to_their_zone_and_back(
    open_context: Any, look: Any, owner: User
) -> None:
    now = timezone.now()
    incident = make_incident(owner=owner, time_zone="America/Los_Angeles")
    make_estimate(incident=incident)
    update_post(
        incident=incident,
        author=owner,
        what_changed="Payments fail.",
        next_update_due=now + timedelta(hours=1),
    )
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    page = open_context(timezone_id="Europe/Berlin").new_page()

    header = page.get_by_role("banner")
    page.goto(f"/b/{token}")
    expect(header).to_contain_text("Times in America/Los_Angeles")
    page.get_by_role("button", name="Show in my time zone (Europe/Berlin)").click()

    expect(header).to_contain_text("Times in Europe/Berlin")
    look(page, "link-own-zone")
    page.goto(f"/b/{token}")  # remembered on the next visit
    expect(header).to_contain_text("Times in Europe/Berlin")
    page.get_by_role("button", name="Back to the incident's zone (America/Los_Angeles)").click()
    expect(header).to_contain_text("Times in America/Los_Angeles")
