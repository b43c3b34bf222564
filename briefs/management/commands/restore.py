"""`manage.py restore FILE`: replace the whole database with a file from `manage.py backup`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from briefs.backups import (
    BackupError,
    active_link_ids,
    backup_check,
    database_restore,
    describe_database,
    links_active_again,
)
from briefs.models import ShareLink


class Command(BaseCommand):
    help = (
        "Replace everything in the database with a backup from `manage.py backup`: "
        "pg_restore --clean on PostgreSQL, flush and loaddata elsewhere. All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the backup to restore")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="restore without asking for confirmation",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        using: str = options["database"]
        path: Path = options["file"]
        target = describe_database(using)
        try:
            backup_check(path=path, using=using)
            if options["interactive"]:
                self._confirm(f"This replaces everything in the {target} with {path}.")
            before = active_link_ids(using=using)
            database_restore(path=path, using=using)
        except BackupError as error:
            raise CommandError(f"Nothing restored: {error}") from error
        self.stdout.write(f"Restored the {target} from {path}.")
        self._report_links(links_active_again(before=before, using=using))

    def _report_links(self, links: list[ShareLink]) -> None:
        """The backup may predate revocations: name every link that works again."""
        if not links:
            return
        self.stdout.write(
            f"{len(links)} executive link(s) open a brief again that did not before this "
            "restore (revoked since the backup, or the database was empty):"
        )
        for link in links:
            self.stdout.write(
                f"  incident {link.incident.public_id} “{link.incident.title}”: "
                f"link “{link.label}”, expires {link.expires_at:%Y-%m-%d %H:%M %Z}"
            )
        self.stdout.write(
            "Revoke them again with `manage.py revoke_links --incident <incident id>` "
            "or `manage.py revoke_links --all`."
        )

    def _confirm(self, warning: str) -> None:
        try:
            answer = input(f"{warning}\nType 'yes' to continue, or anything else to cancel: ")
        except EOFError:
            answer = ""
        if answer.strip() != "yes":
            raise CommandError("Restore cancelled (--noinput restores without asking).")
