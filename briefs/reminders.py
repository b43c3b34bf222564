"""Reminders that keep the update promise (issue 16): the owner and collaborators are mailed
REMINDER_LEAD_MINUTES before the promised update is due and again once it is overdue, and every
architect page shows a banner meanwhile.

Every write that sets or moves the promise (escalation, an update, a new cadence, the
resolution) calls `promise_track` in its transaction: it records the promise
(`UpdatePromise`, what the banner reads) and, once committed, enqueues two deferred jobs
(`briefs.tasks.send_update_reminder`). Each job checks when it runs that the same promise still
stands (`remind`), so a posted update, a new promise or a resolution silences it, and claims a
unique `UpdateReminder` row first, so a reminder scheduled or run twice goes out once. The
mails themselves go through the notification engine (briefs/notifications.py), in the claim's
transaction: recorded as deliveries, retried with backoff, each recipient's sent once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe

from briefs import notifications
from briefs.models import (
    Delivery,
    Incident,
    IncidentUpdate,
    ReminderKind,
    UpdatePromise,
    UpdateReminder,
)
from briefs.notice_texts import local_time, one_line
from briefs.notices import Notice, NoticeKind


def lead_time() -> timedelta:
    return timedelta(minutes=settings.REMINDER_LEAD_MINUTES)


def _with_latest_update(incident_id: int) -> Incident | None:
    """The incident with only its newest timeline entry loaded: all `next_update_due` reads."""
    last = IncidentUpdate.objects.filter(incident=OuterRef("incident")).order_by("-sequence")
    newest = IncidentUpdate.objects.filter(sequence=Subquery(last.values("sequence")[:1]))
    return (
        Incident.objects.select_related("owner")
        .prefetch_related(Prefetch("updates", queryset=newest))
        .filter(pk=incident_id)
        .first()
    )


def _promise_of(incident: Incident) -> tuple[datetime, int] | None:
    """The promise as the brief states it (`Incident.next_update_due`) and the entry it
    follows, or None when nothing is promised (a draft, a resolved incident)."""
    if incident.escalated_at is None:
        return None
    due = incident.next_update_due()
    if due is None:
        return None
    latest = incident.latest_update()
    return due, latest.sequence if latest is not None else 0


def promise_track(*, incident_id: int) -> None:
    """Record the incident's current promise and schedule its reminders once committed.

    Called inside the transaction of the write that may have moved it; a promise that did not
    move schedules nothing, so calling it twice costs one read.
    """
    incident = _with_latest_update(incident_id)
    promise = None if incident is None else _promise_of(incident)
    if promise is None:
        UpdatePromise.objects.filter(incident_id=incident_id).delete()
        return
    due_at, after_sequence = promise
    current = UpdatePromise.objects.filter(incident_id=incident_id).first()
    if current is not None and (current.due_at, current.after_sequence) == promise:
        return
    UpdatePromise.objects.update_or_create(
        incident_id=incident_id, defaults={"due_at": due_at, "after_sequence": after_sequence}
    )
    transaction.on_commit(
        lambda: schedule(incident_id=incident_id, due_at=due_at, after_sequence=after_sequence)
    )


def schedule(
    *, incident_id: int, due_at: datetime, after_sequence: int, now: datetime | None = None
) -> None:
    """Enqueue the promise's two reminders: the lead time before it, and at it.

    A backend that cannot defer a job (the immediate backend, on a box without a worker) sends
    no reminders: run at once, they would all go out early. The banner still shows.
    """
    from briefs.tasks import send_update_reminder  # the task module imports this one

    if not send_update_reminder.get_backend().supports_defer:
        return
    now = now or timezone.now()
    moments = [(ReminderKind.DUE, due_at - lead_time()), (ReminderKind.OVERDUE, due_at)]
    for kind, run_after in moments:
        if kind == ReminderKind.DUE and due_at <= now:
            continue  # already late: the overdue reminder says so
        send_update_reminder.using(run_after=max(run_after, now)).enqueue(
            incident_id, kind.value, due_at.isoformat(), after_sequence
        )


def enqueue_missed(now: datetime | None = None) -> int:
    """Enqueue the reminders whose time passed a lease ago (TASK_LEASE_SECONDS) without one
    being claimed: a job lost before it ran, or a commit whose process died before it
    enqueued. `manage.py worker` calls it with the lost-job sweep; a job too many is harmless
    (the claim). A promise found already late gets only its overdue reminder.
    Returns how many were enqueued."""
    from briefs.tasks import send_update_reminder  # the task module imports this one

    now = now or timezone.now()
    grace = timedelta(seconds=settings.TASK_LEASE_SECONDS)

    def claimed(kind: ReminderKind) -> Exists:
        return Exists(
            UpdateReminder.objects.filter(
                incident_id=OuterRef("incident_id"),
                after_sequence=OuterRef("after_sequence"),
                due_at=OuterRef("due_at"),
                kind=kind,
            )
        )

    # The due index: only promises whose first reminder is a lease late.
    promises = UpdatePromise.objects.filter(due_at__lte=now - grace + lead_time()).annotate(
        due_claimed=claimed(ReminderKind.DUE), overdue_claimed=claimed(ReminderKind.OVERDUE)
    )
    missed = []
    for promise in promises:
        if promise.due_at <= now - grace:
            if not promise.overdue_claimed:
                missed.append((promise, ReminderKind.OVERDUE))
        elif promise.due_at > now and not promise.due_claimed:
            missed.append((promise, ReminderKind.DUE))
    for promise, kind in missed:
        send_update_reminder.enqueue(
            promise.incident_id, kind.value, promise.due_at.isoformat(), promise.after_sequence
        )
    return len(missed)


@transaction.atomic
def remind(
    *,
    incident_id: int,
    kind: ReminderKind,
    due_at: datetime,
    after_sequence: int,
    now: datetime | None = None,
) -> str:
    """Queue one reminder's mails if its promise still stands; what happened, for the job's
    result. The claim and the deliveries commit together: a second run (scheduled twice, or a
    job run again) finds the claim, and the engine's own key stops a second copy anyway."""
    now = now or timezone.now()
    incident = _with_latest_update(incident_id)
    if incident is None or _promise_of(incident) != (due_at, after_sequence):
        return "silenced"
    try:
        with transaction.atomic():
            reminder = UpdateReminder.objects.create(
                incident=incident,
                kind=kind,
                due_at=due_at,
                after_sequence=after_sequence,
                claimed_at=now,
            )
    except IntegrityError:
        return "already sent"
    people = [
        notifications.Person(
            key=f"user-{person.pk}",
            label=person.get_full_name() or person.get_username(),
            email=person.email,
        )
        for person in recipients_of(incident)
    ]
    queued = notifications.queue_to_people(
        incident=incident, kind=kind.value, people=people, ref=f"{after_sequence}:{due_at}"
    )
    reminder.recipients = len(queued)
    reminder.save(update_fields=["recipients"])
    return "queued"


def recipients_of(incident: Incident) -> list[User]:
    """The owner and the collaborators who have an email address, owner first."""
    people = [incident.owner, *incident.collaborators.order_by("pk")]
    return [person for person in people if person.email]


def compose(delivery: Delivery) -> Notice:
    """The notice of a reminder's delivery, composed when the engine sends it (and again on a
    retry): the reminder its job claimed, as the clock stands then ("overdue by 14 min")."""
    reminder = (
        UpdateReminder.objects.filter(
            incident_id=delivery.incident_id,
            kind=delivery.trigger,
            claimed_at__lte=delivery.created_at,
        )
        .order_by("-claimed_at", "-pk")
        .first()
    )
    if reminder is None:
        raise ValueError(f"delivery {delivery.pk} has no reminder")
    return reminder_notice(
        incident=delivery.incident,
        kind=ReminderKind(reminder.kind),
        due_at=reminder.due_at,
        now=timezone.now(),
    )


for _kind in ReminderKind:
    notifications.register_composer(_kind.value, compose)


def _minutes(span: timedelta) -> str:
    minutes = max(0, round(span.total_seconds() / 60))
    hours, rest = divmod(minutes, 60)
    if hours:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def update_form_url(incident: Incident) -> str:
    path = reverse("briefs:incident_brief", args=[incident.public_id])
    return f"{settings.SITE_URL}{path}#update-form"


def reminder_notice(
    *, incident: Incident, kind: ReminderKind, due_at: datetime, now: datetime
) -> Notice:
    """What the reminder says: what is due, when in the incident's zone, how late if late."""
    title = one_line(incident.title)
    when = local_time(incident, due_at, now=now)
    severity = f"[{incident.severity}]"
    facts = [("Incident", title), ("Update due", when)]
    if kind == ReminderKind.OVERDUE:
        late = _minutes(now - due_at)
        subject = f"{severity} Update overdue by {late} (due {when}): {title}"
        headline = f"The update promised to the CEO for {when} is {late} late."
        facts.append(("Overdue by", late))
    else:
        subject = f"{severity} Update due at {when}: {title}"
        headline = f"The next update to the CEO is due at {when}, in {_minutes(due_at - now)}."
    return Notice(
        kind=NoticeKind(kind.value),
        subject=subject,
        headline=headline,
        facts=facts,
        paragraphs=[
            "Post it on the brief: what changed, what is next, and when the following "
            "update is due. Keeping the promised cadence is what the CEO judges.",
        ],
        link_url=update_form_url(incident),
        link_label="Post the update",
    )


# --- The banner on every architect page ----------------------------------------------------


@dataclass(frozen=True)
class DueUpdate:
    """An update the viewer must post soon, or is late with, as the banner says it."""

    title: str
    public_id: UUID
    when: str
    # "in 8 min", or None when late
    due_in: str | None
    overdue_by: str | None

    @property
    def url(self) -> str:
        return reverse("briefs:incident_brief", args=[self.public_id]) + "#update-form"


BANNER_MOST = 5


def due_updates_for(
    user: AbstractBaseUser | AnonymousUser, now: datetime | None = None
) -> list[DueUpdate]:
    """The viewer's incidents whose promised update is due within the lead time or late,
    most urgent first: one query on `UpdatePromise`'s due index."""
    if not user.is_authenticated:
        return []
    # To the minute, as the pages state their figures: the dashboard caches its page (and
    # this banner in it) per minute and per stamp of the viewer's incidents, which every write
    # that moves a promise also moves.
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    collaborates = Incident.collaborators.through.objects.filter(
        incident=OuterRef("incident_id"), user_id=user.pk
    )
    promises = (
        UpdatePromise.objects.filter(due_at__lte=now + lead_time())
        .filter(Q(incident__owner_id=user.pk) | Exists(collaborates))
        .select_related("incident")
        .only("due_at", "incident__title", "incident__public_id", "incident__time_zone")
        # The most urgent few: a banner, not a list (the dashboard lists them all).
        .order_by("due_at")[:BANNER_MOST]
    )
    return [_due_update(promise.incident, promise.due_at, now) for promise in promises]


def _due_update(incident: Incident, due_at: datetime, now: datetime) -> DueUpdate:
    late = now > due_at
    return DueUpdate(
        title=incident.title,
        public_id=incident.public_id,
        when=local_time(incident, due_at, now=now),
        due_in=None if late else _minutes(due_at - now),
        overdue_by=_minutes(now - due_at) if late else None,
    )


def due_updates_among(incidents: list[Incident], now: datetime) -> list[DueUpdate]:
    """`due_updates_for` from incidents already loaded with their updates (the dashboard's own
    rows, which are all the viewer's open incidents): the banner without a query of its own."""
    now = now.replace(second=0, microsecond=0)
    horizon = now + lead_time()
    due = sorted(
        (
            (due_at, incident)
            for incident in incidents
            if (due_at := incident.next_update_due()) is not None and due_at <= horizon
        ),
        key=lambda pair: pair[0],
    )
    return [_due_update(incident, due_at, now) for due_at, incident in due[:BANNER_MOST]]


def due_updates(request: HttpRequest) -> dict[str, Any]:
    """Context processor: `due_updates` for base.html's banner, queried only where a page
    draws it (the executive link and the PDF have templates of their own and never do)."""
    return {"due_updates": SimpleLazyObject(lambda: due_updates_for(request.user))}


# The cached dashboard and brief pages hold this where the banner goes (base.html), and put
# the viewer's banner in on every request: it changes with other incidents' promises, which
# those pages' keys do not follow.
BANNER_SLOT = mark_safe("<!--due-updates-banner-->")  # noqa: S308 (a constant)


def banner_html(request: HttpRequest, *, anything_due: bool = True) -> SafeString:
    """The banner for the viewer; without its query where the caller knows nothing is due
    (`BriefKey.due_soonest`, read with the brief's key)."""
    due = due_updates_for(request.user) if anything_due else []
    if not due:
        return _empty_banner()
    return _rendered_banner(due)


@cache
def _empty_banner() -> SafeString:
    # Nearly every cached page's banner: the same empty container, rendered once per process.
    return _rendered_banner([])


def _rendered_banner(due: list[DueUpdate]) -> SafeString:
    return mark_safe(  # noqa: S308 (rendered from an autoescaped template)
        render_to_string("briefs/_due_updates.html", {"due_updates": due})
    )
