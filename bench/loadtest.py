"""`make loadtest`: a crowd on the executive link while PDFs are exported (issue 6, item 24).

What it does, in order:

1. Builds a fresh PostgreSQL database of its own, `escalation_loadtest`, on the server that
   DATABASE_URL names (default postgresql://postgres@127.0.0.1:5432/escalation; that database
   itself is never touched), seeded by bench/run.py's `seed`: among others an incident of 168
   hourly updates with an executive link. Only a server on this machine is accepted.
2. Starts gunicorn exactly as bench/run.py does, as README's production section says:
   `--preload`, 2 sync workers, DEBUG=0, on 127.0.0.1.
3. Measures the executive link (/b/<token>, the full page) unloaded: wrk, 1 connection, 10 s.
4. Diagnostic, no requirement: the same page with 50 connections and nothing else, 15 s, so
   that queueing and the PDF clients' share of the slowdown can be told apart.
5. The load: for 60 s at once, wrk with 50 connections on /b/<token> and wrk with 5 on
   /b/<token>/pdf. PDFs are cached per brief version and minute, so most are warm; a thread
   counts the cold ones by the render processes briefs/pdf.py forks from the workers.
6. Requirements: no 5xx, no socket error or timeout, every answer the expected 200 (a 404 or 429
   would mean the wrong thing was measured), and the executive link's p95 under load under 4
   times its unloaded p95.
7. Prints one Markdown table, writes the figures to var/bench/loadtest.json, stops gunicorn and
   drops its database whatever happened (Ctrl-C and SIGTERM included), and exits 1 when a
   requirement is missed.

wrk is a closed loop: each connection sends its next request as soon as the last is answered,
so 55 connections keep 2 sync workers saturated and a request waits behind the others already
queued (Little's law: mean latency = requests outstanding / throughput; the table shows it).
The diagnostic run of step 4 tells that queueing apart from what the PDF clients add.

`--threads N` runs gunicorn's gthread workers, which production does not, and says so in the
output. Run `.venv/bin/python bench/loadtest.py --help`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
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
    children_of,
    close_connections,
    command_output,
    concurrently,
    cpu_shares,
    cpu_snapshot,
    django_setup,
    ensure_tools,
    fetch,
    git_commit,
    gunicorn,
    ms,
    production_environment,
    rss_kb,
    seed,
    wait_until_idle,
    wrk_command,
    wrk_result,
)

LOADTEST_DATABASE = "escalation_loadtest"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/escalation"
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1"}
RESULT = OUT / "loadtest.json"

# Issue 6, item 24, as numbers. Change them only together with the issue.
PAGE_CLIENTS = 50
PDF_CLIENTS = 5
LOAD_SECONDS = 60
P95_FACTOR = 4.0  # the executive link's p95 under load stays under 4 times its unloaded p95

UNLOADED_SECONDS = 10
ALONE_SECONDS = 15
# A cold render lasts hundreds of milliseconds (docs/scaling.md), so a 20 ms look misses none.
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


# --- Counting cold PDFs ------------------------------------------------------------------------


class RenderWatcher(threading.Thread):
    """Every cold PDF is rendered in a child forked from a worker (briefs/pdf.py run_in_child),
    and a warm one forks nothing: distinct children seen under the workers are cold renders."""

    def __init__(self, server: Server) -> None:
        super().__init__(name="render-watcher", daemon=True)
        self.server = server
        self.seen: dict[int, list[float]] = {}  # child pid -> [first seen, last seen]
        self.worker_of: dict[int, int] = {}
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for worker in self.server.workers():
                for child in children_of(worker):
                    self.seen.setdefault(child, [now, now])[1] = now
                    self.worker_of[child] = worker
            self._stop.wait(RENDER_POLL_SECONDS)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self.join()
        # Seen from first to last look: the render lasted at least that, at most one look more.
        seconds = sorted(last - first + RENDER_POLL_SECONDS for first, last in self.seen.values())
        per_worker: dict[int, int] = {}
        for worker in self.worker_of.values():
            per_worker[worker] = per_worker.get(worker, 0) + 1
        return {
            "cold_renders": len(self.seen),
            "per_worker": sorted(per_worker.values(), reverse=True),
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
    server: Server, loads: list[Load], *, seconds: int
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """wrk runs started together against an idle server; their figures and the cold PDFs."""
    commands = [
        wrk_command(server, load.target, connections=load.connections, seconds=seconds)
        for load in loads
    ]
    waited = wait_until_idle(server)
    pids = server.pids()
    watcher = RenderWatcher(server)
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


def check_requirements(results: dict[str, Any]) -> list[Check]:
    runs: dict[str, dict[str, Any]] = results["runs"]
    server_errors = {key: run["server_errors"] for key, run in runs.items()}
    socket_errors = {key: run["socket_errors"] for key, run in runs.items()}
    unexpected = {
        key: run["unexpected_responses"] - run["server_errors"] for key, run in runs.items()
    }

    def listing(counts: dict[str, int]) -> str:
        return ", ".join(f"{runs[key]['label']}: {n:,}" for key, n in counts.items())

    unloaded, loaded = p95(runs["unloaded"]), p95(runs["page"])
    checks = [
        Check("No 5xx in any run", not any(server_errors.values()), listing(server_errors)),
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
            f"Executive link p95 under load < {P95_FACTOR:g}× unloaded p95",
            loaded < P95_FACTOR * unloaded,
            f"{loaded:.1f} ms under load vs {unloaded:.1f} ms unloaded = "
            f"{loaded / unloaded:.1f}× (limit {P95_FACTOR * unloaded:.1f} ms)",
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
            f"{run['rps']:,.0f} req/s · p50 {latency['p50']:.1f} · p95 {latency['p95']:.1f} · "
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

    unloaded = runs["unloaded"]
    row(
        f"Executive link, unloaded (1 conn × {unloaded['seconds']} s)",
        figure(unloaded, relative=False),
        "no 5xx",
        healthy(unloaded),
    )
    if "alone" in runs:
        alone = runs["alone"]
        row(
            f"Executive link, {alone['connections']} conn alone × {alone['seconds']} s "
            "(diagnostic)",
            figure(alone),
            "no 5xx",
            healthy(alone),
        )
    page, pdf = runs["page"], runs["pdf"]
    against_alone = ""
    if "alone" in runs:
        against_alone = f"; p95 {p95(page) / p95(runs['alone']):.1f}× the page alone"
    row(
        f"**Executive link, {page['connections']} conn, with {pdf['connections']} on PDF** "
        f"× {page['seconds']} s",
        figure(page) + against_alone,
        f"no 5xx; p95 < {P95_FACTOR:g}× unloaded = {P95_FACTOR * base:.1f} ms",
        "pass" if healthy(page) == "pass" and verdict("p95") == "pass" else "**FAIL**",
    )
    row(
        f"PDF export (/b/<token>/pdf), {pdf['connections']} conn × {pdf['seconds']} s",
        figure(pdf, relative=False),
        "no 5xx",
        healthy(pdf),
    )
    cold = renders["cold_renders"]
    row(
        "PDF cold renders during the load (render processes forked)",
        f"{cold} of {pdf['requests']:,} PDFs ({cold / max(pdf['requests'], 1):.2%}); per worker "
        f"{' / '.join(str(n) for n in renders['per_worker']) or '0'}; longest "
        f"{ms(renders['longest_s'])}, together {ms(renders['total_s'])}",
    )
    total_rps = page["rps"] + pdf["rps"]
    if total_rps:
        outstanding = page["connections"] + pdf["connections"]
        row(
            "Little's law: requests always outstanding / total throughput",
            f"{outstanding} / {total_rps:,.0f} req/s = mean {outstanding / total_rps * 1000:.1f} "
            f"ms per request ({outstanding / total_rps * 1000 / base:.1f}× the unloaded p95)",
        )
    share = page["cpu_share"]
    row(
        "CPU share during the load (of all CPUs)",
        f"gunicorn {share['gunicorn']:.0%} · PostgreSQL {share['database']:.0%} · wrk and this "
        f"script {share['bench']:.0%} · others {share['others']:.0%}",
    )
    log = results["server_log"]
    row(
        "gunicorn log",
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
        "--alone-seconds",
        type=int,
        default=ALONE_SECONDS,
        help="length of the diagnostic run of the page alone (0 leaves it out)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker; above 1 is gthread, NOT production's configuration",
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
    env = production_environment(database)
    django_setup(env)
    from django.core.management import call_command
    from django.db import connection

    production = args.threads <= 1
    extra = () if production else ("--threads", str(args.threads))
    gunicorn_label = "--preload --workers 2 (sync)"
    if not production:
        gunicorn_label = f"--preload --workers 2 --threads {args.threads} (gthread)"
    results: dict[str, Any] = {"runs": {}}
    server_log = OUT / "loadtest-gunicorn.log"
    try:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        world = seed(datetime.now(UTC).replace(second=0, microsecond=0))
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database_version = f"PostgreSQL {cursor.fetchone()[0]}"
        # This process is the clients' side now: it holds no connection during the load.
        close_connections()
        say(f"seeded {world.rows} in {time.monotonic() - started:.0f} s")

        token = world.tokens[BUDGET_SIZE]
        page = Target("page", f"Executive link, {BUDGET_SIZE} updates", f"/b/{token}", {})
        pdf = Target("pdf", f"PDF export, {BUDGET_SIZE} updates", f"/b/{token}/pdf", {})
        with gunicorn(env, name="loadtest-gunicorn", extra_args=extra) as server:
            say(f"gunicorn ({gunicorn_label}) on port {server.port}; warming up")
            # Both workers: the page's cached fragment, and each worker's first PDF, which
            # decodes the fonts (briefs/pdf.py warm_fonts).
            answers = concurrently(
                [lambda: fetch(server, page.path)] * 4 + [lambda: fetch(server, pdf.path)] * 2
            )
            for answer in answers:
                if answer.status != 200:
                    raise RuntimeError(f"warm-up got {answer.status}; see {server.log}")
            if not all(a.body.startswith(b"%PDF") for a in answers[4:]):
                raise RuntimeError("the PDF link answered something other than a PDF")

            say(f"unloaded: 1 connection × {UNLOADED_SECONDS} s")
            runs, _ = run_together(server, [Load("unloaded", page, 1)], seconds=UNLOADED_SECONDS)
            results["runs"].update(runs)
            say(f"unloaded p95 {p95(runs['unloaded']):.1f} ms")
            if args.alone_seconds:
                say(f"diagnostic: {PAGE_CLIENTS} connections on the page alone")
                runs, _ = run_together(
                    server,
                    [Load("alone", page, PAGE_CLIENTS)],
                    seconds=args.alone_seconds,
                )
                runs["alone"]["label"] += f", {PAGE_CLIENTS} connections alone"
                results["runs"].update(runs)
                say(f"alone p95 {p95(runs['alone']):.1f} ms")
            say(
                f"load: {PAGE_CLIENTS} connections on the page, {PDF_CLIENTS} on the PDF, "
                f"{args.seconds} s"
            )
            runs, renders = run_together(
                server,
                [Load("page", page, PAGE_CLIENTS), Load("pdf", pdf, PDF_CLIENTS)],
                seconds=args.seconds,
            )
            runs["page"]["label"] += " under load"
            results["runs"].update(runs)
            results["pdf_renders"] = renders
            say(
                f"under load: page p95 {p95(runs['page']):.1f} ms, PDF p95 "
                f"{p95(runs['pdf']):.1f} ms, {renders['cold_renders']} cold PDFs"
            )
            worker_rss = [round(rss_kb(pid) / 1024) for pid in server.workers()]
        results["server_log"] = read_server_log(server_log)
        import django

        results["meta"] = {
            "git_commit": git_commit(),
            "cpu_count": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "django": django.get_version(),
            "wrk": command_output("wrk", "-v").splitlines()[0],
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
