"""Background work: Django's tasks framework, queued by django-tasks-db, run by `manage.py worker`.

Every job here must be idempotent: a worker that dies mid-job has it run again
(briefs/task_queue.py, `requeue_lost_jobs`), and a slow job that outlives its lease may run twice.
Arguments are JSON (ids and strings, never model instances), and a job reads the rows it needs.
"""

from datetime import datetime

from django.tasks import task

from briefs import notifications, pdf_documents, reminders
from briefs.models import ReminderKind


@task
def heartbeat() -> str:
    """Proves a worker is taking jobs: `manage.py queue_status --ping` waits for one."""
    return "ok"


@task
def render_pdf_document(document_id: int) -> str:
    """Render a stored PDF for its incident's current version (briefs.pdf_documents).

    Safe to run twice: a version already stored, or already failed, is not rendered again.
    Returns the document's status, for the task's result.
    """
    return pdf_documents.render_document(document_id)


@task
def send_update_reminder(incident_id: int, kind: str, due_at: str, after_sequence: int) -> str:
    """Remind the architects of a promised update (briefs.reminders), deferred to its time.

    Safe to run twice: it checks the promise still stands and claims a unique reminder row.
    """
    return reminders.remind(
        incident_id=incident_id,
        kind=ReminderKind(kind),
        due_at=datetime.fromisoformat(due_at),
        after_sequence=after_sequence,
    )


@task
def deliver_notification(delivery_id: int) -> str:
    """Send one recorded notification (briefs.notifications.deliver): safe to run twice, a
    message already sent, or lost mid-send, is never sent again. Returns the row's status."""
    return notifications.deliver(delivery_id)
