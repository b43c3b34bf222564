"""Whole-database backups: `manage.py backup` writes one file, `manage.py restore` puts it back.

PostgreSQL (production) uses pg_dump's custom format, and pg_restore's script run by psql in one
transaction: schema, rows, sequences and the timeline's append-only trigger (migration 0002)
travel together. Other databases (SQLite in
development) use Django's dumpdata and loaddata: every model's rows, the audit trail's historical
records included.

Neither kind keeps sessions (a session key is a live login), django-axes' login records
(usernames and addresses, kept no longer than they are needed) nor the cache (PDFs and rate-limit
counters, rebuilt on demand). Share links are stored as hashes, so no backup holds a usable
executive link; but a link revoked after the backup was taken works again once it is restored,
so `manage.py restore` lists those links (`links_active_again`) for `manage.py revoke_links`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.db.models import QuerySet
from django.utils import timezone

from briefs.models import ShareLink, ShareLinkGuesses

BACKUP_DIR: Path = settings.BASE_DIR / "var" / "backups"
# The first bytes of every pg_dump custom-format file.
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def is_postgresql(using: str) -> bool:
    return connections[using].vendor == "postgresql"


def default_backup_path(*, using: str, now: datetime | None = None) -> Path:
    moment = (now or timezone.now()).astimezone(UTC)
    suffix = ".dump" if is_postgresql(using) else ".json.gz"
    return BACKUP_DIR / f"escalation-{moment:%Y%m%dT%H%M%SZ}{suffix}"


def describe_database(using: str) -> str:
    """Which database a restore would replace, for the confirmation prompt."""
    settings_dict = connections[using].settings_dict
    if is_postgresql(using):
        host = settings_dict.get("HOST") or "the local socket"
        return f"PostgreSQL database {settings_dict['NAME']!r} on {host}"
    return f"{connections[using].display_name} database {str(settings_dict['NAME'])!r}"


def database_backup(*, path: Path, using: str = "default") -> None:
    """Write the whole database to `path`, which must not exist yet.

    The file is written under a temporary name and appears only when complete, readable by its
    owner alone: it holds password hashes and every incident.
    """
    if path.exists():
        raise BackupError(f"{path} already exists; a backup never overwrites a file")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Keeps the extension: dumpdata picks gzip from it.
    partial = path.with_name(f".partial-{path.name}")
    partial.unlink(missing_ok=True)
    try:
        # Owner-only from the first byte: pg_dump and dumpdata keep the mode of a file they
        # overwrite.
        partial.touch(mode=0o600)
        partial.chmod(0o600)
        if is_postgresql(using):
            _pg_dump(partial, using)
        else:
            _dump_json(partial, using)
        # Unlike a rename, a link refuses to replace a file that appeared meanwhile.
        os.link(partial, path)
    except FileExistsError:
        raise BackupError(f"{path} already exists; a backup never overwrites a file") from None
    finally:
        partial.unlink(missing_ok=True)


def backup_check(*, path: Path, using: str = "default") -> None:
    """Refuse, before anything changes, a file that cannot be restored into this database."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    with path.open("rb") as file:
        is_pg_dump = file.read(len(PG_DUMP_MAGIC)) == PG_DUMP_MAGIC
    if is_postgresql(using) and not is_pg_dump:
        raise BackupError(
            f"{path} is not a pg_dump custom-format file; a JSON backup from SQLite loads into "
            "SQLite (DATABASE_URL unset)"
        )
    if is_pg_dump and not is_postgresql(using):
        raise BackupError(
            f"{path} is a PostgreSQL backup; restore it with DATABASE_URL set to PostgreSQL"
        )


def database_restore(*, path: Path, using: str = "default") -> None:
    """Replace everything in the database with the backup at `path`, all or nothing."""
    backup_check(path=path, using=using)
    if connections[using].in_atomic_block:
        # Our own transaction's locks would block the restore's DROP TABLE for ever.
        raise BackupError("a restore cannot run inside a transaction")
    if is_postgresql(using):
        _pg_restore(path, using)
    else:
        _load_json(path, using)
    # Sessions are read through the cache (cached_db): no login outlives a restore.
    caches["default"].clear()


def _active_links(using: str) -> QuerySet[ShareLink]:
    return ShareLink.objects.using(using).active(timezone.now())


def active_link_ids(*, using: str = "default") -> set[UUID]:
    """The executive links that open a brief now; none in a database without the app's tables."""
    try:
        return set(_active_links(using).values_list("public_id", flat=True))
    except DatabaseError:
        return set()


def links_active_again(*, before: set[UUID], using: str = "default") -> list[ShareLink]:
    """Links that open a brief after a restore but did not before it: revoked (or created and
    revoked, or expired and extended) since the backup was taken, or all of them in a database
    that was empty."""
    links = _active_links(using).exclude(public_id__in=before).select_related("incident")
    return list(links.order_by("incident__public_id", "created_at"))


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_environ(using: str) -> dict[str, str]:
    """libpq's variables for the connection: the password stays out of the process list."""
    settings_dict = connections[using].settings_dict
    _args, extra = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    environ = {**os.environ, **(extra or {})}
    for variable, key in [("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER")]:
        if settings_dict.get(key):
            environ[variable] = str(settings_dict[key])
    return environ


def _pg_database(using: str) -> str:
    name = connections[using].settings_dict.get("NAME")
    if not name:
        raise BackupError("the database has no NAME in DATABASES (or DATABASE_URL)")
    return str(name)


def _unkept_tables() -> list[str]:
    """Tables whose schema is backed up but whose rows are not: they hold nothing for later."""
    tables = [Session._meta.db_table, ShareLinkGuesses._meta.db_table]
    tables += [model._meta.db_table for model in apps.get_app_config("axes").get_models()]
    for cache in settings.CACHES.values():
        if not isinstance(cache, Mapping):
            continue
        if cache.get("BACKEND") == "django.core.cache.backends.db.DatabaseCache":
            tables.append(str(cache.get("LOCATION")))
    return tables


def _run(args: list[str], *, using: str) -> str:
    try:
        result = subprocess.run(
            args, env=_pg_environ(using), capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise _not_installed(args[0]) from None
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip()}")
    return result.stdout


def _not_installed(program: str) -> BackupError:
    return BackupError(
        f"{program} is not installed: it comes with PostgreSQL's client tools "
        "(Debian: apt-get install postgresql-client), of the server's version or newer"
    )


def _pg_dump(path: Path, using: str) -> None:
    args = ["pg_dump", "--format=custom", "--no-password", f"--file={path}"]
    args += [f"--exclude-table-data={table}" for table in _unkept_tables()]
    _run([*args, f"--dbname={_pg_database(using)}"], using=using)


def _pg_restore(path: Path, using: str) -> None:
    """pg_restore's script, run by psql in one transaction after dropping newer tables.

    pg_restore --clean drops and recreates every object in the backup (a table's trigger goes
    with it, so the append-only timeline does not stand in the way), and --if-exists lets that
    work on an empty database too. A table created by a migration newer than the backup is not
    in it: left alone, its foreign keys would stop the drops, and `migrate` could not create it
    again. So the app's tables that the backup lacks are dropped first, in the same transaction.
    """
    listing = _run(["pg_restore", "--list", str(path)], using=using)
    in_backup = {line.split()[-2] for line in listing.splitlines() if " TABLE " in line}
    connection = connections[using]
    newer = set(connection.introspection.django_table_names(only_existing=True)) - in_backup
    drops = "".join(f"DROP TABLE {connection.ops.quote_name(t)} CASCADE;\n" for t in newer)
    # Each DROP TABLE waits for the table's lock; connections idling in this
    # process's pool hold none, but there is no reason to keep them across the change. The
    # pool reopens on the next query.
    connection.close()
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()
    environ = _pg_environ(using)
    with tempfile.TemporaryFile() as errors:
        try:
            psql = subprocess.Popen(
                # All or nothing: psql rolls back at the first error.
                ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--file=-"]
                + ["--set=ON_ERROR_STOP=1", "--no-password", f"--dbname={_pg_database(using)}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                env=environ,
            )
        except FileNotFoundError:
            raise _not_installed("psql") from None
        assert psql.stdin is not None
        script: subprocess.CompletedProcess[bytes] | None = None
        try:
            psql.stdin.write(drops.encode())
            psql.stdin.flush()
            # --no-owner: the tables belong to whoever restores, not to the role that owned
            # them then.
            script = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--file=-", str(path)],
                stdout=psql.stdin,
                stderr=subprocess.PIPE,
                env=environ,
                check=False,
            )
        except BrokenPipeError:
            pass  # psql stopped early; its own message says why.
        finally:
            if script is None or script.returncode != 0:
                # psql commits when its input ends: a half-written script must never end.
                psql.kill()
            with contextlib.suppress(BrokenPipeError):
                psql.stdin.close()
        psql.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    failures = []
    if psql.returncode != 0 and message:
        failures.append(f"psql: {message}")
    if script is not None and script.returncode != 0:
        failures.append(f"pg_restore: {script.stderr.decode(errors='replace').strip()}")
    if psql.returncode != 0 or failures:
        raise BackupError("; ".join(failures) or f"psql exited with {psql.returncode}")


# --- SQLite (and any other database) ----------------------------------------------------------


def _dump_json(path: Path, using: str) -> None:
    # By primary key, content types and permissions included: natural keys would make dumpdata
    # fetch every referenced user, and an audit-trail record may name a user deleted since.
    call_command(
        "dumpdata",
        exclude=["sessions", "axes", "briefs.ShareLinkGuesses"],
        use_base_manager=True,
        database=using,
        output=str(path),
        verbosity=0,
    )


def _load_json(path: Path, using: str) -> None:
    # An empty database gets the schema first; an up-to-date one is left as it is.
    call_command("migrate", database=using, interactive=False, verbosity=0)
    call_command("createcachetable", database=using, verbosity=0)
    try:
        with transaction.atomic(using=using):
            # Every row goes, content types too (the backup brings them back with their ids).
            call_command(
                "flush", database=using, interactive=False, inhibit_post_migrate=True, verbosity=0
            )
            call_command("loaddata", str(path.resolve()), database=using, verbosity=0)
    except Exception as error:
        # Whatever broke (a damaged file, a row the schema refuses), the transaction rolled back.
        raise BackupError(f"loaddata failed: {error}") from error
