"""The guided escalation's steps: their coaching, what each one needs, and where a draft stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from briefs.models import (
    DRAFT_TITLE as DRAFT_TITLE,  # views and tests name it escalation_steps.DRAFT_TITLE
)
from briefs.models import ImpactEstimate, Incident


@dataclass(frozen=True)
class Step:
    slug: str
    name: str
    heading: str
    coaching: str
    example: str


STEPS = [
    Step(
        "assess",
        "Assess",
        "Is this truly a CEO-level issue?",
        "The CEO's time is the scarcest in the company. Escalate when the business is at "
        "stake: money, customers, data, the law or the press, or a decision only the CEO can "
        "make. If it is not CEO-level, your VP still needs to know.",
        "About $48,000 of orders per hour cannot be placed; 12,500 customers are affected; "
        "two enterprise contracts' availability promises are broken.",
    ),
    Step(
        "what-happened",
        "What happened",
        "What happened, in one sentence?",
        "Lead with what the business cannot do, not with the component that failed. One "
        "sentence a person outside engineering understands.",
        "Customers cannot complete orders because the checkout service rejects payments.",
    ),
    Step(
        "impact",
        "Impact",
        "What does it cost the business?",
        "Quantify: money per hour, customers, contracts. A range or a rough figure with its "
        "basis beats no figure. Say how confident you are; you can revise it with each update.",
        "$48,000 per hour in lost orders (yesterday's orders per hour times average order "
        "value); 12,500 customers; low confidence for now.",
    ),
    Step(
        "cause",
        "Cause",
        "Why did it happen, and what are we doing?",
        "Say what you know and what you do not know yet. 'As we understand it now' is honest; "
        "blame is never useful. Describe the fix as an outcome, not as commands.",
        "A configuration change released yesterday made card payments fail. We returned "
        "to the previous settings and moved payments to our backup provider.",
    ),
    Step(
        "outlook",
        "Outlook",
        "When will it end, and will it happen again?",
        "Give a range, and what it depends on: a single time that slips costs more trust than "
        "an honest range. Then show how you will prevent a repeat and catch it earlier.",
        "Resolved in 4 to 6 hours, once the backup provider confirms it can take full volume. "
        "We will check payment settings automatically before every release.",
    ),
    Step(
        "resources",
        "Resources",
        "What do you need from the CEO?",
        "Offer solutions, not only problems: for each decision, the options, what each costs "
        "the business, and what you recommend. Own the remediation personally and promise "
        "an update rhythm you will keep.",
        "Approve a 10% voucher for affected customers (about $90,000) or send an apology only; "
        "we recommend the voucher to keep our best customers.",
    ),
    Step(
        "review",
        "Review",
        "Review the brief and the script",
        "Read the script aloud once. Every question the CEO is likely to ask should have an "
        "answer; replace jargon with the plain words suggested.",
        "",
    ),
]
STEP_SLUGS = [step.slug for step in STEPS]
STEPS_BY_SLUG = {step.slug: step for step in STEPS}


def missing(incident: Incident, slug: str) -> list[str]:
    """What a step still needs before the incident can be escalated, in plain words."""
    if slug == "assess":
        if incident.assessed_at is None:
            return ["the CEO-level assessment"]
        if incident.escalated_against_advice() and not incident.override_reason:
            return ["a reason for escalating against the recommendation"]
        return []
    checks: list[tuple[object, str]]
    if slug == "what-happened":
        checks = [
            (incident.title and incident.title != DRAFT_TITLE, "a name for the incident"),
            (incident.system, "the affected system or service"),
            (incident.description, "a one-sentence description"),
            (incident.started_at, "the start time"),
            (incident.detected_at, "the detection time"),
        ]
    elif slug == "impact":
        checks = [(incident.current_estimate(), "an impact estimate")]
    elif slug == "cause":
        checks = [
            (incident.root_cause, "the root cause as currently understood"),
            (incident.root_cause_confidence, "how sure we are of the root cause"),
            (incident.mitigation, "the mitigation under way"),
            (incident.operating_state, "the current operating state"),
        ]
    elif slug == "outlook":
        checks = [
            (incident.eta_earliest and incident.eta_latest, "the ETA range"),
            (incident.dependencies, "what the ETA depends on"),
            (incident.recurrence_risk, "the risk of recurrence"),
            (incident.preventive_measures, "the preventive measures"),
            (incident.monitoring_changes, "the monitoring and alerting changes"),
        ]
    elif slug == "resources":
        checks = [
            (incident.resources_needed, "the resources needed"),
            (incident.accountability, "the accountability statement"),
            (incident.remediation_overseer, "who oversees the remediation"),
        ]
    else:
        return []
    return [label for present, label in checks if not present]


@dataclass(frozen=True)
class StepState:
    step: Step
    complete: bool
    current: bool

    @property
    def label(self) -> str:
        if self.current:
            return "current step"
        return "complete" if self.complete else "incomplete"


def progress(incident: Incident, current: str) -> list[StepState]:
    # The review is complete once every other step is.
    ready = not missing_for_escalation(incident)
    return [
        StepState(
            step,
            ready if step.slug == "review" else not missing(incident, step.slug),
            step.slug == current,
        )
        for step in STEPS
    ]


def missing_for_escalation(incident: Incident) -> list[tuple[Step, str]]:
    return [(step, item) for step in STEPS for item in missing(incident, step.slug)]


def first_incomplete_step(incident: Incident) -> str:
    for step in STEPS[:-1]:
        if missing(incident, step.slug):
            return step.slug
    return "review"


def neighbours(slug: str) -> tuple[str | None, str | None]:
    index = STEP_SLUGS.index(slug)
    before = STEP_SLUGS[index - 1] if index > 0 else None
    after = STEP_SLUGS[index + 1] if index + 1 < len(STEP_SLUGS) else None
    return before, after


def assessed(incident: Incident, values: dict[str, Any]) -> Incident:
    """The incident as it would be with the assess step's `values`, unsaved: the live advice
    (`recommendation()`) while the architect answers."""
    preview = Incident(
        **{f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    )
    for name, value in values.items():
        setattr(preview, name, value)
    return preview


@dataclass(frozen=True)
class CostPreview:
    """The impact step's live figures: the rate typed, and the cost so far it implies."""

    rate: Decimal | None
    cost: Decimal | None
    currency: str
    elapsed: timedelta


def cost_preview(
    incident: Incident, *, rate: Decimal | None, currency: str, now: datetime
) -> CostPreview:
    """The cost so far the brief will state at `now` once the impact step saves `rate` as the
    first estimate's: the brief's own rule (`Incident.cost_between`, its rounding included),
    with any later revisions kept."""
    cost = None
    if rate is not None and incident.started_at is not None:
        saved = incident.estimates_in_order()
        # Only its rate counts: the first estimate applies from the start, whenever it was made.
        first = ImpactEstimate(revenue_per_hour=rate, effective_at=incident.started_at)
        cost = incident.cost_between(incident.end_or(now), [first, *saved[1:]])
    return CostPreview(rate=rate, cost=cost, currency=currency, elapsed=incident.elapsed(now))
