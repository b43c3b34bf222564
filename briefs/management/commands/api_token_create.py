"""`manage.py api_token_create USERNAME [--name N] [--expires-days D] [--read-only]`: a personal
API token for a script, printed once (only its hash is stored)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from briefs.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for a user and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="command line", help="what uses the token")
        parser.add_argument(
            "--expires-days",
            type=int,
            default=settings.API_TOKEN_DEFAULT_DAYS,
            help=f"days until it expires (at most {settings.API_TOKEN_MAX_DAYS})",
        )
        parser.add_argument("--read-only", action="store_true", help="it may not change anything")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"No active user is named {options['username']!r}.")
        days = options["expires_days"]
        if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
            raise CommandError(f"--expires-days must be from 1 to {settings.API_TOKEN_MAX_DAYS}.")
        row, token = api_token_create(
            user=user,
            name=options["name"][:100],
            read_only=options["read_only"],
            valid_for=timedelta(days=days),
        )
        # The token alone on stdout, so `TOKEN=$(manage.py api_token_create architect)` works;
        # what it is goes to stderr.
        self.stderr.write(
            f"Token “{row.name}” for {user.get_username()} ({row.get_scope_display().lower()}),"
            f" valid until {row.expires_at:%Y-%m-%d %H:%M} UTC. It is shown only this once."
        )
        self.stdout.write(token)
