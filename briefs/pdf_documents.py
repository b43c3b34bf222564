"""Stored PDFs: which version each is of, the coalesced render request, and the worker's render
(briefs.tasks). No request renders: downloads stream the stored file (briefs.pdf_downloads).

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
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import transaction
from django.utils import timezone

from briefs import pdf_engine
from briefs.brief_content import brief_queryset
from briefs.exports import brief_pdf, rca_pdf
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

logger = logging.getLogger(__name__)


def pdf_storage() -> Storage:
    return storages["pdfs"]


# --- Versions ---------------------------------------------------------------------------------


def document_stamp(incident: Incident) -> str:
    """The version a stored PDF is of (`PdfDocument.stamp`, `file_stamp`): what the brief shows
    (`brief_stamp`) and the engine that lays it out (`pdf_engine.engine_fingerprint`:
    WeasyPrint's version, pdf.css, the fonts). After a deploy that changes how PDFs look, each
    brief is rendered again when it is next asked for, rather than served in the old look.

    The fingerprint is computed once per process. While a deploy replaces the workers, an old
    worker's render carries the old engine's stamp and a new web process asks again: the brief
    is rendered again until a new worker takes the job, never served in the old look as current.
    """
    return stamp_with_engine(brief_stamp(incident))


def stamp_with_engine(incident_stamp: str) -> str:
    """`document_stamp` from a `brief_stamp` (the brief page has one without the model)."""
    return f"{incident_stamp}|{pdf_engine.engine_fingerprint()[:16]}"


def failure_of_version(*, failed_stamp: str, failure: str, incident_stamp: str) -> str:
    """Why the brief's default PDF could not be made for this version (a `PdfFailure`), or "":
    the architect's brief page says so beside its PDF button. `failed_stamp` and `failure` are
    the failed document's (`BriefKey`, read with the page's key; or `brief_pdf_failure`)."""
    return failure if failed_stamp == stamp_with_engine(incident_stamp) else ""


def brief_pdf_failure(incident_id: int, incident_stamp: str) -> str:
    """`failure_of_version` for a page drawn without `brief_key_for` (a refused update)."""
    found = (
        PdfDocument.objects.filter(
            incident_id=incident_id,
            kind=PdfKind.BRIEF,
            size=PdfSize.default(),
            status=PdfStatus.FAILED,
        )
        .values_list("stamp", "failure")
        .first()
    )
    if found is None:
        return ""
    return failure_of_version(
        failed_stamp=found[0], failure=found[1], incident_stamp=incident_stamp
    )


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
    stamp = document_stamp(incident)
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
    request_render(incident=incident, kind=PdfKind.BRIEF, size=PdfSize.default())
    if (
        incident.resolved_at is not None
        and RootCauseAnalysis.objects.filter(incident_id=incident_id).exists()
    ):
        request_render(incident=incident, kind=PdfKind.RCA, size=PdfSize.default())


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
    stamp = document_stamp(incident)
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
        latest = document_stamp(
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


# --- Storage --------------------------------------------------------------------------------


def forget_lost_file(document: PdfDocument) -> None:
    """The storage lost the file (a wiped folder, a new machine): render it again. A download
    that finds the file missing calls this (briefs.pdf_downloads)."""
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
