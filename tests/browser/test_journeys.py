"""The architect's and the executive's whole journeys in Chromium, as a new user makes them:
only what is on screen (labels, roles, the text of links and buttons) and, in the first one,
only the keyboard."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from briefs.models import Incident
from tests.browser.support import PHONE, Watch, tab_to, type_datetime
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, user: User) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your escalations")).to_be_visible()


def type_into(page: Page, label: str, text: str) -> None:
    """Tab to a field, select what it holds and type over it."""
    tab_to(page, page.get_by_label(label))
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)


def press_button(page: Page, name: str) -> None:
    tab_to(page, page.get_by_role("button", name=name, exact=True))
    page.keyboard.press("Enter")


def on_the_minute() -> datetime:
    return timezone.now().astimezone(UTC).replace(second=0, microsecond=0)


def test_architect_escalates_with_the_keyboard_alone(
    open_context: Any, look: Any, owner: User
) -> None:
    page = open_context().new_page()
    now = on_the_minute()

    page.goto("/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    look(page, "login")
    type_into(page, "Username", owner.get_username())
    type_into(page, "Password", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your escalations")).to_be_visible()
    look(page, "dashboard-empty")

    press_button(page, "Start a new escalation")
    expect(page.get_by_role("heading", name="Is this truly a CEO-level issue?")).to_be_visible()
    look(page, "step-assess")
    recommendation = page.get_by_role("status")
    type_into(page, "Revenue at risk per hour", "48000")
    page.keyboard.press("Tab")
    expect(recommendation).to_contain_text("Handle through normal incident channels")
    expect(recommendation).to_contain_text("Only 1 of 7 factors (revenue at risk)")
    tab_to(page, page.get_by_label("Regulatory, legal or contractual (SLA) breach"))
    page.keyboard.press("Space")
    expect(recommendation).to_contain_text("Escalate to the CEO now")
    expect(recommendation).to_contain_text("including a regulatory breach")
    look(page, "step-assess-escalate", axe=False)
    # Enter in a text field presses the form's first button: the hidden Next, not a step.
    tab_to(page, page.get_by_label("Revenue at risk per hour"), backwards=True)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="What happened, in one sentence?")).to_be_visible()
    look(page, "step-what-happened")
    type_into(page, "A short name for the incident", "Checkout outage")
    type_into(page, "Affected system or service", "Checkout service")
    type_into(page, "What happened, in one plain sentence", "Customers cannot pay for orders.")
    type_datetime(page, page.get_by_label("When it started"), now - timedelta(hours=2))
    type_datetime(page, page.get_by_label("When we detected it"), now - timedelta(minutes=110))
    press_button(page, "Next")

    expect(page.get_by_role("heading", name="What does it cost the business?")).to_be_visible()
    look(page, "step-impact")
    revenue = page.get_by_label("Revenue at risk per hour")
    type_into(page, "Revenue at risk per hour", "-48000")
    page.keyboard.press("Tab")
    error = "Enter zero or more: a loss is entered as a positive amount."
    expect(page.get_by_text(error)).to_be_visible()
    expect(revenue).to_have_attribute("aria-invalid", "true")
    expect(revenue).to_have_accessible_description(re.compile(re.escape(error)))
    look(page, "step-impact-negative-revenue")
    tab_to(page, revenue, backwards=True)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("48000")
    page.keyboard.press("Tab")
    expect(page.get_by_text(error)).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("$48,000 per hour")
    type_into(page, "Customers affected", "12500")
    type_into(page, "Basis", "Orders per hour times the average order value.")
    press_button(page, "Next")

    expect(
        page.get_by_role("heading", name="Why did it happen, and what are we doing?")
    ).to_be_visible()
    look(page, "step-cause")
    type_into(page, "Root cause, as we understand it now", "A payment settings change.")
    tab_to(page, page.get_by_label("How sure are we?"))
    page.keyboard.type("L")
    type_into(page, "What we are already doing about it", "We returned to the old settings.")
    tab_to(page, page.get_by_label("How the service is running now"))
    page.keyboard.type("D")
    press_button(page, "Next")

    expect(
        page.get_by_role("heading", name="When will it end, and will it happen again?")
    ).to_be_visible()
    look(page, "step-outlook")
    type_datetime(page, page.get_by_label("Resolved at the earliest by"), now + timedelta(hours=2))
    type_datetime(page, page.get_by_label("Resolved at the latest by"), now + timedelta(hours=4))
    type_into(page, "What the estimate depends on", "The backup provider's capacity.")
    type_into(page, "Risk of recurrence", "Medium until settings are checked.")
    type_into(page, "Preventive measures", "Check payment settings before every release.")
    type_into(page, "Monitoring and alerting changes", "Alert when payments drop by 20%.")
    press_button(page, "Next")

    expect(page.get_by_role("heading", name="What do you need from the CEO?")).to_be_visible()
    look(page, "step-resources")
    type_into(page, "Resources needed", "Two engineers from the app team for two days.")
    type_into(page, "Accountability statement", "The engineering team is accountable.")
    type_into(page, "Who personally oversees the fix", "Olivia Owner")
    type_into(page, "Decision needed", "Do we compensate customers?")
    type_into(page, "Options", "A 10% voucher, or an apology only.")
    type_into(page, "Trade-offs in business terms", "The voucher costs $90,000.")
    type_into(page, "The option you recommend", "Send the voucher.")
    press_button(page, "Save and review")

    expect(page.get_by_role("heading", name="Review the brief and the script")).to_be_visible()
    look(page, "step-review")
    expect(page.get_by_text("Still missing before you escalate")).to_have_count(0)
    expect(page.get_by_text("Missing", exact=True)).to_have_count(0)
    expect(page.get_by_text("Answered", exact=True)).to_have_count(6)
    press_button(page, "Escalate")

    expect(page.get_by_role("heading", name="Checkout outage", level=1)).to_be_visible()
    figures = page.get_by_role("region", name="Key figures")
    expect(figures).to_contain_text(re.compile(r"Revenue at risk\s*\$48,000/h"))
    # Two hours at $48,000 an hour (one minute more if the clock turned meanwhile).
    expect(figures).to_contain_text(re.compile(r"Cost so far\s*\$96,(000|800)\s"))
    look(page, "brief-escalated")


def post_update(page: Page, what_changed: str, *, revenue: str = "", customers: str = "") -> None:
    page.get_by_label("What changed").fill(what_changed)
    if revenue:
        page.get_by_text("Revise the impact estimate").click()
        page.get_by_label("Revised revenue at risk per hour").fill(revenue)
        page.get_by_label("Revised customers affected").fill(customers)
    page.get_by_role("button", name="Post update").click()


def test_architect_posts_updates_and_the_brief_follows_without_a_reload(
    open_context: Any, look: Any, watch: Watch, owner: User, incident: Incident
) -> None:
    page = open_context().new_page()
    log_in(page, owner)
    page.get_by_role("link", name=incident.title, exact=True).click()
    expect(page.get_by_role("heading", name=incident.title, level=1)).to_be_visible()
    look(page, "brief")
    cost = page.get_by_role("region", name="Key figures").get_by_text(re.compile(r"^\$[\d,]+$"))
    chart = page.get_by_role("figure")
    costs = [cost.first.inner_text()]
    captions = [chart.inner_text()]
    expect(chart).to_contain_text("no updates were posted")
    page.evaluate("() => { window.stillTheSamePage = true; }")
    timeline = page.get_by_role("region", name="Timeline of updates")

    # An empty update comes back with its error in place (a 400 that htmx swaps in).
    watch.allow("400 (Bad Request)")
    page.get_by_role("button", name="Post update").click()
    expect(page.get_by_text("Please correct what is marked below")).to_be_visible()
    expect(page.get_by_label("What changed")).to_have_attribute("aria-invalid", "true")

    with time_machine.travel(timezone.now(), tick=True) as clock:
        post_update(page, "Card payments moved to the backup provider.")
        expect(timeline).to_contain_text("Card payments moved to the backup provider.")
        expect(page.get_by_label("What changed")).to_have_value("")

        clock.shift(timedelta(minutes=20))
        post_update(page, "Half of the orders go through again.", revenue="24000", customers="6000")
        expect(timeline).to_contain_text("Half of the orders go through again.")
        expect(timeline).to_contain_text("Impact estimate revised: $24,000/h, 6,000 customers.")
        expect(page.get_by_role("region", name="Key figures")).to_contain_text("$24,000/h")

        clock.shift(timedelta(minutes=20))
        post_update(page, "All orders go through; we keep watching.")
        expect(timeline).to_contain_text("All orders go through; we keep watching.")
        expect(chart).to_contain_text("3 updates were posted")
        look(page, "brief-three-updates")

    assert page.evaluate("() => window.stillTheSamePage") is True
    costs.append(cost.first.inner_text())
    captions.append(chart.inner_text())
    # 2 h 20 min at $48,000 an hour, then 20 min at $24,000: the meter moved on.
    assert costs[0] != costs[1], costs
    assert captions[0] != captions[1]
    expect(chart).to_contain_text("the estimate was revised at")
    expect(chart.locator("[data-mark=revision]")).to_have_count(1)


def test_executive_follows_the_brief_on_a_phone_until_the_link_is_revoked(
    open_context: Any, look: Any, watch: Watch, owner: User, incident: Incident, settings: Any
) -> None:
    settings.BRIEF_REFRESH_SECONDS = 1
    architect = open_context().new_page()
    log_in(architect, owner)
    architect.get_by_role("link", name=incident.title, exact=True).click()
    architect.get_by_label("Who is it for?").fill("CEO")
    architect.get_by_label("Valid for").select_option(label="1 day")
    architect.get_by_role("button", name="Create link").click()
    expect(architect.get_by_role("heading", name="The executive link for “CEO”")).to_be_visible()
    look(architect, "link-created")
    link = architect.get_by_label("Link")
    expect(link).to_have_attribute("readonly", "")
    url = link.input_value()

    executive = open_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    executive.goto(url)
    expect(executive.get_by_role("heading", name=incident.title, level=1)).to_be_visible()
    expect(executive.get_by_role("region", name="Key figures")).to_contain_text("$48,000/h")
    expect(executive.get_by_role("link", name="Edit the escalation")).to_have_count(0)
    look(executive, "executive-brief")

    architect.get_by_role("link", name="Back to the brief").click()
    post_update(architect, "The backup provider takes all card payments now.")
    expect(architect.get_by_role("region", name="Timeline of updates")).to_contain_text(
        "The backup provider takes all card payments now."
    )
    # No reload: the executive's page asks for news every BRIEF_REFRESH_SECONDS.
    news = executive.get_by_role("region", name="Timeline of updates")
    expect(news).to_contain_text("The backup provider takes all card payments now.", timeout=10_000)
    expect(news).to_contain_text("New since your last visit")
    look(executive, "executive-brief-updated")

    with executive.expect_download() as download_info:
        executive.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    text = "\n".join(sheet.extract_text() for sheet in PdfReader(download.path()).pages)
    assert incident.title in text
    assert "The backup provider takes all card payments now." in text

    # From the revocation on, the executive's page and its polls meet 404s.
    watch.allow("404 (Not Found)")
    watch.allow("Response Status Error Code 404")
    architect.reload()
    architect.get_by_role("button", name="Revoke the link for CEO").click()
    expect(architect.get_by_text("The link “CEO” no longer opens the brief.")).to_be_visible()
    response = executive.reload()
    assert response is not None and response.status == 404
    expect(executive.get_by_role("heading", name="Not found")).to_be_visible()
    expect(executive.get_by_text(incident.title)).to_have_count(0)
    look(executive, "executive-link-revoked")


def test_two_architects_saving_the_same_step_see_both_versions(
    open_context: Any,
    look: Any,
    watch: Watch,
    owner: User,
    collaborator: User,
    incident: Incident,
) -> None:
    pages = []
    for user in [owner, collaborator]:
        page = open_context().new_page()
        log_in(page, user)
        page.get_by_role("link", name=incident.title, exact=True).click()
        page.get_by_role("link", name="Meeting script").click()
        page.get_by_role("link", name=re.compile(r"^What happened \(")).click()
        expect(page.get_by_role("heading", name="What happened, in one sentence?")).to_be_visible()
        pages.append(page)
    first, second = pages

    first.get_by_label("A short name for the incident").fill("Card payments failing")
    second.get_by_label("A short name for the incident").fill("Checkout down for everyone")
    first.get_by_role("button", name="Next", exact=True).click()
    expect(first.get_by_role("heading", name="What does it cost the business?")).to_be_visible()

    watch.allow("409 (Conflict)")
    second.get_by_role("button", name="Next", exact=True).click()
    expect(second.get_by_role("heading", name=re.compile("Someone else saved"))).to_be_visible()
    row = second.get_by_role("row", name=re.compile("A short name for the incident"))
    expect(row).to_contain_text("Card payments failing")
    expect(row).to_contain_text("Checkout down for everyone")
    look(second, "conflict")


def test_the_wizard_and_updates_work_without_javascript(
    open_context: Any, look: Any, owner: User
) -> None:
    page = open_context(java_script_enabled=False).new_page()
    now = on_the_minute()
    log_in(page, owner)
    page.get_by_role("button", name="Start a new escalation").click()

    def step(heading: str, name: str, fields: dict[str, str], button: str = "Next") -> None:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        for label, value in fields.items():
            field = page.get_by_label(label)
            if field.evaluate("(element) => element.tagName") == "SELECT":
                field.select_option(label=value)
            elif value == "on":
                field.check()
            else:
                field.fill(value)
        look(page, name, axe=False, javascript=False)
        page.get_by_role("button", name=button, exact=True).click()

    minutes = "%Y-%m-%dT%H:%M"
    step(
        "Is this truly a CEO-level issue?",
        "nojs-assess",
        {
            "Revenue at risk per hour": "48000",
            "Regulatory, legal or contractual (SLA) breach": "on",
        },
    )
    step(
        "What happened, in one sentence?",
        "nojs-what-happened",
        {
            "A short name for the incident": "Warehouse scanners down",
            "Affected system or service": "Warehouse scanning",
            "What happened, in one plain sentence": "Parcels cannot leave the warehouse.",
            "When it started": (now - timedelta(hours=1)).strftime(minutes),
            "When we detected it": (now - timedelta(minutes=50)).strftime(minutes),
        },
    )
    step(
        "What does it cost the business?",
        "nojs-impact",
        {
            "Revenue at risk per hour": "12000",
            "Customers affected": "3000",
            "Basis": "Parcels per hour times the average order value.",
        },
    )
    step(
        "Why did it happen, and what are we doing?",
        "nojs-cause",
        {
            "Root cause, as we understand it now": "An expired certificate.",
            "How sure are we?": "Confirmed",
            "What we are already doing about it": "A new certificate is being issued.",
            "How the service is running now": "Full outage",
        },
    )
    step(
        "When will it end, and will it happen again?",
        "nojs-outlook",
        {
            "Resolved at the earliest by": (now + timedelta(hours=1)).strftime(minutes),
            "Resolved at the latest by": (now + timedelta(hours=2)).strftime(minutes),
            "What the estimate depends on": "The certificate authority.",
            "Risk of recurrence": "Low once renewals are automatic.",
            "Preventive measures": "Renew certificates automatically.",
            "Monitoring and alerting changes": "Alert 30 days before expiry.",
        },
    )
    step(
        "What do you need from the CEO?",
        "nojs-resources",
        {
            "Resources needed": "Current resources suffice.",
            "Accountability statement": "The platform team is accountable.",
            "Who personally oversees the fix": "Olivia Owner",
        },
        button="Save and review",
    )
    expect(page.get_by_role("heading", name="Review the brief and the script")).to_be_visible()
    expect(page.get_by_text("Still missing before you escalate")).to_have_count(0)
    look(page, "nojs-review", axe=False, javascript=False)
    page.get_by_role("button", name="Escalate", exact=True).click()

    expect(page.get_by_role("heading", name="Warehouse scanners down", level=1)).to_be_visible()
    post_update(page, "The new certificate is installed.", revenue="6000", customers="1500")
    timeline = page.get_by_role("region", name="Timeline of updates")
    expect(timeline).to_contain_text("The new certificate is installed.")
    expect(timeline).to_contain_text("Impact estimate revised: $6,000/h, 1,500 customers.")
    assert page.url.endswith("#timeline")
    look(page, "nojs-brief-updated", axe=False, javascript=False)
