"""`manage.py export_pdf <public_id> -o brief.pdf`: the brief's PDF from the shell."""

from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from briefs import pdf_engine
from briefs.exports import brief_pdf
from briefs.models import Incident


class Command(BaseCommand):
    help = "Write an incident's CEO brief as a PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("public_id", type=UUID)
        parser.add_argument("-o", "--output", type=Path, required=True)
        parser.add_argument("--size", choices=["A4", "letter"], default=settings.PDF_PAGE_SIZE)
        parser.add_argument("--appendix", action="store_true", help="add the script and glossary")
        parser.add_argument("--time-zone", help="default: the incident's zone")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            incident = Incident.objects.get(public_id=options["public_id"])
        except Incident.DoesNotExist:
            raise CommandError(f"No incident {options['public_id']}") from None
        try:
            content = brief_pdf(
                incident,
                zone=ZoneInfo(options["time_zone"]) if options["time_zone"] else incident.zone,
                size=options["size"],
                appendix=options["appendix"],
                base_url=settings.SITE_URL + "/",
            )
        except pdf_engine.PdfRenderError as error:
            raise CommandError(f"The PDF could not be made: {error}") from error
        options["output"].write_bytes(content)
        self.stdout.write(f"Wrote {options['output']} ({len(content):,} bytes)")
