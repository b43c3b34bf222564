"""One line instead of a traceback when manage.py meets a setup problem (issue 20, item 6).

manage.py wraps every command in `setup_errors_in_one_line`. A missing or bad setting, a
database that cannot be reached and a database without its tables are the newcomer's problems,
not bugs: each becomes one line saying what to set or run, and the exit status 1. Anything else
(a bug) keeps its traceback, and `--traceback` keeps every traceback.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

# psycopg's own wait when the server is down (the pool's 10 s has already passed by then).
PROBE_TIMEOUT_SECONDS = 3


@contextmanager
def setup_errors_in_one_line(*, command: str, traceback: bool = False) -> Iterator[None]:
    if not traceback:
        # The pool retries a refused connection and logs every attempt: lines that the one
        # below replaces. Only manage.py enters here; gunicorn's workers keep those warnings.
        logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL)
    try:
        yield
    except ImproperlyConfigured as error:
        if traceback:
            raise
        sys.exit(f"manage.py: {error}")
    except DatabaseError:
        if traceback:
            raise
        line = database_problem(command=command)
        if line is None:
            raise
        sys.exit(f"manage.py: {line}")


def database_problem(*, command: str) -> str | None:
    """What is wrong with the database setup, in one line, or None when the setup is fine
    (so the error was something else and keeps its traceback)."""
    from django.db import connection

    where = describe(connection.settings_dict)
    connection.close()
    reason = unreachable_reason(connection.settings_dict)
    if reason is not None:
        return (
            f"cannot connect to the database at DATABASE_URL ({where}): {reason}. Check that "
            "the server runs and the database exists, or unset DATABASE_URL for SQLite in var/."
        )
    if command == "migrate":
        # A migration that fails leaves migrations unapplied: its traceback is the news.
        return None
    try:
        from django.db.migrations.executor import MigrationExecutor

        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return None
    if unapplied:
        return (
            f"the database at {where} lacks {len(unapplied)} migrations "
            "(its tables are missing or old): run `make migrate` first."
        )
    return None


def describe(settings_dict: dict[str, Any]) -> str:
    """The database's address without its password."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite {settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"{host}{port}/{settings_dict.get('NAME', '')}"


def unreachable_reason(settings_dict: dict[str, Any]) -> str | None:
    """Why a new connection fails, from the driver itself: the pool only says it timed out."""
    if not settings_dict["ENGINE"].endswith("postgresql"):
        return None
    import psycopg

    try:
        psycopg.connect(
            host=settings_dict.get("HOST") or None,
            port=settings_dict.get("PORT") or None,
            dbname=settings_dict.get("NAME") or None,
            user=settings_dict.get("USER") or None,
            password=settings_dict.get("PASSWORD") or None,
            connect_timeout=PROBE_TIMEOUT_SECONDS,
        ).close()
    except psycopg.OperationalError as error:
        # libpq: 'connection failed: connection to server at "h", port 5432 failed: <why>',
        # then a hint on the next line; the address is already in our message.
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return " ".join(first.rsplit("failed:", 1)[-1].split()) or first
    return None
