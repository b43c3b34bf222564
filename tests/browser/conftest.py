"""Real browser tests: Debian's Chromium, driven by Playwright, against Django's live server."""

import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.live_server_helper import LiveServer

from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.browser.support import DESKTOP, SCREENS, Screens, Watch, assert_assets_loaded

SKIP_REASON = f"Chromium not found at {CHROMIUM}: browser tests skipped (apt-get install chromium)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    browser_items = [item for item in items if item.get_closest_marker("browser")]
    if not CHROMIUM.exists():
        for item in browser_items:
            item.add_marker(pytest.mark.skip(reason=SKIP_REASON))
    # Last, so the fast tests report first and run before Playwright's event loop exists.
    others = [item for item in items if not item.get_closest_marker("browser")]
    items[:] = others + browser_items


@pytest.fixture(scope="session", autouse=True)
def _django_tolerates_playwrights_event_loop() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in the test thread, and Django
    refuses ORM calls while one runs. Set for the browser tests alone, which run last: in the
    environment of other tests' subprocesses, `check --deploy` rightly fails on it (async.E001).
    """
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if before is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class OneRequestAtATime(StaticFilesHandler):
    """The live server's handler, one request at a time.

    An in-memory SQLite test database is a single connection that the server's threads share;
    two requests at once (htmx validates a field and previews the advice on the same change)
    would interleave their transactions on it and fail with "database table is locked".
    """

    lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            return super().__call__(environ, start_response)


@pytest.fixture(scope="session")
def live_server(django_db_setup: None) -> Iterator[LiveServer]:
    # After the test database exists: the server must share its connection if it is in memory.
    server = LiveServer("localhost", start=False)
    if server.thread.connections_override:
        server.thread.static_handler = OneRequestAtATime
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(
    browser_context_args: dict[str, Any], live_server: LiveServer
) -> dict[str, Any]:
    # en-US fixes the order of a date-time input's parts (month/day/year, 12-hour clock) for
    # the keyboard journey; the app reads and shows times in UTC until a user picks a zone.
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": DESKTOP,
        "locale": "en-US",
        "timezone_id": "UTC",
        "accept_downloads": True,
    }


@pytest.fixture(scope="session")
def _clean_screens() -> None:
    shutil.rmtree(SCREENS, ignore_errors=True)
    SCREENS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def watch() -> Iterator[Watch]:
    """Console errors, page errors and failed assets of every browser context in the test,
    and the accessibility violations found in it: any of them fails the test."""
    watch = Watch()
    yield watch
    watch.assert_clean()


@pytest.fixture
def open_context(
    browser: Browser, browser_context_args: dict[str, Any], watch: Watch
) -> Iterator[Any]:
    """A fresh browser context (its own cookies: another person), watched for errors."""
    contexts: list[BrowserContext] = []

    def open_context(**overrides: Any) -> BrowserContext:
        context = browser.new_context(**{**browser_context_args, **overrides})
        watch.attach(context)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def screens(request: pytest.FixtureRequest, _clean_screens: None) -> Screens:
    name = request.node.originalname.removeprefix("test_")
    return Screens(SCREENS, prefix=name)


@pytest.fixture
def look(watch: Watch, screens: Screens) -> Any:
    """Check a page a person has just reached: its assets, axe-core, and screenshots of it."""

    def look(page: Page, name: str, *, axe: bool = True, javascript: bool = True) -> None:
        assert_assets_loaded(page, javascript=javascript)
        if axe:
            watch.check_accessibility(page, name)
        screens.shoot(page, name)

    return look
