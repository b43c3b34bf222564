"""Stored PDFs: rendered by a task for the brief's current version, downloaded without a render."""

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.tasks import default_task_backend
from django.test import Client
from pypdf import PdfReader

from briefs import pdf_documents, pdf_engine
from briefs.models import (
    STAMP_LENGTH,
    Incident,
    PdfDocument,
    PdfFailure,
    PdfKind,
    PdfSize,
    PdfStatus,
    ShareLinkDownloads,
)
from briefs.page_cache import brief_stamp
from briefs.pdf_documents import document_stamp, render_document, request_render
from briefs.seed import make_estimate, make_incident, make_user
from briefs.services import _touch, share_link_create, update_post
from briefs.tasks import render_pdf_document
from tests.factories import pdf_text

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=3)
DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
FAKE_PDF = b"%PDF-1.7 fake"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def brief(owner: User) -> Incident:
    incident = make_incident(
        owner=owner,
        title="Order processing outage",
        started_at=START,
        detected_at=START,
        escalated_at=START + timedelta(minutes=10),
        time_zone="Europe/Paris",
    )
    make_estimate(
        incident=incident, revenue_per_hour="48000", customers_affected=12500, effective_at=START
    )
    return incident


@pytest.fixture
def queued(settings: Any) -> Iterator[list[Any]]:
    """A queue that keeps jobs without running them: "enqueued but not yet rendered"."""
    settings.TASKS = DUMMY
    results: list[Any] = default_task_backend.results  # type: ignore[attr-defined]
    yield results


@pytest.fixture
def fake_render() -> Iterator[mock.MagicMock]:
    with mock.patch.object(pdf_documents, "_render_bytes", return_value=FAKE_PDF) as render:
        yield render


def changed(incident: Incident) -> Incident:
    """Move the brief's stamp, as every service that changes what it shows does."""
    _touch(incident.pk)
    incident.refresh_from_db()
    return incident


def brief_document(incident: Incident, size: str = PdfSize.A4) -> PdfDocument:
    return PdfDocument.objects.get(incident=incident, kind=PdfKind.BRIEF, size=size)


# --- The task -------------------------------------------------------------------------------


def test_the_task_stores_the_brief_with_its_title_and_cost(brief: Incident) -> None:
    document = request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    assert document.status == PdfStatus.READY
    assert document.stamp == document.file_stamp
    assert document.rendered_at == NOW
    with storages["pdfs"].open(document.file, "rb") as handle:
        text = pdf_text(handle.read())
    assert "Order processing outage" in text
    assert "$144,000" in text  # 3 hours at $48,000 an hour
    # The incident's zone, whoever asked.
    assert "Generated 1 Mar 2026, 12:00 CET" in text


def test_a_second_run_for_a_stored_version_renders_nothing(
    brief: Incident, fake_render: mock.MagicMock
) -> None:
    document = request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    stored = document.file
    assert render_pdf_document.call(document.pk) == PdfStatus.READY
    document.refresh_from_db()
    assert fake_render.call_count == 1
    assert document.file == stored
    assert storages["pdfs"].exists(stored)


def test_a_failed_render_is_recorded_and_not_retried_until_the_brief_changes(
    brief: Incident, fake_render: mock.MagicMock
) -> None:
    fake_render.side_effect = pdf_engine.PdfRenderTimeout("the PDF took longer than 30 s")
    document = request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    assert (document.status, document.failure) == (PdfStatus.FAILED, PdfFailure.TIMEOUT)
    assert "longer than 30 s" in document.failure_detail

    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    render_pdf_document.call(document.pk)
    assert fake_render.call_count == 1

    fake_render.side_effect = None
    request_render(incident=changed(brief), kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    assert fake_render.call_count == 2
    assert (document.status, document.failure) == (PdfStatus.READY, "")


def test_a_render_over_the_memory_limit_is_recorded_as_such(
    brief: Incident, fake_render: mock.MagicMock
) -> None:
    fake_render.side_effect = pdf_engine.PdfRenderMemory("more memory than its limit")
    document = request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    assert (document.status, document.failure) == (PdfStatus.FAILED, PdfFailure.MEMORY)


def test_the_render_child_is_stopped_past_its_memory_limit(settings: Any) -> None:
    settings.PDF_RENDER_MEMORY_MB = 64

    def hog() -> bytes:
        return bytes(512 * 1024 * 1024)

    with pytest.raises(pdf_engine.PdfRenderMemory):
        pdf_engine.run_in_child(hog, timeout=20)
    settings.PDF_RENDER_MEMORY_MB = 0
    assert (
        len(pdf_engine.run_in_child(lambda: bytes(100 * 1024 * 1024), timeout=20))
        == 100 * 1024 * 1024
    )


def test_many_changes_leave_one_pending_render(brief: Incident, queued: list[Any]) -> None:
    for _ in range(5):
        request_render(incident=changed(brief), kind=PdfKind.BRIEF, size=PdfSize.A4)
    assert len(queued) == 1
    assert brief_document(brief).status == PdfStatus.PENDING


def test_posted_updates_enqueue_one_render_of_the_default_document(
    brief: Incident, queued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(4):
            update_post(
                incident=brief,
                author=brief.owner,
                what_changed=f"Entry {number}",
                next_update_due=NOW + timedelta(hours=1),
            )
    # Each update also schedules its reminders (briefs.reminders): renders only here.
    renders = [job for job in queued if job.task.name == "render_pdf_document"]
    assert len(renders) == 1
    assert PdfDocument.objects.filter(incident=brief).count() == 1
    assert brief_document(brief).status == PdfStatus.PENDING


def test_a_draft_is_not_rendered_until_asked_for(
    owner: User, queued: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    draft = make_incident(owner=owner, status="draft")
    with django_capture_on_commit_callbacks(execute=True):
        _touch(draft.pk)
    assert queued == []


def test_a_change_during_a_render_leads_to_exactly_one_more(brief: Incident) -> None:
    stamps: list[str] = []

    def render_and_change(incident: Incident, kind: str, size: str) -> bytes:
        stamps.append(document_stamp(incident))
        if len(stamps) == 1:
            for _ in range(3):
                _touch(incident.pk)  # the architect posts while the first render runs
        return FAKE_PDF

    with mock.patch.object(pdf_documents, "_render_bytes", side_effect=render_and_change):
        request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    brief.refresh_from_db()
    document = brief_document(brief)
    assert len(stamps) == 2
    assert stamps[1] == document_stamp(brief)
    assert (document.status, document.file_stamp) == (PdfStatus.READY, stamps[1])
    # The first version's file is gone; only the newest is kept.
    assert len(storages["pdfs"].listdir(str(brief.public_id))[1]) == 1


def test_a_lost_job_is_enqueued_again(brief: Incident, queued: list[Any]) -> None:
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    assert len(queued) == 2
    # The duplicate run is harmless: it finds the version stored and renders nothing.


def test_one_document_per_incident_kind_and_size(brief: Incident) -> None:
    PdfDocument.objects.create(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4, stamp="x")
    unique = "pdfdocument_one_per_document|UNIQUE"
    with pytest.raises(IntegrityError, match=unique), transaction.atomic():
        PdfDocument.objects.create(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4, stamp="y")
    with pytest.raises(IntegrityError, match="pdfdocument_ready_has_file"), transaction.atomic():
        PdfDocument.objects.create(
            incident=brief, kind=PdfKind.RCA, size="a4", stamp="x", status=PdfStatus.READY
        )
    with pytest.raises(IntegrityError, match="pdfdocument_size_valid"), transaction.atomic():
        PdfDocument.objects.create(incident=brief, kind=PdfKind.RCA, size="a3", stamp="x")


# --- Downloads ------------------------------------------------------------------------------


def test_a_ready_pdf_is_streamed_with_its_etag_and_a_repeat_gets_304(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock
) -> None:
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    url = f"/incidents/{brief.public_id}/pdf"
    with mock.patch("briefs.pdf_engine.run_in_child", side_effect=AssertionError("rendered")):
        response = owner_client.get(url)
        repeat = owner_client.get(url, headers={"If-None-Match": response["ETag"]})
    assert response.status_code == 200
    assert response.content == FAKE_PDF
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="order-processing-outage-brief.pdf"'
    )
    assert repeat.status_code == 304
    assert repeat["ETag"] == response["ETag"]
    assert fake_render.call_count == 1


def test_a_version_not_ready_gets_the_preparing_page_with_the_previous_version(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock, settings: Any
) -> None:
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    changed(brief)
    settings.TASKS = DUMMY
    url = f"/incidents/{brief.public_id}/pdf"

    response = owner_client.get(url)

    assert response.status_code == 202
    html = response.content.decode()
    assert "Preparing the PDF…" in html
    assert f'hx-get="{url}"' in html and 'hx-trigger="every 1s"' in html
    # One way to the file per browser: htmx with JavaScript, a refresh only without it (a
    # Refresh header would reload with JavaScript too, and download a second time).
    assert "Refresh" not in response
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert "Download the previous version</a> (made 1 Mar, 12:00 CET)" in html
    # CSP: every script is a static file.
    assert re.findall(r"<script(?![^>]*\ssrc=)", html) == []
    assert "/static/js/pdf-download.js" in html
    assert f'<a href="/incidents/{brief.public_id}/">Back to the brief</a>' in html
    assert len(default_task_backend.results) == 1  # type: ignore[attr-defined]

    previous = owner_client.get(f"{url}?version=previous")
    assert (previous.status_code, previous.content) == (200, FAKE_PDF)
    assert fake_render.call_count == 1


def test_the_preparing_page_polls_until_ready_then_starts_the_download(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock, settings: Any
) -> None:
    settings.TASKS = DUMMY
    url = f"/incidents/{brief.public_id}/pdf"
    poll = {"HX-Request": "true"}
    assert owner_client.get(url).status_code == 202
    assert owner_client.get(url, headers=poll).status_code == 204

    render_document(brief_document(brief).pk)  # the worker's turn

    ready = owner_client.get(url, headers=poll)
    assert ready.status_code == 286  # htmx stops polling
    assert f'data-pdf-ready="{url}"' in ready.content.decode()
    assert owner_client.get(url).content == FAKE_PDF


def test_a_failed_version_shows_the_architect_why_and_what_to_do(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock
) -> None:
    fake_render.side_effect = pdf_engine.PdfRenderTimeout("the PDF took longer than 30 s")
    response = owner_client.get(f"/incidents/{brief.public_id}/pdf")
    assert response.status_code == 503
    html = response.content.decode()
    assert "The timeline is too long to print" in html
    assert "shorten the longest updates" in html
    # Not retried on the next download either.
    owner_client.get(f"/incidents/{brief.public_id}/pdf")
    assert fake_render.call_count == 1


def test_size_is_a4_or_letter_and_anything_else_is_a4(
    owner_client: Client, brief: Incident
) -> None:
    def width(query: str) -> float:
        content = owner_client.get(f"/incidents/{brief.public_id}/pdf{query}").content
        return round(float(PdfReader(io.BytesIO(content)).pages[0].mediabox.width))

    assert width("?size=foo") == 595  # A4
    assert width("?size=letter") == 612
    sizes = set(PdfDocument.objects.filter(incident=brief).values_list("size", flat=True))
    assert sizes == {PdfSize.A4, PdfSize.LETTER}


def test_the_executive_pdf_is_in_the_incidents_zone_whatever_the_cookie(
    client: Client, brief: Incident, owner: User
) -> None:
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    plain = client.get(f"/b/{token}/pdf")
    client.cookies["link_tz"] = "Asia/Tokyo"
    with mock.patch("briefs.pdf_engine.run_in_child", side_effect=AssertionError("rendered")):
        with_cookie = client.get(f"/b/{token}/pdf")
    assert plain.status_code == with_cookie.status_code == 200
    assert with_cookie.content == plain.content
    text = pdf_text(with_cookie.content)
    assert "CET" in text and "JST" not in text
    assert PdfDocument.objects.filter(incident=brief).count() == 1


def test_every_link_download_is_counted_per_client_and_minute(db: None) -> None:
    counts = [ShareLinkDownloads.objects.count_download("reader", 100) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert ShareLinkDownloads.objects.count_download("another", 100) == 1
    # A client's first download of a new minute clears the minutes gone by.
    assert ShareLinkDownloads.objects.count_download("reader", 101) == 1
    assert list(ShareLinkDownloads.objects.values_list("client", "minute", "downloads")) == [
        ("reader", 101, 1)
    ]


def test_a_stored_pdf_through_a_link_costs_two_queries_once_sent(
    client: Client,
    brief: Incident,
    owner: User,
    fake_render: mock.MagicMock,
    django_assert_num_queries: Any,
) -> None:
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    first = client.get(f"/b/{token}/pdf")
    assert first.status_code == 200
    # The link and the download count: the file of this version is kept by the process that
    # sent it, so no stored document is read and no file opened.
    with django_assert_num_queries(2):
        again = client.get(f"/b/{token}/pdf")
    assert (again.status_code, again.content, again["ETag"]) == (200, first.content, first["ETag"])
    # A change to the brief is another version: the kept file is not sent for it.
    fake_render.return_value = b"%PDF-1.7 the next version"
    changed(brief)
    newer = client.get(f"/b/{token}/pdf")
    assert (newer.status_code, newer.content) == (200, b"%PDF-1.7 the next version")
    assert newer["ETag"] != first["ETag"]


def test_link_downloads_are_limited_per_link_and_client(
    client: Client, brief: Incident, owner: User, settings: Any, fake_render: mock.MagicMock
) -> None:
    settings.SHARE_LINK_PDF_LIMIT = 2
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    _, other_token = share_link_create(incident=brief, created_by=owner, label="CFO")
    statuses = [client.get(f"/b/{token}/pdf").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get(f"/b/{token}/pdf")
    assert limited["Retry-After"] == "60"
    assert "Too many downloads" in limited.content.decode()
    # Another link, or another client, has its own count.
    assert client.get(f"/b/{other_token}/pdf").status_code == 200
    assert client.get(f"/b/{token}/pdf", REMOTE_ADDR="192.0.2.7").status_code == 200
    # The next minute starts afresh.
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        assert client.get(f"/b/{token}/pdf").status_code == 200


def test_no_url_serves_the_stored_files(
    client: Client, owner_client: Client, brief: Incident, fake_render: mock.MagicMock
) -> None:
    document = request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    assert storages["pdfs"].exists(document.file)
    for prefix in ["/", "/media/", "/static/", "/var/pdfs/", "/static/../var/pdfs/"]:
        for who in (client, owner_client):
            response = who.get(prefix + document.file)
            assert response.status_code in {302, 404}, prefix
            assert FAKE_PDF not in response.content


def test_a_lost_file_is_rendered_again(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock
) -> None:
    document = request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    document.refresh_from_db()
    storages["pdfs"].delete(document.file)
    response = owner_client.get(f"/incidents/{brief.public_id}/pdf")
    assert fake_render.call_count == 2
    assert response.status_code in {200, 202}
    assert brief_document(brief).status == PdfStatus.READY


def test_an_executive_sees_why_without_the_architects_advice(
    client: Client, brief: Incident, owner: User, fake_render: mock.MagicMock
) -> None:
    fake_render.side_effect = pdf_engine.PdfRenderMemory("more memory than its limit")
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    page = client.get(f"/b/{token}/pdf")
    assert page.status_code == 503
    html = page.content.decode()
    assert "The timeline is too long to print" in html
    assert "ask the incident's architect" in html
    assert "shorten the longest updates" not in html
    # A page that was polling stops, and shows the same reason.
    poll = client.get(f"/b/{token}/pdf", headers={"HX-Request": "true"})
    assert poll.status_code == 286
    assert "The timeline is too long to print" in poll.content.decode()


def test_an_executive_waiting_for_a_pdf_gets_no_way_into_the_architects_pages(
    client: Client, brief: Incident, owner: User, settings: Any
) -> None:
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    settings.TASKS = DUMMY
    waiting = client.get(f"/b/{token}/pdf")
    assert waiting.status_code == 202
    html = waiting.content.decode()
    assert "Preparing the PDF…" in html
    assert "Back to the brief" not in html
    assert f"/incidents/{brief.public_id}" not in html


# --- A new PDF engine -----------------------------------------------------------------------


def test_a_new_pdf_engine_makes_the_stored_pdf_the_previous_version(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock, settings: Any
) -> None:
    url = f"/incidents/{brief.public_id}/pdf"
    assert owner_client.get(url).status_code == 200
    settings.TASKS = DUMMY
    # A deploy with another pdf.css, font or WeasyPrint: the fingerprint (once per process)
    # is another one, and the brief itself has not changed.
    with mock.patch.object(pdf_engine, "engine_fingerprint", return_value="f" * 64):
        waiting = owner_client.get(url)
        assert waiting.status_code == 202
        assert "Download the previous version" in waiting.content.decode()
        render_document(brief_document(brief).pk)  # the new worker's turn
        assert brief_document(brief).file_stamp.endswith("|" + "f" * 16)
        assert owner_client.get(url).status_code == 200
    assert fake_render.call_count == 2


def test_the_stamp_names_the_running_engine(brief: Incident) -> None:
    assert document_stamp(brief) == f"{brief_stamp(brief)}|{pdf_engine.engine_fingerprint()[:16]}"
    assert len(document_stamp(brief)) <= STAMP_LENGTH


# --- The preparing page and the link's limit ------------------------------------------------


def test_waiting_for_a_link_pdf_does_not_count_as_downloads(
    client: Client, brief: Incident, owner: User, settings: Any, fake_render: mock.MagicMock
) -> None:
    settings.SHARE_LINK_PDF_LIMIT = 2
    settings.TASKS = DUMMY
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    url = f"/b/{token}/pdf"
    # The page, its reloads without JavaScript, and htmx's polls: nothing sent, nothing counted.
    reloads = [client.get(url).status_code for _ in range(5)]
    polls = [client.get(url, headers={"HX-Request": "true"}).status_code for _ in range(3)]
    assert (reloads, polls) == ([202] * 5, [204] * 3)

    render_document(brief_document(brief).pk)

    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


# --- The brief page -------------------------------------------------------------------------


def test_the_brief_page_says_why_its_pdf_failed_until_the_brief_changes(
    owner_client: Client,
    brief: Incident,
    owner: User,
    client: Client,
    fake_render: mock.MagicMock,
) -> None:
    page_url = f"/incidents/{brief.public_id}/"
    notice = "The PDF of this version could not be made."
    assert notice not in owner_client.get(page_url).content.decode()  # and now cached

    fake_render.side_effect = pdf_engine.PdfRenderTimeout("the PDF took longer than 30 s")
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)

    html = owner_client.get(page_url).content.decode()
    assert notice in html
    assert "The timeline is too long to print: laying it out took too long (over" in html
    assert "shorten the longest updates" in html
    # Drawn afresh (a message, an unusual address) the page says the same.
    assert notice in owner_client.get(f"{page_url}?corrects=1").content.decode()

    fake_render.side_effect = None
    request_render(incident=changed(brief), kind=PdfKind.BRIEF, size=PdfSize.A4)
    assert notice not in owner_client.get(page_url).content.decode()


def test_the_brief_page_is_silent_about_a_failure_of_an_older_version(
    owner_client: Client, brief: Incident, fake_render: mock.MagicMock, settings: Any
) -> None:
    fake_render.side_effect = pdf_engine.PdfRenderMemory("more memory than its limit")
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    changed(brief)  # its render is not enqueued here: the row still says failed
    html = owner_client.get(f"/incidents/{brief.public_id}/").content.decode()
    assert "could not be made" not in html


# --- Admin ----------------------------------------------------------------------------------


def test_the_admin_lists_stored_pdfs_read_only(
    client: Client, brief: Incident, fake_render: mock.MagicMock
) -> None:
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.A4)
    fake_render.side_effect = pdf_engine.PdfRenderMemory("more memory than its limit")
    request_render(incident=brief, kind=PdfKind.BRIEF, size=PdfSize.LETTER)
    client.force_login(make_user(username="root", password="x", is_staff=True, is_superuser=True))
    listing = client.get("/admin/briefs/pdfdocument/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Order processing outage" in html
    assert f"{len(FAKE_PDF)}\xa0bytes" in html
    assert "Ready" in html and "Failed" in html and "Needed too much memory" in html
    assert client.get("/admin/briefs/pdfdocument/add/").status_code == 403
    document = brief_document(brief)
    change = client.get(f"/admin/briefs/pdfdocument/{document.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert client.post(f"/admin/briefs/pdfdocument/{document.pk}/delete/").status_code == 403


def test_the_download_counts_cost_no_write_ahead_log_on_postgresql(db: None) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("unlogged tables exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s",
            [ShareLinkDownloads._meta.db_table],
        )
        assert cursor.fetchone() == ("u",)
