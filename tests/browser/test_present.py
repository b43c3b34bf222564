"""Issue 18 in Chromium: a whole CEO meeting from the presenter view, with the screen in another
browser following it, and its record on the brief and the executive link afterwards."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from briefs.models import Incident
from briefs.seed import make_estimate, make_incident
from briefs.services import share_link_create
from tests.browser.support import README_SCREENS, tab_to
from tests.browser.test_journeys import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ASK = "Do we restore from the six-hour-old backup now?"
# The screen polls once a second; a move shows within that, plus a request's time.
FOLLOWS = 2500
SIZES = [(1920, 1080), (1280, 720)]


def shoot_sizes(page: Page, name: str) -> None:
    """The first screen of `page` at a room display's size and a laptop's, kept in docs/screens."""
    original = page.viewport_size
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("window.scrollTo(0, 0)")
        path = README_SCREENS / f"{name}-{width}x{height}.png"
        page.screenshot(path=path, animations="disabled", caret="initial")
        with Image.open(path) as shot:
            shot.convert("RGB").quantize(colors=128).save(path, optimize=True)
    if original:
        page.set_viewport_size(original)


def on_screen(screen: Page, heading: str) -> Any:
    return screen.get_by_role("region", name=heading)


def test_a_whole_meeting_runs_from_the_presenter_and_the_screen_follows(
    open_context: Any, look: Any, owner: User
) -> None:
    now = timezone.now()
    incident: Incident = make_incident(
        owner=owner,
        title="Database deleted",
        ceo_name="Dana Chen",
        eta_earliest=now + timedelta(hours=2),
        eta_latest=now + timedelta(hours=4),
        dependencies="the restore finishing",
        resources_needed="Two engineers from payments.",
    )
    make_estimate(incident=incident, revenue_per_hour="20000", customers_affected=5000)
    incident.decisions.create(
        question=ASK,
        options="Restore now, or wait for a newer copy.",
        trade_offs="Six hours of data against a longer outage.",
        recommendation="Restore now.",
    )
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")

    presenter = open_context().new_page()
    log_in(presenter, owner)
    presenter.get_by_role("link", name=incident.title, exact=True).click()
    presenter.get_by_role("link", name="Present").click()
    presenter.get_by_role("button", name="Start the meeting").click()
    expect(presenter.get_by_text("Meeting clock")).to_be_visible()
    expect(presenter.locator(".clock")).to_have_text(re.compile(r"^\d+:\d\d$"))

    # The screen: another browser (the room's display), signed in, 1920×1080.
    screen = open_context(viewport={"width": 1920, "height": 1080}).new_page()
    log_in(screen, owner)
    screen.goto(f"/incidents/{incident.public_id}/present/screen")
    expect(on_screen(screen, "Key figures")).to_be_visible()
    expect(on_screen(screen, "At a glance")).to_be_visible()
    body_px = screen.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.screen p')).fontSize)"
    )
    assert body_px >= 24, f"the screen's text is {body_px}px at 1920×1080"
    screen.set_viewport_size({"width": 1280, "height": 720})
    figures = on_screen(screen, "Key figures").bounding_box()
    assert figures and figures["y"] + figures["height"] <= 720, "figures below the fold"
    screen.set_viewport_size({"width": 1920, "height": 1080})
    look(screen, "screen")
    shoot_sizes(screen, "present-screen")

    # Three of the CEO's questions, by key: the screen follows each.
    for key, heading in [
        ("3", "When it will be resolved"),
        ("1", "What happened"),
        ("5", "What we need from you"),
    ]:
        presenter.keyboard.press(key)
        expect(presenter.locator("#on-screen")).to_have_text(heading)
        expect(on_screen(screen, heading)).to_be_visible(timeout=FOLLOWS)
        expect(on_screen(screen, "At a glance")).to_be_hidden()
    # The arrows walk the cue cards; each card's section goes on the screen.
    presenter.keyboard.press("ArrowRight")
    expect(presenter.locator("#card-1")).to_have_attribute("aria-current", "step")
    expect(presenter.get_by_role("heading", name="Card 2 of 9: CEO")).to_be_visible()
    expect(on_screen(screen, "What happened")).to_be_visible(timeout=FOLLOWS)
    presenter.keyboard.press("ArrowRight")
    expect(on_screen(screen, "Root cause")).to_be_visible(timeout=FOLLOWS)

    # A decision, by keyboard alone: d, type it, the ask it answers, save.
    presenter.keyboard.press("d")
    expect(presenter.get_by_label("Decision taken")).to_be_focused()
    presenter.keyboard.type("Restore now.")
    tab_to(presenter, presenter.get_by_label("Answers the ask"))
    presenter.keyboard.type("D")
    expect(presenter.get_by_label("Answers the ask")).to_have_value(re.compile(r"\d+"))
    tab_to(presenter, presenter.get_by_role("button", name="Save the decision"))
    presenter.keyboard.press("Enter")
    captured = presenter.get_by_role("region", name="Captured so far")
    expect(captured).to_contain_text("Restore now.")
    expect(captured).to_contain_text(f"answers “{ASK}”")

    # An action item: a, with an owner outside the app and a date.
    presenter.keyboard.press("Escape")
    presenter.keyboard.press("a")
    expect(presenter.get_by_label("Action:", exact=True)).to_be_focused()
    presenter.keyboard.type("Restore the database from the backup")
    tab_to(presenter, presenter.get_by_label("Owner outside the app"))
    presenter.keyboard.type("Sam Ops")
    tab_to(presenter, presenter.get_by_label("Due on"))
    due = timezone.localdate() + timedelta(days=1)
    presenter.keyboard.type(due.strftime("%m%d%Y"))
    tab_to(presenter, presenter.get_by_role("button", name="Save the action item"))
    presenter.keyboard.press("Enter")
    expect(captured).to_contain_text("Restore the database from the backup")
    expect(captured).to_contain_text("Sam Ops")
    look(presenter, "presenter")
    shoot_sizes(presenter, "present-presenter")

    # Closing the browser loses nothing: the reopened view resumes the meeting.
    presenter.reload()
    expect(captured).to_contain_text("Restore now.")
    expect(presenter.locator("#card-2")).to_have_attribute("aria-current", "step")

    # End the meeting: the record is on the brief and the executive link at once.
    tab_to(presenter, presenter.get_by_label("Who attended"))
    presenter.keyboard.press("ControlOrMeta+a")
    presenter.keyboard.type("Dana Chen (CEO), Olivia Owner")
    tab_to(presenter, presenter.get_by_role("button", name="End the meeting"))
    presenter.keyboard.press("Enter")
    expect(
        presenter.get_by_text("The meeting has ended; its record is on the brief.")
    ).to_be_visible()
    need = presenter.get_by_role("region", name="What we need from you")
    expect(need).to_contain_text("Decided: Restore now. (Dana Chen")
    commitments = presenter.get_by_role("region", name="What we committed to")
    expect(commitments).to_contain_text("Restore the database from the backup")
    expect(commitments).to_contain_text("Sam Ops")
    expect(screen.get_by_text("The meeting has ended. Thank you.")).to_be_visible(timeout=FOLLOWS)

    executive = open_context().new_page()
    executive.goto(f"/b/{token}")
    expect(executive.get_by_role("region", name="What we need from you")).to_contain_text(
        "Decided: Restore now."
    )
    expect(executive.get_by_role("region", name="What we committed to")).to_contain_text(
        "Restore the database from the backup"
    )
