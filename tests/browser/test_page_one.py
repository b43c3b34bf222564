"""The top of the executive link answers every question, and reads well on a phone."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from briefs.models import CeoDecision, Incident
from briefs.services import share_link_create
from tests.browser.support import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def boxes(page: Page, label: str) -> tuple[dict[str, float], dict[str, float]]:
    """Where page 1's label and its answer are drawn."""
    term = page.locator(".page-one dt", has_text=label).first
    found: dict[str, dict[str, float]] = term.evaluate(
        """(term) => {
            const box = (element) => {
                const r = element.getBoundingClientRect();
                return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
            };
            return {term: box(term), answer: box(term.nextElementSibling)};
        }"""
    )
    return found["term"], found["answer"]


def test_the_executive_reads_every_answer_first_at_phone_and_desktop_width(
    open_context: Any, look: Any, owner: User, incident: Incident
) -> None:
    Incident.objects.filter(pk=incident.pk).update(
        root_cause="A payment setting changed in yesterday's release. " * 8,
        mitigation="We moved payments to our backup provider.",
        accountability="The whole engineering team is accountable.",
        remediation_overseer="Olivia Owner",
    )
    CeoDecision.objects.create(
        incident=incident,
        question="Do we compensate customers?",
        options="A voucher or an apology.",
        trade_offs="The voucher costs $90,000.",
        recommendation="A 10% voucher for failed orders.",
    )
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    page = open_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"/b/{token}")

    summary = page.get_by_role("region", name="At a glance")
    expect(summary).to_contain_text("Do we compensate customers? We recommend: A 10% voucher")
    expect(summary).to_contain_text("The whole engineering team is accountable.")
    # Above the full sections, and the first thing after the key figures.
    above = page.get_by_role("heading", name="Business impact").bounding_box()
    assert above is not None
    summary_box = summary.bounding_box()
    assert summary_box is not None and summary_box["y"] < above["y"]
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    # On a phone each label sits above its answer, at full width.
    term, answer = boxes(page, "Cause")
    assert term["bottom"] <= answer["top"] + 1
    assert answer["right"] - answer["left"] > PHONE["width"] * 0.8
    # A shortened answer leads to the full section.
    page.get_by_role("link", name="continued below").first.click()
    expect(page).to_have_url(f"{page.url.split('#')[0]}#s-cause")
    look(page, "executive-page-one")

    page.set_viewport_size({"width": 1280, "height": 800})
    term, answer = boxes(page, "Cause")
    assert abs(term["top"] - answer["top"]) < 8
    assert term["right"] <= answer["left"]
