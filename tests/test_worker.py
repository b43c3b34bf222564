"""The task queue: real worker processes, jobs lost with a worker, and the queue's figures."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from pytest_django.fixtures import Settings

from briefs.task_queue import WorkerLost, queue_status, requeue_lost_jobs
from briefs.tasks import heartbeat
from tests.worker_tasks import wait_for

pytestmark = pytest.mark.real_queue


def _database_url() -> str:
    """The test database, as a worker process started by the test must find it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = quote(db["PASSWORD"] or "")
    return f"postgresql://{user}:{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def _worker(log: Path, **environment: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "1", **environment}
    command = ["manage.py", "worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)


def _wait(condition: Callable[[], bool], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {seconds} s; the worker said:\n{log.read_text()}")
        time.sleep(0.1)


def _status(result_id: str) -> str:
    return DBTaskResult.objects.get(pk=result_id).status


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_runs_a_queued_job(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    result = heartbeat.enqueue()
    assert result.status == TaskResultStatus.READY
    with _worker(log):
        _wait(lambda: _status(result.id) == TaskResultStatus.SUCCESSFUL, log)
    result.refresh()
    assert result.return_value == "ok"
    assert len(result.worker_ids) == 1


@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_runs_again_on_the_next_worker(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    release = tmp_path / "release"
    attempts = release.with_suffix(".attempts")
    result = wait_for.enqueue(str(release))
    with _worker(log) as first:
        _wait(attempts.exists, log)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    # What django-tasks-db leaves behind: the job RUNNING, with nobody running it.
    lost = DBTaskResult.objects.get(pk=result.id)
    assert lost.status == TaskResultStatus.RUNNING
    claimed = lost.started_at
    assert claimed is not None
    release.write_text("done")
    # The next worker's lease is 1 s; it takes over once that much has passed since the claim.
    _wait(lambda: timezone.now() - claimed > timedelta(seconds=1.2), log)
    with _worker(log, TASK_LEASE_SECONDS="1", TASK_RETRY_BACKOFF_SECONDS="0"):
        _wait(lambda: _status(result.id) == TaskResultStatus.SUCCESSFUL, log)
    result.refresh()
    assert result.return_value == "done"
    assert len(result.worker_ids) == 2
    assert attempts.read_text() == "started\nstarted\n"
    assert "queued again" in log.read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _deepest_child(pid: int) -> int:
    """The last process down `pid`'s line of first children (sh, autoreloader, worker)."""
    while children := Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        pid = int(children[0])
    return pid


@pytest.mark.django_db(transaction=True)
def test_make_runs_web_and_worker_together_and_a_dead_worker_stops_both_visibly(
    tmp_path: Path,
) -> None:
    # What `make run` starts after its migrations and demo (Makefile, Procfile.dev).
    log = tmp_path / "run.log"
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": _database_url(), "DEBUG": "1"}
    command = [".venv/bin/honcho", "--no-colour", "start", "--env", "/dev/null"]
    command += ["--procfile", "Procfile.dev", "--port", str(port)]
    with log.open("wb") as output:
        run = subprocess.Popen(
            command,
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        job = heartbeat.enqueue()
        _wait(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), log, seconds=60)
        _wait(lambda: _status(job.id) == TaskResultStatus.SUCCESSFUL, log, seconds=60)
        started = re.search(r"worker\.1 started \(pid=(\d+)\)", log.read_text())
        assert started, log.read_text()
        # As the kernel's out-of-memory killer would.
        os.kill(_deepest_child(int(started[1])), signal.SIGKILL)
        assert run.wait(timeout=30) != 0
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    said = log.read_text()
    assert re.search(r"worker\.1 stopped \(rc=\d+\)", said), said
    assert "sending SIGTERM to web.1" in said
    assert not _answers(f"http://127.0.0.1:{port}/healthz")


def _job(**fields: Any) -> DBTaskResult[..., Any]:
    job = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="briefs.tasks.heartbeat",
        backend_name="default",
        run_after=fields.pop("run_after", get_date_max()),
    )
    # enqueued_at is auto_now_add: set it (and the rest) after the insert.
    DBTaskResult.objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def test_lost_jobs_are_queued_again_with_backoff_then_given_up(
    db: None, settings: Settings
) -> None:
    settings.TASK_LEASE_SECONDS = 300
    settings.TASK_MAX_ATTEMPTS = 3
    settings.TASK_RETRY_BACKOFF_SECONDS = 30
    now = timezone.now()
    long_ago = now - timedelta(seconds=301)
    once = _job(status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["a"])
    twice = _job(status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["a", "b"])
    thrice = _job(status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["a", "b", "c"])
    busy = _job(status=TaskResultStatus.RUNNING, started_at=now - timedelta(seconds=299))

    assert requeue_lost_jobs(now) == (2, 1)

    for job in (once, twice, thrice, busy):
        job.refresh_from_db()
    assert (once.status, once.run_after) == ("READY", now + timedelta(seconds=30))
    assert (twice.status, twice.run_after) == ("READY", now + timedelta(seconds=60))
    assert once.started_at is None
    assert thrice.status == "FAILED"
    assert thrice.exception_class_path == "briefs.task_queue.WorkerLost"
    assert "3 times" in thrice.traceback
    assert thrice.task_result.errors[0].exception_class is WorkerLost
    assert busy.status == "RUNNING"
    # A second reaper finds nothing left to do.
    assert requeue_lost_jobs(now) == (0, 0)


def _some_of_everything() -> timedelta:
    """Two due jobs (the older waiting 5 minutes), one deferred, one running, failures."""
    now = timezone.now()
    _job(enqueued_at=now - timedelta(minutes=5))
    _job(enqueued_at=now - timedelta(minutes=1))
    _job(enqueued_at=now - timedelta(hours=1), run_after=now + timedelta(minutes=2))
    _job(status=TaskResultStatus.RUNNING, started_at=now)
    _job(status=TaskResultStatus.FAILED, finished_at=now - timedelta(minutes=10))
    _job(status=TaskResultStatus.FAILED, finished_at=now - timedelta(hours=2))
    _job(status=TaskResultStatus.SUCCESSFUL, finished_at=now)
    return timedelta(minutes=5)


EXPECTED = {"waiting": 2, "scheduled": 1, "running": 1, "failed_last_hour": 1}


def test_queue_status_counts_waiting_scheduled_running_and_recent_failures(db: None) -> None:
    _some_of_everything()
    status = queue_status().as_dict()
    oldest = status.pop("oldest_waiting_seconds")
    assert status == EXPECTED
    assert oldest is not None and 300 <= oldest < 310


def test_queue_status_of_an_empty_queue_has_no_oldest_job(db: None) -> None:
    assert queue_status().oldest_waiting_seconds is None


def test_queue_status_command_prints_the_figures(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    _some_of_everything()
    call_command("queue_status", "--json")
    printed = json.loads(capsys.readouterr().out)
    assert {name: printed[name] for name in EXPECTED} == EXPECTED
    call_command("queue_status")
    assert "waiting: 2\n" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_queue_status_ping_fails_without_a_worker() -> None:
    with pytest.raises(CommandError, match="no worker ran the heartbeat job"):
        call_command("queue_status", "--ping", "0.3")


def test_healthz_detail_reports_the_queue(client: Client, db: None) -> None:
    _some_of_everything()
    body = client.get("/healthz?detail=1").json()
    assert body["status"] == "ok"
    queue = body["queue"]
    assert {name: queue[name] for name in EXPECTED} == EXPECTED
    assert 300 <= queue["oldest_waiting_seconds"] < 310
    assert "queue" not in client.get("/healthz").json()


def test_the_admin_lists_tasks(admin_client: Client, db: None) -> None:
    _job(status=TaskResultStatus.FAILED, finished_at=timezone.now())
    response = admin_client.get("/admin/django_tasks_database/dbtaskresult/")
    assert response.status_code == 200
    assert b"heartbeat" in response.content


def test_with_the_immediate_backend_a_job_runs_where_it_is_enqueued(settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert heartbeat.enqueue().return_value == "ok"


def test_compose_runs_workers_that_scale_like_the_web_tier() -> None:
    compose = (Path(django_settings.BASE_DIR) / "docker-compose.yml").read_text()
    worker = compose.split("\n  worker:\n", 1)[1].split("\n\n", 1)[0]
    assert 'command: ["python", "manage.py", "worker"]' in worker
    assert "environment: *app-environment" in worker
    assert "replicas: ${WORKER_REPLICAS:-1}" in worker
    assert "ports:" not in worker


def test_compose_web_and_workers_share_the_stored_pdfs() -> None:
    # The workers write the PDFs the web tier streams: without one volume a download would
    # find no file and ask for the render again, forever.
    root = Path(django_settings.BASE_DIR)
    compose = (root / "docker-compose.yml").read_text()
    for service in ("web", "worker"):
        block = compose.split(f"\n  {service}:\n", 1)[1].split("\n\n", 1)[0]
        assert "- pdfs:/app/var/pdfs" in block, service
    assert "\n  pdfs:" in compose.split("\nvolumes:\n")[-1]
    assert "mkdir -p /app/var/pdfs" in (root / "Dockerfile").read_text()


def test_an_idle_worker_looks_for_jobs_as_often_as_the_setting_says(settings: Settings) -> None:
    # db_worker's own default is a second; a posted update's PDF must be ready within two.
    from briefs.management.commands.worker import Command

    settings.TASK_POLL_SECONDS = 0.1
    options = Command().create_parser("manage.py", "worker").parse_args([])
    assert options.interval == 0.1
