"""Background work, run by the worker (Django's tasks framework), never inside a request."""

from __future__ import annotations

from django.tasks import task

from briefs import pdf_documents


@task()
def render_pdf_document(document_id: int) -> str:
    """Render a stored PDF for its incident's current version (briefs.pdf_documents).

    Safe to run twice: a version already stored, or already failed, is not rendered again.
    Returns the document's status, for the task's result.
    """
    return pdf_documents.render_document(document_id)
