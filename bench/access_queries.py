"""Each hand-written query of models.py against its ORM twin, in-process: µs per call.

    DEBUG=1 .venv/bin/python bench/access_queries.py            # SQLite
    DEBUG=1 DATABASE_URL=postgresql://... .venv/bin/python bench/access_queries.py

Builds a throwaway test database (Django's test-database machinery: `test_` + the configured
name, dropped at the end), with make bench's shape for the access rule: one architect with 500
incidents, one of them shared with a collaborator and given an executive link. The figures are
what the methods' docstrings quote; a hand-written query stays only while it saves a
noticeable part of its request (docs/scaling.md: the executive page about 0.6 ms in-process,
the architect's brief about 1 ms, the cached dashboard about 3 ms).
"""

from __future__ import annotations

import os
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

CALLS = 3000


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        compare(connection.vendor)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def compare(vendor: str) -> None:
    from django.utils import timezone

    from briefs.models import Incident, ShareLink
    from briefs.seed import make_incident, make_user
    from briefs.services import share_link_create
    from tests.factories import PASSWORD
    from tests.test_access_rules import brief_key_by_orm, stamp_by_orm

    owner = make_user(username="owner", password=PASSWORD)
    collaborator = make_user(username="collaborator", password=PASSWORD)
    Incident.objects.bulk_create(Incident(owner=owner, title=f"#{n}") for n in range(499))
    incident = make_incident(owner=owner)
    incident.collaborators.add(collaborator)
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    token_hash, now = ShareLink.hash_token(token), timezone.now()
    guesses: dict[str, Any] = {"client": "203.0.113.7", "minute": 29_000_000}

    pairs: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "ShareLink.objects.active_with_stamp vs for_token",
            lambda: ShareLink.objects.for_token(token_hash, now, **guesses),
            lambda: ShareLink.objects.active_with_stamp(token_hash, now, **guesses),
        ),
        (
            "Incident.objects.brief_key_for (collaborator)",
            lambda: brief_key_by_orm(collaborator, incident.public_id),
            lambda: Incident.objects.brief_key_for(collaborator, incident.public_id),
        ),
        (
            "Incident.objects.stamp_for (500 incidents)",
            lambda: stamp_by_orm(owner),
            lambda: Incident.objects.stamp_for(owner),
        ),
    ]
    print(f"{vendor}, {CALLS} calls each, CPU time of this process, best of 3")
    for label, orm, by_hand in pairs:
        orm(), by_hand()  # warm: prepared statements, caches of the ORM's metadata
        orm_us = _best_us(orm)
        hand_us = _best_us(by_hand)
        print(
            f"{label}: ORM {orm_us:.0f} µs, by hand {hand_us:.0f} µs"
            f" ({orm_us / hand_us:.1f}×, {orm_us - hand_us:.0f} µs saved per call)"
        )


def _best_us(call: Callable[[], object]) -> float:
    """µs of this process's CPU per call, the best of 3 runs: on a shared machine wall-clock
    time counts the other processes too. The database's own CPU (PostgreSQL) is not in it."""
    return min(timeit.repeat(call, number=CALLS, repeat=3, timer=time.process_time)) / CALLS * 1e6


if __name__ == "__main__":
    main()
