"""A realistic escalation to explore the app with: `manage.py demo`."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from briefs.models import (
    Confidence,
    EstimateConfidence,
    Incident,
    OperatingState,
    Severity,
    Status,
)
from briefs.services import EstimateInput, estimate_add, share_link_create, update_post

USERNAME = "architect"
PASSWORD = "escalate-demo"  # noqa: S105 - a published demo login, refused outside DEBUG
TITLE = "Order processing outage"

# (hours after the start, what changed, operating state, revised estimate)
ESTIMATES = [
    (
        0,
        EstimateInput(
            Decimal("48000"),
            12_500,
            EstimateConfidence.LOW,
            basis="Yesterday's orders per hour at the same time, times average order value.",
            other_impact="Orders cannot be placed on web or app; card authorisations time out.",
            sla_breach=True,
            reputation=True,
        ),
    ),
    (
        4,
        EstimateInput(
            Decimal("52000"),
            14_200,
            EstimateConfidence.MEDIUM,
            basis="Measured abandoned checkouts over the first four hours.",
            other_impact="Two enterprise customers' contractual uptime now breached.",
            sla_breach=True,
            reputation=True,
        ),
    ),
    (
        10,
        EstimateInput(
            Decimal("30000"),
            6_000,
            EstimateConfidence.HIGH,
            basis="Orders are flowing again at 40% of normal since the partial restore.",
            other_impact="Customers see slow checkout; enterprise SLAs still breached.",
            sla_breach=True,
        ),
    ),
]
MISSED_HOUR = 9


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
        token = self.build()
        link = settings.SITE_URL + reverse("briefs:share_view", args=[token])
        self.stdout.write(f"Demo login: {USERNAME} / {PASSWORD}")
        self.stdout.write(f"Executive link to the demo brief: {link}")

    @transaction.atomic
    def build(self) -> str:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=USERNAME, defaults={"first_name": "Alex", "last_name": "Rivera"}
        )
        user.set_password(PASSWORD)
        user.save()
        # Recreated on every run, so the demo always "started 18 hours ago".
        for old in Incident.objects.filter(owner=user, title=TITLE):
            self.delete_incident(old)

        now = timezone.now().replace(second=0, microsecond=0)
        start = now - timedelta(hours=18, minutes=30)
        incident = Incident.objects.create(
            title=TITLE,
            system="Checkout service",
            description=(
                "Customers cannot complete orders because the checkout service rejects payments."
            ),
            severity=Severity.SEV1,
            status=Status.MITIGATING,
            operating_state=OperatingState.DEGRADED,
            started_at=start,
            detected_at=start + timedelta(minutes=7),
            escalated_at=start + timedelta(minutes=25),
            assessed_at=start + timedelta(minutes=20),
            currency="USD",
            root_cause=(
                "A configuration change in the payment gateway settings, released with "
                "yesterday's deployment, made every card payment time out."
            ),
            root_cause_confidence=Confidence.LIKELY,
            mitigation=(
                "We returned the payment settings to the last known good version and moved "
                "traffic to the backup payment provider."
            ),
            eta_earliest=now + timedelta(hours=2),
            eta_latest=now + timedelta(hours=5),
            dependencies=(
                "The backup payment provider confirming it can take our full order volume."
            ),
            recurrence_risk=(
                "Medium until payment settings are checked automatically before each release."
            ),
            preventive_measures=(
                "Automatic checks of payment settings before every release; a staged release "
                "to 5% of customers first."
            ),
            monitoring_changes=(
                "An alert when successful payments drop 20% below normal for 5 minutes."
            ),
            resources_needed="Two engineers from the mobile app team for the next two days.",
            accountability="Accountability rests with the whole engineering team.",
            remediation_overseer="Alex Rivera, principal architect",
            assess_revenue_per_hour=Decimal("48000"),
            assess_customers=12_500,
            assess_public=True,
            assess_regulatory=True,
            assess_duration_unknown=True,
            assess_beyond_authority=True,
            update_cadence_minutes=60,
            owner=user,
            created_at=start + timedelta(minutes=15),
            updated_at=now,
        )
        incident.decisions.create(
            question="Do we compensate affected customers?",
            options="A 10% goodwill voucher for every affected customer, or an apology email only.",
            trade_offs=(
                "The voucher costs about $90,000 and protects repeat orders from our best "
                "customers; an apology costs nothing but risks losing some of them."
            ),
            recommendation="Send the 10% voucher to customers whose orders failed.",
        )
        for hours, data in ESTIMATES[:1]:
            estimate_add(
                incident=incident,
                author=user,
                data=data,
                effective_at=start + timedelta(hours=hours),
            )
        revisions = dict(ESTIMATES[1:])
        for hour in range(19):
            if hour == MISSED_HOUR:
                continue
            posted = start + timedelta(hours=hour, minutes=10)
            update_post(
                incident=incident,
                author=user,
                posted_at=posted,
                what_changed=self.update_text(hour),
                next_steps="Keep payments on the backup provider and watch order volume.",
                operating_state=OperatingState.FULL_OUTAGE
                if hour < 10
                else OperatingState.DEGRADED,
                next_update_due=posted + timedelta(minutes=60),
                estimate=revisions.get(hour),
            )
        _link, token = share_link_create(incident=incident, created_by=user, label="CEO")
        return token

    def delete_incident(self, incident: Incident) -> None:
        incident.updates.filter(corrects__isnull=False).delete()
        incident.updates.all().delete()
        incident.delete()

    @staticmethod
    def update_text(hour: int) -> str:
        if hour == 0:
            return "Checkout is down for all customers; we are investigating."
        if hour == 4:
            return "The impact is larger than first estimated: enterprise customers are affected."
        if hour == 10:
            return "Orders are flowing again through the backup payment provider, at 40% of normal."
        if hour < 10:
            return f"Still down. We are testing the rollback of the payment settings (hour {hour})."
        return f"Partial service continues; order volume is recovering (hour {hour})."
