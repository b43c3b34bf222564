"""The task queue seen from outside a job: what is waiting, and jobs lost with their worker.

The queue is django-tasks-db's table (`DBTaskResult`). `manage.py queue_status` and
`/healthz?detail=1` read it through `queue_status`; `manage.py worker` calls
`requeue_lost_jobs` when it starts and every little while after.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, Count, F, Min, Q, When
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max


class WorkerLost(Exception):
    """Recorded as a job's failure when its worker died on every attempt it was given."""


@dataclass(frozen=True)
class QueueStatus:
    waiting: int  # due now, not yet claimed by a worker
    oldest_waiting_seconds: int | None  # how long the longest-waiting of those has waited
    scheduled: int  # waiting for a later time (a retry's backoff)
    running: int
    failed_last_hour: int

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)


def queue_status(now: datetime | None = None) -> QueueStatus:
    """The queue's figures in one query."""
    now = now or timezone.now()
    never = get_date_max()  # django-tasks-db's run_after for "as soon as possible"
    due = Q(status=TaskResultStatus.READY) & (Q(run_after=never) | Q(run_after__lte=now))
    # A job waits from when it became due: its enqueueing, or the time a retry was deferred to.
    due_since = Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))
    figures = DBTaskResult.objects.aggregate(
        waiting=Count("pk", filter=due),
        oldest=Min(due_since, filter=due),
        scheduled=Count("pk", filter=Q(status=TaskResultStatus.READY) & ~due),
        running=Count("pk", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count(
            "pk",
            filter=Q(status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(hours=1)),
        ),
    )
    oldest = figures["oldest"]
    return QueueStatus(
        waiting=figures["waiting"],
        oldest_waiting_seconds=None
        if oldest is None
        else max(0, int((now - oldest).total_seconds())),
        scheduled=figures["scheduled"],
        running=figures["running"],
        failed_last_hour=figures["failed"],
    )


def requeue_lost_jobs(now: datetime | None = None) -> tuple[int, int]:
    """Queue again every job whose worker is presumed dead; return (requeued, given up).

    django-tasks-db marks a job RUNNING when a worker claims it and leaves it so forever if the
    worker dies (SIGKILL, out of memory, a lost machine): nothing else would ever run it. A job
    RUNNING for longer than TASK_LEASE_SECONDS is taken as lost. Each claim appends the worker's
    id to `worker_ids`, so their count is the attempts made: below TASK_MAX_ATTEMPTS the job goes
    back to READY after an exponential backoff, otherwise it is marked FAILED with `WorkerLost`
    (a job that kills its worker every time must not kill every worker in turn).

    Safe with any number of workers reaping at once: each row changes only if it is still in
    the state it was read in (a compare-and-set), so one reaper wins and the others skip it.
    Jobs must be idempotent: a job that outlived the lease while its worker was alive, only slow,
    runs twice.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    lost = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - lease
    ).only("pk", "started_at", "worker_ids")
    requeued = given_up = 0
    for job in lost:
        attempts = len(job.worker_ids)
        unchanged = DBTaskResult.objects.filter(
            pk=job.pk, status=TaskResultStatus.RUNNING, started_at=job.started_at
        )
        if attempts >= settings.TASK_MAX_ATTEMPTS:
            given_up += unchanged.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"{WorkerLost.__qualname__}: the worker running this job stopped answering "
                    f"{attempts} times (each attempt passed TASK_LEASE_SECONDS="
                    f"{settings.TASK_LEASE_SECONDS} without finishing); not retried again.\n"
                ),
            )
        else:
            backoff = settings.TASK_RETRY_BACKOFF_SECONDS * 2 ** (attempts - 1)
            requeued += unchanged.update(
                status=TaskResultStatus.READY,
                started_at=None,
                run_after=now + timedelta(seconds=backoff),
            )
    return requeued, given_up
