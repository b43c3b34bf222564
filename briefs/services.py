"""Writes that touch several rows or models. Each runs in one transaction."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from briefs import notifications, reminders
from briefs.models import (
    AS_OF_WINDOW,
    NOTE_LENGTH,
    ActionItem,
    ActionKind,
    ApiToken,
    ApiTokenScope,
    Capture,
    CaptureKind,
    CeoDecision,
    ChatWebhook,
    EstimateConfidence,
    ImpactEstimate,
    Incident,
    IncidentUpdate,
    Meeting,
    MeetingDecision,
    OperatingState,
    Presentation,
    Profile,
    RecoveryCode,
    RootCauseAnalysis,
    ShareLink,
    SingleSignOnIdentity,
    StaffAct,
    StaffActKind,
    Status,
    Subscriber,
)
from briefs.pdf_documents import render_when_committed
from briefs.sso import SignInRefused, check_email_allowed, is_admin_by_claims
from briefs.timeline import promise_record

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

    @classmethod
    def revising(cls, current: ImpactEstimate | None, **changes: Any) -> EstimateInput:
        """A revision: the current estimate with only the named fields changed.

        Posting a revised figure must not erase what nobody touched (a data-loss flag, the
        other impact), so every revision, an update's or the resolution's, starts here.
        """
        if current is None:
            base: dict[str, Any] = {"confidence": EstimateConfidence.MEDIUM}
        else:
            base = {field.name: getattr(current, field.name) for field in fields(cls)}
        return cls(**{**base, **changes})


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


# The brief's cached HTML is keyed by `updated_at` (briefs.page_cache.brief_stamp), so every
# change moves it on: to now, or a microsecond past its last value when the clock has not moved (a
# clock frozen in a test, or a replica whose clock runs behind another's).
_TICK = timedelta(microseconds=1)
# UPDATE_POST_LIMIT_PER_MINUTE's minute.
_RATE_WINDOW = timedelta(minutes=1)


class UpdatesTooFrequent(Exception):
    """One incident got UPDATE_POST_LIMIT_PER_MINUTE updates in the minute before this one."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many updates this minute; retry in {retry_after} s")
        self.retry_after = retry_after


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
    as_of: datetime | None = None,
    rate_limited: bool = False,
    notify: bool = True,
) -> IncidentUpdate:
    """Append a timeline entry, with its revised estimate and ETA, all or nothing.

    `rate_limited` (where a person posts: the brief's form) refuses the post with
    `UpdatesTooFrequent` when the incident already has UPDATE_POST_LIMIT_PER_MINUTE updates from
    the minute before it; builders of history (the demo, the bench, tests) post without it.

    `as_of` is when the facts it reports were true (default: when it is posted); a revised
    estimate takes effect from then. The incident row is locked first so that concurrent posts
    get consecutive sequence numbers.
    """
    posted_at = posted_at or timezone.now()
    as_of = min(as_of or posted_at, posted_at)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if rate_limited:
        # Under the row lock, so concurrent posts cannot all slip under the limit.
        _check_update_rate(locked, posted_at)
    last = locked.updates.aggregate(last=Max("sequence"))["last"] or 0
    revised = None
    if estimate is not None:
        revised = estimate_add(incident=locked, author=author, data=estimate, effective_at=as_of)
    update = IncidentUpdate.objects.create(
        incident=locked,
        sequence=last + 1,
        posted_at=posted_at,
        as_of=as_of,
        author=author,
        operating_state=operating_state,
        what_changed=what_changed,
        next_steps=next_steps,
        eta_earliest=eta_earliest,
        eta_latest=eta_latest,
        previous_eta_earliest=locked.eta_earliest if eta_latest is not None else None,
        previous_eta_latest=locked.eta_latest if eta_latest is not None else None,
        next_update_due=next_update_due,
        corrects=corrects,
        estimate=revised,
    )
    # The update's facts become the incident's current facts (saved, so the audit trail sees it).
    changed = ["updated_at"]
    locked.updated_at = max(timezone.now(), locked.updated_at + _TICK)
    if operating_state and operating_state != locked.operating_state:
        locked.operating_state = operating_state
        changed.append("operating_state")
    if eta_earliest is not None and eta_latest is not None:
        locked.eta_earliest, locked.eta_latest = eta_earliest, eta_latest
        changed += ["eta_earliest", "eta_latest"]
    if locked.resolved_at is not None:
        # An entry posted after the resolution (a correction, a backdated revision) may change
        # the promises kept or the final cost that the dashboard totals.
        for name, value in _final_figures(locked).items():
            setattr(locked, name, value)
            changed.append(name)
    locked.save(update_fields=changed)
    render_when_committed(locked.pk)
    # Reminders (issue 16): the update makes a new promise, or ends them (the resolution's).
    reminders.promise_track(incident_id=locked.pk)
    if notify:
        notifications.queue_update(update=update)
    return update


def _check_update_rate(incident: Incident, posted_at: datetime) -> None:
    limit = settings.UPDATE_POST_LIMIT_PER_MINUTE
    recent = list(
        incident.updates.filter(posted_at__gt=posted_at - _RATE_WINDOW)
        .order_by("-posted_at")
        .values_list("posted_at", flat=True)[:limit]
    )
    if len(recent) >= limit:
        # Free again once the oldest of the last `limit` posts leaves the window.
        free_at = recent[-1] + _RATE_WINDOW
        raise UpdatesTooFrequent(
            retry_after=max(1, math.ceil((free_at - posted_at).total_seconds()))
        )


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
    with transaction.atomic():
        link = ShareLink.objects.create(
            incident=incident,
            token_hash=ShareLink.hash_token(token),
            label=label,
            created_by=created_by,
            created_at=now,
            expires_at=now + valid_for,
        )
        _touch(incident.pk)  # the architect's brief lists its links
    return link, token


class VersionConflict(Exception):
    """Someone else saved the incident after this editor loaded it."""

    def __init__(self, current: Incident) -> None:
        super().__init__("the incident changed since it was loaded")
        self.current = current


# How long a draft nobody typed into is kept: another tab may still be open on it.
UNTOUCHED_DRAFT_LIFETIME = timedelta(days=1)


@transaction.atomic
def incident_create_draft(
    *, owner: User, title: str, time_zone: str, now: datetime | None = None
) -> Incident:
    """A new draft in `time_zone` (its owner's; the wizard can change it); drafts anyone left
    untouched for a day go, so they never pile up."""
    now = now or timezone.now()
    Incident.objects.untouched_drafts().filter(
        created_at__lt=now - UNTOUCHED_DRAFT_LIFETIME
    ).delete()
    return Incident.objects.create(
        owner=owner, title=title, time_zone=time_zone, created_at=now, updated_at=now
    )


def draft_discard(*, incident: Incident) -> bool:
    """Delete a draft at its owner's request. False when it is no longer a draft (escalated
    from another tab meanwhile): the status is part of the DELETE, so that is never lost."""
    deleted, _ = Incident.objects.filter(pk=incident.pk, status=Status.DRAFT).delete()
    return deleted > 0


def profile_set_time_zone(*, user: User, time_zone: str) -> Profile:
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return profile


def _save_checked(*, incident: Incident, expected_version: int, fields: dict[str, Any]) -> Incident:
    """Save incident fields if nobody else saved since `expected_version` was read; the
    caller's transaction holds the row lock, so the check and the write are one step."""
    current = Incident.objects.select_for_update().get(pk=incident.pk)
    if current.version != expected_version:
        raise VersionConflict(current)
    for name, value in fields.items():
        setattr(current, name, value)
    current.version += 1
    current.updated_at = timezone.now()
    current.save()
    render_when_committed(current.pk)
    return current


@transaction.atomic
def incident_save_versioned(
    *, incident: Incident, expected_version: int, fields: dict[str, Any]
) -> Incident:
    """Save incident fields if nobody else saved since `expected_version` was read.

    The row lock makes the check and the write one step, so two editors can never both win.
    """
    current = _save_checked(incident=incident, expected_version=expected_version, fields=fields)
    if current.resolved_at is not None:
        # The meeting may still change a resolved incident's cadence, and with it its stored
        # figures.
        _store_final_figures(current)
    return current


class DecisionChanges(NamedTuple):
    """The resources step's asks of the CEO: new or edited ones to save (unsaved rows, their
    incident set on save), and saved ones to delete."""

    saved: list[CeoDecision]
    deleted: list[CeoDecision]


@transaction.atomic
def incident_step_save(
    *,
    incident: Incident,
    author: User,
    step: str,
    expected_version: int,
    fields: dict[str, Any],
    estimate: EstimateInput | None = None,
    decisions: DecisionChanges | None = None,
    collaborator: User | None = None,
    now: datetime | None = None,
) -> Incident:
    """Save a step of the guided escalation, all or nothing, if nobody else saved the incident
    since `expected_version` was read (else `VersionConflict`, and nothing is written).

    `fields` are the incident's fields as the step's form gave them. A step saved incomplete
    (Back, the step list) may leave any of them empty: a field the incident cannot be without
    (title, severity, cadence) then keeps its saved value. The assess step records when the
    assessment was first made. The impact step's `estimate` is the first estimate; the
    resources step's `decisions` and `collaborator` are written with it.
    """
    required = {field.name for field in Incident._meta.concrete_fields if not field.blank}
    changes = {
        name: value
        for name, value in fields.items()
        if value not in (None, "") or name not in required
    }
    if step == "assess":
        changes["assessed_at"] = incident.assessed_at or now or timezone.now()
    current = _save_checked(incident=incident, expected_version=expected_version, fields=changes)
    if estimate is not None:
        impact_save_first_estimate(incident=current, author=author, data=estimate)
    if decisions is not None:
        for decision in decisions.deleted:
            decision.delete()
        for decision in decisions.saved:
            decision.incident = current
            decision.save()
    if collaborator is not None:
        current.collaborators.add(collaborator)
    if current.status != Status.DRAFT:
        # Reminders (issue 16): editing an escalated incident may move its escalation time
        # or cadence, and with them the first promise.
        reminders.promise_track(incident_id=current.pk)
    if current.resolved_at is not None:
        # A resolved incident's start, escalation, cadence or first estimate may still change
        # here, and with them its stored figures.
        _store_final_figures(current)
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
    render_when_committed(locked.pk)
    # Reminders (issue 16): escalating makes the first promise.
    reminders.promise_track(incident_id=locked.pk)
    notifications.queue_escalated(incident=locked)
    return locked


@transaction.atomic
def share_link_revoke(*, link: ShareLink, now: datetime | None = None) -> None:
    if link.revoked_at is None:
        link.revoked_at = now or timezone.now()
        link.save(update_fields=["revoked_at"])
        _touch(link.incident_id)


@transaction.atomic
def share_links_revoke(
    *, incident: Incident | None = None, now: datetime | None = None
) -> list[ShareLink]:
    """Revoke every active link of `incident`, or of every incident (manage.py revoke_links)."""
    now = now or timezone.now()
    links = ShareLink.objects.select_for_update(of=("self",)).select_related("incident")
    links = links.filter(revoked_at__isnull=True, expires_at__gt=now).order_by("pk")
    if incident is not None:
        links = links.filter(incident=incident)
    revoked = list(links)
    for link in revoked:
        share_link_revoke(link=link, now=now)
    return revoked


# Loads of an executive link this close together count as one visit.
VISIT_WINDOW = timedelta(minutes=1)


def share_link_record_visit(*, link: ShareLink, now: datetime | None = None) -> bool:
    """Count a visit and remember the newest update shown, for "new since your last visit".

    Reloads within a minute are the same visit: they neither count again nor move what is
    "new", and they cost no write, which is what keeps a crowd of executives cheap.
    """
    now = now or timezone.now()
    if link.last_viewed_at is not None and now - link.last_viewed_at < VISIT_WINDOW:
        return False
    newest = IncidentUpdate.objects.filter(incident_id=link.incident_id).order_by("-sequence")
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1,
        last_viewed_at=now,
        seen_sequence=Coalesce(Subquery(newest.values("sequence")[:1]), 0),
    )
    return True


@dataclass(frozen=True)
class ActionInput:
    description: str
    kind: str
    due_on: date | None = None
    owner: User | None = None
    owner_name: str = ""


def _touch(incident_id: int) -> None:
    """Mark the brief changed: after the change, in its transaction. Touched first, a page
    drawn in between would be cached with the old rows under the new stamp."""
    Incident.objects.filter(pk=incident_id).update(
        updated_at=Greatest(Value(timezone.now()), F("updated_at") + _TICK)
    )
    render_when_committed(incident_id)


@transaction.atomic
def action_item_add(
    *, incident: Incident, data: ActionInput, meeting: Meeting | None = None
) -> ActionItem:
    item = ActionItem.objects.create(
        incident=incident,
        meeting=meeting,
        description=data.description,
        kind=data.kind,
        due_on=data.due_on,
        owner=data.owner,
        owner_name="" if data.owner else data.owner_name,
    )
    _touch(incident.pk)
    return item


@transaction.atomic
def action_item_complete(*, item: ActionItem, now: datetime | None = None) -> None:
    if item.done_at is None:
        item.done_at = now or timezone.now()
        item.save(update_fields=["done_at"])
        _touch(item.incident_id)


class DecisionInput(NamedTuple):
    """A decision taken in the meeting, and the ask (`CeoDecision`) it answers, if any."""

    decision: str
    decided_by: str
    ask: CeoDecision | None = None


@transaction.atomic
def meeting_record(
    *,
    incident: Incident,
    recorded_by: User,
    expected_version: int,
    held_at: datetime,
    attendees: str,
    decisions: Sequence[DecisionInput | tuple[str, str]],
    actions: list[ActionInput],
    resources_granted: str = "",
    rca_due_on: date | None = None,
    cadence_minutes: int | None = None,
) -> Meeting:
    """Record the CEO meeting, its decisions and the actions promised in it.

    A new update cadence changes the incident through the same version check as the wizard,
    so a meeting recorded on a stale page cannot silently undo someone else's edit.
    """
    taken = [DecisionInput(*decision) for decision in decisions]
    if any(d.ask is not None and d.ask.incident_id != incident.pk for d in taken):
        raise ValueError("a decision can only answer an ask of its own incident")
    fields: dict[str, Any] = {}
    if cadence_minutes is not None:
        fields["update_cadence_minutes"] = cadence_minutes
    current = incident_save_versioned(
        incident=incident, expected_version=expected_version, fields=fields
    )
    if cadence_minutes is not None:
        # Reminders (issue 16): a new cadence moves the first promise while none is posted.
        reminders.promise_track(incident_id=current.pk)
    meeting = Meeting.objects.create(
        incident=current,
        held_at=held_at,
        attendees=attendees,
        resources_granted=resources_granted,
        rca_due_on=rca_due_on,
        cadence_minutes=cadence_minutes,
        recorded_by=recorded_by,
    )
    MeetingDecision.objects.bulk_create(
        MeetingDecision(meeting=meeting, decision=text, decided_by=who, ask=ask)
        for text, who, ask in taken
    )
    for action in actions:
        action_item_add(incident=current, data=action, meeting=meeting)
    if rca_due_on is not None:
        action_item_add(
            incident=current,
            meeting=meeting,
            data=ActionInput(
                description="Deliver the root-cause analysis to the CEO",
                kind=ActionKind.RCA,
                due_on=rca_due_on,
                owner=current.owner,
            ),
        )
    # The summary to subscribers and chat (issue 16's engine), with the meeting: once each.
    notifications.queue_meeting(meeting=meeting)
    return meeting


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    author: User,
    expected_version: int,
    resolved_at: datetime,
    estimate: EstimateInput,
    closing_update: str,
    now: datetime | None = None,
) -> Incident:
    """Mark resolved: the clock stops at `resolved_at`, with a final estimate and a last update."""
    now = now or timezone.now()
    current = incident_save_versioned(
        incident=incident,
        expected_version=expected_version,
        fields={
            "resolved_at": resolved_at,
            "status": Status.RESOLVED,
            "operating_state": OperatingState.RESTORED,
        },
    )
    # The final figures are the current estimate from now on, even when the resolution is
    # dated before the last revision; the cost stops at `resolved_at` either way.
    latest = current.current_estimate()
    final_from = resolved_at if latest is None else max(resolved_at, latest.effective_at)
    estimate_add(incident=current, author=author, data=estimate, effective_at=final_from)
    update_post(
        incident=current,
        author=author,
        what_changed=closing_update,
        operating_state=OperatingState.RESTORED,
        next_update_due=now,
        posted_at=now,
        # The closing entry stands where the resolution happened among the others (a
        # resolution dated further back than an update may be lands at the window's edge).
        as_of=max(resolved_at, now - AS_OF_WINDOW),
        notify=False,
    )
    # With the final estimate and the closing entry in: the figures the dashboard totals.
    resolved = final_figures_store(incident=current)
    notifications.queue_resolved(incident=resolved)
    return resolved


def _final_figures(incident: Incident) -> dict[str, Any]:
    """The stored figures from the incident's rows as they are in the database now (None
    while it is open): what the brief computes as its final cost and promise record."""
    if incident.resolved_at is None:
        return {"final_cost_amount": None, "promises_kept": None, "promises_made": None}
    updates = IncidentUpdate.objects.filter(incident=incident).only(
        "incident_id", "sequence", "posted_at", "next_update_due", "corrects_id"
    )
    estimates = sorted(
        ImpactEstimate.objects.filter(incident=incident), key=lambda e: (e.effective_at, e.pk)
    )
    # `now` only matters while open: once resolved, the record stops at the resolution.
    record = promise_record(
        updates=list(updates),
        escalated_at=incident.escalated_at,
        cadence_minutes=incident.update_cadence_minutes,
        now=incident.resolved_at,
        resolved_at=incident.resolved_at,
    )
    return {
        "final_cost_amount": incident.cost_between(incident.resolved_at, estimates),
        "promises_kept": record.kept,
        "promises_made": record.promised,
    }


def _store_final_figures(incident: Incident) -> None:
    # An UPDATE, not save(): derived figures are no edit, so the audit trail gets no entry.
    figures = _final_figures(incident)
    Incident.objects.filter(pk=incident.pk).update(**figures)
    for name, value in figures.items():
        setattr(incident, name, value)


@transaction.atomic
def final_figures_store(*, incident: Incident) -> Incident:
    """Store what the brief states of a resolved incident (final cost, promises kept and made)
    on its row, or clear it while open. The resolution stores them; the services that can still
    change a resolved incident keep them current."""
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    _store_final_figures(locked)
    return locked


@transaction.atomic
def incident_reopen(
    *, incident: Incident, author: User, expected_version: int, reason: str
) -> Incident:
    """Reopen a resolved incident; the timeline records why, the audit trail records the change."""
    now = timezone.now()
    current = incident_save_versioned(
        incident=incident,
        expected_version=expected_version,
        # An open incident has no final figures: its cost and promises run on.
        fields={
            "resolved_at": None,
            "status": Status.MITIGATING,
            "final_cost_amount": None,
            "promises_kept": None,
            "promises_made": None,
        },
    )
    update_post(
        incident=current,
        author=author,
        what_changed=f"Reopened: {reason}",
        operating_state=current.operating_state or OperatingState.DEGRADED,
        next_update_due=now + timedelta(minutes=current.update_cadence_minutes),
        posted_at=now,
    )
    return current


class RcaVersionConflict(Exception):
    """Someone else saved the root-cause analysis after this editor loaded it."""

    def __init__(self, current: RootCauseAnalysis | None) -> None:
        super().__init__("the root-cause analysis changed since it was loaded")
        self.current = current


@transaction.atomic
def rca_save(
    *,
    incident: Incident,
    author: User,
    fields: dict[str, Any],
    expected_version: int | None = None,
) -> RootCauseAnalysis:
    """Write the RCA if nobody else saved it since `expected_version` was read (0: there was
    none yet); None saves without the check (the demo).

    The incident's row lock serialises saves, the first one included, which has no RCA row
    to lock: two editors can never both win.
    """
    Incident.objects.select_for_update().filter(pk=incident.pk).values_list("pk").get()
    current = RootCauseAnalysis.objects.filter(incident=incident).first()
    if expected_version is not None and (current.version if current else 0) != expected_version:
        raise RcaVersionConflict(current)
    rca = current or RootCauseAnalysis(incident=incident, version=0)
    for name, value in fields.items():
        setattr(rca, name, value)
    rca.author = author
    rca.updated_at = timezone.now()
    rca.version += 1
    rca.save()
    _touch(incident.pk)
    return rca


@contextmanager
def timeline_unlocked() -> Iterator[None]:
    """Let the current transaction delete timeline entries: only the demo's reset does this.

    On PostgreSQL a trigger refuses UPDATE and DELETE on timeline entries (migration 0002)
    unless this transaction-local setting is on; nothing reachable from a web request sets it.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('briefs.timeline_unlocked', 'on', true)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('briefs.timeline_unlocked', 'off', true)")


# --- Chat webhooks (briefs/chat.py) -------------------------------------------------------------


def chat_webhook_add(
    *, incident: Incident, created_by: User, kind: str, label: str, url: str
) -> ChatWebhook:
    """Add a Slack or Teams webhook to an incident, or raise ChatWebhookExists. The URL must
    have passed briefs.chat.check_url (the form does it); sending checks it again."""
    try:
        with transaction.atomic():
            webhook = ChatWebhook.objects.create(
                incident=incident, created_by=created_by, kind=kind, label=label, url=url
            )
            _touch(incident.pk)  # the architect's brief lists its webhooks
    except IntegrityError:
        # chatwebhook_one_active_per_url: the database decides, so two tabs cannot both add it.
        raise ChatWebhookExists(url) from None
    return webhook


class ChatWebhookExists(Exception):
    """The incident already posts to this webhook."""


def chat_webhook_disable(*, webhook: ChatWebhook, now: datetime | None = None) -> None:
    """Stop an incident's notices going to a webhook, and end the executive link they carried
    (everyone in that channel has it). The row stays: deliveries name it."""
    now = now or timezone.now()
    with transaction.atomic():
        if ChatWebhook.objects.filter(pk=webhook.pk, disabled_at__isnull=True).update(
            disabled_at=now
        ):
            ShareLink.objects.filter(
                chat_link__incident_id=webhook.incident_id,
                chat_link__target_key=webhook.target_key,
                revoked_at__isnull=True,
            ).update(revoked_at=now)
            _touch(webhook.incident_id)


# --- Sign-in and admin take-over (issue 19) ---


def sso_user_sign_in(
    *, issuer: str, claims: Mapping[str, Any], now: datetime | None = None
) -> User:
    """The user the provider's ID token names, created on their first sign-in.

    Found by (issuer, subject), never by email: a provider lets people change their address,
    and an address may pass to someone else. Name and email follow the claims on every sign-in,
    and so does the admin flag when SSO_ADMIN_GROUP is set.
    """
    now = now or timezone.now()
    email = check_email_allowed(claims)
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused("Your identity provider did not say who you are.")
    with transaction.atomic():
        identity = (
            SingleSignOnIdentity.objects.select_related("user")
            .select_for_update()
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is None:
            user = User.objects.create_user(username=_free_username(email or subject))
            user.set_unusable_password()
            identity = SingleSignOnIdentity.objects.create(
                user=user, issuer=issuer, subject=subject, created_at=now
            )
        user = identity.user
        if not user.is_active:
            # Deactivated here (someone who left): the provider's say-so does not undo that.
            raise SignInRefused(
                "Your account here has been deactivated. Ask an administrator if you still "
                "need access."
            )
        user.email = email
        user.first_name = str(claims.get("given_name") or claims.get("name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
        admin = is_admin_by_claims(claims)
        if admin is not None:
            user.is_staff = admin
        user.save()
        identity.last_sign_in_at = now
        identity.save(update_fields=["last_sign_in_at"])
    return user


def _free_username(wanted: str) -> str:
    """The email as username, or with a number after it where a local account has it."""
    base = wanted[:140]
    candidate, number = base, 1
    while User.objects.filter(username=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def incident_hand_over(*, incident: Incident, to: User, by: User) -> Incident:
    """An admin makes `to` the incident's owner, say while the owner sleeps. The former owner
    stays on as a collaborator; both changes are in the audit trail."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        former = locked.owner
        if former.pk == to.pk:
            return locked
        locked.owner = to
        locked.updated_at = timezone.now()
        locked.save(update_fields=["owner", "updated_at"])
        locked.collaborators.remove(to)
        locked.collaborators.add(former)
        StaffAct.objects.create(incident=locked, actor=by, kind=StaffActKind.HAND_OVER, person=to)
    return locked


def incident_add_collaborator(*, incident: Incident, user: User, by: User) -> bool:
    """An admin adds a collaborator; False when they already are one (or own it)."""
    with transaction.atomic():
        if incident.owner_id == user.pk or incident.collaborators.filter(pk=user.pk).exists():
            return False
        incident.collaborators.add(user)
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
        StaffAct.objects.create(
            incident=incident, actor=by, kind=StaffActKind.ADD_COLLABORATOR, person=user
        )
    return True


RECOVERY_CODE_COUNT = 10


def totp_enrol_start(*, user: User) -> TOTPDevice:
    """A new authenticator secret, unconfirmed until the user types a code it made."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device: TOTPDevice = TOTPDevice.objects.create(
            user=user, name="Authenticator", confirmed=False
        )
    return device


def totp_enrol_confirm(*, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirms the authenticator with a code it made, replacing any older one; returns the
    new recovery codes (shown once), or None when the code is wrong."""
    if not device.verify_token(code.strip()):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return recovery_codes_replace(user=device.user)


def recovery_codes_replace(*, user: User) -> list[str]:
    """Ten new one-time codes; the old ones stop working. Only their hashes are stored."""
    raw = [secrets.token_hex(5) for _ in range(RECOVERY_CODE_COUNT)]
    codes = [f"{code[:5]}-{code[5:]}" for code in raw]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            RecoveryCode(user=user, code_hash=RecoveryCode.hash_code(code)) for code in codes
        )
    return codes


def second_factor_check(*, user: User, code: str) -> bool:
    """A code from the user's authenticator (django-otp refuses a reused one and slows down
    guessing), or one of their unused recovery codes, which is then spent."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    code = code.strip()
    if device is not None and code.isdigit() and device.verify_token(code):
        return True
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=RecoveryCode.hash_code(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


# --- The meeting while it happens: the presenter view and its screen (issue 18) --------------


@transaction.atomic
def presentation_start(
    *, incident: Incident, started_by: User, now: datetime | None = None
) -> Presentation:
    """Open the meeting on the presenter view, or resume the one already open: a presenter
    whose browser closed comes back to the same cards and captures."""
    # The incident's row lock serialises two starts; the partial unique constraint backs it.
    Incident.objects.select_for_update().filter(pk=incident.pk).values_list("pk").get()
    current = Presentation.objects.filter(incident=incident, ended_at__isnull=True).first()
    if current is not None:
        return current
    return Presentation.objects.create(
        incident=incident, started_by=started_by, started_at=now or timezone.now()
    )


def presentation_show(*, presentation: Presentation, card: int, section: str) -> bool:
    """Put a cue card before the presenter and a section on the screen. False when the
    meeting has ended meanwhile (another tab ended it): nothing moves then."""
    moved = Presentation.objects.filter(pk=presentation.pk, ended_at__isnull=True).update(
        card=card, section=section, screen_version=F("screen_version") + 1
    )
    return moved == 1


class PresentationEnded(Exception):
    """The meeting was ended (in another tab) before this change reached it."""


def _open_presentation(presentation: Presentation) -> Presentation:
    locked = Presentation.objects.select_for_update().get(pk=presentation.pk)
    if locked.ended_at is not None:
        raise PresentationEnded
    return locked


@transaction.atomic
def presentation_capture_add(
    *, presentation: Presentation, kind: str, fields: dict[str, Any]
) -> Capture:
    """Save a capture the moment it is made (`fields` as the capture's form cleaned them)."""
    locked = _open_presentation(presentation)
    if kind == CaptureKind.RESOURCES:
        granted = [*locked.captures.filter(kind=kind), Capture(text=fields["text"])]
        if len(_joined_resources(granted)) > NOTE_LENGTH:
            # The meeting record keeps resources granted in one column of NOTE_LENGTH.
            raise ValueError("The resources granted are too long together: shorten them.")
    return Capture.objects.create(presentation=locked, kind=kind, **fields)


@transaction.atomic
def presentation_capture_remove(*, presentation: Presentation, capture_id: int) -> bool:
    locked = _open_presentation(presentation)
    deleted, _ = Capture.objects.filter(presentation=locked, pk=capture_id).delete()
    return deleted > 0


def _joined_resources(captures: list[Capture]) -> str:
    return "; ".join(c.text.strip().rstrip(".;") for c in captures) + ("." if captures else "")


@transaction.atomic
def presentation_end(
    *,
    presentation: Presentation,
    ended_by: User,
    expected_version: int,
    attendees: str,
    now: datetime | None = None,
) -> Meeting:
    """End the meeting: its captures become the meeting record through `meeting_record`, with
    its version check (`VersionConflict` leaves the meeting open and nothing written).

    Decisions answer their asks, action items and commitments become action items (a
    commitment is the presenter's own, about keeping the CEO informed), resources granted are
    joined, and the last cadence captured is the one agreed.
    """
    locked = _open_presentation(presentation)
    captures = list(locked.captures.select_related("ask", "owner"))
    of = {kind: [c for c in captures if c.kind == kind] for kind in CaptureKind.values}
    cadences = of[CaptureKind.CADENCE]
    meeting = meeting_record(
        incident=locked.incident,
        recorded_by=ended_by,
        expected_version=expected_version,
        held_at=locked.started_at,
        attendees=attendees,
        decisions=[DecisionInput(c.text, c.decided_by, c.ask) for c in of[CaptureKind.DECISION]],
        actions=[
            *(
                ActionInput(
                    description=c.text,
                    kind=c.action_kind or ActionKind.CORRECTIVE,
                    due_on=c.due_on,
                    owner=c.owner,
                    owner_name=c.owner_name,
                )
                for c in of[CaptureKind.ACTION]
            ),
            *(
                ActionInput(
                    description=c.text,
                    kind=ActionKind.COMMUNICATION,
                    due_on=c.due_on,
                    owner=c.owner or (None if c.owner_name else locked.started_by),
                    owner_name=c.owner_name,
                )
                for c in of[CaptureKind.COMMITMENT]
            ),
        ],
        resources_granted=_joined_resources(of[CaptureKind.RESOURCES]),
        cadence_minutes=cadences[-1].cadence_minutes if cadences else None,
    )
    locked.ended_at = max(now or timezone.now(), locked.started_at)
    locked.meeting = meeting
    locked.screen_version += 1
    locked.save(update_fields=["ended_at", "meeting", "screen_version"])
    # The meeting summary went to the subscribers with the record (meeting_record).
    return meeting


# --- API tokens (issue 17: the JSON API) -------------------------------------------------------

# Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
API_TOKEN_PREFIX = "ebk_"


def api_token_create(
    *,
    user: User,
    name: str,
    read_only: bool = False,
    valid_for: timedelta | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A personal API token. The token is returned once and only its hash is stored."""
    valid_for = valid_for or timedelta(days=settings.API_TOKEN_DEFAULT_DAYS)
    if not timedelta(0) < valid_for <= timedelta(days=settings.API_TOKEN_MAX_DAYS):
        raise ValueError(f"a token is valid for at most {settings.API_TOKEN_MAX_DAYS} days")
    now = now or timezone.now()
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=ApiToken.hash_token(token),
        visible_prefix=token[:12],
        scope=ApiTokenScope.READ if read_only else ApiTokenScope.READ_WRITE,
        created_at=now,
        expires_at=now + valid_for,
    )
    return row, token


def api_token_revoke(*, token: ApiToken, now: datetime | None = None) -> None:
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])


# --- Subscribers (issue 16: briefs.notifications) -------------------------------------------


class AlreadySubscribed(Exception):
    """The address already gets this incident's mail: a second row would mail it twice."""


@transaction.atomic
def subscriber_add(
    *,
    incident: Incident,
    created_by: User,
    name: str,
    email: str,
    cadence: str,
    now: datetime | None = None,
) -> Subscriber:
    """Subscribe an executive: their own executive link (its token derived, never stored:
    briefs.notifications.derived_token), and, when the incident is already escalated, the
    escalation mail with that link at once. `AlreadySubscribed` when the address already gets
    the mail (the incident's row lock makes the check and the insert one step)."""
    now = now or timezone.now()
    Incident.objects.select_for_update().filter(pk=incident.pk).values_list("pk").get()
    if Subscriber.objects.receiving().filter(incident=incident, email__iexact=email).exists():
        raise AlreadySubscribed(email)
    subscriber = Subscriber(
        incident=incident,
        name=name,
        email=email,
        cadence=cadence,
        created_by=created_by,
        created_at=now,
        link_salt=notifications.new_salt(),
    )
    token = notifications.derived_token(str(subscriber.public_id), subscriber.link_salt)
    subscriber.share_link = ShareLink.objects.create(
        incident=incident,
        token_hash=ShareLink.hash_token(token),
        label=f"{name} (mail to {email})"[:100],
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=MAX_SHARE_LINK_DAYS),
    )
    subscriber.save()
    _touch(incident.pk)  # the brief lists its subscribers and links
    notifications.queue_welcome(subscriber=subscriber)
    return subscriber


@transaction.atomic
def subscriber_remove(*, subscriber: Subscriber, now: datetime | None = None) -> None:
    """Stop an executive's mail by revoking their link: one act ends both, as the issue asks."""
    share_link_revoke(link=subscriber.share_link, now=now)


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber, now: datetime | None = None) -> bool:
    """The executive stops their own mail (their link keeps working). False when already done."""
    changed = Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now or timezone.now()
    )
    if changed:
        _touch(subscriber.incident_id)
    return bool(changed)
