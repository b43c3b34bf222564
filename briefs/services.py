"""Writes that touch several rows or models. Each runs in one transaction."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from briefs.models import (
    ImpactEstimate,
    Incident,
    IncidentUpdate,
    OperatingState,
    ShareLink,
    Status,
)

MAX_SHARE_LINK_DAYS = 30
DEFAULT_SHARE_LINK_DAYS = 7


@dataclass(frozen=True)
class EstimateInput:
    revenue_per_hour: Decimal
    customers_affected: int
    confidence: str
    basis: str = ""
    other_impact: str = ""
    sla_breach: bool = False
    regulatory: bool = False
    data_exposure: bool = False
    reputation: bool = False


def estimate_add(
    *, incident: Incident, author: User, data: EstimateInput, effective_at: datetime
) -> ImpactEstimate:
    return ImpactEstimate.objects.create(
        incident=incident,
        author=author,
        effective_at=effective_at,
        revenue_per_hour=data.revenue_per_hour,
        customers_affected=data.customers_affected,
        confidence=data.confidence,
        basis=data.basis,
        other_impact=data.other_impact,
        sla_breach=data.sla_breach,
        regulatory=data.regulatory,
        data_exposure=data.data_exposure,
        reputation=data.reputation,
    )


@transaction.atomic
def update_post(
    *,
    incident: Incident,
    author: User,
    what_changed: str,
    next_update_due: datetime,
    operating_state: str = OperatingState.UNKNOWN,
    next_steps: str = "",
    eta_earliest: datetime | None = None,
    eta_latest: datetime | None = None,
    estimate: EstimateInput | None = None,
    corrects: IncidentUpdate | None = None,
    posted_at: datetime | None = None,
) -> IncidentUpdate:
    """Append a timeline entry, with its revised estimate and ETA, all or nothing.

    The incident row is locked first so that concurrent posts get consecutive sequence numbers.
    """
    posted_at = posted_at or timezone.now()
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    last = locked.updates.aggregate(last=Max("sequence"))["last"] or 0
    revised = None
    if estimate is not None:
        revised = estimate_add(
            incident=locked, author=author, data=estimate, effective_at=posted_at
        )
    update = IncidentUpdate.objects.create(
        incident=locked,
        sequence=last + 1,
        posted_at=posted_at,
        author=author,
        operating_state=operating_state,
        what_changed=what_changed,
        next_steps=next_steps,
        eta_earliest=eta_earliest,
        eta_latest=eta_latest,
        next_update_due=next_update_due,
        corrects=corrects,
        estimate=revised,
    )
    # The update's facts become the incident's current facts.
    changes: dict[str, Any] = {"updated_at": posted_at}
    if operating_state:
        changes["operating_state"] = operating_state
    if eta_earliest is not None and eta_latest is not None:
        changes["eta_earliest"] = eta_earliest
        changes["eta_latest"] = eta_latest
    Incident.objects.filter(pk=locked.pk).update(**changes)
    return update


def share_link_create(
    *,
    incident: Incident,
    created_by: User,
    label: str,
    valid_for: timedelta = timedelta(days=DEFAULT_SHARE_LINK_DAYS),
    now: datetime | None = None,
) -> tuple[ShareLink, str]:
    """Create an executive link. The token is returned once and never stored."""
    if not timedelta(0) < valid_for <= timedelta(days=MAX_SHARE_LINK_DAYS):
        raise ValueError(f"a link is valid for at most {MAX_SHARE_LINK_DAYS} days")
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    link = ShareLink.objects.create(
        incident=incident,
        token_hash=ShareLink.hash_token(token),
        label=label,
        created_by=created_by,
        created_at=now,
        expires_at=now + valid_for,
    )
    return link, token


class VersionConflict(Exception):
    """Someone else saved the incident after this editor loaded it."""

    def __init__(self, current: Incident) -> None:
        super().__init__("the incident changed since it was loaded")
        self.current = current


def incident_create_draft(*, owner: User, title: str) -> Incident:
    return Incident.objects.create(owner=owner, title=title)


@transaction.atomic
def incident_save_step(
    *,
    incident: Incident,
    expected_version: int,
    fields: dict[str, Any],
    after_save: Callable[[Incident], None] | None = None,
) -> Incident:
    """Save a wizard step's fields if nobody else saved since `expected_version` was read.

    The row lock makes the check and the write one step, so two editors can never both win.
    """
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if current.version != expected_version:
        raise VersionConflict(current)
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    if after_save is not None:
        after_save(current)
    return current


def impact_save_first_estimate(
    *, incident: Incident, author: User, data: EstimateInput
) -> ImpactEstimate:
    """The wizard's impact step writes the first estimate; later revisions come with updates."""
    first = incident.estimates.order_by("effective_at", "pk").first()
    if first is None:
        return estimate_add(
            incident=incident, author=author, data=data, effective_at=timezone.now()
        )
    for name, value in vars(data).items():
        setattr(first, name, value)
    first.save()
    return first


@transaction.atomic
def incident_mark_escalated(*, incident: Incident, now: datetime | None = None) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.escalated_at is None:
        locked.escalated_at = now or timezone.now()
    if locked.status == Status.DRAFT:
        locked.status = Status.ESCALATED
    locked.version += 1
    locked.updated_at = now or timezone.now()
    locked.save()
    return locked


def share_link_revoke(*, link: ShareLink, now: datetime | None = None) -> None:
    if link.revoked_at is None:
        link.revoked_at = now or timezone.now()
        link.save(update_fields=["revoked_at"])


def share_link_record_visit(
    *, link: ShareLink, incident: Incident, now: datetime | None = None
) -> None:
    """Count a visit and remember the newest update shown, for "new since your last visit"."""
    newest = max((u.sequence for u in incident.updates.all()), default=0)
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1,
        last_viewed_at=now or timezone.now(),
        seen_sequence=newest,
    )
