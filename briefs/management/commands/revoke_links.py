"""`manage.py revoke_links --incident <id> | --all`: end executive links from the shell.

After restoring an older backup (links revoked since then work again, and `manage.py restore`
lists them), or when a link has leaked and the architect cannot be reached.
"""

from typing import Any
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError, CommandParser

from briefs.models import Incident
from briefs.services import share_links_revoke


class Command(BaseCommand):
    help = "Revoke every active executive link of one incident, or of all incidents."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--incident", type=UUID, help="the incident's public id (its URL's)")
        which.add_argument("--all", action="store_true", help="every incident's links")

    def handle(self, *args: Any, **options: Any) -> None:
        incident = None
        if options["incident"] is not None:
            incident = Incident.objects.filter(public_id=options["incident"]).first()
            if incident is None:
                raise CommandError(f"No incident has the id {options['incident']}.")
        revoked = share_links_revoke(incident=incident)
        for link in revoked:
            self.stdout.write(f"Revoked “{link.label}” of incident {link.incident.public_id}.")
        self.stdout.write(f"{len(revoked)} link(s) revoked; they answer 404 from now on.")
