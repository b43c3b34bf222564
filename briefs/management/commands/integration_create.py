"""`manage.py integration_create KIND --owner USERNAME [--name N] [--secret S]`: an alert webhook.

Prints its URL once (only a hash of its token is stored). PagerDuty makes the signing secret
when its subscription to that URL is created: pass it with `--secret`, or paste it on the
settings page; until then the hook refuses PagerDuty's deliveries.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from briefs.integrations import integration_create, integration_set_secret
from briefs.models import IntegrationKind


class Command(BaseCommand):
    help = "Create an alert webhook whose firing alerts open draft escalations for its owner."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=IntegrationKind.values)
        parser.add_argument("--owner", required=True, help="the username who owns its drafts")
        parser.add_argument("--name", default="", help="what posts here, for the settings page")
        parser.add_argument("--secret", default="", help="PagerDuty only: its signing secret")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"No user is called {options['owner']!r}.")
        kind = IntegrationKind(options["kind"])
        if options["secret"] and kind != IntegrationKind.PAGERDUTY:
            raise CommandError("Only PagerDuty signs its deliveries: --secret is for pagerduty.")
        integration, token = integration_create(owner=owner, kind=kind, name=options["name"])
        if options["secret"]:
            integration_set_secret(integration=integration, secret=options["secret"])
        url = settings.SITE_URL + reverse("briefs:alert_hook", args=[kind.value, token])
        self.stdout.write(f"{integration} for {owner.get_username()}; its URL, shown only once:")
        self.stdout.write(url)
        if kind == IntegrationKind.PAGERDUTY and not options["secret"]:
            self.stdout.write(
                "PagerDuty shows a signing secret when you subscribe this URL: paste it on the"
                " settings page (Alert webhooks); deliveries are refused until then."
            )
