"""A realistic escalation to explore the app with: `manage.py demo`."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from briefs.models import Incident, SubscriberCadence
from briefs.seed import ORDER_OUTAGE, SEARCH_OUTAGE, demo_order_outage, demo_search_outage
from briefs.services import share_link_create, subscriber_add, timeline_unlocked

USERNAME = "architect"
PASSWORD = "escalate-demo"  # noqa: S105 - a published demo login, refused outside DEBUG
# The executive subscribed to the open demo incident (issue 16).
DEMO_SUBSCRIBER = ("Dana Chen", "ceo@example.com")


def mail_goes() -> str:
    """Where this configuration's mail goes, for a newcomer who posts an update."""
    mailer = settings.MAILERS["default"]
    if mailer["BACKEND"].endswith("filebased.EmailBackend"):
        return f"written to files in {mailer['OPTIONS']['file_path']}/ (set EMAIL_HOST to send it)"
    if mailer["BACKEND"].endswith("smtp.EmailBackend"):
        options = mailer["OPTIONS"]
        return f"sent through {options['host']}:{options['port']}"
    return f"handed to {mailer['BACKEND']}"


class Command(BaseCommand):
    help = "Create the demo architect and a realistic escalation (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even when DEBUG is off (creates a known password)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "demo creates a user with a published password; it runs only with DEBUG on "
                "(or with --force)."
            )
        open_token, resolved_token = self.build()
        self.stdout.write(f"Demo login: {USERNAME} / {PASSWORD}")
        self.stdout.write(f"Executive link to the demo brief: {self.link(open_token)}")
        self.stdout.write(
            f"Executive link to the resolved demo incident: {self.link(resolved_token)}"
        )
        name, email = DEMO_SUBSCRIBER
        self.stdout.write(f"{name} <{email}> gets the demo brief's updates by email: {mail_goes()}")

    @staticmethod
    def link(token: str) -> str:
        return settings.SITE_URL + reverse("briefs:share_view", args=[token])

    @transaction.atomic
    def build(self) -> tuple[str, str]:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=USERNAME, defaults={"first_name": "Alex", "last_name": "Rivera"}
        )
        user.set_password(PASSWORD)
        user.save()
        # Recreated on every run, so the demo always "started 18 hours ago".
        with timeline_unlocked():
            for old in Incident.objects.filter(owner=user, title__in=[ORDER_OUTAGE, SEARCH_OUTAGE]):
                self.delete_incident(old)
        now = timezone.now().replace(second=0, microsecond=0)
        tokens = []
        for incident in [
            demo_order_outage(owner=user, now=now),
            demo_search_outage(owner=user, now=now),
        ]:
            _link, token = share_link_create(incident=incident, created_by=user, label="CEO")
            tokens.append(token)
        # Posting an update to the open demo incident mails her (var/mail/ without EMAIL_HOST).
        subscriber_add(
            incident=Incident.objects.get(owner=user, title=ORDER_OUTAGE),
            created_by=user,
            name=DEMO_SUBSCRIBER[0],
            email=DEMO_SUBSCRIBER[1],
            cadence=SubscriberCadence.EACH_UPDATE,
        )
        return tokens[0], tokens[1]

    def delete_incident(self, incident: Incident) -> None:
        incident.action_items.all().delete()
        incident.updates.filter(corrects__isnull=False).delete()
        incident.updates.all().delete()
        incident.delete()
