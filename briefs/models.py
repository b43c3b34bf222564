"""The escalation: an incident, its impact estimates, its timeline, its share links and actions."""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection, connections, models, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from simple_history.models import HistoricalRecords

from briefs.notices import NoticeKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

# Ceilings that no real incident reaches: they keep typos (an extra six zeros) and
# overflow out of the database. Forms use the same numbers.
MAX_REVENUE_PER_HOUR = Decimal("1000000000000")  # 10^12 per hour
MAX_CUSTOMERS = 10_000_000_000
MAX_DURATION_HOURS = 24 * 365
MIN_CADENCE_MINUTES = 5
MAX_CADENCE_MINUTES = 24 * 60

# Text limits, shared by the database columns, their check constraints and the forms.
TITLE_LENGTH = 200
SENTENCE_LENGTH = 300
NOTE_LENGTH = 1000
NARRATIVE_LENGTH = 2000
# The longest IANA zone name is 32 characters (America/Argentina/ComodRivadavia).
ZONE_LENGTH = 64
# How far back an update may date the facts it reports (IncidentUpdate.as_of).
AS_OF_WINDOW = timedelta(hours=24)

CENT = Decimal("0.01")
# How far the true cost may lie from the estimate, by the estimate's confidence: the range
# shown beside a resolved incident's final cost (`Incident.final_cost`), never instead of it.
CONFIDENCE_BANDS = {"low": Decimal("0.5"), "medium": Decimal("0.2"), "high": Decimal("0")}
SECONDS_PER_HOUR = Decimal(3600)


def zone_named(name: str) -> ZoneInfo | None:
    """The zone of an IANA name, or None for anything that is not one (a stale cookie, a
    zone a newer tzdata knows but this machine's does not)."""
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _max_lengths(prefix: str, **limits: int) -> list[models.CheckConstraint]:
    """One named check per text column, because SQLite ignores varchar lengths."""
    return [
        models.CheckConstraint(
            condition=LessThanOrEqual(Length(field), limit), name=f"{prefix}_{field}_length"
        )
        for field, limit in limits.items()
    ]


def _choices_check(
    prefix: str, field: str, choices: type[models.TextChoices]
) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"{prefix}_{field}_valid"
    )


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1: critical"
    SEV2 = "SEV2", "SEV2: major"
    SEV3 = "SEV3", "SEV3: moderate"
    SEV4 = "SEV4", "SEV4: minor"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    ESCALATED = "escalated", "Escalated"
    MITIGATING = "mitigating", "Mitigating"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class OperatingState(models.TextChoices):
    UNKNOWN = "", "Not yet answered"
    FULL_OUTAGE = "full_outage", "Full outage"
    DEGRADED = "degraded", "Degraded performance"
    LIMITED = "limited", "Limited functionality"
    RESTORED = "restored", "Restored"


class Confidence(models.TextChoices):
    UNKNOWN = "", "Not yet answered"
    SUSPECTED = "suspected", "Suspected"
    LIKELY = "likely", "Likely"
    CONFIRMED = "confirmed", "Confirmed"


class EstimateConfidence(models.TextChoices):
    LOW = "low", "Low: a rough order of magnitude"
    MEDIUM = "medium", "Medium: based on partial data"
    HIGH = "high", "High: measured"


class Currency(models.TextChoices):
    USD = "USD", "USD ($)"
    EUR = "EUR", "EUR (€)"
    GBP = "GBP", "GBP (£)"
    JPY = "JPY", "JPY (¥)"
    CHF = "CHF", "CHF"
    CAD = "CAD", "CAD (C$)"
    AUD = "AUD", "AUD (A$)"
    SEK = "SEK", "SEK (kr)"
    INR = "INR", "INR (₹)"
    BRL = "BRL", "BRL (R$)"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "C$", "AUD": "A$"}


def format_money(amount: Decimal, currency: str) -> str:
    """$48,000 or CHF 1,200: whole units, because cents are noise at CEO level."""
    whole = f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{whole}" if symbol else f"{currency} {whole}"


class ActionKind(models.TextChoices):
    CORRECTIVE = "corrective", "Corrective"
    PREVENTIVE = "preventive", "Preventive"
    MONITORING = "monitoring", "Monitoring"
    COMMUNICATION = "communication", "Communication"
    RCA = "rca", "Root-cause analysis"


# The name of a draft until the architect gives it one (the wizard's second step).
DRAFT_TITLE = "New escalation"


@dataclass(frozen=True)
class BriefKey:
    """What keys the architect's cached brief page (`IncidentQuerySet.brief_key_for`)."""

    incident_id: int
    version: int
    updated_at: datetime
    status: str
    # The newest visit through any of the incident's executive links: a visit changes the
    # links table on the page without touching the incident.
    links_viewed_at: datetime | None
    # The brief's default PDF, when its render failed: the version it failed for and why (""
    # otherwise). A failure moves no stamp, and the page says why (briefs.pdf_documents).
    pdf_failed_stamp: str
    pdf_failure: str
    # The earliest update promised on any of the viewer's incidents that is due by the
    # reminders' horizon (now + REMINDER_LEAD_MINUTES), or None: the banner (briefs.reminders)
    # needs no query of its own while nothing is due. Not part of the page's cache key.
    due_soonest: datetime | None = None


@overload
def _aware(value: datetime | str) -> datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: datetime | str | None) -> datetime | None:
    """A datetime column read by hand: SQLite hands back text (or a naive datetime) in UTC,
    PostgreSQL an aware datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


class IncidentQuerySet(models.QuerySet["Incident"]):
    def editable_by(self, user: AbstractBaseUser | AnonymousUser) -> IncidentQuerySet:
        """The incidents a user owns or collaborates on: the only ones they may see or change."""
        if not user.is_authenticated:
            return self.none()
        # Admins (staff, or an SSO admin group's members: briefs/sso.py) take over any incident
        # when its owner is away. A flag on the loaded user, so everyone else's query is as it was.
        if getattr(user, "is_staff", False):
            return self.all()
        # EXISTS, not a join with DISTINCT: looking up one incident then stays one index probe,
        # where the join made PostgreSQL collect every incident the user can see first.
        collaborates = Incident.collaborators.through.objects.filter(
            incident=OuterRef("pk"), user_id=user.pk
        )
        return self.filter(Q(owner=user) | Exists(collaborates))

    def stamp_for(self, user: AbstractBaseUser) -> tuple[int, datetime | None]:
        """How many incidents `editable_by(user)` holds and the newest `updated_at` among them:
        what keys the dashboard's cached page, read on every visit.

        Hand-written, because building the same query with the ORM costs more than running it.
        With `make bench`'s 1,000 incidents, in-process on SQLite, the ORM's aggregate took
        1.5 ms of a cached dashboard's 3 ms, this 0.3 ms. `DEBUG=1 .venv/bin/python
        bench/access_queries.py` (500 incidents, 3,000 calls, CPU µs per call, a busy shared
        machine, 2026-12-01): SQLite 1,742 (ORM) vs 452 (3.9×), PostgreSQL 2,432 vs 198 (12×).
        The rule is `editable_by`'s (the owner, or a collaborator row): tests/test_access_rules.py
        proves both return the same for an owner, a collaborator, an outsider and a stranger.
        """
        incident = Incident._meta.db_table
        collaborator = Incident.collaborators.through._meta.db_table
        # Table names from the models, values as parameters. An admin sees every incident
        # (`editable_by`), and a non-admin's query stays as it was.
        if getattr(user, "is_staff", False):
            sql, params = f"SELECT COUNT(*), MAX(updated_at) FROM {incident}", []
        else:
            sql = (
                f"SELECT COUNT(*), MAX(updated_at) FROM {incident} WHERE owner_id = %s"
                f" OR id IN (SELECT incident_id FROM {collaborator} WHERE user_id = %s)"
            )
            params = [user.pk, user.pk]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            count, changed = cursor.fetchone()
        if isinstance(changed, str):  # SQLite hands back its text; PostgreSQL a datetime
            changed = timezone.make_aware(datetime.fromisoformat(changed), UTC)
        return count, changed

    def brief_key_for(
        self, user: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
    ) -> BriefKey | None:
        """The brief page's cache key for `user`, or None where `editable_by(user)` has no
        incident `public_id`: the access rule and the key in one round trip.

        Hand-written, because the ORM's twin (`brief_key_by_orm` in tests/test_access_rules.py,
        which proves both return the same for owner, collaborator, outsider and anonymous
        visitor) costs far more to build than to run. `DEBUG=1 .venv/bin/python
        bench/access_queries.py` (3,000 calls, CPU µs per call, a busy shared machine,
        2026-12-01): SQLite 2,753 (ORM) vs 73 (37×), PostgreSQL 4,023 vs 231 (17×). The ORM's
        twin alone costs more than the whole cached page did on a quiet machine (about 1 ms
        in-process, docs/scaling.md). The brief PDF's failure rides along (two subqueries on
        its unique index, about +50 µs on SQLite, none measurable on PostgreSQL): as a query
        of its own through the ORM it cost 500-1,000 µs on the same busy machine. The
        reminders' banner rides along too (`due_soonest`, on `UpdatePromise`'s due index): as
        the banner's own ORM query it cost about 4,000 µs of a cached page's 16,000 on SQLite
        (in-process, a busy shared machine, 2026-12-01).
        """
        if not user.is_authenticated:
            return None
        incident = Incident._meta.db_table
        collaborator = Incident.collaborators.through._meta.db_table
        link = ShareLink._meta.db_table
        pdf = PdfDocument._meta.db_table
        promise = UpdatePromise._meta.db_table
        horizon = timezone.now() + timedelta(minutes=settings.REMINDER_LEAD_MINUTES)
        # At most one row: the document's unique index (incident, kind, size).
        failed_pdf = f"""FROM {pdf} pdf WHERE pdf.incident_id = incident.id
                    AND pdf.kind = %s AND pdf.size = %s AND pdf.status = %s"""
        # The rule is `editable_by`'s (an admin, the owner, or EXISTS a collaborator row);
        # table names from the models, values as parameters.
        if getattr(user, "is_staff", False):
            rule, rule_params = "TRUE", []
        else:
            rule = f"""incident.owner_id = %s OR EXISTS (
                    SELECT 1 FROM {collaborator} collaborator
                    WHERE collaborator.incident_id = incident.id AND collaborator.user_id = %s)"""
            rule_params = [user.pk, user.pk]
        sql = f"""
            SELECT incident.id, incident.version, incident.updated_at, incident.status,
                   (SELECT max(link.last_viewed_at) FROM {link} link
                    WHERE link.incident_id = incident.id),
                   (SELECT pdf.stamp {failed_pdf}),
                   (SELECT pdf.failure {failed_pdf}),
                   (SELECT min(promise.due_at) FROM {promise} promise
                    WHERE promise.due_at <= %s AND (
                        EXISTS (SELECT 1 FROM {incident} mine
                                WHERE mine.id = promise.incident_id AND mine.owner_id = %s)
                        OR EXISTS (SELECT 1 FROM {collaborator} shared
                                   WHERE shared.incident_id = promise.incident_id
                                   AND shared.user_id = %s)))
            FROM {incident} incident
            WHERE incident.public_id = %s AND ({rule})
        """  # noqa: S608
        # As the database stores it: a uuid on PostgreSQL, 32 hex digits on SQLite.
        public_id_value = _PUBLIC_ID.get_db_prep_value(public_id, connection)
        failed = [PdfKind.BRIEF.value, PdfSize.default().value, PdfStatus.FAILED.value]
        with connection.cursor() as cursor:
            due_by = connection.ops.adapt_datetimefield_value(horizon)
            parameters = [*failed, *failed, due_by, user.pk, user.pk]
            cursor.execute(sql, [*parameters, public_id_value, *rule_params])
            found = cursor.fetchone()
        if found is None:
            return None
        incident_id, version, updated_at, status, links_viewed_at, failed_stamp, failure = found[:7]
        return BriefKey(
            incident_id,
            version,
            _aware(updated_at),
            status,
            _aware(links_viewed_at),
            failed_stamp or "",
            failure or "",
            _aware(found[7]),
        )

    def untouched_drafts(self) -> IncidentQuerySet:
        """Drafts nothing was saved to since "Start a new escalation" made them: the dashboard
        leaves them out, and starting another escalation deletes those older than a day."""
        return self.filter(status=Status.DRAFT, version=1, title=DRAFT_TITLE)

    def with_alert_origin(self) -> IncidentQuerySet:
        """Each incident's `from_alert`: whether an alert webhook opened it (the dashboard's
        badge), in the same query (the alert groups' incident index)."""
        return self.annotate(from_alert=Exists(AlertGroup.objects.filter(incident=OuterRef("pk"))))

    def with_action_counts(self, today: date) -> IncidentQuerySet:
        """Each incident's open and overdue action items (`open_actions`, `overdue_actions`),
        counted in the database: the dashboard's rows and totals."""
        open_items = ActionItem.objects.filter(incident=OuterRef("pk"), done_at__isnull=True)
        return self.annotate(
            open_actions=_count_of(open_items),
            overdue_actions=_count_of(open_items.filter(due_on__lt=today)),
        )

    def dashboard_totals(
        self, *, today: date, weeks: list[tuple[datetime, datetime]]
    ) -> dict[str, int]:
        """The dashboard's totals in one aggregate query: promises kept and made by resolved
        incidents (stored at resolution; open ones are added from their loaded rows), open and
        overdue action items, and how many incidents started in each of `weeks` ([start, end))."""
        # The counts summed as expressions, not by the annotations' names: aggregating over a
        # subquery annotation by name drops it from the inner query (Django 6.1), and SQLite
        # then sums the string "open_actions".
        open_items = ActionItem.objects.filter(incident=OuterRef("pk"), done_at__isnull=True)
        return self.aggregate(
            kept=Sum("promises_kept", default=0),
            promised=Sum("promises_made", default=0),
            open_actions=Sum(_count_of(open_items), default=0),
            overdue_actions=Sum(_count_of(open_items.filter(due_on__lt=today)), default=0),
            **{
                f"week_{index}": Count("pk", filter=Q(started_at__gte=start, started_at__lt=end))
                for index, (start, end) in enumerate(weeks)
            },
        )

    def stage_durations(self) -> QuerySet[Incident, tuple[float | None, ...]]:
        """(start → detection, detection → escalation, escalation → resolution) per incident,
        in whole seconds: the dashboard's medians. Neither SQLite nor Django has a median
        aggregate, so this is the one dashboard query whose rows grow with the incidents.

        `Seconds`, not `F(end) - F(start)`: on SQLite Django subtracts datetimes in Python, two
        timestamp parses per value, which made this query 19 ms of the dashboard's 120 ms with
        1,000 incidents (make bench's data, in-process); `julianday` runs in SQLite.
        """
        return self.values_list(
            *(
                Seconds(F(end), F(start))
                for start, end in [
                    ("started_at", "detected_at"),
                    ("detected_at", "escalated_at"),
                    ("escalated_at", "resolved_at"),
                ]
            )
        )


class Seconds(Func):
    """Whole seconds from `start` to `end` (two datetime columns) as a float; None when either
    is. tests/test_dashboard.py proves it equals the difference of the loaded values."""

    arity = 2
    output_field = FloatField()
    template = "ROUND(EXTRACT(EPOCH FROM (%(expressions)s))::double precision)"
    arg_joiner = " - "

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, tuple[str | int, ...]]:
        sql, params = self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )
        return sql, tuple(params)


def _count_of(rows: QuerySet[ActionItem]) -> Coalesce:
    """How many of `rows` (filtered on OuterRef("pk")) there are, as a subquery annotation."""
    counted = rows.order_by().values("incident").annotate(number=Count("pk")).values("number")
    return Coalesce(Subquery(counted), 0)


@dataclass(frozen=True)
class Recommendation:
    """The CEO-level test's verdict on an incident, with its reasons."""

    escalate: bool
    factors: list[str]
    serious: list[str]
    total: int = 7

    @property
    def headline(self) -> str:
        if self.escalate:
            return "Escalate to the CEO now"
        return "Handle through normal incident channels and inform your VP"

    @property
    def reasoning(self) -> str:
        count = f"{len(self.factors)} of {self.total} factors"
        if not self.factors:
            return "None of the 7 factors applies."
        if self.serious:
            return f"{count}, including {_join(self.serious)}."
        if self.escalate:
            return f"{count}: {_join(self.factors)}."
        return f"Only {count} ({_join(self.factors)}); escalation needs two, or one serious one."


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


@dataclass(frozen=True)
class CostRange:
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class FinalCost:
    """A resolved incident's one total, with the range its estimate's confidence allows.

    The range is only ever shown as an aside to `amount` ("could be ... given medium
    confidence"), never as a total of its own: the CEO reads one final figure everywhere.
    """

    amount: Decimal
    low: Decimal
    high: Decimal
    confidence: str

    @property
    def uncertain(self) -> bool:
        return self.low != self.high


class Incident(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=TITLE_LENGTH)
    system = models.CharField("affected system or service", max_length=TITLE_LENGTH, blank=True)
    description = models.CharField(
        "what happened, in one plain sentence", max_length=SENTENCE_LENGTH, blank=True
    )
    severity = models.CharField(max_length=4, choices=Severity, default=Severity.SEV1)
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    operating_state = models.CharField(
        max_length=12, choices=OperatingState, default=OperatingState.UNKNOWN, blank=True
    )

    started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency, default=Currency.USD)
    # The zone the executive link and its PDF show times in: the owner's when the draft is
    # made (services.incident_create_draft), editable in the wizard.
    time_zone = models.CharField(max_length=ZONE_LENGTH, default="UTC")

    # The framework's narrative, in the order the CEO meeting script uses it.
    root_cause = models.CharField(max_length=NARRATIVE_LENGTH, blank=True)
    root_cause_confidence = models.CharField(
        max_length=10, choices=Confidence, default=Confidence.UNKNOWN, blank=True
    )
    mitigation = models.CharField(max_length=NARRATIVE_LENGTH, blank=True)
    eta_earliest = models.DateTimeField(null=True, blank=True)
    eta_latest = models.DateTimeField(null=True, blank=True)
    dependencies = models.CharField(
        "dependencies and uncertainties", max_length=NARRATIVE_LENGTH, blank=True
    )
    recurrence_risk = models.CharField(
        "risk of recurrence", max_length=NARRATIVE_LENGTH, blank=True
    )
    preventive_measures = models.CharField(max_length=NARRATIVE_LENGTH, blank=True)
    monitoring_changes = models.CharField(
        "monitoring and alerting changes", max_length=NARRATIVE_LENGTH, blank=True
    )
    resources_needed = models.CharField(max_length=NARRATIVE_LENGTH, blank=True)
    accountability = models.CharField(
        "accountability statement", max_length=NOTE_LENGTH, blank=True
    )
    remediation_overseer = models.CharField(
        "who personally oversees remediation", max_length=TITLE_LENGTH, blank=True
    )
    # Only the meeting script's greeting uses it; the brief and the link never show it.
    ceo_name = models.CharField("the CEO's name", max_length=TITLE_LENGTH, blank=True)

    # The CEO-level assessment (the wizard's first step).
    assess_revenue_per_hour = models.DecimalField(
        "revenue at risk per hour", max_digits=15, decimal_places=2, null=True, blank=True
    )
    assess_customers = models.BigIntegerField("customers affected", null=True, blank=True)
    assess_data_exposure = models.BooleanField(
        "data loss, security or privacy exposure", default=False
    )
    assess_regulatory = models.BooleanField(
        "regulatory, legal or contractual (SLA) breach", default=False
    )
    assess_public = models.BooleanField("public or media visibility", default=False)
    assess_duration_hours = models.PositiveIntegerField(
        "expected duration in hours", null=True, blank=True
    )
    assess_duration_unknown = models.BooleanField("duration unknown", default=False)
    assess_beyond_authority = models.BooleanField(
        "decisions or resources beyond the team's authority", default=False
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(
        "reason for going against the recommendation", max_length=NOTE_LENGTH, blank=True
    )

    update_cadence_minutes = models.PositiveIntegerField("promised update cadence", default=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_incidents"
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="shared_incidents"
    )
    # Optimistic locking: a save must name the version it was read at.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # What the brief states of a resolved incident and the dashboard totals in SQL: its final
    # cost (`final_cost().amount`) and the update promises kept and made
    # (`timeline.promise_record`). Written by `services.final_figures_store` whenever a resolved
    # incident changes, cleared (None) while it is open; the brief still computes its own.
    final_cost_amount = models.DecimalField(
        max_digits=24, decimal_places=2, null=True, blank=True, editable=False
    )
    promises_kept = models.PositiveIntegerField(null=True, blank=True, editable=False)
    promises_made = models.PositiveIntegerField(null=True, blank=True, editable=False)

    objects = IncidentQuerySet.as_manager()
    # The audit trail: who changed which field, when, from what to what. The stored figures
    # are derived, not edited, so they are left out.
    history = HistoricalRecords(
        excluded_fields=["updated_at", "final_cost_amount", "promises_kept", "promises_made"]
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the dashboard: a user's incidents newest first
            models.Index(fields=["owner", "-created_at"], name="incident_owner_created"),
        ]
        constraints = [
            _choices_check("incident", "severity", Severity),
            _choices_check("incident", "status", Status),
            _choices_check("incident", "operating_state", OperatingState),
            _choices_check("incident", "root_cause_confidence", Confidence),
            _choices_check("incident", "currency", Currency),
            models.CheckConstraint(
                condition=Q(detected_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(detected_at__gte=F("started_at")),
                name="incident_detected_after_start",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(started_at__isnull=True)
                | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.CheckConstraint(
                condition=Q(eta_earliest__isnull=True)
                | Q(eta_latest__isnull=True)
                | Q(eta_latest__gte=F("eta_earliest")),
                name="incident_eta_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(assess_revenue_per_hour__isnull=True)
                | Q(
                    assess_revenue_per_hour__gte=0, assess_revenue_per_hour__lt=MAX_REVENUE_PER_HOUR
                ),
                name="incident_assess_revenue_range",
            ),
            models.CheckConstraint(
                condition=Q(assess_customers__isnull=True)
                | Q(assess_customers__gte=0, assess_customers__lte=MAX_CUSTOMERS),
                name="incident_assess_customers_range",
            ),
            models.CheckConstraint(
                condition=Q(assess_duration_hours__isnull=True)
                | Q(assess_duration_hours__lte=MAX_DURATION_HOURS),
                name="incident_assess_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    update_cadence_minutes__gte=MIN_CADENCE_MINUTES,
                    update_cadence_minutes__lte=MAX_CADENCE_MINUTES,
                ),
                name="incident_cadence_range",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="incident_version_positive"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=False)
                | Q(
                    final_cost_amount__isnull=True,
                    promises_kept__isnull=True,
                    promises_made__isnull=True,
                ),
                name="incident_final_figures_only_when_resolved",
            ),
            models.CheckConstraint(
                condition=Q(promises_kept__isnull=True)
                | Q(promises_made__isnull=True)
                | Q(promises_kept__lte=F("promises_made")),
                name="incident_promises_kept_of_made",
            ),
            *_max_lengths(
                "incident",
                title=TITLE_LENGTH,
                system=TITLE_LENGTH,
                description=SENTENCE_LENGTH,
                root_cause=NARRATIVE_LENGTH,
                mitigation=NARRATIVE_LENGTH,
                dependencies=NARRATIVE_LENGTH,
                recurrence_risk=NARRATIVE_LENGTH,
                preventive_measures=NARRATIVE_LENGTH,
                monitoring_changes=NARRATIVE_LENGTH,
                resources_needed=NARRATIVE_LENGTH,
                accountability=NOTE_LENGTH,
                remediation_overseer=TITLE_LENGTH,
                ceo_name=TITLE_LENGTH,
                override_reason=NOTE_LENGTH,
                time_zone=ZONE_LENGTH,
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.status not in {Status.RESOLVED, Status.CLOSED}

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.time_zone) or ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)

    def end_or(self, now: datetime) -> datetime:
        """Where the clock stops: the resolution time, or now while the incident is open."""
        return self.resolved_at if self.resolved_at is not None else now

    @property
    def is_untouched_draft(self) -> bool:
        """The row-level twin of IncidentQuerySet.untouched_drafts."""
        return self.status == Status.DRAFT and self.version == 1 and self.title == DRAFT_TITLE

    def elapsed(self, now: datetime | None = None) -> timedelta:
        if self.started_at is None:
            return timedelta(0)
        now = now or timezone.now()
        return max(self.end_or(now) - self.started_at, timedelta(0))

    def estimates_in_order(self) -> list[ImpactEstimate]:
        """The estimate history, oldest first; uses a prefetch when the caller made one."""
        return sorted(self.estimates.all(), key=lambda e: (e.effective_at, e.pk or 0))

    def current_estimate(self) -> ImpactEstimate | None:
        estimates = self.estimates_in_order()
        return estimates[-1] if estimates else None

    def cost_between(
        self, until: datetime, estimates: list[ImpactEstimate] | None = None
    ) -> Decimal:
        """Revenue at risk integrated from the start to `until` over the estimate history.

        Each estimate applies from its `effective_at` until the next one takes over. The first
        estimate applies from the start of the incident, because it describes the impact as it
        was from the beginning; a later revision changes the rate only from when it was made.
        """
        if estimates is None:
            estimates = self.estimates_in_order()
        if self.started_at is None or not estimates:
            return Decimal("0.00")
        total = Decimal(0)
        for index, estimate in enumerate(estimates):
            begin = self.started_at if index == 0 else max(estimate.effective_at, self.started_at)
            finish = estimates[index + 1].effective_at if index + 1 < len(estimates) else until
            finish = min(finish, until)
            if finish > begin:
                seconds = Decimal((finish - begin).total_seconds())
                total += estimate.revenue_per_hour * seconds / SECONDS_PER_HOUR
        return total.quantize(CENT, rounding=ROUND_HALF_UP)

    def cost_so_far(self, now: datetime | None = None) -> Decimal:
        return self.cost_between(self.end_or(now or timezone.now()))

    def projected_cost(self, now: datetime | None = None) -> CostRange | None:
        """Total cost if the incident ends at the earliest and at the latest ETA."""
        if self.resolved_at is not None:
            total = self.cost_between(self.resolved_at)
            return CostRange(total, total)
        if self.eta_earliest is None or self.eta_latest is None:
            return None
        now = now or timezone.now()
        estimates = self.estimates_in_order()
        return CostRange(
            low=self.cost_between(max(self.eta_earliest, now), estimates),
            high=self.cost_between(max(self.eta_latest, now), estimates),
        )

    def final_cost(self) -> FinalCost | None:
        """The cost integrated to the resolution time, or None while the incident is open."""
        if self.resolved_at is None:
            return None
        estimate = self.current_estimate()
        cost = self.cost_between(self.resolved_at)
        confidence = estimate.confidence if estimate else ""
        band = CONFIDENCE_BANDS.get(confidence, Decimal(0))
        return FinalCost(
            amount=cost,
            low=(cost * (1 - band)).quantize(CENT),
            high=(cost * (1 + band)).quantize(CENT),
            confidence=confidence,
        )

    def latest_update(self) -> IncidentUpdate | None:
        updates = list(self.updates.all())
        return max(updates, key=lambda u: u.sequence) if updates else None

    def next_update_due(self) -> datetime | None:
        """When the CEO was promised the next update: the last update's promise, or one cadence
        after escalation when nothing has been posted yet."""
        if not self.is_open:
            return None
        latest = self.latest_update()
        if latest is not None:
            return latest.next_update_due
        if self.escalated_at is None:
            return None
        return self.escalated_at + timedelta(minutes=self.update_cadence_minutes)

    def overdue_by(self, now: datetime | None = None) -> timedelta | None:
        """How late the promised update is, or None when it is not late (or none is due)."""
        due = self.next_update_due()
        now = now or timezone.now()
        if due is None or now <= due:
            return None
        return now - due

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.overdue_by(now) is not None

    def overseer_name(self) -> str:
        """Who personally oversees the remediation, as a reader of the brief names them.

        The architect may type "I" (the script is spoken in the first person); the brief is read
        without them in the room, so there it is the owner's name.
        """
        name = self.remediation_overseer.strip()
        if name.lower() in {"i", "me", "myself"}:
            return self.owner.get_full_name() or self.owner.get_username()
        return name

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency)

    def recommendation(self) -> Recommendation:
        """The CEO-level test: any data, regulatory or public exposure escalates on its own;
        otherwise at least two of the other four factors must apply."""
        serious = [
            label
            for applies, label in [
                (self.assess_data_exposure, "data, security or privacy exposure"),
                (self.assess_regulatory, "a regulatory breach"),
                (self.assess_public, "public or media visibility"),
            ]
            if applies
        ]
        duration = self.assess_duration_hours
        others = [
            label
            for applies, label in [
                (
                    self.assess_revenue_per_hour is not None
                    and self.assess_revenue_per_hour
                    >= settings.ESCALATION_REVENUE_PER_HOUR_THRESHOLD,
                    "revenue at risk",
                ),
                (
                    self.assess_customers is not None
                    and self.assess_customers >= settings.ESCALATION_CUSTOMERS_THRESHOLD,
                    "customers affected",
                ),
                (
                    self.assess_duration_unknown
                    or (
                        duration is not None
                        and duration >= settings.ESCALATION_DURATION_HOURS_THRESHOLD
                    ),
                    "a long or unknown duration",
                ),
                (self.assess_beyond_authority, "decisions beyond the team's authority"),
            ]
            if applies
        ]
        return Recommendation(
            escalate=bool(serious) or len(others) >= 2,
            factors=serious + others,
            serious=serious,
        )

    def escalated_against_advice(self) -> bool:
        return self.assessed_at is not None and not self.recommendation().escalate


# The impact flags an estimate carries, with the words the brief shows for each.
ESTIMATE_FLAGS = [
    ("sla_breach", "SLA or contract breach"),
    ("regulatory", "Regulatory or legal exposure"),
    ("data_exposure", "Data, security or privacy exposure"),
    ("reputation", "Reputation or media risk"),
]


class ImpactEstimate(models.Model):
    """What the incident costs the business, as estimated at one moment. Revisions add rows."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="estimates")
    effective_at = models.DateTimeField(default=timezone.now)
    revenue_per_hour = models.DecimalField(
        "revenue at risk per hour", max_digits=15, decimal_places=2
    )
    customers_affected = models.BigIntegerField()
    sla_breach = models.BooleanField("SLA or contract breach", default=False)
    regulatory = models.BooleanField("regulatory or legal exposure", default=False)
    data_exposure = models.BooleanField("data loss, security or privacy exposure", default=False)
    reputation = models.BooleanField("reputation or media risk", default=False)
    other_impact = models.CharField("other business impact", max_length=NOTE_LENGTH, blank=True)
    confidence = models.CharField(
        max_length=6, choices=EstimateConfidence, default=EstimateConfidence.MEDIUM
    )
    basis = models.CharField("basis of the estimate", max_length=NOTE_LENGTH, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["effective_at", "pk"]
        indexes = [
            # cost so far: an incident's estimates in effect order
            models.Index(fields=["incident", "effective_at"], name="estimate_incident_effective"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(revenue_per_hour__gte=0, revenue_per_hour__lt=MAX_REVENUE_PER_HOUR),
                name="estimate_revenue_range",
            ),
            models.CheckConstraint(
                condition=Q(customers_affected__gte=0, customers_affected__lte=MAX_CUSTOMERS),
                name="estimate_customers_range",
            ),
            _choices_check("estimate", "confidence", EstimateConfidence),
            *_max_lengths("estimate", other_impact=NOTE_LENGTH, basis=NOTE_LENGTH),
        ]

    def __str__(self) -> str:
        return f"{self.revenue_per_hour}/h, {self.customers_affected} customers"

    def flags(self) -> list[str]:
        return [label for field, label in ESTIMATE_FLAGS if getattr(self, field)]

    def change_from(self, previous: ImpactEstimate | None, currency: str) -> str:
        """What this revision changed, as the timeline says it: a revision that only raises
        the confidence says that, not "revised" beside the same figures."""
        figures = (
            f"{format_money(self.revenue_per_hour, currency)}/h, "
            f"{self.customers_affected:,} customers"
        )
        if previous is None:
            return f"First impact estimate: {figures}."
        clauses = []
        if (self.revenue_per_hour, self.customers_affected) != (
            previous.revenue_per_hour,
            previous.customers_affected,
        ):
            clauses.append(f"impact estimate revised: {figures}")
        if self.confidence != previous.confidence:
            order = list(EstimateConfidence.values)
            way = (
                "raised"
                if order.index(self.confidence) > order.index(previous.confidence)
                else "lowered"
            )
            clauses.append(f"confidence {way} to {self.get_confidence_display().lower()}")
        added = [
            label
            for field, label in ESTIMATE_FLAGS
            if getattr(self, field) and not getattr(previous, field)
        ]
        removed = [
            label
            for field, label in ESTIMATE_FLAGS
            if getattr(previous, field) and not getattr(self, field)
        ]
        if added:
            clauses.append(f"now flagged: {_join(added)}")
        if removed:
            clauses.append(f"no longer flagged: {_join(removed)}")
        if self.other_impact != previous.other_impact:
            clauses.append("other impact updated" if self.other_impact else "other impact removed")
        if self.basis != previous.basis:
            clauses.append("basis updated")
        if not clauses:
            return f"Impact estimate confirmed: {figures}."
        sentence = "; ".join(clauses)
        return f"{sentence[0].upper()}{sentence[1:]}."


class IncidentUpdate(models.Model):
    """One entry of the timeline. Append-only: a correction is a new entry pointing back."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    sequence = models.PositiveIntegerField()
    posted_at = models.DateTimeField(default=timezone.now)
    # When the facts it reports were true, if earlier than `posted_at` (empty: when posted);
    # the timeline orders by `facts_at`, then by sequence. At most AS_OF_WINDOW before
    # `posted_at`: the update form checks that, and that it is not before the incident's start.
    as_of = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operating_state = models.CharField(max_length=12, choices=OperatingState, blank=True)
    what_changed = models.CharField(max_length=NARRATIVE_LENGTH)
    next_steps = models.CharField(max_length=NARRATIVE_LENGTH, blank=True)
    eta_earliest = models.DateTimeField(null=True, blank=True)
    eta_latest = models.DateTimeField(null=True, blank=True)
    # The ETA this entry revised, copied when it was posted (the incident keeps only the
    # current one), so the timeline can say "moved from 18:46 to 04:46".
    previous_eta_earliest = models.DateTimeField(null=True, blank=True)
    previous_eta_latest = models.DateTimeField(null=True, blank=True)
    next_update_due = models.DateTimeField()
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    estimate = models.OneToOneField(
        ImpactEstimate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="update",
        help_text="The revised impact estimate posted with this update, if any.",
    )

    class Meta:
        ordering = ["posted_at", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "sequence"], name="update_sequence_unique"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="update_sequence_positive"),
            _choices_check("update", "operating_state", OperatingState),
            models.CheckConstraint(
                condition=Q(eta_earliest__isnull=True)
                | Q(eta_latest__isnull=True)
                | Q(eta_latest__gte=F("eta_earliest")),
                name="update_eta_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(next_update_due__gte=F("posted_at")),
                name="update_next_due_after_post",
            ),
            models.CheckConstraint(
                condition=Q(as_of__isnull=True) | Q(as_of__lte=F("posted_at")),
                name="update_as_of_not_after_post",
            ),
            *_max_lengths("update", what_changed=NARRATIVE_LENGTH, next_steps=NARRATIVE_LENGTH),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.posted_at:%Y-%m-%d %H:%M}"

    @property
    def facts_at(self) -> datetime:
        """When the facts this entry reports were true: where the timeline places it."""
        return self.as_of if self.as_of is not None else self.posted_at

    @property
    def posted_later(self) -> bool:
        """Reports facts of an earlier minute than it was posted in: the timeline says both."""
        return self.posted_at.replace(second=0, microsecond=0) > self.facts_at

    @property
    def eta_moved(self) -> bool:
        return self.previous_eta_latest is not None and (
            self.previous_eta_earliest != self.eta_earliest
            or self.previous_eta_latest != self.eta_latest
        )


_PUBLIC_ID = Incident._meta.get_field("public_id")

# What the executive views read of a link and its incident (`ShareLinkQuerySet.for_token`):
# the page itself comes from the cache, keyed by the incident's stamp.
LINK_FIELDS = ["incident_id", "expires_at", "revoked_at", "last_viewed_at", "seen_sequence"]
LINK_INCIDENT_FIELDS = ["version", "updated_at", "title", "status", "resolved_at", "time_zone"]


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def active(self, now: datetime) -> ShareLinkQuerySet:
        """The links that open their brief at `now`: not revoked, not expired. The one rule for
        the executive views, the architect's list and the backups' report."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)

    def with_guesses(self, *, client: str, minute: int) -> ShareLinkQuerySet:
        """Each link with `guesses`: the wrong tokens `client` sent in `minute` (None for none),
        read in the link's own query so a valid token costs no query for the limit
        (briefs.link_throttle)."""
        return self.annotate(guesses=Subquery(ShareLinkGuesses.objects.misses(client, minute)))

    def for_token(
        self, token_hash: str, now: datetime, *, client: str, minute: int
    ) -> tuple[ShareLink, int | None] | None:
        """The active link of a token, with what the executive views read of it and of its
        incident (`LINK_FIELDS`, `LINK_INCIDENT_FIELDS`), and the client's wrong guesses this
        minute, in one query; None for a wrong, revoked or expired token."""
        links = (
            self.active(now)
            .filter(token_hash=token_hash)
            .select_related("incident")
            .only(*LINK_FIELDS, *(f"incident__{name}" for name in LINK_INCIDENT_FIELDS))
            .with_guesses(client=client, minute=minute)
            # Every executive request runs this: no ordering to sort one row by.
            .order_by()[:1]
        )
        for link in links:
            return link, link.guesses  # type: ignore[attr-defined]  # the annotation above
        return None

    def active_with_stamp(
        self, token_hash: str, now: datetime, *, client: str, minute: int
    ) -> tuple[ShareLink, int | None] | None:
        """`for_token` by hand, for the executive page and its refresh: the same link, the same
        columns of its incident, the same `guesses`.

        Hand-written, because the ORM's query costs far more to build than to run, on the path
        every executive's page and refresh take. `DEBUG=1 .venv/bin/python
        bench/access_queries.py` (3,000 calls, CPU µs per call, a busy shared machine,
        2026-12-01): SQLite 1,929 (`for_token`) vs 155 (12×), PostgreSQL 2,841 vs 566 (5×),
        where the whole executive page took about 0.6 ms in-process on a quiet machine
        (docs/scaling.md). The rule is `active`'s: tests/test_access_rules.py proves both
        lookups return the same for active, revoked, expired and wrong tokens.
        """
        sql, link_columns, incident_columns = _link_and_stamp_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [client, minute, token_hash, now])
            row = cursor.fetchone()
        if row is None:
            return None
        split = len(link_columns)
        link = _from_row(ShareLink, link_columns, row[:split])
        link.incident = _from_row(Incident, incident_columns, row[split:-1])
        return link, row[-1]


@functools.cache
def _link_and_stamp_sql() -> tuple[str, list[str], list[str]]:
    """`active_with_stamp`'s query and the columns it reads, in the models' field order (the
    order `Model.from_db` takes them in). The rule is `ShareLinkQuerySet.active`'s."""
    link_columns = _in_field_order(ShareLink, ["id", *LINK_FIELDS])
    incident_columns = _in_field_order(Incident, ["id", *LINK_INCIDENT_FIELDS])
    guesses = ShareLinkGuesses._meta.db_table
    columns = [
        *(f"link.{name}" for name in link_columns),
        *(f"incident.{name}" for name in incident_columns),
        f"(SELECT misses FROM {guesses} WHERE client = %s AND minute = %s)",
    ]
    # Table and column names from the models, values as parameters.
    sql = (
        f"SELECT {', '.join(columns)} FROM {ShareLink._meta.db_table} link"  # noqa: S608
        f" JOIN {Incident._meta.db_table} incident ON incident.id = link.incident_id"
        " WHERE link.token_hash = %s AND link.revoked_at IS NULL AND link.expires_at > %s"
    )
    return sql, link_columns, incident_columns


def _in_field_order(model: type[models.Model], names: list[str]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.attname in names]


def _from_row[M: models.Model](model: type[M], columns: list[str], values: tuple[Any, ...]) -> M:
    """An instance of `model` from columns read by hand, as `QuerySet.only` would load it."""
    converted = [
        _aware(value) if isinstance(model._meta.get_field(name), models.DateTimeField) else value
        for name, value in zip(columns, values, strict=True)
    ]
    return model.from_db(connection.alias, columns, converted)


class ShareLink(models.Model):
    """A read-only executive link. Only the token's SHA-256 is kept: a dump yields no link."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="share_links")
    # Names the link in the architect's URLs (revoke); the token itself is never stored.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_viewed_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    # "What changed since your last visit": the newest update sequence this link has seen.
    seen_sequence = models.PositiveIntegerField(default=0)
    # Visits are counted, not audited: only creation and revocation are changes.
    history = HistoricalRecords(excluded_fields=["last_viewed_at", "view_count", "seen_sequence"])

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="sharelink_expires_after_created"
            ),
            *_max_lengths("sharelink", label=100),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.incident})"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


def _add_one(using: str, model: type[models.Model], column: str, client: str, minute: int) -> int:
    """Insert `client`'s row for `minute` with `column` at 1, or add one to it; the new count.

    One statement, so concurrent calls each count: the ORM has no "insert, or add one"
    (`bulk_create`'s `update_conflicts` can only set the new row's values). Used by the
    per-minute counters of wrong link tokens and of link downloads.
    """
    table = model._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client, minute, {column}) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (client, minute) DO UPDATE SET {column} = {table}.{column} + 1 "
            f"RETURNING {column}",
            [client, minute],
        )
        (count,) = cursor.fetchone()
    return int(count)


class ShareLinkGuessesQuerySet(models.QuerySet["ShareLinkGuesses"]):
    def misses(self, client: str, minute: int) -> QuerySet[ShareLinkGuesses, int]:
        """The count of one client's minute, as a one-column query (at most one row)."""
        return self.filter(client=client, minute=minute).values_list("misses", flat=True)

    def count_miss(self, client: str, minute: int) -> int:
        """Count one wrong token of `client` in `minute`; its misses that minute, this one
        included. Rows of the minutes gone by are deleted on the way.

        Hand-written for correctness, not speed: concurrent misses of one client must each
        count, and the ORM has no single-statement "insert, or add one" (`bulk_create`'s
        `update_conflicts` can only set the new row's values).
        tests/test_robustness.py has many clients guess at once and counts every miss.
        """
        with transaction.atomic(using=self.db):
            # A miss never waits for another's clean-up: rows another miss is deleting right
            # now are skipped (SQLite, one writer at a time, ignores the clause).
            past = self.filter(minute__lt=minute).select_for_update(skip_locked=True)
            self.filter(pk__in=past.values("pk")).delete()
            return _add_one(self.db, ShareLinkGuesses, "misses", client, minute)


class ShareLinkGuesses(models.Model):
    """How many wrong executive-link tokens one client sent in one minute (briefs.link_throttle).

    A table rather than the cache, so that the executive link's own lookup reads the count in
    the same query: every executive request is checked, and most are not guesses.
    """

    client = models.CharField(max_length=64)
    minute = models.BigIntegerField(help_text="minutes since the Unix epoch")
    misses = models.PositiveIntegerField(default=1)

    objects = ShareLinkGuessesQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "minute"], name="guesses_client_minute"),
            *_max_lengths("guesses", client=64),
        ]
        # Rows of past minutes are deleted on each new miss.
        indexes = [models.Index(fields=["minute"], name="guesses_minute")]

    def __str__(self) -> str:
        return f"{self.client}: {self.misses} in minute {self.minute}"


class ShareLinkDownloadsQuerySet(models.QuerySet["ShareLinkDownloads"]):
    def count_download(self, client: str, minute: int) -> int:
        """Count one PDF sent through an executive link to `client` (the link and the reader) in
        `minute`; the files sent that minute, this one included.

        Hand-written for correctness and cost: concurrent downloads must each count, in one
        statement (the ORM has no "insert, or add one"). The shared cache's `add` and `incr`
        it replaces cost 12 queries per download on the database cache, two of them a
        `COUNT(*)` of the whole cache table; this is one (CaptureQueriesContext on a stored
        download: 14 queries before, 3 after). tests/test_pdf_documents.py counts every call.
        """
        downloads = _add_one(self.db, ShareLinkDownloads, "downloads", client, minute)
        if downloads == 1:
            # A client's first file of a minute clears the minutes gone by: once a minute at
            # most, never on every download.
            self.filter(minute__lt=minute).delete()
        return downloads


class ShareLinkDownloads(models.Model):
    """How many PDFs one reader of one executive link was sent in one minute
    (briefs.pdf_downloads: SHARE_LINK_PDF_LIMIT)."""

    client = models.CharField(max_length=64, help_text="a hash of the link's token and the reader")
    minute = models.BigIntegerField(help_text="minutes since the Unix epoch")
    downloads = models.PositiveIntegerField(default=1)

    objects = ShareLinkDownloadsQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "minute"], name="downloads_client_minute"),
            *_max_lengths("downloads", client=64),
        ]
        # Rows of past minutes are deleted on each client's first download of a minute.
        indexes = [models.Index(fields=["minute"], name="downloads_minute")]

    def __str__(self) -> str:
        return f"{self.client}: {self.downloads} in minute {self.minute}"


class CeoDecision(models.Model):
    """A decision the architect asks of the CEO, offered with options and a recommendation."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField(default=0)
    question = models.CharField("decision needed", max_length=SENTENCE_LENGTH)
    options = models.CharField(max_length=NOTE_LENGTH)
    trade_offs = models.CharField("trade-offs in business terms", max_length=NOTE_LENGTH)
    recommendation = models.CharField("the option you recommend", max_length=SENTENCE_LENGTH)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            *_max_lengths(
                "decision",
                question=SENTENCE_LENGTH,
                options=NOTE_LENGTH,
                trade_offs=NOTE_LENGTH,
                recommendation=SENTENCE_LENGTH,
            ),
        ]

    def __str__(self) -> str:
        return self.question


class Meeting(models.Model):
    """The CEO meeting: who was there, what was decided and what was promised."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="meetings")
    held_at = models.DateTimeField()
    attendees = models.CharField(max_length=NOTE_LENGTH)
    resources_granted = models.CharField(max_length=NOTE_LENGTH, blank=True)
    rca_due_on = models.DateField("root-cause analysis due on", null=True, blank=True)
    cadence_minutes = models.PositiveIntegerField("update cadence agreed", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["held_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence_minutes__isnull=True)
                | Q(
                    cadence_minutes__gte=MIN_CADENCE_MINUTES,
                    cadence_minutes__lte=MAX_CADENCE_MINUTES,
                ),
                name="meeting_cadence_range",
            ),
            *_max_lengths("meeting", attendees=NOTE_LENGTH, resources_granted=NOTE_LENGTH),
        ]

    def __str__(self) -> str:
        return f"Meeting {self.held_at:%Y-%m-%d %H:%M}"


class MeetingDecision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    decision = models.CharField(max_length=SENTENCE_LENGTH * 2)
    decided_by = models.CharField(max_length=TITLE_LENGTH)
    # The ask this decision answers: the brief then shows the ask as decided, not as an ask.
    # A decision nobody asked for answers none and is listed under its meeting only.
    ask = models.ForeignKey(
        CeoDecision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name="the ask it answers",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            *_max_lengths("meetingdecision", decision=SENTENCE_LENGTH * 2, decided_by=TITLE_LENGTH),
        ]

    def __str__(self) -> str:
        return self.decision


class RootCauseAnalysis(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="rca")
    root_cause = models.CharField(max_length=NARRATIVE_LENGTH)
    root_cause_confirmed = models.BooleanField("the root cause is confirmed", default=False)
    contributing_factors = models.CharField(max_length=NARRATIVE_LENGTH, blank=True)
    why_not_caught = models.CharField(
        "why it was not caught earlier", max_length=NARRATIVE_LENGTH, blank=True
    )
    went_well = models.CharField("what went well", max_length=NARRATIVE_LENGTH, blank=True)
    went_badly = models.CharField("what did not go well", max_length=NARRATIVE_LENGTH, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    # Optimistic locking, as the incident's: a save names the version its form was read at
    # (services.rca_save). The audit trail records what changed, not this counter.
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at", "version"])

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="rca_version_positive"),
            *_max_lengths(
                "rca",
                root_cause=NARRATIVE_LENGTH,
                contributing_factors=NARRATIVE_LENGTH,
                why_not_caught=NARRATIVE_LENGTH,
                went_well=NARRATIVE_LENGTH,
                went_badly=NARRATIVE_LENGTH,
            ),
        ]

    def __str__(self) -> str:
        return f"RCA of {self.incident}"


class ActionItem(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="action_items")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="action_items"
    )
    description = models.CharField(max_length=SENTENCE_LENGTH * 2)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
    )
    owner_name = models.CharField("owner outside the app", max_length=TITLE_LENGTH, blank=True)
    due_on = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=13, choices=ActionKind, default=ActionKind.CORRECTIVE)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            _choices_check("actionitem", "kind", ActionKind),
            *_max_lengths("actionitem", description=SENTENCE_LENGTH * 2, owner_name=TITLE_LENGTH),
        ]

    def __str__(self) -> str:
        return self.description

    def owner_display(self) -> str:
        if self.owner is not None:
            return self.owner.get_full_name() or self.owner.get_username()
        return self.owner_name or "Unassigned"

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.done_at is None and self.due_on is not None and self.due_on < today

    def status(self, today: date | None = None) -> str:
        if self.done_at is not None:
            return "Done"
        return "Overdue" if self.is_overdue(today) else "Open"


class Profile(models.Model):
    """What a user chose for themselves. Read at login only: each request takes the zone from
    a cookie set from it (briefs.middleware), so pages cost no query for it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Empty until the user picks one: until then the app proposes the browser's zone.
    time_zone = models.CharField(max_length=ZONE_LENGTH, blank=True)

    class Meta:
        constraints = [*_max_lengths("profile", time_zone=ZONE_LENGTH)]

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone or 'no zone chosen'}"


class PdfKind(models.TextChoices):
    BRIEF = "brief", "Brief"
    BRIEF_WITH_APPENDIX = "brief_with_appendix", "Brief with the architect's appendix"
    RCA = "rca", "Root-cause analysis"


class PdfSize(models.TextChoices):
    A4 = "a4", "A4"
    LETTER = "letter", "Letter"

    @classmethod
    def default(cls) -> PdfSize:
        """PDF_PAGE_SIZE: the size rendered ahead, and a download's without ``?size=``."""
        return cls.LETTER if settings.PDF_PAGE_SIZE.lower() == "letter" else cls.A4


class PdfStatus(models.TextChoices):
    PENDING = "pending", "Being prepared"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class PdfFailure(models.TextChoices):
    TIMEOUT = "timeout", "Took too long"
    MEMORY = "memory", "Needed too much memory"
    ERROR = "error", "Renderer error"


STAMP_LENGTH = 100


class PdfDocument(models.Model):
    """One stored PDF of an incident (briefs.pdf_documents): rendered by the worker, never in a
    request. `stamp` and `status` describe the brief's latest version asked for; `file` is the
    newest file rendered, of `file_stamp`, which is the "previous version" while a newer one
    is prepared."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="pdfs")
    kind = models.CharField(max_length=20, choices=PdfKind)
    size = models.CharField(max_length=6, choices=PdfSize)
    stamp = models.CharField(max_length=STAMP_LENGTH, help_text="the brief_stamp asked for")
    status = models.CharField(max_length=8, choices=PdfStatus, default=PdfStatus.PENDING)
    # When the pending render was enqueued: a job lost with its worker is enqueued again.
    requested_at = models.DateTimeField(default=timezone.now)
    failure = models.CharField(max_length=8, choices=PdfFailure, blank=True)
    failure_detail = models.CharField(max_length=NOTE_LENGTH, blank=True)
    file = models.CharField(max_length=255, blank=True, help_text="a name in STORAGES['pdfs']")
    file_stamp = models.CharField(max_length=STAMP_LENGTH, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            # request_render's coalescing: one row, so one pending render, per document.
            models.UniqueConstraint(
                fields=["incident", "kind", "size"], name="pdfdocument_one_per_document"
            ),
            _choices_check("pdfdocument", "kind", PdfKind),
            _choices_check("pdfdocument", "size", PdfSize),
            _choices_check("pdfdocument", "status", PdfStatus),
            models.CheckConstraint(
                condition=Q(failure="") | Q(failure__in=PdfFailure.values),
                name="pdfdocument_failure_valid",
            ),
            # Ready means the stored file is the version asked for; failed says why.
            models.CheckConstraint(
                condition=~Q(status=PdfStatus.READY)
                | (~Q(file="") & Q(file_stamp=F("stamp")) & Q(rendered_at__isnull=False)),
                name="pdfdocument_ready_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(status=PdfStatus.FAILED) | ~Q(failure=""),
                name="pdfdocument_failed_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(file="") | Q(rendered_at__isnull=False),
                name="pdfdocument_file_has_time",
            ),
            *_max_lengths(
                "pdfdocument",
                stamp=STAMP_LENGTH,
                file_stamp=STAMP_LENGTH,
                failure_detail=NOTE_LENGTH,
                file=255,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_size_display()} of {self.incident_id}"

    def is_ready_for(self, stamp: str) -> bool:
        return self.status == PdfStatus.READY and self.stamp == stamp

    def has_failed_for(self, stamp: str) -> bool:
        return self.status == PdfStatus.FAILED and self.stamp == stamp


# --- Chat webhooks (briefs/chat.py) -------------------------------------------------------------

CHAT_LABEL_LENGTH = 80
# Slack's and Teams' webhook URLs are 80 to 400 characters; Workflows' carry a signature.
CHAT_URL_LENGTH = 1000


class ChatKind(models.TextChoices):
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class ChatWebhookQuerySet(models.QuerySet["ChatWebhook"]):
    def active(self) -> ChatWebhookQuerySet:
        """The webhooks notices go to (briefs.chat.targets_for) and the brief lists."""
        return self.filter(disabled_at__isnull=True)


class ChatWebhook(models.Model):
    """An incoming webhook of one incident's Slack or Teams channel.

    The URL is the only credential a webhook has, so it is kept whole (it must be sent) but
    shown only as `masked_url` once saved, and kept out of the audit history. Removing one
    disables it: deliveries already recorded still name it.
    """

    # The foreign key's index serves briefs.chat.targets_for and the brief's list: an incident
    # has a handful of webhooks, so no partial index on the active ones.
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="chat_webhooks")
    # Names the webhook in the architect's URLs (remove) and in delivery keys ("webhook:<id>").
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=5, choices=ChatKind)
    label = models.CharField(max_length=CHAT_LABEL_LENGTH)
    url = models.CharField(max_length=CHAT_URL_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    disabled_at = models.DateTimeField(null=True, blank=True)

    objects = ChatWebhookQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            _choices_check("chatwebhook", "kind", ChatKind),
            # One channel once per incident, or every notice reaches it twice.
            models.UniqueConstraint(
                fields=["incident", "url"],
                condition=Q(disabled_at__isnull=True),
                name="chatwebhook_one_active_per_url",
            ),
            models.CheckConstraint(
                condition=Q(url__startswith="https://"), name="chatwebhook_url_https"
            ),
            *_max_lengths("chatwebhook", label=CHAT_LABEL_LENGTH, url=CHAT_URL_LENGTH),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def target_key(self) -> str:
        """Its `briefs.chat.ChatTarget.key`, which its deliveries and its ChatLink carry."""
        return f"webhook:{self.public_id}"

    @property
    def masked_url(self) -> str:
        """Enough to tell two webhooks apart, not enough to post to one: host and last 4."""
        host = self.url.removeprefix("https://").split("/", 1)[0]
        return f"https://{host}/…{self.url[-4:]}"


# --- Alert webhooks (issue 17): integrations, the alert groups they opened, cleared alerts -----

# Alertmanager's groupKey has no length limit: a group is named by its key's SHA-256.
KEY_HASH_LENGTH = 64
URL_LENGTH = 2000


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    PAGERDUTY = "pagerduty", "PagerDuty"
    GRAFANA = "grafana", "Grafana alerting"
    GENERIC = "generic", "Generic JSON"


class IntegrationQuerySet(models.QuerySet["Integration"]):
    def active(self) -> IntegrationQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_token(self, *, kind: str, token: str) -> Integration | None:
        """The active integration of `kind` whose URL carries `token`: one unique-index probe.
        A wrong kind is the same miss as a wrong token (the hook answers both with 404), and so
        is a deactivated owner's: someone who left must not keep getting drafts opened."""
        return (
            self.active()
            .select_related("owner")
            .filter(kind=kind, token_hash=Integration.hash_token(token), owner__is_active=True)
            .first()
        )


class Integration(models.Model):
    """A secret URL an alerting tool posts to; its alerts open drafts owned by `owner`.

    Only the URL token's SHA-256 is kept, as for executive links. PagerDuty's signing secret
    (PagerDuty makes it, shown once when its webhook subscription is created) is kept as it is:
    verifying an HMAC needs the secret itself. It never reaches the admin, the logs or
    `__str__`.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integrations"
    )
    kind = models.CharField(max_length=12, choices=IntegrationKind)
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    signing_secret = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_received_at = models.DateTimeField(null=True, blank=True)

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the settings page: a user's integrations newest first
            models.Index(fields=["owner", "-created_at"], name="integration_owner_created"),
        ]
        constraints = [
            _choices_check("integration", "kind", IntegrationKind),
            # Only PagerDuty signs its deliveries. Its secret may still be empty: PagerDuty
            # makes it when the subscription to this URL is created, and until it is pasted
            # here every delivery is refused.
            models.CheckConstraint(
                condition=Q(kind=IntegrationKind.PAGERDUTY) | Q(signing_secret=""),
                name="integration_secret_only_for_pagerduty",
            ),
            *_max_lengths("integration", name=100, signing_secret=100),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class AlertGroup(models.Model):
    """One alert group of a source (Alertmanager's or Grafana's groupKey, PagerDuty's incident
    id, the generic form's dedup_key) and the incident its first firing opened: repeats of the
    group update that draft instead of opening another.

    `title`, `system` and `started_at` are what the alert last said: a repeat changes a draft's
    field only while it still holds that value, so nothing the architect typed is overwritten.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="groups")
    key_hash = models.CharField(max_length=KEY_HASH_LENGTH)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alert_groups")
    title = models.CharField(max_length=TITLE_LENGTH)
    system = models.CharField(max_length=TITLE_LENGTH, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    source_url = models.CharField(max_length=URL_LENGTH, blank=True)
    firing = models.BooleanField(default=True)
    notifications = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    last_received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "key_hash"], name="alertgroup_one_per_key"
            ),
            *_max_lengths("alertgroup", title=TITLE_LENGTH, system=TITLE_LENGTH),
        ]
        indexes = [
            # the brief and the wizard: the alert groups that opened an incident
            models.Index(fields=["incident"], name="alertgroup_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.integration})"


class AlertClearanceQuerySet(models.QuerySet["AlertClearance"]):
    def pending(self) -> AlertClearanceQuerySet:
        return self.filter(confirmed_at__isnull=True)


class AlertClearance(models.Model):
    """An alert group reported cleared on an escalated incident: a note the architect confirms
    (it then joins the timeline). It never resolves the incident: an alert that stops firing
    is not a business that works again."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="alert_clearances"
    )
    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="clearances")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cleared_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    update = models.OneToOneField(
        IncidentUpdate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AlertClearanceQuerySet.as_manager()

    class Meta:
        ordering = ["cleared_at"]
        indexes = [
            # the brief: an incident's cleared alerts waiting for confirmation
            models.Index(
                fields=["incident"],
                condition=Q(confirmed_at__isnull=True),
                name="alertclearance_pending",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(confirmed_at__gte=F("received_at")),
                name="alertclearance_confirmed_after_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group.title} cleared at {self.cleared_at:%Y-%m-%d %H:%M}"


class AlertEvent(models.Model):
    """A PagerDuty event id already taken: a delivery replayed within the freshness window is
    refused by the unique constraint; older rows are pruned (a replay that old is stale)."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    event_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "event_id"], name="alertevent_once_per_integration"
            ),
            *_max_lengths("alertevent", event_id=100),
        ]
        indexes = [
            # the pruning of events older than the freshness window
            models.Index(fields=["received_at"], name="alertevent_received"),
        ]

    def __str__(self) -> str:
        return self.event_id


# --- Sign-in and admin take-over (issue 19) ---


class SingleSignOnIdentity(models.Model):
    """A person as the identity provider names them: its issuer and their subject.

    Later sign-ins find the user by this pair, never by email, which a provider lets people
    change (and which another account could come to hold).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The sign-in's lookup (briefs.sso.user_for_claims), and one user per subject.
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique"),
            models.CheckConstraint(condition=~Q(subject=""), name="sso_identity_has_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"


class StaffActKind(models.TextChoices):
    HAND_OVER = "hand_over", "Handed ownership to"
    ADD_COLLABORATOR = "add_collaborator", "Added collaborator"


class StaffAct(models.Model):
    """An admin's take-over of an incident they do not own: kept for the audit trail
    (briefs.history shows it on the incident's History page)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="staff_acts")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_acts"
    )
    kind = models.CharField(max_length=20, choices=StaffActKind.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [_choices_check("staffact", "kind", StaffActKind)]


class RecoveryCode(models.Model):
    """A one-time code that signs a local account in when its authenticator is lost. Only
    its SHA-256 is kept: the codes are random (40 bits, and a sign-in allows five wrong
    codes after a right password), so no slow hash is needed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The sign-in's lookup of a typed code (briefs.services.recovery_code_use).
            models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique"),
        ]

    @staticmethod
    def hash_code(code: str) -> str:
        normalised = code.replace("-", "").replace(" ", "").lower()
        return hashlib.sha256(normalised.encode()).hexdigest()


# --- The meeting while it happens: the presenter view and the screen (issue 18) --------------


class ScreenSection(models.TextChoices):
    """What the meeting's screen shows under the key figures. Each value names a section of
    `_brief.html` (templates/briefs/present/screen.html shows the one chosen, by CSS)."""

    OVERVIEW = "overview", "At a glance"
    WHAT = "what", "What happened"
    IMPACT = "impact", "Business impact"
    CAUSE = "cause", "Root cause"
    DOING = "doing", "What we are doing"
    WHEN = "when", "When it will be resolved"
    NEED = "need", "What we need from you"
    PREVENT = "prevent", "Preventing a recurrence"
    ACCOUNT = "account", "Accountability"
    COMMITMENTS = "commitments", "What we committed to"


class Presentation(models.Model):
    """The CEO meeting while it is held: what the presenter has on the screen, and (in its
    captures) what was decided and promised so far. Ending it writes the meeting record."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="presentations")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # The script's cue card the presenter is on (0-based), and the brief's section on screen.
    card = models.PositiveSmallIntegerField(default=0)
    section = models.CharField(max_length=12, choices=ScreenSection, default=ScreenSection.OVERVIEW)
    # Moves on with every change of what the screen shows: part of the stamp the screen polls.
    screen_version = models.PositiveIntegerField(default=1)
    meeting = models.OneToOneField(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="presentation"
    )

    class Meta:
        constraints = [
            # One meeting at a time: reopening the presenter view resumes it. Its partial
            # unique index also serves the screen's once-a-second poll (briefs.presentation.
            # screen_state: an incident's open presentation).
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(ended_at__isnull=True),
                name="presentation_one_open_per_incident",
            ),
            _choices_check("presentation", "section", ScreenSection),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="presentation_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(screen_version__gte=1), name="presentation_screen_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Presentation of {self.incident_id} from {self.started_at:%Y-%m-%d %H:%M}"


class CaptureKind(models.TextChoices):
    DECISION = "decision", "Decision"
    COMMITMENT = "commitment", "Commitment"
    ACTION = "action", "Action item"
    RESOURCES = "resources", "Resources granted"
    CADENCE = "cadence", "New update cadence"


class Capture(models.Model):
    """One thing decided or promised in the meeting, saved the moment it is typed so that a
    closed browser loses nothing; `services.presentation_end` turns them into the record."""

    presentation = models.ForeignKey(
        Presentation, on_delete=models.CASCADE, related_name="captures"
    )
    kind = models.CharField(max_length=10, choices=CaptureKind)
    # The decision, commitment, action or resources, as typed; empty for a cadence.
    text = models.CharField(max_length=SENTENCE_LENGTH * 2, blank=True)
    decided_by = models.CharField(max_length=TITLE_LENGTH, blank=True)
    # The ask a decision answers (its incident's: the form offers no other).
    ask = models.ForeignKey(CeoDecision, on_delete=models.SET_NULL, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    owner_name = models.CharField(max_length=TITLE_LENGTH, blank=True)
    due_on = models.DateField(null=True, blank=True)
    action_kind = models.CharField(max_length=13, choices=ActionKind, blank=True)
    cadence_minutes = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            _choices_check("capture", "kind", CaptureKind),
            models.CheckConstraint(
                condition=Q(action_kind="") | Q(action_kind__in=ActionKind.values),
                name="capture_action_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind=CaptureKind.CADENCE) | ~Q(text=""), name="capture_has_text"
            ),
            models.CheckConstraint(
                condition=~Q(kind=CaptureKind.DECISION) | ~Q(decided_by=""),
                name="capture_decision_has_decider",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CaptureKind.ACTION)
                | (Q(owner__isnull=False) | ~Q(owner_name="")) & Q(due_on__isnull=False),
                name="capture_action_has_owner_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CaptureKind.CADENCE)
                | Q(
                    cadence_minutes__gte=MIN_CADENCE_MINUTES,
                    cadence_minutes__lte=MAX_CADENCE_MINUTES,
                ),
                name="capture_cadence_range",
            ),
            *_max_lengths(
                "capture",
                text=SENTENCE_LENGTH * 2,
                decided_by=TITLE_LENGTH,
                owner_name=TITLE_LENGTH,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text or self.cadence_minutes}"


# --- Reminders to the architect (issue 16): briefs/reminders.py ---------------------------------


class ReminderKind(models.TextChoices):
    # The same values as briefs.notices.NoticeKind's reminders: the notice a reminder sends.
    DUE = "reminder_due", "Update due soon"
    OVERDUE = "reminder_overdue", "Update overdue"


class UpdatePromise(models.Model):
    """The update an open, escalated incident has promised the CEO next: what the in-app banner
    reads. Kept by `briefs.reminders.promise_track` in the transaction of every write that sets
    or moves the promise (escalation, an update, a new cadence, resolution deletes it)."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="update_promise"
    )
    due_at = models.DateTimeField()
    # The newest timeline entry when the promise was made (0: none yet). A promise is this and
    # `due_at`: an update posted since makes a new promise, even for the same time.
    after_sequence = models.PositiveIntegerField()

    class Meta:
        indexes = [
            # the banner on every architect page: promises falling due within the lead time
            models.Index(fields=["due_at"], name="update_promise_due"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: due {self.due_at:%Y-%m-%d %H:%M}"


class UpdateReminder(models.Model):
    """A reminder claimed by the job that queued its mails (briefs.reminders.remind), whose
    deliveries say what became of each. The unique key makes it one per promise and kind,
    however often it is scheduled or run."""

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="update_reminders"
    )
    kind = models.CharField(max_length=16, choices=ReminderKind)
    due_at = models.DateTimeField()
    after_sequence = models.PositiveIntegerField()
    claimed_at = models.DateTimeField(default=timezone.now)
    # The mails queued (the owner and collaborators with an email address).
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "after_sequence", "due_at", "kind"],
                name="update_reminder_once",
            ),
            _choices_check("reminder", "kind", ReminderKind),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.kind} for {self.due_at:%Y-%m-%d %H:%M}"


# --- API tokens (issue 17: the JSON API) -------------------------------------------------------


class ApiTokenScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self, now: datetime) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)


class ApiToken(models.Model):
    """A personal API token (`Authorization: Bearer ...`). As with executive links, only the
    token's SHA-256 is kept: a dump or backup yields no usable token."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # Names the token in the settings page's URLs (revoke); the token itself is never stored.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    # The lookup of every API request: unique, so indexed.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The token's first characters, shown in the list so a user can tell their tokens apart.
    visible_prefix = models.CharField(max_length=16, editable=False)
    scope = models.CharField(max_length=10, choices=ApiTokenScope, default=ApiTokenScope.READ_WRITE)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the settings page: a user's tokens newest first
            models.Index(fields=["user", "-created_at"], name="apitoken_user_created"),
        ]
        constraints = [
            _choices_check("apitoken", "scope", ApiTokenScope),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="apitoken_expires_after_created"
            ),
            *_max_lengths("apitoken", name=100, visible_prefix=16),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.visible_prefix}…)"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def can_write(self) -> bool:
        return self.scope == ApiTokenScope.READ_WRITE

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


# --- Notifications (issue 16): subscribers and every message sent to them ---------------------
# briefs.notifications composes and sends; these rows are what it promised and what happened.

EMAIL_LENGTH = 254  # RFC 5321's limit on a forward path
RECIPIENT_KEY_LENGTH = 200
IDEMPOTENCY_KEY_LENGTH = 300
SALT_LENGTH = 32


class SubscriberCadence(models.TextChoices):
    EACH_UPDATE = "each_update", "Every update"
    DIGEST = "digest", "A digest at the promised cadence"


class SubscriberQuerySet(models.QuerySet["Subscriber"]):
    def receiving(self) -> SubscriberQuerySet:
        """Who still gets mail: not unsubscribed, and their own link not revoked (revoking a
        person's link is how an architect stops their mail too)."""
        return self.filter(unsubscribed_at__isnull=True, share_link__revoked_at__isnull=True)


class Subscriber(models.Model):
    """An executive who gets the incident's notices by mail, with their own executive link.

    The link's token is never stored (ShareLink keeps its hash): briefs.notifications derives
    it from SECRET_KEY, `public_id` and `link_salt` whenever a mail needs it.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="subscribers")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=TITLE_LENGTH)
    email = models.EmailField(max_length=EMAIL_LENGTH)
    # Links are only revoked, never deleted, except with their incident (and this row with it).
    share_link = models.OneToOneField(
        ShareLink, on_delete=models.CASCADE, related_name="subscriber"
    )
    link_salt = models.CharField(max_length=SALT_LENGTH, editable=False)
    cadence = models.CharField(
        max_length=11, choices=SubscriberCadence, default=SubscriberCadence.EACH_UPDATE
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            _choices_check("subscriber", "cadence", SubscriberCadence),
            *_max_lengths(
                "subscriber", name=TITLE_LENGTH, email=EMAIL_LENGTH, link_salt=SALT_LENGTH
            ),
        ]
        # No unique (incident, email): a person removed (their link revoked) may be added again.
        indexes = [
            # the fan-out and the brief's list: an incident's subscribers
            models.Index(fields=["incident", "created_at"], name="subscriber_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_receiving(self) -> bool:
        return self.unsubscribed_at is None and self.share_link.revoked_at is None


class ChatLink(models.Model):
    """A chat webhook's own executive link to one incident (briefs.chat's `ChatTarget.key`),
    made the first time a notice goes there; its token is derived as a subscriber's is."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="chat_links")
    target_key = models.CharField(max_length=RECIPIENT_KEY_LENGTH)
    share_link = models.OneToOneField(ShareLink, on_delete=models.CASCADE, related_name="chat_link")
    link_salt = models.CharField(max_length=SALT_LENGTH, editable=False)

    class Meta:
        constraints = [
            # One link per target and incident, also when two workers make it at once.
            models.UniqueConstraint(fields=["incident", "target_key"], name="chatlink_one_per"),
            *_max_lengths("chatlink", target_key=RECIPIENT_KEY_LENGTH, link_salt=SALT_LENGTH),
        ]

    def __str__(self) -> str:
        return f"{self.target_key} ({self.incident_id})"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    TEAMS = "teams", "Microsoft Teams"


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    RETRYING = "retrying", "Retrying"
    # Not sent, and never will be: the person unsubscribed or lost their link first, or a
    # digest was overtaken by the resolution's mail. `last_error` says which.
    CANCELLED = "cancelled", "Cancelled"


class Delivery(models.Model):
    """One message to one recipient: written with the change that causes it, sent by the worker
    (briefs.notifications.deliver). `idempotency_key` names the message and the recipient, so
    the same message is never recorded, or sent, twice."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=5, choices=DeliveryChannel)
    recipient_label = models.CharField(max_length=TITLE_LENGTH)
    # An email address, or a chat target's key (never its webhook URL: that is a secret).
    recipient_address = models.CharField(max_length=EMAIL_LENGTH)
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    trigger = models.CharField(max_length=16, choices=NoticeKind)
    update = models.ForeignKey(
        IncidentUpdate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(max_length=IDEMPOTENCY_KEY_LENGTH, unique=True)
    status = models.CharField(max_length=9, choices=DeliveryStatus, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=NOTE_LENGTH, blank=True)
    subject = models.CharField(max_length=NOTE_LENGTH, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When a worker claimed the row for its latest attempt: a row still `sending` long after
    # it was lost with its worker (briefs.notifications.deliver).
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the next attempt may run: a retry's backoff, or a digest's promised time.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            _choices_check("delivery", "channel", DeliveryChannel),
            _choices_check("delivery", "status", DeliveryStatus),
            _choices_check("delivery", "trigger", NoticeKind),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
            *_max_lengths(
                "delivery",
                recipient_label=TITLE_LENGTH,
                recipient_address=EMAIL_LENGTH,
                idempotency_key=IDEMPOTENCY_KEY_LENGTH,
                last_error=NOTE_LENGTH,
                subject=NOTE_LENGTH,
            ),
        ]
        indexes = [
            # the brief's delivery line and the details page: an incident's deliveries newest first
            models.Index(fields=["incident", "-created_at"], name="delivery_incident_created"),
            # the due sweep (notifications.send_due) and a digest's pending row per subscriber
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_due"),
            # a digest's "since your last mail": a subscriber's deliveries
            models.Index(fields=["subscriber", "-created_at"], name="delivery_subscriber"),
        ]

    def __str__(self) -> str:
        return f"{self.get_trigger_display()} to {self.recipient_label}: {self.status}"
