"""The PDF engine: WeasyPrint in a forked, time-limited child, fed only the app's static files.

What goes into a PDF (the brief, the RCA), its download name and its cache live in
`briefs.exports` and `briefs.page_cache`; this module only turns HTML into bytes.

WeasyPrint is imported here, at module level, so that ``gunicorn --preload`` loads it once and every
forked worker and render child inherits it ready to use.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import math
import mimetypes
import os
import resource
import select
import shutil
import signal
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache, lru_cache
from io import BytesIO
from pathlib import Path
from typing import NoReturn
from urllib.parse import unquote, urljoin, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from fontTools.ttLib import TTFont, woff2
from weasyprint import CSS, HTML
from weasyprint import __version__ as weasyprint_version
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# WeasyPrint narrates every render step, and fontTools every font subset, at INFO. Quiet them
# unless settings.LOGGING has given them a level of their own.
for _noisy in ("weasyprint.progress", "fontTools"):
    if logging.getLogger(_noisy).level == logging.NOTSET:
        logging.getLogger(_noisy).setLevel(logging.WARNING)

PAGE_SIZES = {"a4": "A4", "letter": "letter"}
PDF_STYLESHEET = "css/pdf.css"

# Python warns that fork() in a multi-threaded process (a threaded dev server, psycopg's pool
# workers) may deadlock the child. Ours runs only WeasyPrint, which the parent never starts, and
# the time limit kills a child that does hang, so the warning tells us nothing new.
warnings.filterwarnings(
    "ignore",
    message=r"This process \(pid=\d+\) is multi-threaded, use of fork\(\)",
    category=DeprecationWarning,
    module=__name__,
)


class PdfRenderError(Exception):
    """The PDF could not be rendered."""


class PdfRenderTimeout(PdfRenderError):
    """The render took longer than its time limit and was killed."""


class PdfRenderMemory(PdfRenderError):
    """The render needed more memory than PDF_RENDER_MEMORY_MB and was stopped."""


class ResourceRefused(ValueError):
    """The renderer asked for something other than one of the app's static files."""


# --- Fetching: the app's static files, nothing else ------------------------------------------

_CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    # Served decoded (see _static_body).
    ".woff2": "font/sfnt",
    ".woff": "font/sfnt",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def static_prefix() -> str:
    """The path under which static files are served, such as ``/static/``."""
    path = urlsplit(settings.STATIC_URL or "/static/").path
    return "/" + path.strip("/") + "/"


def static_file_for_url(url: str) -> Path:
    """The local static file an absolute ``http(s)://<any host>/static/...`` URL names.

    The host is ignored on purpose: a static path is always read from this server's disk, so
    nothing ever goes over a network, whatever host the HTML names. Everything else is refused:
    other schemes (``file:``, ``data:``, ``ftp:`` ...), non-static paths, and any path with empty,
    ``.`` or ``..`` segments (also when percent-encoded), backslashes or NUL bytes.
    """
    shown = url if len(url) <= 120 else url[:117] + "..."
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise ResourceRefused(f"refused {shown!r}: only the app's static files are served")
    prefix = static_prefix()
    if not parts.path.startswith(prefix):
        raise ResourceRefused(f"refused {shown!r}: not under {prefix}")
    relative = unquote(parts.path.removeprefix(prefix))
    segments = relative.split("/")
    if (
        not relative
        or "\\" in relative
        or "\x00" in relative
        or any(segment in {"", ".", ".."} for segment in segments)
    ):
        raise ResourceRefused(f"refused {shown!r}: not a plain static path")

    found = finders.find(relative)
    if isinstance(found, str) and os.path.isfile(found):
        return Path(found)
    # Production builds serve hashed names (app.3f2a1c.css) that only exist in STATIC_ROOT.
    if settings.STATIC_ROOT:
        root = Path(settings.STATIC_ROOT).resolve()
        candidate = (root / relative).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    raise ResourceRefused(f"refused {shown!r}: no such static file")


@lru_cache(maxsize=8)
def _decoded_font(path: str, mtime_ns: int, size: int) -> bytes:
    """The TrueType/OpenType bytes inside a WOFF or WOFF2 file (mtime and size key the cache)."""
    data = Path(path).read_bytes()
    out = BytesIO()
    if data[:4] == b"wOF2":
        woff2.decompress(BytesIO(data), out)
    elif data[:4] == b"wOFF":
        font = TTFont(BytesIO(data))
        font.flavor = None
        font.save(out)
    else:
        return data
    return out.getvalue()


def _static_body(path: Path) -> bytes:
    # WeasyPrint decodes WOFF2 on every load, ~150 ms a font: longer than the rest of a short
    # brief. Decoded here once in the parent (render_pdf warms it), every render child inherits it.
    if path.suffix.lower() in {".woff2", ".woff"}:
        stat = path.stat()
        return _decoded_font(str(path), stat.st_mtime_ns, stat.st_size)
    return path.read_bytes()


PDF_FONTS = ("fonts/brief-sans-regular.woff2", "fonts/brief-sans-bold.woff2")


def warm_fonts() -> None:
    """Decode the PDF fonts in this process, so that render children inherit them decoded."""
    for name in PDF_FONTS:
        found = finders.find(name)
        if isinstance(found, str):
            _static_body(Path(found))


class StaticFilesURLFetcher(URLFetcher):
    """A WeasyPrint 70 URL fetcher that answers only from the app's static files.

    It never opens a socket, so there is nothing to redirect and no internal address to reach;
    ``data:`` URLs are refused too, because a brief needs none and they would let HTML smuggle
    bytes (images, attachments) into the PDF.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"http", "https"}, allow_redirects=False)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        path = static_file_for_url(url)
        content_type = _CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=_static_body(path), headers={"Content-Type": content_type}
        )


url_fetcher = StaticFilesURLFetcher()


# --- Page furniture ---------------------------------------------------------------------------


def page_css(size: str) -> str:
    """A stylesheet setting the page size (``A4`` or ``letter``); it beats pdf.css's default."""
    try:
        keyword = PAGE_SIZES[size.lower()]
    except KeyError:
        raise ValueError(f"page size must be A4 or letter, not {size!r}") from None
    return f"@page {{ size: {keyword} !important; }}\n"


def css_string(text: str) -> str:
    """``text`` as a double-quoted CSS string, safe whatever characters it holds."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\' or unicodedata.category(char) in {"Cc", "Cs"} else char
        for char in text
    )
    return f'"{escaped}"'


def generated_css(label: str) -> str:
    """A stylesheet putting ``label`` (the generation time, with its zone) bottom left."""
    return f"@page {{ @bottom-left {{ content: {css_string(label)} !important; }} }}\n"


def format_generated_label(moment: datetime) -> str:
    """``Generated 5 Mar 2026, 09:30 CET (UTC+01:00)`` for an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the generation time must be timezone-aware")
    offset = moment.strftime("%z")
    return (
        f"Generated {moment.day} {moment:%b %Y, %H:%M} {moment.tzname()} "
        f"(UTC{offset[:3]}:{offset[3:5]})"
    )


# --- Rendering --------------------------------------------------------------------------------


def render_pdf(
    html: str,
    *,
    base_url: str,
    title: str,
    page_size: str,
    generated_label: str,
    timeout: float,
) -> bytes:
    """Render ``html`` with pdf.css to PDF bytes in a child process killed after ``timeout`` s.

    ``base_url`` is the absolute http(s) URL relative links resolve against, such as
    ``request.build_absolute_uri()``; only its static paths are ever read. Raises
    ``PdfRenderTimeout`` when the limit passes and ``PdfRenderError`` for any other failure.
    """
    if urlsplit(base_url).scheme.lower() not in {"http", "https"}:
        raise ValueError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    stylesheet_url = urljoin(base_url, static_prefix() + PDF_STYLESHEET)
    extra_css = page_css(page_size) + generated_css(generated_label)

    warm_fonts()

    def work() -> bytes:
        return _render(html, base_url, title, stylesheet_url, extra_css)

    return run_in_child(work, timeout=timeout)


def _render(html: str, base_url: str, title: str, stylesheet_url: str, extra_css: str) -> bytes:
    font_config = FontConfiguration()
    stylesheets = [
        CSS(url=stylesheet_url, url_fetcher=url_fetcher, font_config=font_config),
        CSS(string=extra_css, base_url=base_url, url_fetcher=url_fetcher, font_config=font_config),
    ]
    document = HTML(string=html, base_url=base_url, url_fetcher=url_fetcher).render(
        font_config=font_config, stylesheets=stylesheets
    )
    document.metadata.title = title
    # A brief never carries files: drop <link rel=attachment> and <a rel=attachment> targets,
    # even ones that name static files.
    document.metadata.attachments = []
    for page in document.pages:
        page.links = [link for link in page.links if link[0] != "attachment"]
    pdf: bytes = document.write_pdf()
    return pdf


# Held from pipe() until the parent has closed its write end, so that a child forked by another
# thread never inherits that write end and delays our end-of-file.
_fork_lock = threading.Lock()
_CHILD_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM")


def run_in_child(work: Callable[[], bytes], *, timeout: float) -> bytes:
    """Run ``work`` in a forked child and return its bytes; kill it after ``timeout`` seconds.

    The child shares nothing back but the bytes (or an error message) through a pipe. It must
    not touch the database: it inherits the parent's connections, and it leaves through
    ``os._exit`` without running finalizers so that those stay untouched.
    """
    deadline = time.monotonic() + timeout
    scratch = tempfile.mkdtemp(prefix="brief-pdf-")
    pid = 0
    read_fd = -1
    try:
        with _fork_lock:
            read_fd, write_fd = os.pipe()
            try:
                pid = os.fork()
            except OSError as error:
                os.close(write_fd)
                raise PdfRenderError(f"could not start the PDF renderer: {error}") from error
            if pid == 0:
                _child_main(work, read_fd, write_fd, scratch, timeout)
            os.close(write_fd)
        payload = _read_until(read_fd, deadline)
        if payload is None:
            raise PdfRenderTimeout(f"the PDF took longer than {timeout:g} s and was stopped")
        status = _reap(pid)
        pid = 0
        if payload[:1] == b"K" and status == 0:
            return payload[1:]
        if payload.startswith(b"EMemoryError"):
            raise PdfRenderMemory("the PDF needed more memory than its limit and was stopped")
        if payload[:1] == b"E":
            raise PdfRenderError(payload[1:].decode("utf-8", "replace"))
        raise PdfRenderError(f"the PDF renderer died ({_describe(status)})")
    finally:
        if pid:
            _kill(pid)
        if read_fd >= 0:
            os.close(read_fd)
        shutil.rmtree(scratch, ignore_errors=True)


def _child_main(
    work: Callable[[], bytes], read_fd: int, write_fd: int, scratch: str, timeout: float
) -> NoReturn:
    status = 70
    try:
        os.close(read_fd)
        # Objects inherited from the parent (database connections among them) are never
        # collected here, so no finalizer can act on them; copy-on-write pages stay shared.
        gc.freeze()
        for name in _CHILD_SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        # Should the parent die, the orphan still ends soon after the limit.
        signal.setitimer(signal.ITIMER_REAL, timeout + 5)
        _limit_memory(settings.PDF_RENDER_MEMORY_MB)
        # WeasyPrint's font files go here; the parent removes the folder even after a kill.
        tempfile.tempdir = scratch
        try:
            message = b"K" + work()
        except BaseException as error:
            logger.exception("PDF render failed")
            message = b"E" + f"{type(error).__name__}: {error}".encode("utf-8", "replace")
        view = memoryview(message)
        while view:
            view = view[os.write(write_fd, view) :]
        status = 0
    finally:
        os._exit(status)


def _limit_memory(megabytes: int) -> None:
    """Cap this child's address space at what it inherited plus ``megabytes`` (0: no cap).

    Relative, because the fork inherits the parent's whole address space (WeasyPrint, fonts,
    thread stacks), which differs between a web process and a worker; past the cap an
    allocation fails (MemoryError, reported as `PdfRenderMemory`) instead of the machine's
    out-of-memory killer taking the worker.
    """
    if megabytes <= 0:
        return
    try:
        with open("/proc/self/statm") as statm:
            inherited = int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return  # not Linux: the time limit still holds
    limit = inherited + megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read_until(read_fd: int, deadline: float) -> bytes | None:
    """Everything written to ``read_fd`` up to end-of-file, or None when the deadline passes."""
    poller = select.poll()
    poller.register(read_fd, select.POLLIN)
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not poller.poll(math.ceil(remaining * 1000)):
            continue
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> int:
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:  # someone set SIGCHLD to SIG_IGN; the status is lost
        return 0


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


# --- Fingerprint: part of every stored PDF's version (briefs.pdf_documents.document_stamp) ----


@cache
def engine_fingerprint() -> str:
    """What else shapes the bytes: WeasyPrint's version, pdf.css and the fonts it loads."""
    digest = hashlib.sha256(f"weasyprint {weasyprint_version}\n".encode())
    for name in (PDF_STYLESHEET, *PDF_FONTS):
        found = finders.find(name)
        if isinstance(found, str):
            digest.update(Path(found).read_bytes())
    return digest.hexdigest()
