"""`manage.py worker`: django-tasks-db's `db_worker`, plus the reaper of jobs lost with a worker.

Takes db_worker's options (`--help`). django-tasks-db leaves the job of a worker that died
RUNNING forever; this command queues such jobs again when it starts and every little while after
(briefs/task_queue.py), so a crash loses nothing whether or not another worker is busy.
"""

import logging
import os
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from briefs.notifications import send_due
from briefs.task_queue import requeue_lost_jobs

logger = logging.getLogger("briefs.worker")


def reap() -> None:
    try:
        requeued, given_up = requeue_lost_jobs()
        # Notifications whose task was lost (or never deferred): briefs.notifications.
        send_due()
    except DatabaseError:
        # The database is down or busy: the next round tries again, and the worker's own loop
        # reports the outage.
        logger.exception("Could not look for jobs lost with their worker")
        return
    finally:
        # This thread's own connection: a sleeping thread must not hold one from the pool.
        connection.close()
    if requeued or given_up:
        logger.warning(
            "Jobs lost with their worker: %d queued again, %d given up (TASK_MAX_ATTEMPTS=%d)",
            requeued,
            given_up,
            settings.TASK_MAX_ATTEMPTS,
        )


def reap_forever(interval: float) -> None:
    while True:
        time.sleep(interval)
        reap()


class Command(db_worker.Command):
    help = "Run a background worker (django-tasks-db's db_worker) that also re-queues lost jobs"

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        # db_worker looks for a job once a second when idle; a posted update must reach a
        # downloadable PDF within 2 s (make bench), and the render takes about one of them.
        parser.set_defaults(interval=settings.TASK_POLL_SECONDS)

    def handle(self, *args: Any, **options: Any) -> None:
        # Under the autoreloader (the default in DEBUG) this process only watches files and
        # restarts the real worker, its child, which reaps; the watcher must not.
        if not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            reap()
            # A lost job waits at most half a lease beyond its lease.
            interval = max(1.0, min(60.0, settings.TASK_LEASE_SECONDS / 2))
            threading.Thread(
                target=reap_forever, args=(interval,), name="reaper", daemon=True
            ).start()
        super().handle(*args, **options)
