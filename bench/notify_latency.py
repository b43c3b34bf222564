"""From a posted update to its mail at the mail server: p50 and p95 over 20 updates.

    DEBUG=1 .venv/bin/python bench/notify_latency.py            # SQLite
    DEBUG=1 DATABASE_URL=postgresql://... .venv/bin/python bench/notify_latency.py

Builds a throwaway test database (`test_` + the configured name, dropped at the end), starts a
real worker (`manage.py worker`, as in production) and a local SMTP server (aiosmtpd, the test
suite's), subscribes one executive to an escalated incident and posts 20 updates through the
brief's form, one every 2 s, each timed from the moment its POST starts until the SMTP server
has the message. Each post also asks the same worker for the brief's PDF, as in production, so
the figure includes waiting behind that render. Seconds; light enough to run anywhere.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
# The form's limit of updates per minute is for people; this posts 20 in 40 s.
os.environ["UPDATE_POST_LIMIT_PER_MINUTE"] = "1000"

UPDATES = 20
SPACING = 2.0  # seconds between posts
TIMEOUT = 60.0  # seconds one mail may take before the run fails


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # aiosmtpd narrates every SMTP command at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        measure()
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user, password = quote(db["USER"] or ""), quote(db["PASSWORD"] or "")
    return f"postgresql://{user}:{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def measure() -> None:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from briefs.seed import make_estimate, make_incident, make_user
    from briefs.services import subscriber_add
    from tests.factories import PASSWORD
    from tests.smtp_inbox import smtp_inbox

    # setup_test_environment put the memory backend in; the worker uses the SMTP server.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    owner = make_user(username="owner", password=PASSWORD)
    incident = make_incident(owner=owner, title="Order processing outage")
    make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=12500)
    client = Client()
    client.force_login(owner)
    url = reverse("briefs:update_create", args=[incident.public_id])
    with smtp_inbox() as inbox:
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DEBUG": "1",
            **inbox.environment(),
        }
        command = [sys.executable, "manage.py", "worker", "--no-reload", "--no-startup-delay"]
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            subscriber_add(
                incident=incident,
                created_by=owner,
                name="Dana Chen",
                email="ceo@example.com",
                cadence="each_update",
            )
            _wait_for(inbox, 1)  # the welcome mail: the worker is up
            latencies = []
            for number in range(1, UPDATES + 1):
                due = timezone.localtime() + timedelta(hours=1)
                started = time.monotonic()
                response = client.post(
                    url,
                    {
                        "what_changed": f"Update {number}: more orders go through.",
                        "operating_state": "degraded",
                        "next_update_due": due.strftime("%Y-%m-%dT%H:%M"),
                    },
                )
                assert response.status_code == 302, response.status_code
                _wait_for(inbox, number + 1)
                latencies.append(inbox.arrived[number] - started)
                time.sleep(SPACING)
        finally:
            worker.terminate()
            worker.wait(timeout=10)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * len(latencies)) - 1)]
    print(f"posted update -> mail at the SMTP server, {len(latencies)} updates ({vendor()}):")
    print(f"  p50 {p50:.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")


def vendor() -> str:
    from django.db import connection

    return str(connection.vendor)


def _wait_for(inbox: object, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while len(inbox.messages) < count:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise SystemExit(f"no mail {count} after {TIMEOUT:.0f} s")
        time.sleep(0.01)


if __name__ == "__main__":
    main()
