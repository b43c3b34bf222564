"""Stored PDFs: rendered by the worker (briefs.tasks), streamed by downloads, never rendered in
a request.

Each incident has one `PdfDocument` row per kind and size. A change to the brief enqueues a
render of its default document once the change commits (`render_when_committed`); a download
of a version not stored yet enqueues one (`request_render`) and answers at once with a page
that waits for it. One row means one pending render: changes while it waits cost nothing, and
a change while it runs costs exactly one more render (see `render_document`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response

from briefs import pdf_engine
from briefs.brief_content import brief_queryset
from briefs.exports import brief_pdf, content_disposition, rca_pdf
from briefs.models import (
    Incident,
    PdfDocument,
    PdfFailure,
    PdfKind,
    PdfSize,
    PdfStatus,
    RootCauseAnalysis,
    Status,
)
from briefs.page_cache import brief_stamp
from briefs.security import client_key

logger = logging.getLogger(__name__)

# htmx stops polling on this status (the preparing page's status fragment).
STOP_POLLING = 286


def pdf_storage() -> Storage:
    return storages["pdfs"]


def default_size() -> str:
    return PdfSize.LETTER if settings.PDF_PAGE_SIZE.lower() == "letter" else PdfSize.A4


def size_from_request(request: HttpRequest) -> str:
    """``?size=a4`` or ``?size=letter``; anything else is the default size, so a link holder
    cannot make a new document per request."""
    requested = request.GET.get("size", "").lower()
    return requested if requested in PdfSize.values else default_size()


# --- Enqueueing -------------------------------------------------------------------------------


def _stale_after() -> timedelta:
    """A render pending this long was lost (its worker died before the job's retry): enqueue
    it again. A duplicate run is harmless, see `render_document`."""
    return timedelta(seconds=2 * settings.PDF_RENDER_TIMEOUT_SECONDS + 60)


def request_render(*, incident: Incident, kind: str, size: str) -> PdfDocument:
    """The incident's document, with a render enqueued unless its current version is stored,
    has failed, or is already waiting for a render (coalesced).

    The job is enqueued once the row is written, outside any transaction of ours: called
    from inside a transaction, use `render_when_committed`, or a worker may look for a row
    it cannot see yet. With the immediate backend (no worker), the render has run on return.
    """
    stamp = brief_stamp(incident)
    now = timezone.now()
    with transaction.atomic():
        document, created = PdfDocument.objects.get_or_create(
            incident_id=incident.pk, kind=kind, size=size, defaults={"stamp": stamp}
        )
        if not created:
            document = PdfDocument.objects.select_for_update().get(pk=document.pk)
            if document.status != PdfStatus.PENDING and document.stamp == stamp:
                return document
            if (
                document.status == PdfStatus.PENDING
                and now - document.requested_at < _stale_after()
            ):
                # The waiting render reads the incident when it starts, and one that already
                # started enqueues one more when it sees the stamp moved (render_document).
                return document
            document.status = PdfStatus.PENDING
            document.stamp = stamp
            document.requested_at = now
            document.failure = ""
            document.failure_detail = ""
            document.save(
                update_fields=["status", "stamp", "requested_at", "failure", "failure_detail"]
            )
    _enqueue(document.pk)
    return document


def _enqueue(document_id: int) -> None:
    from briefs.tasks import render_pdf_document  # the task module imports this one

    render_pdf_document.enqueue(document_id)


def render_defaults(incident_id: int) -> None:
    """Enqueue the incident's default documents: the brief, and the RCA once there is one, in
    the default size. Other kinds and sizes render when first asked for. A draft renders
    nothing until a download asks: each wizard step would otherwise cost a render."""
    incident = (
        Incident.objects.filter(pk=incident_id)
        .only("version", "updated_at", "status", "resolved_at")
        .first()
    )
    if incident is None or incident.status == Status.DRAFT:
        return
    request_render(incident=incident, kind=PdfKind.BRIEF, size=default_size())
    if (
        incident.resolved_at is not None
        and RootCauseAnalysis.objects.filter(incident_id=incident_id).exists()
    ):
        request_render(incident=incident, kind=PdfKind.RCA, size=default_size())


def render_when_committed(incident_id: int) -> None:
    """Called by every service that moves the brief's stamp (briefs.services)."""
    transaction.on_commit(lambda: render_defaults(incident_id))


# --- Rendering (in the worker) ----------------------------------------------------------------


def _render_bytes(incident: Incident, kind: str, size: str) -> bytes:
    """The document in the incident's own zone: a reader's zone never changes the bytes."""
    arguments: dict[str, Any] = {
        "zone": incident.zone,
        "size": pdf_engine.PAGE_SIZES[size],
        "base_url": settings.SITE_URL + "/",
    }
    if kind == PdfKind.RCA:
        content = rca_pdf(incident, **arguments)
    else:
        content = brief_pdf(incident, appendix=kind == PdfKind.BRIEF_WITH_APPENDIX, **arguments)
    return content


def _file_name(incident: Incident, kind: str, size: str, stamp: str) -> str:
    digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    return f"{incident.public_id}/{kind}-{size}-{digest}.pdf"


def render_document(document_id: int) -> str:
    """Render and store the document for its incident's current version; the new status.

    Idempotent: a version already stored is marked ready without a render, and a version
    whose render failed is not tried again (only a change to the brief retries). When the
    brief changed during the render, the document is left pending and one more render is
    enqueued.
    """
    document = PdfDocument.objects.filter(pk=document_id).first()
    if document is None:
        return "gone"
    incident = brief_queryset().get(pk=document.incident_id)
    stamp = brief_stamp(incident)
    if document.has_failed_for(stamp):
        return PdfStatus.FAILED
    name = ""
    failure, detail = "", ""
    seconds: float | None = None
    if not (document.file and document.file_stamp == stamp):
        started = time.monotonic()
        try:
            content = _render_bytes(incident, document.kind, document.size)
        except pdf_engine.PdfRenderTimeout as error:
            failure, detail = PdfFailure.TIMEOUT, str(error)
        except pdf_engine.PdfRenderMemory as error:
            failure, detail = PdfFailure.MEMORY, str(error)
        except pdf_engine.PdfRenderError as error:
            failure, detail = PdfFailure.ERROR, str(error)
        else:
            name = pdf_storage().save(
                _file_name(incident, document.kind, document.size, stamp), ContentFile(content)
            )
        seconds = time.monotonic() - started
        if failure:
            logger.warning("PDF %s of incident %s failed: %s", document.kind, incident.pk, detail)
    return _settle(document_id, stamp, name, seconds, failure, detail[:1000])


def _settle(
    document_id: int, stamp: str, name: str, seconds: float | None, failure: str, detail: str
) -> str:
    with transaction.atomic():
        document = PdfDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None:  # the incident was deleted meanwhile
            if name:
                pdf_storage().delete(name)
            return "gone"
        again = False
        replaced = document.file if name and document.file != name else ""
        if name:
            document.file, document.file_stamp = name, stamp
            document.rendered_at, document.render_seconds = timezone.now(), seconds
        latest = brief_stamp(
            Incident.objects.only("version", "updated_at").get(pk=document.incident_id)
        )
        document.failure, document.failure_detail = "", ""
        document.stamp = latest
        if latest != stamp:
            # Changed while we rendered: exactly one more render, of the newest version.
            document.status = PdfStatus.PENDING
            document.requested_at = timezone.now()
            again = True
        elif failure:
            document.status = PdfStatus.FAILED
            document.failure, document.failure_detail = failure, detail
        else:
            document.status = PdfStatus.READY
        document.save()
    # After the commit: the worker that takes the next job must see this row as pending.
    if replaced:
        pdf_storage().delete(replaced)
    if again:
        _enqueue(document_id)
    return str(document.status)


# --- Downloads --------------------------------------------------------------------------------

_SUFFIXES = {PdfKind.BRIEF: "brief", PdfKind.BRIEF_WITH_APPENDIX: "brief", PdfKind.RCA: "rca"}


def pdf_file_response(
    request: HttpRequest, incident: Incident, *, kind: str, size: str, architect: bool
) -> HttpResponse:
    """The stored PDF of the incident's current version, or a page that waits for it.

    Never renders: a version not stored yet is enqueued and answered at once with "Preparing
    the PDF…" (202, refreshing itself), which offers the previous version; a failed version
    gets its reason (503). The page's htmx poll (HX-Request) gets its status fragment only.
    """
    stamp = brief_stamp(incident)
    document = PdfDocument.objects.filter(incident_id=incident.pk, kind=kind, size=size).first()
    if request.GET.get("version") == "previous" and document is not None and document.file:
        return _stream(request, incident, document) or _preparing(request, incident, document)
    if document is None or not (document.is_ready_for(stamp) or document.has_failed_for(stamp)):
        request_render(incident=incident, kind=kind, size=size)
        # The immediate backend (no worker) has rendered it by now; a queue has not.
        document = PdfDocument.objects.get(incident_id=incident.pk, kind=kind, size=size)
    polling = request.headers.get("HX-Request") == "true"
    if document.is_ready_for(stamp):
        if polling:
            return _status(request, incident, document, "ready")
        return _stream(request, incident, document) or _preparing(request, incident, document)
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
    return _preparing(request, incident, document)


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


def _preparing(request: HttpRequest, incident: Incident, document: PdfDocument) -> HttpResponse:
    response = render(
        request, "briefs/pdf_preparing.html", _context(request, incident, document), status=202
    )
    # Without JavaScript the page reloads itself; with it, htmx polls the status too.
    # Cache-Control comes from briefs.middleware (no-store), as for every page.
    response["Refresh"] = "2"
    return response


def _status(
    request: HttpRequest, incident: Incident, document: PdfDocument, state: str, **extra: Any
) -> HttpResponse:
    context = _context(request, incident, document, state=state, **extra)
    # The partial renders without the page's {% timezone %}: times in the incident's zone.
    with timezone.override(incident.zone):
        response = render(request, "briefs/pdf_preparing.html#status", context, status=STOP_POLLING)
    return response


def _stream(request: HttpRequest, incident: Incident, document: PdfDocument) -> HttpResponse | None:
    """The stored file with its ETag (304 to a repeat), or None when the file is lost.

    Read whole rather than streamed through FileResponse: a brief's PDF is a few hundred KB,
    and the views (and the guess limit's decorator) are typed to return an HttpResponse.
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
        _forget_lost_file(document)
        return None
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        incident.title, _SUFFIXES[PdfKind(document.kind)]
    )
    response["ETag"] = etag
    return response


def _forget_lost_file(document: PdfDocument) -> None:
    """The storage lost the file (a wiped folder, a new machine): render it again."""
    logger.warning("Stored PDF %s is missing; rendering it again", document.file)
    PdfDocument.objects.filter(pk=document.pk, file=document.file).update(
        file="",
        file_stamp="",
        rendered_at=None,
        status=PdfStatus.PENDING,
        requested_at=timezone.now(),
    )
    _enqueue(document.pk)
    document.refresh_from_db()


# --- Executive links --------------------------------------------------------------------------


def link_pdf_response(
    request: HttpRequest, token: str, incident: Incident, *, kind: str
) -> HttpResponse:
    """An executive link's PDF: in the incident's zone (never the reader's cookie), A4 or
    Letter, and at most SHARE_LINK_PDF_LIMIT downloads a minute per link and client. The
    preparing page's htmx polls are not counted: they never send a file."""
    if request.headers.get("HX-Request") != "true" and _over_link_limit(request, token):
        response = render(request, "briefs/pdf_rate_limited.html", {"zone": None}, status=429)
        response["Retry-After"] = "60"
        return response
    size = size_from_request(request)
    return pdf_file_response(request, incident, kind=kind, size=size, architect=False)


def _over_link_limit(request: HttpRequest, token: str) -> bool:
    minute = int(time.time() // 60)
    who = hashlib.sha256(f"{token}|{client_key(request)}".encode()).hexdigest()[:32]
    key = f"briefs:pdf-downloads:{who}:{minute}"
    # add() then incr(): the first download of the minute creates the counter, and every
    # replica counts in the same shared cache.
    cache.add(key, 0, 90)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, 90)
        count = 1
    return count > settings.SHARE_LINK_PDF_LIMIT
