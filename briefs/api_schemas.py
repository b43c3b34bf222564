"""The JSON API's shapes: what a request may send (unknown fields refused) and what it answers,
the brief as data built from `briefs.brief_content` (computed there once, never here)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.utils import timezone
from ninja import Schema
from pydantic import ConfigDict, Field

from briefs.brief_content import brief_context
from briefs.models import (
    NARRATIVE_LENGTH,
    NOTE_LENGTH,
    SENTENCE_LENGTH,
    TITLE_LENGTH,
    ActionItem,
    ActionKind,
    Confidence,
    Currency,
    EstimateConfidence,
    Incident,
    IncidentUpdate,
    OperatingState,
    Severity,
    ShareLink,
    Status,
    Subscriber,
    SubscriberCadence,
)


class Input(Schema):
    """A request body: a field the API does not know is a 422, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


# Text limits: the database's (briefs.models), so a body the API accepts always fits.
Title = Annotated[str, Field(max_length=TITLE_LENGTH)]
Sentence = Annotated[str, Field(max_length=SENTENCE_LENGTH)]
Note = Annotated[str, Field(max_length=NOTE_LENGTH)]
Narrative = Annotated[str, Field(max_length=NARRATIVE_LENGTH)]


# --- Requests ----------------------------------------------------------------------------------


class EstimateIn(Input):
    revenue_per_hour: Annotated[Decimal, Field(ge=0, decimal_places=2)]
    customers_affected: Annotated[int, Field(ge=0)]
    confidence: EstimateConfidence = EstimateConfidence.MEDIUM
    basis: Note = ""
    other_impact: Note = ""
    sla_breach: bool = False
    regulatory: bool = False
    data_exposure: bool = False
    reputation: bool = False


class DraftIn(Input):
    title: Title
    time_zone: str | None = None


# The fields of the guided escalation's steps that PATCH may change, by step: the assess step's
# answers record the assessment, as the wizard's assess step does.
ASSESS_FIELDS = {
    "assess_revenue_per_hour",
    "assess_customers",
    "assess_data_exposure",
    "assess_regulatory",
    "assess_public",
    "assess_duration_hours",
    "assess_duration_unknown",
    "assess_beyond_authority",
    "override_reason",
}


class IncidentPatch(Input):
    """PATCH: the fields to change, and the version they were read at (409 if it moved)."""

    version: Annotated[int, Field(ge=1)]
    title: Title | None = None
    system: Title | None = None
    description: Sentence | None = None
    severity: Severity | None = None
    operating_state: OperatingState | None = None
    started_at: datetime | None = None
    detected_at: datetime | None = None
    currency: Currency | None = None
    root_cause: Narrative | None = None
    root_cause_confidence: Confidence | None = None
    mitigation: Narrative | None = None
    eta_earliest: datetime | None = None
    eta_latest: datetime | None = None
    dependencies: Narrative | None = None
    recurrence_risk: Narrative | None = None
    preventive_measures: Narrative | None = None
    monitoring_changes: Narrative | None = None
    resources_needed: Narrative | None = None
    accountability: Note | None = None
    remediation_overseer: Title | None = None
    ceo_name: Title | None = None
    update_cadence_minutes: int | None = None
    assess_revenue_per_hour: Annotated[Decimal, Field(ge=0, decimal_places=2)] | None = None
    assess_customers: Annotated[int, Field(ge=0)] | None = None
    assess_data_exposure: bool | None = None
    assess_regulatory: bool | None = None
    assess_public: bool | None = None
    assess_duration_hours: Annotated[int, Field(ge=0)] | None = None
    assess_duration_unknown: bool | None = None
    assess_beyond_authority: bool | None = None
    override_reason: Note | None = None
    # The first impact estimate (the wizard's impact step); later ones come with updates.
    estimate: EstimateIn | None = None


class UpdateIn(Input):
    """The brief's update form, field for field (briefs.forms.UpdateForm validates it)."""

    what_changed: Narrative
    operating_state: OperatingState
    next_steps: Narrative = ""
    next_update_due: datetime
    as_of: datetime | None = None
    eta_earliest: datetime | None = None
    eta_latest: datetime | None = None
    # A revised estimate: the fields given change, the rest stay as they are.
    revenue_per_hour: Decimal | None = None
    customers_affected: int | None = None
    estimate_confidence: EstimateConfidence | None = None
    estimate_basis: Note | None = None
    other_impact: Note | None = None
    sla_breach: bool | None = None
    regulatory: bool | None = None
    data_exposure: bool | None = None
    reputation: bool | None = None


class ResolveIn(Input):
    """The resolve form (briefs.forms.ResolveForm validates it); the final figures default to
    the current estimate's."""

    version: Annotated[int, Field(ge=1)]
    resolved_at: datetime
    closing_update: Narrative
    basis: Note
    confidence: EstimateConfidence = EstimateConfidence.HIGH
    revenue_per_hour: Decimal | None = None
    customers_affected: int | None = None
    other_impact: Note | None = None
    sla_breach: bool | None = None
    regulatory: bool | None = None
    data_exposure: bool | None = None
    reputation: bool | None = None


class LinkIn(Input):
    label: Annotated[str, Field(min_length=1, max_length=100)] = "CEO"
    valid_days: Annotated[int, Field(ge=1, le=30)] = 7


class ActionIn(Input):
    description: Annotated[str, Field(min_length=1, max_length=SENTENCE_LENGTH * 2)]
    kind: ActionKind = ActionKind.CORRECTIVE
    due_on: date | None = None
    # An owner in the app (their username, the incident's owner or a collaborator) or outside.
    owner: str | None = None
    owner_name: Title = ""


class SubscriberIn(Input):
    """An executive who gets the incident's notices by mail (briefs.forms.SubscriberForm
    validates it)."""

    name: Title
    email: Annotated[str, Field(max_length=254)]
    cadence: SubscriberCadence = SubscriberCadence.EACH_UPDATE


# --- Answers -----------------------------------------------------------------------------------


class IncidentOut(Schema):
    id: UUID
    title: str
    status: Status
    severity: Severity
    operating_state: str
    version: int
    time_zone: str
    started_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime
    url: str


class IncidentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IncidentOut]


class LinkOut(Schema):
    id: UUID
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_viewed_at: datetime | None
    view_count: int
    active: bool


class LinkCreated(LinkOut):
    # Shown once, in this answer: only its hash is stored.
    url: str


class ActionOut(Schema):
    id: UUID
    description: str
    kind: ActionKind
    owner: str
    due_on: date | None
    done_at: datetime | None
    status: str


class SubscriberOut(Schema):
    id: UUID
    name: str
    email: str
    cadence: SubscriberCadence
    created_at: datetime
    unsubscribed_at: datetime | None
    # False once removed: removing revokes their executive link, which ends their mail too.
    active: bool


class UpdateOut(Schema):
    sequence: int
    posted_at: datetime
    as_of: datetime
    author: str
    operating_state: str
    what_changed: str
    next_steps: str
    next_update_due: datetime
    eta_earliest: datetime | None
    eta_latest: datetime | None
    corrects: int | None
    revised_estimate: bool


class ConflictOut(Schema):
    """409: the incident as saved now beside what this request sent."""

    type: str
    title: str
    status: int
    detail: str
    current_version: int
    your_version: int
    current: dict[str, Any]
    yours: dict[str, Any]


def _at(moment: datetime | None, incident: Incident) -> datetime | None:
    """A time in the incident's own zone (its offset in the ISO 8601 text), as the brief
    states it."""
    return None if moment is None else timezone.localtime(moment, incident.zone)


def incident_out(incident: Incident, url: str) -> dict[str, Any]:
    return {
        "id": incident.public_id,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "operating_state": incident.operating_state,
        "version": incident.version,
        "time_zone": incident.time_zone,
        "started_at": _at(incident.started_at, incident),
        "escalated_at": _at(incident.escalated_at, incident),
        "resolved_at": _at(incident.resolved_at, incident),
        "updated_at": incident.updated_at,
        "url": url,
    }


def link_out(link: ShareLink, now: datetime) -> dict[str, Any]:
    return {
        "id": link.public_id,
        "label": link.label,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "last_viewed_at": link.last_viewed_at,
        "view_count": link.view_count,
        "active": link.revoked_at is None and link.expires_at > now,
    }


def action_out(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.public_id,
        "description": item.description,
        "kind": item.kind,
        "owner": item.owner_display(),
        "due_on": item.due_on,
        "done_at": item.done_at,
        "status": item.status(),
    }


def subscriber_out(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "id": subscriber.public_id,
        "name": subscriber.name,
        "email": subscriber.email,
        "cadence": subscriber.cadence,
        "created_at": subscriber.created_at,
        "unsubscribed_at": subscriber.unsubscribed_at,
        "active": subscriber.share_link.revoked_at is None,
    }


def update_out(update: IncidentUpdate, incident: Incident) -> dict[str, Any]:
    return {
        "sequence": update.sequence,
        "posted_at": _at(update.posted_at, incident),
        "as_of": _at(update.facts_at, incident),
        "author": update.author.get_full_name() or update.author.get_username(),
        "operating_state": update.operating_state,
        "what_changed": update.what_changed,
        "next_steps": update.next_steps,
        "next_update_due": _at(update.next_update_due, incident),
        "eta_earliest": _at(update.eta_earliest, incident),
        "eta_latest": _at(update.eta_latest, incident),
        "corrects": update.corrects.sequence if update.corrects else None,
        "revised_estimate": update.estimate_id is not None,
    }


def _seconds(span: timedelta | None) -> int | None:
    return None if span is None else int(span.total_seconds())


def brief_data(incident: Incident, *, url: str, now: datetime | None = None) -> dict[str, Any]:
    """The brief as data: what `brief_content.brief_context` computes for the executive link
    (the same figures, sections, asks, decisions and timeline), in the incident's zone."""
    zone = incident.zone
    context = brief_context(incident, zone=zone, now=now, architect=False, full_timeline=True)
    facts = context["facts"]
    estimate = facts.estimate
    record = context["record"]
    page_one = context["page_one"]
    cause = context["root_cause"]
    figures: dict[str, Any] = {
        "as_of": _at(facts.as_of, incident),
        "currency": incident.currency,
        "cost_so_far": facts.cost_so_far,
        "elapsed_seconds": _seconds(facts.elapsed),
        "revenue_per_hour": estimate.revenue_per_hour if estimate else None,
        "customers_affected": estimate.customers_affected if estimate else None,
        "estimate_confidence": estimate.confidence if estimate else None,
        "impact_flags": estimate.flags() if estimate else [],
        "projected_cost": (
            {"low": facts.projection.low, "high": facts.projection.high}
            if facts.projection
            else None
        ),
        "final_cost": (
            {
                "amount": facts.final_cost.amount,
                "low": facts.final_cost.low,
                "high": facts.final_cost.high,
                "confidence": facts.final_cost.confidence,
            }
            if facts.final_cost
            else None
        ),
        "next_update_due": _at(facts.next_update_due, incident),
        "overdue_seconds": _seconds(facts.overdue_by),
        "eta_earliest": _at(incident.eta_earliest, incident),
        "eta_latest": _at(incident.eta_latest, incident),
        "updates_on_time": {"kept": record.kept, "promised": record.promised},
    }
    sections = {
        "what_happened": incident.description,
        "system": incident.system,
        "root_cause": {"text": cause.text, "confidence": cause.confidence},
        "mitigation": incident.mitigation,
        "dependencies": incident.dependencies,
        "recurrence_risk": incident.recurrence_risk,
        "preventive_measures": incident.preventive_measures,
        "monitoring_changes": incident.monitoring_changes,
        "resources_needed": incident.resources_needed,
        "accountability": incident.accountability,
        "remediation_overseer": incident.overseer_name(),
        # Page 1: the CEO's six questions, a line or two each (briefs.summary).
        "summary": [
            {"question": row.label, "answer": row.line.text if row.line else None}
            for row in page_one.rows
        ],
    }
    return {
        "incident": incident_out(incident, url),
        "figures": figures,
        "sections": sections,
        "asks": [
            {
                "question": ask.question,
                "options": ask.options,
                "trade_offs": ask.trade_offs,
                "recommendation": ask.recommendation,
            }
            for ask in context["open_asks"]
        ],
        "decisions": [
            {
                "question": decided.ask.question,
                "decision": decided.decision,
                "decided_by": decided.decided_by,
                "decided_at": _at(decided.decided_at, incident),
            }
            for decided in context["decided_asks"]
        ],
        "timeline": [
            update_out(update, incident)
            for update in sorted(context["updates"], key=lambda u: -u.sequence)
        ],
        "action_items": [action_out(item) for item in context["action_items"]],
    }
