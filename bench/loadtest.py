"""`make loadtest`: a crowd on the executive link while PDFs are downloaded and rendered (issue 6,
item 24; issue 15).

What it does, in order:

1. Builds a fresh PostgreSQL database of its own, `escalation_loadtest` (or LOADTEST_DB_NAME),
   on the server that DATABASE_URL names (default postgresql://postgres@127.0.0.1:5432/escalation;
   that database itself is never touched), seeded by bench/run.py's `seed`: among others an
   incident of 168 hourly updates with an executive link. Then issue 15's pathological brief:
   150 updates whose fields are each one unbroken word of 2,000 characters, with a link of its
   own. Only a server on this machine is accepted.
2. Starts gunicorn exactly as bench/run.py does, as README's production section says:
   `--preload`, 2 sync workers, DEBUG=0, on 127.0.0.1, and `manage.py worker` beside it, which
   renders every PDF. SHARE_LINK_PDF_LIMIT is raised: the PDF clients stand for executives on
   machines of their own but share 127.0.0.1 here.
3. The judged runs use an open-loop client model: every client is a thread with its own HTTP
   connection (http.client, reopened whenever the server closes it, as gunicorn's sync workers
   do after every response) that sends its requests on a schedule of its own, whether or not
   the server keeps up: the next send is due one interval (± 20% jitter) after the last one was
   *due*, not after it was answered. A client that falls behind sends at once and records how
   late it was, and slots still unsent at the end count as missed, so a slow server cannot pass
   by being sent less. Latency runs from the send to the last byte of the body (a new TCP
   connection's setup included).
   a. Unloaded: one executive client (/b/<token>, the full page) every 0.5 s ± 20%, and one on
      /healthz at the same pace, 10 s.
   b. The load, 60 s, all at once: 50 executive clients every 0.5 s ± 20% (about 100 requests
      a second, a crowd far busier than executives refreshing a page whose fragment polls once
      a minute), 5 clients on its stored PDF (/b/<token>/pdf) every 2 s ± 20%, 5 on the
      pathological brief's PDF every 2 s ± 20% (202 "Preparing" while the worker renders it,
      then the file, or its failure page if the render fails or times out), and one on
      /healthz every 0.5 s. A thread counts the renders by the processes briefs/pdf_engine.py
      forks from the task worker, and any forked from a gunicorn worker (there must be none).
4. Diagnostic, not judged: wrk's closed loop, 50 connections on the page and 5 on the PDF for
   15 s. Each connection sends its next request as soon as the last is answered, so 55
   connections keep 2 sync workers saturated and a request waits behind the others already
   queued (Little's law: mean latency = requests outstanding / throughput; the table shows it).
   That is 55 machines in a tight loop, not 55 people, hence not the judged run.
5. Requirements, on the open-loop runs: no 5xx (the pathological PDF's 503 "could not be
   prepared" counts only when its document records the failure), no socket error or timeout,
   every answer an expected one (a 404 or 429 would mean the wrong thing was measured), the
   load applied as scheduled (at least 95% of the scheduled requests sent, p95 lateness under
   a tenth of the interval), the executive link's and /healthz's p95 under load under 4 times
   their unloaded p95, no request under load held over 1 s, and no render in a web worker.
6. Prints one Markdown table, writes the figures to var/bench/loadtest.json, stops gunicorn and
   the worker, deletes the PDFs stored and drops its database whatever happened (Ctrl-C and
   SIGTERM included), and exits 1 when a requirement is missed.

`--threads N` runs gunicorn's gthread workers, which production does not, and says so in the
output. Run `.venv/bin/python bench/loadtest.py --help`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import signal
import string
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402  (bench/ is not a package; run.py is found through sys.path)
    BUDGET_SIZE,
    NOISY_SHARE,
    OUT,
    ROOT,
    Server,
    Target,
    bench_database,
    change_brief,
    children_of,
    close_connections,
    concurrently,
    cpu_shares,
    cpu_snapshot,
    discard_stored_pdfs,
    django_setup,
    ensure_tools,
    fetch,
    gunicorn,
    machine_meta,
    migrate_and_seed,
    ms,
    production_environment,
    rss_kb,
    task_worker,
    wait_for_pdf,
    wait_until_idle,
    wrk_command,
    wrk_result,
)

# LOADTEST_DB_NAME names another, so that two checkouts on one server keep apart.
LOADTEST_DATABASE = os.environ.get("LOADTEST_DB_NAME") or "escalation_loadtest"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/escalation"
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1"}
RESULT = OUT / "loadtest.json"

# Issue 6, item 24, as numbers. Change them only together with the issue.
PAGE_CLIENTS = 50
PDF_CLIENTS = 5
LOAD_SECONDS = 60
P95_FACTOR = 4.0  # the executive link's p95 under load stays under 4 times its unloaded p95
# Issue 15: a pathological brief whose PDF 5 clients request throughout; /healthz keeps the same
# p95 factor, and no request is held longer than this.
PATHOLOGICAL_UPDATES = 150
PATHOLOGICAL_WORD = 2000  # characters in each update's one unbroken word
PATHOLOGICAL_CLIENTS = 5
MAX_HELD_S = 1.0

# The open-loop clients' schedule: one request per interval, each interval drawn from ± JITTER.
PAGE_INTERVAL_S = 0.5  # 50 clients: about 100 page requests a second
PDF_INTERVAL_S = 2.0  # 5 clients: about 2.5 PDFs a second
JITTER = 0.20
CLIENT_TIMEOUT_S = 10.0  # as wrk's --timeout: a request unanswered by then is a socket error
# The load counts as applied when at least this share of the scheduled requests went out and
# 95% of them left less than this share of an interval late.
MIN_SENT_SHARE = 0.95
MAX_P95_LATENESS_SHARE = 0.10
SEED = 24  # the clients' jitter is reproducible

UNLOADED_SECONDS = 10
WRK_SECONDS = 15
# A render lasts hundreds of milliseconds (docs/scaling.md), so a 20 ms look misses none.
RENDER_POLL_SECONDS = 0.02


def say(message: str) -> None:
    print(f"loadtest: {message}", file=sys.stderr, flush=True)


def loadtest_database_url() -> str:
    """DATABASE_URL, or the default; refused unless it is PostgreSQL on this machine."""
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        sys.exit("loadtest: DATABASE_URL must name a PostgreSQL server (production's database)")
    if (parts.hostname or "") not in LOCAL_HOSTS:
        sys.exit(f"loadtest: all traffic stays on 127.0.0.1; {parts.hostname} is not local")
    return url


# --- The pathological brief (issue 15) --------------------------------------------------------


def seed_pathological(owner_id: int) -> tuple[str, str]:
    """An incident of PATHOLOGICAL_UPDATES updates, each an unbroken word of PATHOLOGICAL_WORD
    characters in both its fields: text a browser and WeasyPrint cannot break into lines, the
    worst a PDF render meets. Its public id and an executive link's token."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.models import User
    from django.db import transaction
    from django.utils import timezone

    from briefs.models import ImpactEstimate, Incident, IncidentUpdate, OperatingState
    from briefs.seed import order_outage_fields
    from briefs.services import share_link_create

    rng = random.Random(15)

    def word() -> str:
        return "".join(rng.choices(string.ascii_lowercase, k=PATHOLOGICAL_WORD))

    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=PATHOLOGICAL_UPDATES)
    owner = User.objects.get(pk=owner_id)
    with transaction.atomic():
        fields = order_outage_fields(start=start, now=now)
        fields["title"] = (
            f"Pathological brief: {PATHOLOGICAL_UPDATES} updates of "
            f"{PATHOLOGICAL_WORD:,}-character words"
        )
        incident = Incident.objects.create(owner=owner, **fields)
        ImpactEstimate.objects.create(
            incident=incident,
            author=owner,
            effective_at=start,
            revenue_per_hour=Decimal(48000),
            customers_affected=12000,
            confidence="low",
            basis="Orders per hour at the same time last week, times average order value.",
            created_at=start,
        )
        IncidentUpdate.objects.bulk_create(
            IncidentUpdate(
                incident=incident,
                sequence=hour + 1,
                posted_at=start + timedelta(hours=hour, minutes=30),
                author=owner,
                operating_state=OperatingState.DEGRADED,
                what_changed=word(),
                next_steps=word(),
                next_update_due=start + timedelta(hours=hour + 1, minutes=30),
            )
            for hour in range(PATHOLOGICAL_UPDATES)
        )
        _link, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    return str(incident.public_id), token


def pathological_document(public_id: str) -> dict[str, Any]:
    """What became of the pathological brief's stored PDF: rendered, failed (and why), or
    still waiting. A failed render is recorded here, and answered as such to its readers."""
    from briefs.models import PdfDocument

    document = PdfDocument.objects.filter(incident__public_id=public_id).first()
    if document is None:
        return {"status": "none"}
    return {
        "status": document.status,
        "failure": document.failure,
        "failure_detail": document.failure_detail[:300],
        "render_seconds": document.render_seconds,
        "stored": bool(document.file),
    }


# --- Counting cold PDFs ------------------------------------------------------------------------


class RenderWatcher(threading.Thread):
    """Every PDF is rendered in a child forked from the task worker (run_in_child in
    briefs/pdf_engine.py): distinct children seen under it are renders. A child under a
    gunicorn worker would be a render inside a web request, which must never happen."""

    def __init__(self, server: Server, worker_pid: int) -> None:
        super().__init__(name="render-watcher", daemon=True)
        self.server = server
        self.worker_pid = worker_pid
        self.seen: dict[int, list[float]] = {}  # child pid -> [first seen, last seen]
        self.in_web: set[int] = set()
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for child in children_of(self.worker_pid):
                self.seen.setdefault(child, [now, now])[1] = now
            for web in self.server.workers():
                self.in_web.update(children_of(web))
            self._stop.wait(RENDER_POLL_SECONDS)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self.join()
        # Seen from first to last look: the render lasted at least that, at most one look more.
        seconds = sorted(last - first + RENDER_POLL_SECONDS for first, last in self.seen.values())
        return {
            "renders": len(self.seen),
            "renders_in_web_workers": len(self.in_web),
            "seconds": [round(s, 3) for s in seconds],
            "longest_s": seconds[-1] if seconds else 0.0,
            "total_s": sum(seconds),
        }


# --- wrk, several at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    key: str
    target: Target
    connections: int


@contextmanager
def running(commands: list[list[str]]) -> Iterator[list[subprocess.Popen[str]]]:
    """Start every command at once; kill whatever is still running on the way out."""
    processes: list[subprocess.Popen[str]] = []
    try:
        for command in commands:
            processes.append(
                subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def run_together(
    server: Server, worker_pid: int, loads: list[Load], *, seconds: int
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """wrk runs started together against an idle server; their figures and the cold PDFs."""
    commands = [
        wrk_command(server, load.target, connections=load.connections, seconds=seconds)
        for load in loads
    ]
    waited = wait_until_idle(server)
    pids = [*server.pids(), worker_pid]  # the worker's renders, once reaped, too
    watcher = RenderWatcher(server, worker_pid)
    watcher.start()
    before = cpu_snapshot(pids, LOADTEST_DATABASE)
    try:
        with running(commands) as processes:
            outputs = []
            for process in processes:
                stdout, stderr = process.communicate(timeout=seconds + 60)
                if process.returncode != 0:
                    raise RuntimeError(f"wrk failed ({process.returncode}): {stderr.strip()}")
                outputs.append(stdout)
    finally:
        renders = watcher.stop()
    cpu = cpu_shares(before, cpu_snapshot(pids, LOADTEST_DATABASE))
    results = {}
    for load, stdout in zip(loads, outputs, strict=True):
        result = wrk_result(load.target, stdout, cpu)
        result["connections"] = load.connections
        result["seconds"] = seconds
        result["waited_for_idle_s"] = round(waited, 2)
        result["server_errors"] = sum(n for code, n in result["statuses"].items() if code >= 500)
        results[load.key] = result
    return results, renders


# --- Open-loop clients -------------------------------------------------------------------------


@dataclass(frozen=True)
class Crowd:
    """`clients` clients, each requesting `target` once every `interval_s` ± JITTER."""

    key: str
    target: Target
    clients: int
    interval_s: float
    # Answers as expected as target.expect: a PDF not stored yet answers 202, "Preparing".
    also: tuple[int, ...] = ()


@dataclass
class Client:
    """One client's record: a row per request sent, and the slots it never got to."""

    rows: list[tuple[float, float, float, int, str]]  # scheduled, sent, done, status, error
    missed: int = 0
    connections_opened: int = 0
    kept_alive: int = 0  # requests sent on a connection an earlier answer left open


def run_client(
    port: int, path: str, interval_s: float, rng: random.Random, start: float, end: float
) -> Client:
    """Send GET `path` on schedule from `start` until `end` over one HTTP connection.

    Open loop: each request is due one jittered interval after the previous one was due; when
    an answer comes back after the next is due, the next goes out at once and its lateness is
    recorded. Due slots left unsent at `end` count as missed."""
    client = Client(rows=[])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT_S)
    due = start + rng.uniform(0, interval_s)  # a random phase, so that the crowd is not in step
    try:
        while due < end:
            now = time.perf_counter()
            if now >= end:
                break
            if due > now:
                time.sleep(due - now)
            if connection.sock is None:
                client.connections_opened += 1
            else:
                client.kept_alive += 1
            sent = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status, error = response.status, ""
            except (OSError, http.client.HTTPException) as problem:
                status, error = 0, type(problem).__name__
                connection.close()  # the next request opens a new connection
            client.rows.append((due, sent, time.perf_counter(), status, error))
            due += interval_s * rng.uniform(1 - JITTER, 1 + JITTER)
        while due < end:
            client.missed += 1
            due += interval_s * rng.uniform(1 - JITTER, 1 + JITTER)
    finally:
        connection.close()
    return client


def percentiles(values: list[float]) -> dict[str, float]:
    """Nearest-rank p50/p95/p99, max and mean, in milliseconds, of values in seconds."""
    ordered = sorted(values)
    if not ordered:
        return {"mean": 0.0, "p50": 0.0, "p90": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}

    def rank(q: float) -> float:
        return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] * 1000

    return {
        "mean": sum(ordered) / len(ordered) * 1000,
        "p50": rank(50),
        "p90": rank(90),
        "p95": rank(95),
        "p99": rank(99),
        "max": ordered[-1] * 1000,
    }


def crowd_result(crowd: Crowd, clients: list[Client], seconds: float) -> dict[str, Any]:
    rows = [row for client in clients for row in client.rows]
    statuses: dict[int, int] = {}
    errors: dict[str, int] = {}
    for _due, _sent, _done, status, error in rows:
        if error:
            errors[error] = errors.get(error, 0) + 1
        else:
            statuses[status] = statuses.get(status, 0) + 1
    answered = [done - sent for _due, sent, done, status, _error in rows if status]
    missed = sum(client.missed for client in clients)
    scheduled = len(rows) + missed
    target = crowd.target
    expected = {target.expect, *crowd.also}
    unexpected = sum(n for code, n in statuses.items() if code not in expected)
    if not answered:
        unexpected += 1  # not one answer in the whole run is a failure, not a figure
    return {
        "label": target.label,
        "model": "open loop",
        "path": target.path.split("/b/")[0] + ("/b/<token>" if "/b/" in target.path else ""),
        "clients": crowd.clients,
        "interval_s": crowd.interval_s,
        "jitter": JITTER,
        "seconds": seconds,
        "offered_rps": crowd.clients / crowd.interval_s,
        "scheduled": scheduled,
        "requests": len(rows),
        "missed": missed,
        "sent_share": len(rows) / max(scheduled, 1),
        "rps": len(rows) / seconds,
        "answered_rps": len(answered) / seconds,
        # Send to the last byte of the body: what the requirement is judged on.
        "latency_ms": percentiles(answered),
        # From when the request was due: with lateness, what a person would have waited.
        "latency_from_due_ms": percentiles(
            [done - due for due, _sent, done, status, _error in rows if status]
        ),
        "lateness_ms": percentiles([sent - due for due, sent, _done, _status, _error in rows]),
        "statuses": statuses,
        "expected_status": target.expect,
        "also_expected": list(crowd.also),
        "unexpected_responses": unexpected,
        "server_errors": sum(n for code, n in statuses.items() if code >= 500),
        "socket_errors": sum(errors.values()),
        "socket_error_kinds": errors,
        "connections_opened": sum(client.connections_opened for client in clients),
        "requests_on_kept_alive_connections": sum(client.kept_alive for client in clients),
    }


def run_open_loop(
    server: Server, worker_pid: int, crowds: list[Crowd], *, seconds: int
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Every crowd's clients at once against an idle server; their figures and the cold PDFs."""
    waited = wait_until_idle(server)
    pids = [*server.pids(), worker_pid]  # the worker's renders, once reaped, too
    seeds = random.Random(SEED)
    start = time.perf_counter() + 0.2  # every thread started before the first slot is due
    end = start + seconds
    outcomes: dict[tuple[str, int], Client] = {}
    failures: list[str] = []

    def work(key: str, index: int, path: str, interval_s: float, rng: random.Random) -> None:
        try:
            outcomes[key, index] = run_client(server.port, path, interval_s, rng, start, end)
        except BaseException:
            failures.append(traceback.format_exc())

    threads = [
        threading.Thread(
            target=work,
            args=(crowd.key, i, crowd.target.path, crowd.interval_s, random.Random(seeds.random())),
            name=f"{crowd.key}-client-{i}",
            daemon=True,  # bounded by the join below; never holds the process up
        )
        for crowd in crowds
        for i in range(crowd.clients)
    ]
    watcher = RenderWatcher(server, worker_pid)
    watcher.start()
    before = cpu_snapshot(pids, LOADTEST_DATABASE)
    try:
        for thread in threads:
            thread.start()
        # A request sent just before the end has CLIENT_TIMEOUT_S to be answered.
        give_up = end + CLIENT_TIMEOUT_S + 5
        for thread in threads:
            thread.join(timeout=max(give_up - time.perf_counter(), 0))
    finally:
        renders = watcher.stop()
    cpu = cpu_shares(before, cpu_snapshot(pids, LOADTEST_DATABASE))
    stuck = [thread.name for thread in threads if thread.is_alive()]
    if stuck or failures:
        raise RuntimeError(f"clients failed or hung: {stuck} {''.join(failures)}")
    results = {}
    for crowd in crowds:
        clients = [outcomes[crowd.key, i] for i in range(crowd.clients)]
        result = crowd_result(crowd, clients, seconds)
        result["cpu_share"] = cpu
        result["waited_for_idle_s"] = round(waited, 2)
        results[crowd.key] = result
    return results, renders


# --- The server's log --------------------------------------------------------------------------


def read_server_log(log: Path) -> dict[str, Any]:
    """What gunicorn and the app said: worker restarts and tracebacks mean trouble even without
    a 5xx (a killed sync worker drops its connection instead of answering)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    booted = len(re.findall(r"Booting worker with pid", text))
    return {
        "path": str(log.relative_to(ROOT)),
        "workers_booted": booted,
        "worker_timeouts": len(re.findall(r"WORKER TIMEOUT", text)),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "error_lines": len(re.findall(r"\[(ERROR|CRITICAL)\]", text)),
        "pdf_failures": len(re.findall(r"PDF render (timed out|failed)", text)),
    }


# --- Requirements ------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


def p95(result: dict[str, Any]) -> float:
    return float(result["latency_ms"]["p95"])


# The open-loop runs; wrk's are diagnostics.
JUDGED = ("unloaded", "healthz_unloaded", "page", "pdf", "pathological", "healthz")
LOADED = ("page", "pdf", "pathological", "healthz")


def check_requirements(results: dict[str, Any]) -> list[Check]:
    runs: dict[str, dict[str, Any]] = {key: results["runs"][key] for key in JUDGED}
    server_errors = {key: run["server_errors"] for key, run in runs.items()}
    document = results["pathological_pdf"]
    failed_answers = runs["pathological"]["statuses"].get(503, 0)
    if document["status"] == "failed":
        # Its readers got the "could not be prepared" page (503) of a render that failed:
        # recorded in pathological_pdf, not a server error.
        server_errors["pathological"] -= failed_answers
    socket_errors = {key: run["socket_errors"] for key, run in runs.items()}
    unexpected = {
        key: run["unexpected_responses"] - run["server_errors"] for key, run in runs.items()
    }

    def listing(counts: dict[str, Any]) -> str:
        return ", ".join(f"{runs[key]['label']}: {n}" for key, n in counts.items())

    def applied(run: dict[str, Any]) -> bool:
        late = run["lateness_ms"]["p95"] / 1000
        return bool(
            run["sent_share"] >= MIN_SENT_SHARE
            and late < MAX_P95_LATENESS_SHARE * run["interval_s"]
        )

    schedule = {
        key: f"{run['requests']:,} of {run['scheduled']:,} sent ({run['sent_share']:.1%}), "
        f"p95 {run['lateness_ms']['p95']:.1f} ms late"
        for key, run in runs.items()
    }
    unloaded, loaded = p95(runs["unloaded"]), p95(runs["page"])
    health_unloaded, health_loaded = p95(runs["healthz_unloaded"]), p95(runs["healthz"])
    held = {key: runs[key]["latency_ms"]["max"] for key in LOADED}
    checks = [
        Check("No 5xx in any judged run", not any(server_errors.values()), listing(server_errors)),
        Check(
            "Every request answered (no socket error or timeout)",
            not any(socket_errors.values()),
            listing(socket_errors),
        ),
        Check(
            "Every answer the expected 200 (else the wrong thing was measured)",
            not any(unexpected.values()),
            listing(unexpected),
        ),
        Check(
            f"Load applied as scheduled (≥ {MIN_SENT_SHARE:.0%} of scheduled requests sent, "
            f"p95 lateness < {MAX_P95_LATENESS_SHARE:.0%} of the interval)",
            all(applied(run) for run in runs.values()),
            listing(schedule),
        ),
        Check(
            f"Executive link p95 under load < {P95_FACTOR:g}× unloaded p95",
            loaded < P95_FACTOR * unloaded,
            f"{loaded:.1f} ms under load vs {unloaded:.1f} ms unloaded = "
            f"{loaded / unloaded:.1f}× (limit {P95_FACTOR * unloaded:.1f} ms)",
        ),
        Check(
            f"/healthz p95 under load < {P95_FACTOR:g}× unloaded p95",
            health_loaded < P95_FACTOR * health_unloaded,
            f"{health_loaded:.1f} ms under load vs {health_unloaded:.1f} ms unloaded = "
            f"{health_loaded / health_unloaded:.1f}× (limit {P95_FACTOR * health_unloaded:.1f} ms)",
        ),
        Check(
            f"No request under load held over {MAX_HELD_S:g} s (send to last byte)",
            max(held.values()) <= MAX_HELD_S * 1000,
            ", ".join(f"{runs[key]['label']}: max {ms:,.0f} ms" for key, ms in held.items()),
        ),
        Check(
            "No PDF rendered in a web request (render processes under gunicorn's workers)",
            results["pdf_renders"]["renders_in_web_workers"] == 0,
            f"{results['pdf_renders']['renders_in_web_workers']} under gunicorn, "
            f"{results['pdf_renders']['renders']} under the task worker",
        ),
    ]
    return checks


def markdown(results: dict[str, Any], checks: list[Check]) -> str:
    meta = results["meta"]
    runs = results["runs"]
    renders = results["pdf_renders"]
    lines = [
        f"Escalation Briefs load test · {meta['database_version']} · {meta['cpu_count']} CPUs · "
        f"gunicorn {meta['gunicorn']} · commit {meta['git_commit'][:12]} · {meta['finished_at']}",
    ]
    if not meta["production_config"]:
        lines += ["", "**Not the production configuration** (see `gunicorn` above)."]
    lines += ["", "| measure | figure | requirement | result |", "|---|---|---|---|"]

    def row(measure: str, figure: str, requirement: str = "", result: str = "") -> None:
        lines.append(f"| {measure} | {figure} | {requirement or '–'} | {result or '–'} |")

    def verdict(name_part: str) -> str:
        found = [c for c in checks if name_part in c.name]
        return "pass" if all(c.passed for c in found) else "**FAIL**"

    base = p95(runs["unloaded"])

    def figure(run: dict[str, Any], *, relative: bool = True) -> str:
        latency = run["latency_ms"]
        text = (
            f"{run['rps']:,.1f} req/s · p50 {latency['p50']:.1f} · p95 {latency['p95']:.1f} · "
            f"p99 {latency['p99']:.1f} · max {latency['max']:.0f} ms"
        )
        if relative:
            text += f" (p95 {latency['p95'] / base:.1f}× unloaded)"
        statuses = ", ".join(f"{n:,}×{code}" for code, n in sorted(run["statuses"].items()))
        errors = f"; {run['socket_errors']:,} socket errors" if run["socket_errors"] else ""
        return f"{text}; {statuses or 'no answers'}{errors}"

    def healthy(run: dict[str, Any]) -> str:
        bad = run["unexpected_responses"] or run["socket_errors"]
        return "**FAIL**" if bad else "pass"

    def crowd(run: dict[str, Any]) -> str:
        return (
            f"{run['clients']} client{'s' if run['clients'] > 1 else ''} × 1 req every "
            f"{run['interval_s']:g} s ± {run['jitter']:.0%} (offered {run['offered_rps']:g} "
            f"req/s) × {run['seconds']} s"
        )

    unloaded, page, pdf = runs["unloaded"], runs["page"], runs["pdf"]
    pathological, health = runs["pathological"], runs["healthz"]
    health_base = p95(runs["healthz_unloaded"])
    row(
        f"Executive link (/b/<token>), unloaded: {crowd(unloaded)}",
        figure(unloaded, relative=False),
        "no 5xx",
        healthy(unloaded),
    )
    row(
        f"/healthz, unloaded (beside the above): {crowd(runs['healthz_unloaded'])}",
        figure(runs["healthz_unloaded"], relative=False),
        "no 5xx",
        healthy(runs["healthz_unloaded"]),
    )
    row(
        f"**Executive link under load: {crowd(page)}, with the PDF clients below**",
        figure(page),
        f"no 5xx; p95 < {P95_FACTOR:g}× unloaded = {P95_FACTOR * base:.1f} ms",
        "pass"
        if healthy(page) == "pass" and verdict("Executive link p95") == "pass"
        else "**FAIL**",
    )
    row(
        f"Stored PDF download (/b/<token>/pdf) at the same time: {crowd(pdf)}",
        figure(pdf, relative=False),
        "no 5xx",
        healthy(pdf),
    )
    document = results["pathological_pdf"]
    outcome = document["status"]
    if document.get("failure"):
        outcome += f" ({document['failure']}: {document['failure_detail'][:80]})"
    if document.get("render_seconds") is not None:
        outcome += f", render {ms(document['render_seconds'])}"
    row(
        f"Pathological brief's PDF ({PATHOLOGICAL_UPDATES} updates of {PATHOLOGICAL_WORD:,}-"
        f"character words) through its executive link at the same time: {crowd(pathological)}",
        f"{figure(pathological, relative=False)}; its document: {outcome}",
        "no 5xx (a failed render's page is recorded, not a server error)",
        healthy(pathological),
    )
    row(
        f"**/healthz under load: {crowd(health)}**",
        f"{figure(health, relative=False)} (p95 {p95(health) / health_base:.1f}× unloaded)",
        f"p95 < {P95_FACTOR:g}× unloaded = {P95_FACTOR * health_base:.1f} ms",
        "pass" if healthy(health) == "pass" and verdict("/healthz p95") == "pass" else "**FAIL**",
    )
    row(
        "Longest request under load (all clients, send to last byte)",
        ", ".join(
            f"{runs[key]['label']} {runs[key]['latency_ms']['max']:,.0f} ms" for key in LOADED
        ),
        f"≤ {MAX_HELD_S * 1000:,.0f} ms",
        verdict("held over"),
    )
    schedule = []
    for name, run in (
        ("unloaded", unloaded),
        ("page", page),
        ("PDF", pdf),
        ("pathological PDF", pathological),
        ("/healthz", health),
    ):
        late = run["lateness_ms"]
        schedule.append(
            f"{name}: {run['requests']:,} of {run['scheduled']:,} sent ({run['sent_share']:.1%}), "
            f"{run['rps']:.1f} of {run['offered_rps']:g} req/s offered, late p50 "
            f"{late['p50']:.1f} · p95 {late['p95']:.1f} · max {late['max']:.0f} ms"
        )
    row(
        "Load applied as scheduled (lateness: actual send after the due time)",
        "; ".join(schedule),
        f"≥ {MIN_SENT_SHARE:.0%} sent; p95 lateness < {MAX_P95_LATENESS_SHARE:.0%} of the interval",
        verdict("Load applied"),
    )
    row(
        "Executive link under load, latency from the due time (lateness included)",
        "p95 {p95:.1f} · p99 {p99:.1f} · max {max:.0f} ms".format(**page["latency_from_due_ms"]),
    )
    opened = sum(runs[key]["connections_opened"] for key in LOADED)
    kept = sum(runs[key]["requests_on_kept_alive_connections"] for key in LOADED)
    row(
        "Connections under load (each client keeps one open when the server lets it)",
        f"{opened:,} TCP connections opened, {kept:,} requests on a kept-alive one "
        "(gunicorn's sync workers close the connection after every answer)",
    )
    row(
        "PDF renders during the load (processes forked by the task worker)",
        f"{renders['renders']} renders; longest {ms(renders['longest_s'])}, together "
        f"{ms(renders['total_s'])}; {renders['renders_in_web_workers']} in a web worker",
        "none in a web worker",
        verdict("No PDF rendered in a web request"),
    )
    share = page["cpu_share"]
    row(
        "CPU share during the load (of all CPUs)",
        f"gunicorn and the task worker {share['gunicorn']:.0%} · PostgreSQL "
        f"{share['database']:.0%} · the clients (this script) {share['bench']:.0%} · others "
        f"{share['others']:.0%}",
    )
    if "wrk_page" in runs:
        wrk_page, wrk_pdf = runs["wrk_page"], runs["wrk_pdf"]
        row(
            f"Diagnostic, not judged: wrk closed loop, {wrk_page['connections']} conn on the "
            f"executive link × {wrk_page['seconds']} s, with {wrk_pdf['connections']} on the PDF",
            figure(wrk_page),
            "–",
            f"reported ({healthy(wrk_page)})",
        )
        row(
            f"Diagnostic, not judged: wrk closed loop, {wrk_pdf['connections']} conn on the PDF",
            figure(wrk_pdf, relative=False),
            "–",
            f"reported ({healthy(wrk_pdf)})",
        )
        total_rps = wrk_page["rps"] + wrk_pdf["rps"]
        if total_rps:
            outstanding = wrk_page["connections"] + wrk_pdf["connections"]
            row(
                "wrk's Little's law: requests always outstanding / total throughput",
                f"{outstanding} / {total_rps:,.0f} req/s = mean "
                f"{outstanding / total_rps * 1000:.1f} ms per request: saturation queueing "
                f"({wrk_page['rps'] / page['rps']:.0f}× the open-loop page rate)",
            )
    log = results["server_log"]
    row(
        "gunicorn log (whole test)",
        f"{log['workers_booted']} workers booted, {log['worker_timeouts']} worker timeouts, "
        f"{log['tracebacks']} tracebacks, {log['pdf_failures']} PDF failures",
    )
    quiet = unloaded["cpu_share"]["others"]
    if max(share["others"], quiet) > NOISY_SHARE:
        lines += [
            "",
            f"Noise: processes outside the test used {quiet:.0%} of the machine's CPUs during the "
            f"unloaded run and {share['others']:.0%} during the load (`cpu_share` in "
            "loadtest.json): absolute figures are low by about that much, the ratio less so.",
        ]
    failed = [c for c in checks if not c.passed]
    missed = "; ".join(f"{c.name} ({c.detail})" for c in failed)
    lines += [
        "",
        f"{len(checks) - len(failed)} of {len(checks)} requirements met"
        + ("." if not failed else ": missed " + missed),
    ]
    return "\n".join(lines)


# --- Main --------------------------------------------------------------------------------------


def stop_on_sigterm() -> None:
    """SIGTERM ends the run like Ctrl-C: through every `finally`, so gunicorn stops and the
    database is dropped."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=LOAD_SECONDS, help="length of the load")
    parser.add_argument(
        "--wrk-seconds",
        type=int,
        default=WRK_SECONDS,
        help="length of the diagnostic wrk closed-loop run (0 leaves it out)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker; above 1 is gthread, NOT production's configuration",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=0,
        help="run the task worker under `nice -n N`; NOT production's configuration",
    )
    parser.add_argument(
        "--keep-database", action="store_true", help="leave escalation_loadtest behind"
    )
    args = parser.parse_args()
    stop_on_sigterm()

    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    ensure_tools(chromium=False)
    os.environ["DATABASE_URL"] = loadtest_database_url()
    database = bench_database(LOADTEST_DATABASE)
    say(f"building a fresh PostgreSQL database, {LOADTEST_DATABASE}")
    database.create()
    env = {
        **production_environment(database),
        # The PDF clients stand for executives on machines of their own; here they share
        # 127.0.0.1, which production's per-link, per-client limit (30 a minute) would refuse.
        "SHARE_LINK_PDF_LIMIT": "100000000",
    }
    django_setup(env)
    from django.db import connection

    production = args.threads <= 1 and not args.worker_nice
    extra = () if args.threads <= 1 else ("--threads", str(args.threads))
    gunicorn_label = "--preload --workers 2 (sync)"
    if args.threads > 1:
        gunicorn_label = f"--preload --workers 2 --threads {args.threads} (gthread)"
    if args.worker_nice:
        gunicorn_label += f", task worker under nice -n {args.worker_nice}"
    results: dict[str, Any] = {"runs": {}}
    server_log = OUT / "loadtest-gunicorn.log"
    try:
        world = migrate_and_seed()
        strange_id, strange_token = seed_pathological(world.owner_id)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database_version = f"PostgreSQL {cursor.fetchone()[0]}"
        # This process is the clients' side now: it holds no connection during the load.
        close_connections()
        say(f"seeded {world.rows} and the pathological brief in {time.monotonic() - started:.0f} s")

        token = world.tokens[BUDGET_SIZE]
        page = Target("page", f"Executive link, {BUDGET_SIZE} updates", f"/b/{token}", {})
        pdf = Target("pdf", f"Stored PDF, {BUDGET_SIZE} updates", f"/b/{token}/pdf", {})
        strange = Target("pathological", "Pathological brief's PDF", f"/b/{strange_token}/pdf", {})
        health = Target("healthz", "/healthz", "/healthz", {})
        with (
            gunicorn(env, name="loadtest-gunicorn", extra_args=extra) as server,
            task_worker(env, name="loadtest-worker", nice=args.worker_nice) as worker,
        ):
            say(f"gunicorn ({gunicorn_label}) and a worker on port {server.port}; warming up")
            # Both workers: the page's cached fragment. The 168-update PDF is stored before
            # the load (the worker renders it on the first request); the pathological one is
            # first asked for during the load.
            answers = concurrently([lambda: fetch(server, page.path)] * 4)
            for answer in answers:
                if answer.status != 200:
                    raise RuntimeError(f"warm-up got {answer.status}; see {server.log}")
            wait_for_pdf(server, pdf.path, {})
            # Creating the pathological brief enqueued its render; let it end (stored or
            # failed), so that the load starts with an idle worker and the change below.
            settled = time.monotonic() + 120
            while fetch(server, strange.path).status == 202 and time.monotonic() < settled:
                time.sleep(0.2)

            say(f"unloaded: 1 client every {PAGE_INTERVAL_S:g} s, and one on /healthz")
            runs, _ = run_open_loop(
                server,
                worker.pid,
                [
                    Crowd("unloaded", page, 1, PAGE_INTERVAL_S),
                    Crowd("healthz_unloaded", health, 1, PAGE_INTERVAL_S),
                ],
                seconds=UNLOADED_SECONDS,
            )
            runs["unloaded"]["label"] += ", unloaded"
            runs["healthz_unloaded"]["label"] += ", unloaded"
            results["runs"].update(runs)
            say(f"unloaded p95 {p95(runs['unloaded']):.1f} ms")
            # The pathological brief changes as the load starts: its PDF clients' first request
            # enqueues the render, and they wait on "Preparing" while the worker renders.
            change_brief(strange_id)
            close_connections()
            say(
                f"load: {PAGE_CLIENTS} clients on the page every {PAGE_INTERVAL_S:g} s, "
                f"{PDF_CLIENTS} on its PDF and {PATHOLOGICAL_CLIENTS} on the pathological PDF "
                f"every {PDF_INTERVAL_S:g} s, 1 on /healthz, {args.seconds} s"
            )
            runs, renders = run_open_loop(
                server,
                worker.pid,
                [
                    Crowd("page", page, PAGE_CLIENTS, PAGE_INTERVAL_S),
                    Crowd("pdf", pdf, PDF_CLIENTS, PDF_INTERVAL_S),
                    # 202 while the worker renders it; 503 if the render failed (checked
                    # against the document's recorded failure).
                    Crowd(
                        "pathological",
                        strange,
                        PATHOLOGICAL_CLIENTS,
                        PDF_INTERVAL_S,
                        also=(202, 503),
                    ),
                    Crowd("healthz", health, 1, PAGE_INTERVAL_S),
                ],
                seconds=args.seconds,
            )
            runs["page"]["label"] += " under load"
            runs["healthz"]["label"] += " under load"
            results["runs"].update(runs)
            results["pdf_renders"] = renders
            results["pathological_pdf"] = pathological_document(strange_id)
            close_connections()
            say(
                f"under load: page p95 {p95(runs['page']):.1f} ms at {runs['page']['rps']:.1f} "
                f"req/s, PDF p95 {p95(runs['pdf']):.1f} ms, /healthz p95 "
                f"{p95(runs['healthz']):.1f} ms, {renders['renders']} renders; pathological "
                f"PDF: {results['pathological_pdf']['status']}"
            )
            if args.wrk_seconds:
                say(
                    f"diagnostic: wrk closed loop, {PAGE_CLIENTS} connections on the page and "
                    f"{PDF_CLIENTS} on the PDF, {args.wrk_seconds} s"
                )
                runs, wrk_renders = run_together(
                    server,
                    worker.pid,
                    [Load("wrk_page", page, PAGE_CLIENTS), Load("wrk_pdf", pdf, PDF_CLIENTS)],
                    seconds=args.wrk_seconds,
                )
                for run in runs.values():
                    run["model"] = "closed loop (wrk), diagnostic, not judged"
                results["runs"].update(runs)
                results["wrk_pdf_renders"] = wrk_renders
                say(f"wrk: page p95 {p95(runs['wrk_page']):.1f} ms")
            worker_rss = [round(rss_kb(pid) / 1024) for pid in server.workers()]
        results["server_log"] = read_server_log(server_log)
        results["meta"] = {
            **machine_meta(),
            "database_version": database_version,
            "gunicorn": gunicorn_label,
            "production_config": production,
            "worker_rss_mb_after": worker_rss,
            "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "duration_s": round(time.monotonic() - started, 1),
        }
    except BaseException:
        results["error"] = traceback.format_exc()
        if server_log.exists():
            results["server_log"] = read_server_log(server_log)
        RESULT.write_text(json.dumps(results, indent=2, default=str) + "\n")
        say(f"failed; partial figures in {RESULT.relative_to(ROOT)}")
        raise
    finally:
        if not args.keep_database:
            discard_stored_pdfs()
        close_connections()
        if not args.keep_database:
            database.drop()
            say(f"dropped {LOADTEST_DATABASE}")

    checks = check_requirements(results)
    results["requirements"] = [vars(check) for check in checks]
    table = markdown(results, checks)
    results["table"] = table
    RESULT.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table)
    say(f"wrote {RESULT.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0 if all(check.passed for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
