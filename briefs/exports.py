"""The brief and its root-cause analysis as files, and the HTTP answers that carry them.

PDF (through `briefs.pdf_engine`; only the worker renders one, see `briefs.pdf_documents`) and
Markdown, their download names, and the Markdown answer the architect's views and the executive
link share, so that no view module imports another.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header

from briefs import glossary, pdf_engine
from briefs.brief_content import brief_context, minute, rca_context, with_brief_rows
from briefs.meeting_script import executive_texts, meeting_script
from briefs.middleware import zone_from_request
from briefs.models import Incident

logger = logging.getLogger(__name__)


# --- Documents -----------------------------------------------------------------------------------


def brief_pdf(
    incident: Incident,
    *,
    zone: ZoneInfo,
    size: str,
    appendix: bool,
    base_url: str,
    now: datetime | None = None,
) -> bytes:
    """The brief as PDF bytes, rendered now: the worker calls this (briefs.pdf_documents), and
    stores the result, so no request renders. Raises `pdf_engine.PdfRenderError` (or its
    `PdfRenderTimeout`, `PdfRenderMemory`) when WeasyPrint fails or runs over its limits.
    """
    now = minute(now or timezone.now())

    def html() -> str:
        full = with_brief_rows(incident)
        context = brief_context(full, zone=zone, now=now, architect=False)
        context.update(
            {
                "appendix": appendix,
                "script": meeting_script(full) if appendix else [],
                # Only the appendix prints the glossary: no page view pays for the check.
                "glossary_terms": (
                    glossary.terms_used(executive_texts(full).values()) if appendix else []
                ),
                # Shortened answers on page 1 say "continued on page N", not "below".
                "for_print": True,
            }
        )
        with timezone.override(zone):
            return render_to_string("briefs/brief_pdf.html", context)

    return _document_pdf(html, incident.title, zone, size, base_url, now)


def rca_pdf(
    incident: Incident, *, zone: ZoneInfo, size: str, base_url: str, now: datetime | None = None
) -> bytes:
    """The root-cause analysis as PDF: the same engine, fonts, fetcher and limits."""
    now = minute(now or timezone.now())

    def html() -> str:
        context = rca_context(with_brief_rows(incident), zone=zone, now=now)
        with timezone.override(zone):
            return render_to_string("briefs/rca_pdf.html", context)

    title = f"Root-cause analysis: {incident.title}"
    return _document_pdf(html, title, zone, size, base_url, now)


def _document_pdf(
    html: Callable[[], str],
    title: str,
    zone: ZoneInfo,
    size: str,
    base_url: str,
    now: datetime,
) -> bytes:
    label = pdf_engine.format_generated_label(timezone.localtime(now, zone))
    return pdf_engine.render_pdf(
        html(),
        base_url=base_url,
        title=title,
        page_size=size,
        generated_label=label,
        timeout=settings.PDF_RENDER_TIMEOUT_SECONDS,
    )


# --- Download names ------------------------------------------------------------------------------


_QUOTES = re.compile(r"[\"'`\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb]")
FILENAME_MAX = 80


def _clean_title(title: str) -> str:
    title = _QUOTES.sub("", unicodedata.normalize("NFKC", title))
    # Control characters (newlines included), slashes and other separators become spaces.
    return "".join(
        " " if unicodedata.category(char)[0] in {"C", "Z"} or char in "/\\" else char
        for char in title
    )


def _slug(text: str, *, max_length: int) -> str:
    words = re.findall(r"\w+", text.lower())
    slug = "-".join(word.replace("_", "-") for word in words)
    slug = re.sub(r"-{2,}", "-", slug).strip("-")
    return slug[:max_length].rstrip("-")


def download_filename(title: str, suffix: str = "brief", *, extension: str = "pdf") -> str:
    """A download name such as ``checkout-outage-brief.pdf`` (at most 80 characters): the
    title's words in lower case, letters such as Ł kept, no quote, newline or slash."""
    clean_suffix = _slug(_clean_title(suffix), max_length=20)
    tail = f"-{clean_suffix}.{extension}" if clean_suffix else f".{extension}"
    slug = _slug(_clean_title(title), max_length=FILENAME_MAX - len(tail)) or "incident"
    return slug + tail


def content_disposition(
    title: str, suffix: str = "brief", *, extension: str = "pdf", attachment: bool = True
) -> str:
    """The ``Content-Disposition`` of a download of the incident titled ``title``.

    Django's `content_disposition_header` (RFC 6266) writes it: ``filename="..."`` for an
    ASCII name, ``filename*=utf-8''...`` for one with letters beyond ASCII.
    """
    header = content_disposition_header(
        attachment, download_filename(title, suffix, extension=extension)
    )
    assert header is not None  # a download name is never empty
    return header


# --- HTTP answers --------------------------------------------------------------------------------


def markdown_response(
    request: HttpRequest, incident: Incident, *, architect: bool, zone: ZoneInfo | None = None
) -> HttpResponse:
    """The brief as Markdown, in `zone` (default: the viewer's)."""
    zone = zone or zone_from_request(request)
    context = brief_context(incident, zone=zone, architect=architect)
    # Typed text is escaped for Markdown in the template (|md), not for HTML.
    with timezone.override(zone):
        text = render_to_string("briefs/brief.md", context, request=request)
    disposition = content_disposition(incident.title, extension="md", attachment=False)
    return HttpResponse(
        text,
        content_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )
