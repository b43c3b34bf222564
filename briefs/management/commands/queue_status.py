"""`manage.py queue_status [--json] [--ping SECONDS]`: the task queue's figures, and whether a
worker is taking jobs (README, "Workers")."""

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.tasks import TaskResultStatus

from briefs.task_queue import queue_status
from briefs.tasks import heartbeat


class Command(BaseCommand):
    help = "Show the task queue: waiting jobs and the oldest one's age, running, recent failures"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="one JSON object, as /healthz"
        )
        parser.add_argument(
            "--ping",
            type=float,
            metavar="SECONDS",
            help="also queue a heartbeat job and exit 1 unless a worker runs it within SECONDS",
        )

    def handle(self, *args: Any, as_json: bool, ping: float | None, **options: Any) -> None:
        status = queue_status().as_dict()
        if as_json:
            self.stdout.write(json.dumps(status))
        else:
            for name, value in status.items():
                shown = "-" if value is None else value
                self.stdout.write(f"{name.replace('_', ' ')}: {shown}")
        if ping is not None:
            self._ping(ping)

    def _ping(self, seconds: float) -> None:
        result = heartbeat.enqueue()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            result.refresh()
            if result.status == TaskResultStatus.SUCCESSFUL:
                self.stdout.write(f"worker: alive (heartbeat {result.id} done)")
                return
            time.sleep(0.2)
        raise CommandError(
            f"no worker ran the heartbeat job {result.id} within {seconds:g} s "
            f"(its status: {result.status}); is `manage.py worker` running?"
        )
