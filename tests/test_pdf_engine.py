"""The PDF engine: the static-only fetcher, the time-limited render, names and the cache."""

import io
import os
import re
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from fontTools.ttLib import TTFont
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader
from pytest_django.fixtures import Settings
from weasyprint import HTML

from briefs import pdf_engine
from briefs.exports import content_disposition, download_filename
from briefs.pdf_downloads import size_from_request
from briefs.pdf_engine import (
    PAGE_SIZES,
    PdfRenderError,
    PdfRenderTimeout,
    ResourceRefused,
    format_generated_label,
    page_css,
    render_pdf,
    run_in_child,
    url_fetcher,
)

BASE_URL = "http://testserver/incidents/5b0c/"
LABEL = "Generated 5 Mar 2026, 09:30 CET (UTC+01:00)"
A4 = (595, 842)
LETTER = (612, 792)


def page(body: str, *, title: str = "Brief") -> str:
    head = f"<head><title>{title}</title></head>"
    return f"<!doctype html><html lang=en>{head}<body>{body}</body></html>"


def paragraphs(count: int) -> str:
    return "".join(
        f"<p>Update {n}: checkout errors at 38%, Łukasz paging the payments team. "
        + "Card authorisations time out after thirty seconds. " * 6
        + "</p>"
        for n in range(count)
    )


def render(body: str, **options: Any) -> bytes:
    arguments: dict[str, Any] = {
        "base_url": BASE_URL,
        "title": "Checkout outage",
        "page_size": "A4",
        "generated_label": LABEL,
        "timeout": 30,
    }
    arguments.update(options)
    return render_pdf(page(body), **arguments)


def reader(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def text_of(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in reader(data).pages)


def size_of(data: bytes) -> tuple[int, int]:
    box = reader(data).pages[0].mediabox
    return round(float(box.width)), round(float(box.height))


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Make every socket connection and DNS lookup fail, and log the attempt to a file.

    A file, because renders run in a forked child whose memory the test cannot see.
    """
    log = tmp_path / "network-attempts.log"

    def refuse(*args: Any, **kwargs: Any) -> Any:
        with log.open("a") as file:
            file.write(f"{args!r}\n")
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return log


@pytest.fixture
def forked_pids(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pids: list[int] = []
    real_fork = os.fork

    def recording_fork() -> int:
        pid = real_fork()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    return pids


def assert_process_gone(pid: int) -> None:
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


# --- The fetcher ----------------------------------------------------------------------------


def test_fetcher_serves_the_pdf_stylesheet() -> None:
    response = url_fetcher.fetch("http://testserver/static/css/pdf.css")

    assert response.content_type == "text/css"
    assert b'font-family: "Brief Sans"' in response.read()


def test_fetcher_serves_the_fonts_decoded_for_weasyprint() -> None:
    response = url_fetcher.fetch("https://briefs.example.com/static/fonts/brief-sans-bold.woff2")

    font = TTFont(io.BytesIO(response.read()))
    assert font["name"].getDebugName(1) == "Source Sans 3"
    assert font["OS/2"].usWeightClass == 700


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file:///work/main/static/css/pdf.css",
        "http://127.0.0.1:9/x",
        "http://169.254.169.254/latest",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://localhost:5432",
        "http://localhost:5432/",
        "https://example.com",
        "https://example.com/",
        "ftp://example.com/static/css/pdf.css",
        "data:text/css,body{color:red}",
        "http://testserver/static/../../etc/passwd",
        "http://testserver/static/%2e%2e/%2e%2e/etc/passwd",
        "http://testserver/static/css/..%2f..%2f..%2fetc%2fpasswd",
        "http://testserver/static/css/%2E%2E/%2E%2E/escalation/settings.py",
        "http://testserver/static//etc/passwd",
        "http://testserver/static/css\\..\\..\\escalation\\settings.py",
        "http://testserver/static/css/pdf.css%00.png",
        "http://testserver/static/",
        "http://testserver/static/css/",
        "http://testserver/static/css/missing.css",
        "http://testserver/staticfoo/css/pdf.css",
        "/static/css/pdf.css",
    ],
)
def test_fetcher_refuses_anything_but_static_files(url: str, network_attempts: Path) -> None:
    with pytest.raises(ResourceRefused):
        url_fetcher.fetch(url)

    assert not network_attempts.exists()


def test_fetcher_reads_static_paths_from_disk_whatever_the_host(network_attempts: Path) -> None:
    response = url_fetcher("http://127.0.0.1:9/static/css/pdf.css")

    assert b"@page" in response.read()
    assert not network_attempts.exists()


def test_fetcher_serves_collected_files_from_static_root(
    settings: Settings, tmp_path: Path
) -> None:
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "app.3f2a1c.css").write_text("body { color: black }")
    (tmp_path.parent / "outside.css").write_text("secret")

    response = url_fetcher.fetch("http://testserver/static/css/app.3f2a1c.css")

    assert response.read() == b"body { color: black }"
    with pytest.raises(ResourceRefused):
        url_fetcher.fetch("http://testserver/static/%2e%2e/outside.css")


# --- Rendering ------------------------------------------------------------------------------

HOSTILE = """
<link rel="attachment" href="file:///etc/passwd">
<link rel="attachment" href="/static/css/pdf.css">
<link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">
<style>@import url(http://127.0.0.1:9/y); @import url("file:///etc/passwd");</style>
<p>Still here.</p>
<img src="http://127.0.0.1:9/x" alt="">
<img src="file:///etc/passwd" alt="">
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E" alt="">
<p style="background: url(https://example.com/track.png)">Tracked?</p>
<a rel="attachment" href="/static/fonts/brief-sans-regular.woff2">font</a>
<object data="http://localhost:5432/"></object>
"""


def test_hostile_html_renders_without_network_files_or_attachments(
    network_attempts: Path,
) -> None:
    data = render(HOSTILE)

    assert not network_attempts.exists()
    assert "Still here." in text_of(data)
    assert b"/EmbeddedFile" not in data
    assert b"/FileAttachment" not in data
    assert reader(data).attachments == {}
    assert b"root:" not in data


def test_attachment_check_would_catch_an_embedded_file() -> None:
    # The control for the test above: WeasyPrint alone embeds what the fetcher serves.
    data = HTML(
        string=page('<link rel="attachment" href="/static/css/pdf.css"><p>x</p>'),
        base_url=BASE_URL,
        url_fetcher=url_fetcher,
    ).write_pdf()

    assert "pdf.css" in reader(data).attachments


def test_page_count_grows_with_content() -> None:
    short = render(paragraphs(1))
    long = render(paragraphs(40))

    assert len(reader(short).pages) == 1
    assert len(reader(long).pages) >= 3


def test_every_page_is_marked_confidential_numbered_and_dated() -> None:
    data = render(paragraphs(40))

    pages = reader(data).pages
    total = len(pages)
    for number, one_page in enumerate(pages, start=1):
        text = one_page.extract_text()
        assert "Confidential" in text
        assert f"Page {number} of {total}" in text
        assert LABEL in text


def test_generated_label_cannot_break_out_of_its_css_string() -> None:
    label = 'Generated 09:30 "CET" \\ } @page { size: letter } \n; content: "x'

    data = render("<p>Body</p>", generated_label=label)

    assert size_of(data) == A4
    assert 'Generated 09:30 "CET" \\ } @page { size: letter }' in text_of(data)


def test_page_size_is_a4_by_default_and_letter_on_request() -> None:
    assert size_of(render("<p>a</p>", page_size="A4")) == A4
    assert size_of(render("<p>a</p>", page_size="letter")) == LETTER


def test_page_size_beats_the_documents_own_page_rule() -> None:
    data = render("<style>@page { size: A5 }</style><p>a</p>", page_size="letter")

    assert size_of(data) == LETTER


def test_the_page_size_follows_the_query_then_the_setting(
    settings: Settings, rf: RequestFactory
) -> None:
    def page_size_for(requested: str | None) -> str:
        query = {} if requested is None else {"size": requested}
        return PAGE_SIZES[size_from_request(rf.get("/", query))]

    settings.PDF_PAGE_SIZE = "A4"
    assert page_size_for(None) == "A4"
    assert page_size_for("letter") == "letter"
    assert page_size_for("LETTER") == "letter"
    assert page_size_for("legal") == "A4"
    settings.PDF_PAGE_SIZE = "letter"
    assert page_size_for("") == "letter"
    assert page_size_for("a4") == "A4"


def test_page_css_refuses_unknown_sizes() -> None:
    assert "letter" in page_css("letter")
    with pytest.raises(ValueError):
        page_css("A4; } body { display: none")


def test_metadata_title_is_set() -> None:
    data = render("<p>a</p>", title="Łukasz’s checkout outage")

    metadata = reader(data).metadata
    assert metadata is not None
    assert metadata.title == "Łukasz’s checkout outage"


def test_brief_sans_is_embedded_for_the_body_and_the_margin_boxes() -> None:
    data = render("<p>Łukasz paid €5 000 — <strong>„Kasse“ down</strong></p>")

    resources: Any = reader(data).pages[0]["/Resources"]
    fonts = [font.get_object() for font in resources["/Font"].values()]
    names = {str(font["/BaseFont"]).split("+")[-1] for font in fonts}
    assert names == {"Brief-Sans", "Brief-Sans-Bold"}
    for font in fonts:
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        assert embedded["name"].getDebugName(1) == "Source Sans 3"
    assert "Łukasz paid €5 000 — „Kasse“ down" in text_of(data)


def test_long_unbroken_words_wrap() -> None:
    data = render(f"<p>{'X' * 600}</p><p>https://example.com/{'a' * 400}</p>")

    text = text_of(data)
    assert text.count("X") == 600
    assert max(len(run) for run in re.findall("X+", text)) < 200


def test_render_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    render("<p>a</p>")

    assert list(tmp_path.iterdir()) == []


def test_render_past_the_time_limit_raises_and_kills_the_child(
    forked_pids: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started = time.monotonic()

    with pytest.raises(PdfRenderTimeout):
        render(paragraphs(2000), timeout=0.3)

    assert time.monotonic() - started < 2
    [pid] = forked_pids
    assert_process_gone(pid)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_in_the_child_raises_pdf_render_error(
    monkeypatch: pytest.MonkeyPatch, forked_pids: list[int]
) -> None:
    def broken_html(**kwargs: Any) -> Any:
        raise RuntimeError("tinyhtml5 exploded")

    monkeypatch.setattr(pdf_engine, "HTML", broken_html)

    with pytest.raises(PdfRenderError, match="tinyhtml5 exploded") as raised:
        render("<p>a</p>")

    assert not isinstance(raised.value, PdfRenderTimeout)
    [pid] = forked_pids
    assert_process_gone(pid)


@pytest.mark.parametrize(
    ("work", "reason"),
    [
        (lambda: os._exit(3), "exit status 3"),
        (lambda: os.kill(os.getpid(), signal.SIGKILL), "killed by SIGKILL"),
    ],
)
def test_a_child_that_dies_raises_pdf_render_error(work: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(PdfRenderError, match=reason):
        run_in_child(work, timeout=5)


def test_render_rejects_a_base_url_that_is_not_http() -> None:
    with pytest.raises(ValueError):
        render("<p>a</p>", base_url="file:///work/main/")


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_render_from_a_request_thread_keeps_the_database_usable(db: None) -> None:
    User.objects.create_user("before")
    results: list[bytes] = []
    worker = threading.Thread(target=lambda: results.append(render("<p>From a thread</p>")))

    worker.start()
    worker.join(timeout=30)

    assert "From a thread" in text_of(results[0])
    User.objects.create_user("after")
    assert User.objects.count() == 2


# --- Names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Checkout outage", "checkout-outage-brief.pdf"),
        ('Checkout "down" in EU', "checkout-down-in-eu-brief.pdf"),
        ("Can't pay: O'Brien’s “card” gateway", "cant-pay-obriens-card-gateway-brief.pdf"),
        ("Line one\r\nLine two\tand\x00\x1b three", "line-one-line-two-and-three-brief.pdf"),
        ("Łukasz: Zahlung über €5 000", "łukasz-zahlung-über-5-000-brief.pdf"),
        ("Ærøskøbing straße", "ærøskøbing-straße-brief.pdf"),
        ("../../etc/passwd", "etc-passwd-brief.pdf"),
        ("C:\\Windows\\System32", "c-windows-system32-brief.pdf"),
        ("", "incident-brief.pdf"),
        ("   ", "incident-brief.pdf"),
        ("“”", "incident-brief.pdf"),
        ("支付系统故障", "支付系统故障-brief.pdf"),
        ('Ünïcode "quoted"\nnew/line', "ünïcode-quoted-new-line-brief.pdf"),
    ],
)  # fmt: skip
def test_download_filename_is_a_safe_slug(title: str, expected: str) -> None:
    assert download_filename(title) == expected


def test_download_filename_is_at_most_80_characters() -> None:
    name = download_filename("Database failover " * 20, suffix="timeline")

    assert len(name) <= 80
    assert name.startswith("database-failover-database")
    assert name.endswith("-timeline.pdf")
    assert "--" not in name


def test_download_filename_takes_the_extension() -> None:
    assert download_filename("Checkout outage", extension="md") == "checkout-outage-brief.md"


@given(st.text())
def test_download_filename_is_safe_for_any_title(title: str) -> None:
    name = download_filename(title)

    assert re.fullmatch(r"[^\W_]+(-[^\W_]+)*\.pdf", name)
    assert len(name) <= 80


def test_content_disposition_names_an_ascii_file_plainly() -> None:
    header = content_disposition('Checkout "down"\r\nSet-Cookie: x=1/..')

    assert header == 'attachment; filename="checkout-down-set-cookie-x-1-brief.pdf"'


def test_content_disposition_names_a_unicode_file_in_utf8() -> None:
    header = content_disposition('Łukasz "Kasse"\r\nSet-Cookie: x=1/..')

    assert header == "attachment; filename*=utf-8''%C5%82ukasz-kasse-set-cookie-x-1-brief.pdf"


@given(st.text())
def test_content_disposition_is_a_safe_header_for_any_title(title: str) -> None:
    header = content_disposition(title)

    assert header.isascii()
    assert not any(char in header for char in "\r\n\x00")
    match = re.fullmatch(
        r'attachment; (?:filename="([a-z0-9.-]+)"|filename\*=utf-8\'\'(\S+))', header
    )
    assert match
    name = match[1] or unquote(match[2])
    assert name.endswith(".pdf")
    assert not any(char in name for char in "/\\\"'")


def test_generated_label_names_the_zone() -> None:
    moment = datetime(2026, 3, 5, 9, 30, tzinfo=ZoneInfo("Europe/Warsaw"))

    assert format_generated_label(moment) == LABEL
    with pytest.raises(ValueError):
        format_generated_label(datetime(2026, 3, 5, 9, 30))
