"""`manage.py backup [-o FILE]`: the whole database to one file, for `manage.py restore`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from briefs.backups import BackupError, database_backup, default_backup_path


class Command(BaseCommand):
    help = (
        "Back up the whole database: pg_dump on PostgreSQL, dumpdata elsewhere. Writes "
        "var/backups/escalation-<UTC time>.dump (.json.gz on SQLite) and prints its path."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "-o", "--output", type=Path, help="the file to write; it must not exist yet"
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        path: Path = options["output"] or default_backup_path(using=using)
        try:
            database_backup(path=path, using=using)
        except BackupError as error:
            raise CommandError(f"No backup made: {error}") from error
        # Only the path on stdout, so a script can take it: FILE=$(manage.py backup).
        self.stdout.write(str(path))
