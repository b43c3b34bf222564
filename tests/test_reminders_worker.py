"""A real worker process sends a deferred reminder at its time, not before (issue 16)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from briefs.models import Incident, UpdateReminder
from briefs.services import update_post
from tests.test_worker import _wait, _worker

pytestmark = pytest.mark.real_queue


@pytest.mark.django_db(transaction=True)
def test_a_worker_sends_the_due_reminder_when_its_time_comes(
    tmp_path: Path, settings: Settings, incident: Incident, owner: User
) -> None:
    settings.REMINDER_LEAD_MINUTES = 1
    # Nobody has an email here: the mail is tests/test_reminders.py's; this is about the time.
    posted = timezone.now()
    due = posted + timedelta(minutes=1, seconds=3)
    update_post(incident=incident, author=owner, what_changed="Rolled back.", next_update_due=due)
    jobs = DBTaskResult.objects.filter(task_path="briefs.tasks.send_update_reminder")
    assert sorted(job.run_after for job in jobs) == [due - timedelta(minutes=1), due]
    log = tmp_path / "worker.log"
    with _worker(log, REMINDER_LEAD_MINUTES="1"):
        _wait(lambda: jobs.filter(status=TaskResultStatus.SUCCESSFUL).exists(), log)
    reminder = UpdateReminder.objects.get()
    assert reminder.kind == "reminder_due"
    assert reminder.claimed_at >= due - timedelta(minutes=1)
    done = jobs.get(status=TaskResultStatus.SUCCESSFUL)
    assert done.return_value == "queued"
    # The overdue one waits for its own time.
    assert jobs.get(status=TaskResultStatus.READY).run_after == due
