"""What the browser journeys share: a watch for errors, axe-core, screenshots and the keyboard."""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
    ViewportSize,
)

SCREENS = Path(__file__).resolve().parents[2] / "var" / "screens"
# The README's screenshots ("Using it"), refreshed by every run of the journeys that take them:
# (journey, page, width) -> file name. Committed, so each is only the page's first screen.
README_SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
README_SHOTS = {
    ("architect_escalates_with_the_keyboard_alone", "step-assess-escalate", "desktop"): (
        "wizard.png"
    ),
    ("architect_escalates_with_the_keyboard_alone", "step-review", "desktop"): "review.png",
    (
        "architect_posts_updates_and_the_brief_follows_without_a_reload",
        "brief-three-updates",
        "desktop",
    ): "brief.png",
    (
        "executive_follows_the_brief_on_a_phone_until_the_link_is_revoked",
        "executive-brief",
        "phone",
    ): "executive-link.png",
    ("architect_downloads_the_pdf_while_it_is_prepared", "pdf-preparing", "desktop"): (
        "pdf-preparing.png"
    ),
}
README_WIDTH = 960  # desktop shots are scaled down to this; phone shots stay as taken
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
FAILING_IMPACTS = {"serious", "critical"}

# axe-core ships inside axe-playwright-python: nothing is fetched at run time.
AXE = Axe()


@dataclass
class Watch:
    """Collects what must fail a journey: console errors (CSP violations among them), page
    errors, assets that did not load, and serious or critical accessibility violations."""

    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.problems.append(f"page error: {error.error}"))
        context.on("response", self._response)
        context.on("requestfailed", self._request_failed)

    def allow(self, fragment: str) -> None:
        """Expect console errors containing `fragment` from now on (a 404 page logs one)."""
        self.allowed.append(fragment)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error" or any(a in message.text for a in self.allowed):
            return
        where = message.location.get("url") or (message.page.url if message.page else "?")
        self.problems.append(f"console error on {where}: {message.text}")

    def _response(self, response: Response) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.problems.append(f"{response.url} answered {response.status}")

    def _request_failed(self, request: Request) -> None:
        # A navigation or a download cancels requests still in flight: that is not a failure.
        if request.failure and "ERR_ABORTED" not in request.failure:
            self.problems.append(f"{request.url} failed: {request.failure}")

    def check_accessibility(self, page: Page, name: str) -> None:
        results = AXE.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            nodes = ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            self.problems.append(
                f"axe on {name}: {violation['id']} ({violation['impact']}): "
                f"{violation['help']}: {nodes}"
            )

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def assert_assets_loaded(page: Page, *, javascript: bool = True) -> None:
    """The stylesheet applied and htmx loaded (from our static files, as the CSP requires)."""
    # A heading can be visible before the stylesheet has arrived: wait for the page's load.
    page.wait_for_load_state("load")
    loaded: dict[str, Any] = page.evaluate(
        """() => ({
            css: [...document.styleSheets].some(
                (sheet) => (sheet.href || "").endsWith("/css/app.css") && sheet.cssRules.length > 0
            ),
            htmx: typeof window.htmx === "object",
        })"""
    )
    assert loaded["css"], f"app.css did not load on {page.url}"
    if javascript:
        assert loaded["htmx"], f"htmx did not load on {page.url}"


@dataclass
class Screens:
    """Full-page screenshots at desktop and phone width, numbered in the order of the journey."""

    folder: Path
    prefix: str
    count: int = 0

    def shoot(self, page: Page, name: str) -> None:
        self.count += 1
        original = page.viewport_size or DESKTOP
        for label, size in [("desktop", DESKTOP), ("phone", PHONE)]:
            page.set_viewport_size(size)
            path = self.folder / f"{self.prefix}-{self.count:02d}-{name}-{label}.png"
            # caret="initial": hiding the caret sets an inline style on the focused input, which
            # htmx copies onto a field it swaps meanwhile, and the CSP refuses (a console error
            # that no user would ever see).
            page.screenshot(path=path, full_page=True, animations="disabled", caret="initial")
            readme_name = README_SHOTS.get((self.prefix, name, label))
            if readme_name:
                readme_copy(path, README_SCREENS / readme_name, screen=size)
        page.set_viewport_size(original)


def readme_copy(source: Path, target: Path, *, screen: ViewportSize) -> None:
    """The first screen of a full-page shot, as a small palette PNG for the README."""
    with Image.open(source) as shot:
        first = shot.convert("RGB").crop((0, 0, screen["width"], screen["height"]))
    if first.width > README_WIDTH:
        height = round(first.height * README_WIDTH / first.width)
        first = first.resize((README_WIDTH, height), Image.Resampling.LANCZOS)
    target.parent.mkdir(parents=True, exist_ok=True)
    first.quantize(colors=128).save(target, optimize=True)


def is_focused(target: Locator) -> bool:
    return bool(target.evaluate("(element) => element === document.activeElement"))


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if is_focused(target):
            return
    raise AssertionError(f"{key} never reached {target}")


def type_datetime(page: Page, target: Locator, moment: datetime) -> None:
    """Chromium's date-time input in en-US: month, day, year, then Tab to hours, minutes, AM/PM
    (the year part takes up to six digits, so it never moves on by itself)."""
    tab_to(page, target)
    page.keyboard.type(moment.strftime("%m%d%Y"))
    page.keyboard.press("Tab")
    page.keyboard.type(moment.strftime("%I%M%p"))
