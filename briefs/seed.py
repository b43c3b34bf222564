"""The seed world: realistic incidents with estimates, updates and decisions.

Plain keyword-only builders shared by the demo command (`manage.py demo`), the bench
(`bench/run.py`, `bench/loadtest.py`) and the tests, so the escalation a CEO reads in the demo is
the one the bench measures and the tests check. Nothing in a request imports this module.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from briefs.models import (
    ActionKind,
    Confidence,
    EstimateConfidence,
    ImpactEstimate,
    Incident,
    OperatingState,
    Severity,
    Status,
)
from briefs.services import (
    ActionInput,
    DecisionInput,
    EstimateInput,
    action_item_add,
    action_item_complete,
    estimate_add,
    incident_resolve,
    meeting_record,
    rca_save,
    update_post,
)

ORDER_OUTAGE = "Order processing outage"
SEARCH_OUTAGE = "Product search outage"

# The order outage's one ask of the CEO; the demo's meeting decides it, the bench's incidents
# keep it open.
COMPENSATION_ASK: dict[str, str] = {
    "question": "Do we compensate affected customers?",
    "options": "A 10% goodwill voucher for every affected customer, or an apology email only.",
    "trade_offs": (
        "The voucher costs about $90,000 and protects repeat orders from our best "
        "customers; an apology costs nothing but risks losing some of them."
    ),
    "recommendation": "A 10% voucher for failed orders.",
}

# (hours after the start, the estimate): the first, then the revisions posted with updates.
ORDER_OUTAGE_ESTIMATES = [
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
SEARCH_OUTAGE_ESTIMATE = EstimateInput(
    Decimal("22000"),
    40_000,
    EstimateConfidence.MEDIUM,
    basis="Share of orders that start with a search, times orders per hour.",
)
# Given with the resolution.
SEARCH_OUTAGE_FINAL_ESTIMATE = EstimateInput(
    Decimal("20000"),
    38_000,
    EstimateConfidence.HIGH,
    basis="Measured lost searches against the same weekday last week.",
)
# The hour whose update the demo's architect missed: the timeline shows the gap.
MISSED_HOUR = 9


def make_user(*, username: str = "owner", password: str, **fields: Any) -> User:
    user: User = get_user_model().objects.create_user(
        username=username, password=password, **fields
    )
    return user


def make_incident(*, owner: User, title: str = "Checkout outage", **fields: Any) -> Incident:
    """An escalated incident that started two hours ago; `fields` override any column."""
    now = timezone.now()
    defaults: dict[str, Any] = {
        "system": "Checkout service",
        "description": "Customers cannot pay for orders.",
        "status": Status.ESCALATED,
        "started_at": now - timedelta(hours=2),
        "detected_at": now - timedelta(hours=2) + timedelta(minutes=5),
        "escalated_at": now - timedelta(hours=1),
    }
    defaults.update(fields)
    return Incident.objects.create(owner=owner, title=title, **defaults)


def make_estimate(
    *,
    incident: Incident,
    revenue_per_hour: str | Decimal = "1000",
    customers_affected: int = 100,
    effective_at: datetime | None = None,
    **fields: Any,
) -> ImpactEstimate:
    return ImpactEstimate.objects.create(
        incident=incident,
        author=incident.owner,
        revenue_per_hour=Decimal(revenue_per_hour),
        customers_affected=customers_affected,
        effective_at=effective_at or incident.started_at or timezone.now(),
        **fields,
    )


def order_outage_fields(*, start: datetime, now: datetime) -> dict[str, Any]:
    """Every answer of the wizard for the order outage: a SEV1 that started at `start` and is
    being mitigated at `now`. The bench builds its big incidents from these unsaved."""
    return {
        "title": ORDER_OUTAGE,
        "system": "Checkout service",
        "description": (
            "Customers cannot complete orders because the checkout service rejects payments."
        ),
        "severity": Severity.SEV1,
        "status": Status.MITIGATING,
        "operating_state": OperatingState.DEGRADED,
        "started_at": start,
        "detected_at": start + timedelta(minutes=7),
        "escalated_at": start + timedelta(minutes=25),
        "assessed_at": start + timedelta(minutes=20),
        "currency": "USD",
        "root_cause": (
            "A payment setting changed in yesterday's release made card payments time out."
        ),
        "root_cause_confidence": Confidence.LIKELY,
        "mitigation": (
            "We restored the last good payment settings and moved payments to our backup provider."
        ),
        "eta_earliest": now + timedelta(hours=2),
        "eta_latest": now + timedelta(hours=5),
        "dependencies": (
            "The backup payment provider confirming it can take our full order volume."
        ),
        "recurrence_risk": (
            "Medium until payment settings are checked automatically before each release."
        ),
        "preventive_measures": (
            "Automatic checks of payment settings before every release; a staged release "
            "to 5% of customers first."
        ),
        "monitoring_changes": "An alert when payments drop 20% for 5 minutes.",
        "resources_needed": "Two engineers from the mobile app team for the next two days.",
        "accountability": "The whole engineering team is accountable.",
        "remediation_overseer": "Alex Rivera, principal architect",
        "assess_revenue_per_hour": Decimal("48000"),
        "assess_customers": 12_500,
        "assess_public": True,
        "assess_regulatory": True,
        "assess_duration_unknown": True,
        "assess_beyond_authority": True,
        "update_cadence_minutes": 60,
        "created_at": start + timedelta(minutes=15),
        "updated_at": now,
    }


def make_order_outage(*, owner: User, start: datetime, now: datetime, **fields: Any) -> Incident:
    """The order outage with its compensation ask and first estimate ($48,000 an hour, 12,500
    customers, from the start), no updates yet; `fields` override any column."""
    incident = make_incident(owner=owner, **{**order_outage_fields(start=start, now=now), **fields})
    incident.decisions.create(**COMPENSATION_ASK)
    hours, first = ORDER_OUTAGE_ESTIMATES[0]
    estimate_add(
        incident=incident, author=owner, data=first, effective_at=start + timedelta(hours=hours)
    )
    return incident


def _order_update_text(hour: int) -> str:
    if hour == 0:
        return "Checkout is down for all customers; we are investigating."
    if hour == 4:
        return "The impact is larger than first estimated: enterprise customers are affected."
    if hour == 10:
        return "Orders are flowing again through the backup payment provider, at 40% of normal."
    if hour < 10:
        return f"Still down. We are testing the rollback of the payment settings (hour {hour})."
    return f"Partial service continues; order volume is recovering (hour {hour})."


def demo_order_outage(*, owner: User, now: datetime) -> Incident:
    """The demo's open escalation: 18 hours in, hourly updates but one missed, two revised
    estimates, and a meeting that decided the ask and set three actions."""
    start = now - timedelta(hours=18, minutes=30)
    incident = make_order_outage(owner=owner, start=start, now=now)
    revisions = dict(ORDER_OUTAGE_ESTIMATES[1:])
    for hour in range(19):
        if hour == MISSED_HOUR:
            continue
        posted = start + timedelta(hours=hour, minutes=10)
        update_post(
            incident=incident,
            author=owner,
            posted_at=posted,
            what_changed=_order_update_text(hour),
            next_steps="Keep payments on the backup provider and watch order volume.",
            operating_state=OperatingState.FULL_OUTAGE if hour < 10 else OperatingState.DEGRADED,
            next_update_due=posted + timedelta(minutes=60),
            estimate=revisions.get(hour),
        )
    incident.refresh_from_db()
    today = timezone.localdate(now)
    meeting_record(
        incident=incident,
        recorded_by=owner,
        expected_version=incident.version,
        held_at=now - timedelta(hours=17, minutes=20),
        attendees="Dana Chen (CEO), Sam Patel (CFO), Alex Rivera (architect)",
        resources_granted="Two engineers from the mobile app team until Friday.",
        decisions=[
            DecisionInput(
                "Send a 10% voucher to customers whose orders failed.",
                "Dana Chen (CEO)",
                ask=incident.decisions.first(),
            ),
            ("Freeze non-urgent releases until the RCA is delivered.", "Dana Chen (CEO)"),
        ],
        actions=[
            ActionInput(
                "Email affected customers with the voucher",
                ActionKind.COMMUNICATION,
                due_on=today - timedelta(days=1),
                owner_name="Jamie Lee (Customer Care)",
            ),
            ActionInput(
                "Check payment settings automatically before each release",
                ActionKind.PREVENTIVE,
                due_on=today + timedelta(days=7),
                owner=owner,
            ),
            ActionInput(
                "Alert when successful payments drop 20% below normal",
                ActionKind.MONITORING,
                due_on=today + timedelta(days=3),
                owner=owner,
            ),
        ],
        rca_due_on=today + timedelta(days=5),
    )
    return incident


def demo_search_outage(*, owner: User, now: datetime) -> Incident:
    """Last week's search outage: resolved, its RCA written, its promises mostly kept."""
    start = now - timedelta(days=6, hours=3)
    incident = make_incident(
        owner=owner,
        title=SEARCH_OUTAGE,
        system="Product search",
        description="Customers could not search the catalogue, so most found no products.",
        severity=Severity.SEV2,
        status=Status.ESCALATED,
        operating_state=OperatingState.FULL_OUTAGE,
        started_at=start,
        detected_at=start + timedelta(minutes=22),
        escalated_at=start + timedelta(minutes=50),
        assessed_at=start + timedelta(minutes=45),
        root_cause="The search index ran out of disk space after a catalogue import.",
        root_cause_confidence=Confidence.CONFIRMED,
        mitigation="We freed disk space and rebuilt the index from last night's copy.",
        eta_earliest=start + timedelta(hours=3),
        eta_latest=start + timedelta(hours=6),
        dependencies="The index rebuild finishing in time.",
        recurrence_risk="Low once disk space is watched.",
        preventive_measures="Disk space alerts at 70%; imports check free space first.",
        monitoring_changes="An alert when search errors exceed 1% for 2 minutes.",
        resources_needed="None beyond the search team.",
        accountability="The whole engineering team is accountable.",
        remediation_overseer="Alex Rivera, principal architect",
        assess_revenue_per_hour=Decimal("22000"),
        assess_customers=40_000,
        assess_public=True,
        assess_duration_hours=4,
        created_at=start + timedelta(minutes=40),
        updated_at=start + timedelta(hours=5),
    )
    estimate_add(
        incident=incident,
        author=owner,
        effective_at=start + timedelta(minutes=45),
        data=SEARCH_OUTAGE_ESTIMATE,
    )
    for hour, what_changed in enumerate(
        [
            "Search is down; we are freeing disk space.",
            "Disk space freed; the index rebuild has started.",
            "The rebuild is 60% done; search works for some products.",
            "The rebuild is done; we are checking results.",
            "Search results checked; traffic is back to normal.",
        ]
    ):
        posted = start + timedelta(hours=hour, minutes=55)
        update_post(
            incident=incident,
            author=owner,
            posted_at=posted,
            what_changed=what_changed,
            operating_state=OperatingState.FULL_OUTAGE if hour < 2 else OperatingState.LIMITED,
            next_update_due=posted + timedelta(minutes=60),
        )
    # The meeting decided the one ask: the resolved brief lists it among the decisions taken.
    incident.decisions.create(
        question="Do we rebuild search from last night's copy?",
        options="Rebuild from last night's copy (about 3 hours), or repair the index in place.",
        trade_offs=(
            "The rebuild misses today's catalogue changes until they are imported again; "
            "a repair keeps them but may take all day."
        ),
        recommendation="Rebuild from last night's copy now.",
    )
    incident.refresh_from_db()
    meeting_record(
        incident=incident,
        recorded_by=owner,
        expected_version=incident.version,
        held_at=start + timedelta(hours=1, minutes=5),
        attendees="Dana Chen (CEO), Alex Rivera (architect)",
        decisions=[("Rebuild search from last night's copy now.", "Dana Chen (CEO)")],
        actions=[],
    )
    incident.refresh_from_db()
    incident_resolve(
        incident=incident,
        author=owner,
        expected_version=incident.version,
        resolved_at=start + timedelta(hours=5),
        estimate=SEARCH_OUTAGE_FINAL_ESTIMATE,
        closing_update="Search is fully restored. The RCA follows within two days.",
        now=start + timedelta(hours=5, minutes=5),
    )
    # Two promises, both due: one overdue, one kept on its day.
    today = timezone.localdate(now)
    for description, days_ago, kept in [
        ("Disk space alerts at 70% on the search cluster", 2, False),
        ("Imports check free disk space before they start", 3, True),
    ]:
        item = action_item_add(
            incident=incident,
            data=ActionInput(
                description,
                ActionKind.PREVENTIVE,
                due_on=today - timedelta(days=days_ago),
                owner=owner,
            ),
        )
        if kept:
            action_item_complete(item=item, now=now - timedelta(days=days_ago))
    rca_save(
        incident=incident,
        author=owner,
        fields={
            "root_cause": "A catalogue import filled the search index's disk.",
            "root_cause_confirmed": True,
            "contributing_factors": "No disk space alert; the import did not check free space.",
            "why_not_caught": "We watched search errors, not the disk they depend on.",
            "went_well": "Clear hourly updates; the rebuild from backup worked first time.",
            "went_badly": "22 minutes to detect; no runbook for a full rebuild.",
        },
    )
    return incident
