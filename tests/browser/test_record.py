"""Issue 12's truths in Chromium: a revision keeps the impact facts, a decision closes its ask,
and the resolved brief states one final cost and reads as a record."""

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from briefs.models import Incident
from briefs.seed import make_estimate, make_incident
from tests.browser.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASK = "Do we restore from the six-hour-old backup now?"


def impact(page: Page) -> Any:
    return page.get_by_role("region", name="Business impact")


def test_a_brief_keeps_its_facts_closes_its_asks_and_ends_as_a_record(
    open_context: Any, look: Any, owner: User
) -> None:
    incident: Incident = make_incident(owner=owner, title="Database deleted")
    make_estimate(
        incident=incident,
        revenue_per_hour="20000",
        customers_affected=5000,
        data_exposure=True,
        sla_breach=True,
        confidence="medium",
        basis="Sign-ups per hour times their value.",
    )
    incident.decisions.create(
        question=ASK,
        options="Restore now, or wait for a newer copy.",
        trade_offs="Six hours of data against a longer outage.",
        recommendation="Restore now.",
    )
    page = open_context().new_page()
    log_in(page, owner)
    page.get_by_role("link", name=incident.title, exact=True).click()

    # Only the confidence changes: the timeline says so and the flags stay.
    page.get_by_label("What changed").fill("We measured the lost sign-ups.")
    page.get_by_text("Revise the impact estimate").click()
    expect(page.get_by_label("Data, security or privacy exposure")).to_be_checked()
    page.get_by_label("Confidence in the revised estimate").select_option(label="High: measured")
    page.get_by_role("button", name="Post update").click()
    timeline = page.get_by_role("region", name="Timeline of updates")
    expect(timeline).to_contain_text("Confidence raised to high: measured.")
    expect(timeline).not_to_contain_text("Impact estimate revised")
    expect(impact(page)).to_contain_text("Data, security or privacy exposure")
    expect(impact(page)).to_contain_text("SLA or contract breach")
    look(page, "brief-confidence-raised")

    # The CEO decides in the meeting: the ask becomes a decision.
    page.get_by_role("link", name="Record the CEO meeting").click()
    page.get_by_label("Who attended").fill("Dana Chen (CEO)")
    page.get_by_label("Decision taken").first.fill("Restore now.")
    page.get_by_label("Decided by").first.fill("Dana Chen (CEO)")
    page.get_by_label("Answers the ask").first.select_option(label=ASK)
    look(page, "meeting-form")
    page.get_by_role("button", name="Save the meeting record").click()
    need = page.get_by_role("region", name="What we need from you")
    expect(need).to_contain_text(re.compile(r"Decided: Restore now\. \(Dana Chen \(CEO\), "))
    expect(need).not_to_contain_text("We recommend")

    # Resolved: one final cost, told as a record, the flags still there.
    page.get_by_role("link", name="Mark resolved").click()
    expect(page.get_by_label("Data, security or privacy exposure")).to_be_checked()
    page.get_by_label("Closing update to the CEO").fill("Restored from the backup.")
    page.get_by_role("button", name="Mark resolved").click()
    figures = page.get_by_role("region", name="Key figures")
    expect(figures).to_contain_text("Total cost")
    expect(figures).not_to_contain_text("could be")  # measured: no range
    expect(page.get_by_role("region", name="What we did")).to_be_visible()
    expect(page.get_by_role("region", name="What we needed from you")).to_contain_text(
        "Decided: Restore now."
    )
    expect(impact(page)).to_contain_text("Data, security or privacy exposure")
    expect(page.get_by_text("Depends on")).to_have_count(0)
    look(page, "brief-resolved")
