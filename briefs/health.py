"""Whether the database and the shared cache answer: what `/healthz` reports."""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connection

OK = "ok"
UNREACHABLE = "unreachable"

# The key read from the cache; nothing stores it, so a healthy read is a miss.
HEALTH_CACHE_KEY = "healthz"


def check() -> dict[str, str]:
    """Each dependency by name ("database", "cache"): "ok" or "unreachable"."""
    cache = caches["default"]
    checks = {"database": OK, "cache": OK}
    if isinstance(cache, DatabaseCache):
        # The bench's floor, so the healthy path stays one query, as cheap as `SELECT 1`:
        # reading the cache's table proves the database too (cache.get() costs 50-150 us more
        # per request on PostgreSQL). Only when it fails does `SELECT 1` tell which is down.
        table = connection.ops.quote_name(cache._table)  # type: ignore[attr-defined]
        if not _answers(f"SELECT 1 FROM {table} WHERE cache_key = %s", [HEALTH_CACHE_KEY]):
            checks["cache"] = UNREACHABLE
            if not _answers("SELECT 1"):
                checks["database"] = UNREACHABLE
        return checks
    if not _answers("SELECT 1"):
        checks["database"] = UNREACHABLE
    try:
        cache.get(HEALTH_CACHE_KEY)
    except Exception:  # any backend's failure (Redis's own errors among them) means down
        checks["cache"] = UNREACHABLE
    return checks


def _answers(sql: str, params: list[str] | None = None) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchone()
    except DatabaseError:
        return False
    return True
