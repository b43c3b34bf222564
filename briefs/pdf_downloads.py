"""Downloads of stored PDFs (briefs.pdf_documents): the file of the brief's current version with
its ETag, or at once a "Preparing the PDF…" page that waits for the worker, or why it failed.
No download renders. The executive link's downloads are limited per link and client.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response

from briefs.exports import content_disposition
from briefs.models import Incident, PdfDocument, PdfKind, PdfSize, ShareLinkDownloads
from briefs.pdf_documents import (
    document_stamp,
    forget_lost_file,
    pdf_storage,
    request_render,
)
from briefs.security import client_key

# htmx stops polling on this status (the preparing page's status fragment).
STOP_POLLING = 286

_SUFFIXES = {PdfKind.BRIEF: "brief", PdfKind.BRIEF_WITH_APPENDIX: "brief", PdfKind.RCA: "rca"}

# Answers a download about to send a file with a refusal, or None to send it.
Gate = Callable[[], HttpResponse | None]


def size_from_request(request: HttpRequest) -> str:
    """``?size=a4`` or ``?size=letter``; anything else is the default size, so a link holder
    cannot make a new document per request."""
    requested = request.GET.get("size", "").lower()
    return requested if requested in PdfSize.values else PdfSize.default()


def pdf_file_response(
    request: HttpRequest,
    incident: Incident,
    *,
    kind: str,
    size: str,
    architect: bool,
    before_sending: Gate | None = None,
) -> HttpResponse:
    """The stored PDF of the incident's current version, or a page that waits for it.

    Never renders: a version not stored yet is enqueued and answered at once with "Preparing
    the PDF…" (202), which offers the previous version; a failed version gets its reason (503).
    The page's htmx poll (HX-Request) gets its status fragment only. `before_sending` is asked
    only when a file is about to be sent (the link's download limit).
    """
    stamp = document_stamp(incident)
    polling = request.headers.get("HX-Request") == "true"
    previous = request.GET.get("version") == "previous"
    # A file of this version already sent by this process: no row to read, no file to open.
    key = f"pdf-file:{incident.pk}:{kind}:{size}:{stamp}"
    kept = None if polling or previous else caches["fragments"].get(key)
    if kept is not None:
        refused = before_sending() if before_sending is not None else None
        return refused or _file_response(request, incident, kind, *kept)
    document = PdfDocument.objects.filter(incident_id=incident.pk, kind=kind, size=size).first()
    if previous and document is not None and document.file:
        return _send(request, incident, document, before_sending)
    if document is None or not (document.is_ready_for(stamp) or document.has_failed_for(stamp)):
        request_render(incident=incident, kind=kind, size=size)
        # The immediate backend (no worker) has rendered it by now; a queue has not.
        document = PdfDocument.objects.get(incident_id=incident.pk, kind=kind, size=size)
    if document.is_ready_for(stamp):
        if polling:
            return _status(request, incident, document, "ready")
        return _send(request, incident, document, before_sending, keep_as=key)
    if document.has_failed_for(stamp):
        if polling:
            return _status(request, incident, document, "failed", architect=architect)
        return render(
            request,
            "briefs/pdf_failed.html",
            _context(request, incident, document, architect=architect),
            status=503,
        )
    if polling:
        return HttpResponse(status=204)
    return _preparing(request, incident, document, architect=architect)


def _context(
    request: HttpRequest, incident: Incident, document: PdfDocument, **extra: Any
) -> dict[str, Any]:
    current = request.GET.copy()
    current.pop("version", None)
    previous = current.copy()
    previous["version"] = "previous"
    path = request.path
    return {
        "incident": incident,
        "document": document,
        "reason": document.failure,
        "timeout_seconds": settings.PDF_RENDER_TIMEOUT_SECONDS,
        "memory_mb": settings.PDF_RENDER_MEMORY_MB,
        "poll_url": f"{path}?{current.urlencode()}" if current else path,
        "previous_url": f"{path}?{previous.urlencode()}" if document.file else "",
        "previous_at": document.rendered_at if document.file else None,
        "zone": None,  # base_public.html: no zone switch on these pages
        **extra,
    }


def _preparing(
    request: HttpRequest, incident: Incident, document: PdfDocument, *, architect: bool = False
) -> HttpResponse:
    # It reloads itself only without JavaScript (a refresh inside <noscript>): see the template.
    # Cache-Control comes from briefs.middleware (no-store), as for every page.
    context = _context(request, incident, document, architect=architect)
    return render(request, "briefs/pdf_preparing.html", context, status=202)


def _status(
    request: HttpRequest, incident: Incident, document: PdfDocument, state: str, **extra: Any
) -> HttpResponse:
    context = _context(request, incident, document, state=state, **extra)
    # The partial renders without the page's {% timezone %}: times in the incident's zone.
    with timezone.override(incident.zone):
        response = render(request, "briefs/pdf_preparing.html#status", context, status=STOP_POLLING)
    return response


def _send(
    request: HttpRequest,
    incident: Incident,
    document: PdfDocument,
    before_sending: Gate | None,
    *,
    keep_as: str = "",
) -> HttpResponse:
    refused = before_sending() if before_sending is not None else None
    if refused is not None:
        return refused
    return _stream(request, incident, document, keep_as) or _preparing(request, incident, document)


# How long this process keeps a sent file of the current version (briefs.page_cache's rule:
# keyed by the version, so never stale, only unused).
KEEP_SECONDS = 600


def _stream(
    request: HttpRequest, incident: Incident, document: PdfDocument, keep_as: str
) -> HttpResponse | None:
    """The stored file with its ETag (304 to a repeat), or None when the file is lost.

    Read whole rather than streamed through FileResponse: a brief's PDF is a few hundred KB,
    and the views (and the guess limit's decorator) are typed to return an HttpResponse.
    `keep_as`: the current version's key; this process keeps the file under it, so the next
    download of that version reads no row and opens no file (make bench: a download costs no
    more than the executive page).
    """
    etag = f'"{hashlib.sha256(document.file.encode()).hexdigest()[:32]}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["ETag"] = etag
        return not_modified
    try:
        with pdf_storage().open(document.file, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        forget_lost_file(document)
        return None
    if keep_as:
        caches["fragments"].set(keep_as, (etag, content), KEEP_SECONDS)
    return _file_response(request, incident, document.kind, etag, content)


def _file_response(
    request: HttpRequest, incident: Incident, kind: str, etag: str, content: bytes
) -> HttpResponse:
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["ETag"] = etag
        return not_modified
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(incident.title, _SUFFIXES[PdfKind(kind)])
    response["ETag"] = etag
    return response


# --- Executive links --------------------------------------------------------------------------


def link_pdf_response(
    request: HttpRequest, token: str, incident: Incident, *, kind: str
) -> HttpResponse:
    """An executive link's PDF: in the incident's zone (never the reader's cookie), A4 or
    Letter, and at most SHARE_LINK_PDF_LIMIT files a minute per link and client.

    Only answers that send a file count: the preparing page, its htmx polls and its reloads
    without JavaScript (one every 2 s) cost a query and send nothing, and counting them would
    lock a reader out while a long render runs.
    """

    def limit() -> HttpResponse | None:
        if not _over_link_limit(request, token):
            return None
        response = render(request, "briefs/pdf_rate_limited.html", {"zone": None}, status=429)
        response["Retry-After"] = "60"
        return response

    size = size_from_request(request)
    return pdf_file_response(
        request, incident, kind=kind, size=size, architect=False, before_sending=limit
    )


def _over_link_limit(request: HttpRequest, token: str) -> bool:
    minute = int(time.time() // 60)
    # Every replica counts in the same table; the token is hashed, as links keep it.
    who = hashlib.sha256(f"{token}|{client_key(request)}".encode()).hexdigest()[:32]
    return ShareLinkDownloads.objects.count_download(who, minute) > settings.SHARE_LINK_PDF_LIMIT
