"""Downloading a PDF while the worker prepares it (issue 15), in Chromium: "Preparing the PDF…",
the previous version offered with its time, then exactly one download of the new version, with
JavaScript and without; and a render that fails says why.

The queue keeps jobs without running them (Django's DummyBackend), and each test runs the
worker's render itself (`render_document`) at the moment it chooses: the page is then seen
before and after the PDF is ready, never by luck of timing.
"""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Download, Page, expect
from pypdf import PdfReader

from briefs import pdf_documents, pdf_engine
from briefs.models import Incident, PdfDocument, PdfKind, PdfSize
from briefs.pdf_documents import render_document, request_render
from briefs.services import share_link_create, update_post
from tests.browser.support import PHONE, Watch
from tests.browser.test_journeys import log_in, post_update

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_UPDATE = "Card payments moved to the backup provider."
# After the download, long enough for a second one: the no-JavaScript refresh reloads every 2 s.
QUIET_MS = 4_500


@pytest.fixture
def stored(incident: Incident) -> Incident:
    """The brief with its PDF stored (the immediate backend renders it here); from then on the
    queue keeps jobs until the test runs them."""
    request_render(incident=incident, kind=PdfKind.BRIEF, size=PdfSize.default())
    return incident


@pytest.fixture
def queued(stored: Incident, settings: Any) -> Iterator[Incident]:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    yield stored


def worker_renders(incident: Incident) -> None:
    """The worker's turn: the pending render of the brief's default PDF."""
    document = PdfDocument.objects.get(
        incident=incident, kind=PdfKind.BRIEF, size=PdfSize.default()
    )
    assert render_document(document.pk) == "ready"


def downloads_of(page: Page) -> list[Download]:
    seen: list[Download] = []
    page.on("download", lambda download: seen.append(download))
    return seen


def pdf_text(download: Download) -> str:
    return "\n".join(sheet.extract_text() for sheet in PdfReader(download.path()).pages)


def sees_it_being_prepared(page: Page) -> None:
    expect(page.get_by_role("heading", name="Preparing the PDF…")).to_be_visible()
    expect(page.get_by_text("The latest version of this brief is being laid out.")).to_be_visible()
    previous = page.get_by_role("link", name="Download the previous version")
    expect(previous).to_be_visible()
    # Labelled with the time it was made, in the incident's zone.
    expect(page.get_by_text(re.compile(r"\(made \d{1,2} \w{3}, \d\d:\d\d \w+\)"))).to_be_visible()


def test_architect_downloads_the_pdf_while_it_is_prepared(
    open_context: Any, look: Any, owner: User, queued: Incident
) -> None:
    page = open_context().new_page()
    log_in(page, owner)
    page.get_by_role("link", name=queued.title, exact=True).click()
    post_update(page, NEW_UPDATE)
    expect(page.get_by_role("region", name="Timeline of updates")).to_contain_text(NEW_UPDATE)

    page.get_by_role("link", name="PDF", exact=True).click()
    sees_it_being_prepared(page)
    look(page, "pdf-preparing")
    with page.expect_download() as previous_info:
        page.get_by_role("link", name="Download the previous version").click()
    assert NEW_UPDATE not in pdf_text(previous_info.value)
    expect(page.get_by_role("heading", name="Preparing the PDF…")).to_be_visible()

    downloads = downloads_of(page)
    worker_renders(queued)
    expect(page.get_by_text("The PDF is ready. Your download is starting")).to_be_visible()
    look(page, "pdf-ready")
    page.wait_for_timeout(QUIET_MS)
    assert len(downloads) == 1, [d.url for d in downloads]
    assert downloads[0].suggested_filename.endswith("-brief.pdf")
    assert NEW_UPDATE in pdf_text(downloads[0])


def test_executive_downloads_the_pdf_on_a_phone_while_it_is_prepared(
    open_context: Any, look: Any, owner: User, queued: Incident
) -> None:
    _, token = share_link_create(incident=queued, created_by=owner, label="CEO")
    update_post(
        incident=queued,
        author=owner,
        what_changed=NEW_UPDATE,
        next_update_due=timezone.now() + timedelta(hours=1),
    )
    executive = open_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    executive.goto(f"/b/{token}")
    expect(executive.get_by_role("region", name="Timeline of updates")).to_contain_text(NEW_UPDATE)

    executive.get_by_role("link", name="Download PDF").click()
    sees_it_being_prepared(executive)
    look(executive, "executive-pdf-preparing")

    downloads = downloads_of(executive)
    worker_renders(queued)
    expect(executive.get_by_text("The PDF is ready. Your download is starting")).to_be_visible()
    executive.wait_for_timeout(QUIET_MS)
    assert len(downloads) == 1, [d.url for d in downloads]
    assert NEW_UPDATE in pdf_text(downloads[0])


def test_without_javascript_the_page_reloads_until_the_one_download(
    open_context: Any, owner: User, queued: Incident
) -> None:
    _, token = share_link_create(incident=queued, created_by=owner, label="CEO")
    update_post(
        incident=queued,
        author=owner,
        what_changed=NEW_UPDATE,
        next_update_due=timezone.now() + timedelta(hours=1),
    )
    executive = open_context(
        viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=False
    ).new_page()
    executive.goto(f"/b/{token}/pdf")
    # No `look`: axe and the screenshots would be cut short by the page's reloads; the page is
    # the one the journeys with JavaScript check.
    sees_it_being_prepared(executive)
    loads: list[str] = []
    executive.on("load", lambda page: loads.append(page.url))
    executive.wait_for_timeout(3_000)
    assert loads, "the page did not reload itself"

    downloads = downloads_of(executive)
    worker_renders(queued)
    executive.wait_for_timeout(2_500 + QUIET_MS)
    assert len(downloads) == 1, [d.url for d in downloads]
    assert NEW_UPDATE in pdf_text(downloads[0])


def test_a_failed_render_says_why_on_the_waiting_page_and_on_the_brief(
    open_context: Any, look: Any, watch: Watch, owner: User, queued: Incident
) -> None:
    page = open_context().new_page()
    log_in(page, owner)
    page.get_by_role("link", name=queued.title, exact=True).click()
    post_update(page, NEW_UPDATE)
    expect(page.get_by_role("region", name="Timeline of updates")).to_contain_text(NEW_UPDATE)
    page.get_by_role("link", name="PDF", exact=True).click()
    expect(page.get_by_role("heading", name="Preparing the PDF…")).to_be_visible()

    downloads = downloads_of(page)
    timeout = pdf_engine.PdfRenderTimeout("the PDF took longer than 30 s")
    with mock.patch.object(pdf_documents, "_render_bytes", side_effect=timeout):
        document = PdfDocument.objects.get(
            incident=queued, kind=PdfKind.BRIEF, size=PdfSize.default()
        )
        assert render_document(document.pk) == "failed"
    status = page.get_by_role("status")
    expect(status).to_contain_text("The timeline is too long to print")
    expect(status).to_contain_text("shorten the longest updates")
    expect(status.get_by_role("link", name="Download the previous version")).to_be_visible()
    look(page, "pdf-failed")
    assert downloads == []

    page.go_back()
    page.reload()
    expect(page.get_by_text("The PDF of this version could not be made.")).to_be_visible()
    look(page, "brief-pdf-failed")
