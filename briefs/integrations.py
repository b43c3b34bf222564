"""Alert webhooks' writes: integrations made and revoked, an alert turned into a draft escalation
or a cleared-alert note, the note confirmed into the timeline. One transaction each.

The hook (views/hooks.py) parses a payload with briefs.alert_sources and hands the `Alert` to
`alert_receive`; nothing here trusts a payload's text as markup (it is stored as text and
escaped where shown).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from briefs import notifications
from briefs.alert_sources import Alert
from briefs.models import (
    AlertClearance,
    AlertEvent,
    AlertGroup,
    Delivery,
    Incident,
    IncidentUpdate,
    Integration,
    IntegrationKind,
    OperatingState,
    Profile,
    Status,
    zone_named,
)
from briefs.notice_texts import one_line
from briefs.notices import Notice, NoticeKind
from briefs.pdf_documents import render_when_committed
from briefs.services import incident_create_draft, update_post
from briefs.timeline import zone_abbreviation

# How old a signed PagerDuty event may be: PagerDuty retries a failed delivery for a few
# minutes, so a genuine retry arrives well inside it; an older one is a replay.
PAGERDUTY_MAX_AGE = timedelta(minutes=15)


def integration_create(
    *, owner: User, kind: str, name: str = "", now: datetime | None = None
) -> tuple[Integration, str]:
    """A new integration and its URL token, shown once: only its hash is stored. A PagerDuty
    one refuses every delivery until `integration_set_secret` gives it the secret PagerDuty
    shows when the subscription to this URL is created."""
    kind = IntegrationKind(kind)
    token = secrets.token_urlsafe(32)
    integration = Integration.objects.create(
        owner=owner,
        kind=kind,
        name=(name or kind.label)[:100],
        token_hash=Integration.hash_token(token),
        created_at=now or timezone.now(),
    )
    return integration, token


def integration_set_secret(*, integration: Integration, secret: str) -> None:
    if integration.kind != IntegrationKind.PAGERDUTY:
        raise ValueError("only PagerDuty signs its deliveries")
    integration.signing_secret = secret.strip()[:100]
    integration.save(update_fields=["signing_secret"])


def integration_revoke(*, integration: Integration, now: datetime | None = None) -> None:
    """Its URL answers 404 from the next request; the drafts it opened stay."""
    Integration.objects.filter(pk=integration.pk, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now()
    )


def pagerduty_event_take(*, integration: Integration, event_id: str, now: datetime) -> bool:
    """Record a PagerDuty event id; False when it was already taken (a replay). Ids older than
    the freshness window go: an event that old is refused as stale before it gets here."""
    AlertEvent.objects.filter(received_at__lt=now - PAGERDUTY_MAX_AGE).delete()
    try:
        with transaction.atomic():
            AlertEvent.objects.create(integration=integration, event_id=event_id, received_at=now)
    except IntegrityError:
        return False
    return True


def _owner_zone(owner: User) -> str:
    stored = Profile.objects.filter(user=owner).values_list("time_zone", flat=True).first()
    zone = zone_named(stored or "")
    return zone.key if zone else settings.DEFAULT_USER_TIME_ZONE


def _touch(incident_id: int) -> None:
    """Move the brief's stamp, so its cached page shows the note (as services._touch)."""
    Incident.objects.filter(pk=incident_id).update(
        updated_at=Greatest(Value(timezone.now()), F("updated_at") + timedelta(microseconds=1))
    )
    render_when_committed(incident_id)


def alert_receive(*, integration: Integration, alert: Alert, now: datetime | None = None) -> str:
    """Apply one alert notification; what it did, for the hook's answer and the logs:

    - "opened": the group's first firing opened a draft owned by the integration's owner, who
      is told (`alert_draft_notify_owner`);
    - "updated": a repeat updated the group's draft, or was noted on its escalated incident;
    - "cleared": the group cleared on an escalated, unresolved incident: a note waits for the
      architect to confirm it into the timeline (the incident is never resolved by an alert);
    - "ignored": a group that cleared before it opened anything, or on a draft or resolved one;
    - "duplicate": a PagerDuty event id already taken (a replay), which changes nothing.

    Two first firings of one group at once (a tool's retry racing its original) both miss the
    group; the second's insert then fails on `alertgroup_one_per_key`, and it runs again as the
    repeat it is.
    """
    now = now or timezone.now()
    try:
        return _receive(integration=integration, alert=alert, now=now)
    except IntegrityError:
        return _receive(integration=integration, alert=alert, now=now)


@transaction.atomic
def _receive(*, integration: Integration, alert: Alert, now: datetime) -> str:
    # The event id is taken in the same transaction as its effect: a failure frees it for
    # PagerDuty's retry.
    if alert.event_id and not pagerduty_event_take(
        integration=integration, event_id=alert.event_id, now=now
    ):
        return "duplicate"
    Integration.objects.filter(pk=integration.pk).update(last_received_at=now)
    group = (
        AlertGroup.objects.select_for_update()
        .select_related("incident")
        .filter(integration=integration, key_hash=alert.key_hash)
        .first()
    )
    if group is None:
        if not alert.firing:
            return "ignored"
        return _open_draft(integration=integration, alert=alert, now=now)
    group.last_received_at = now
    group.notifications += 1
    if alert.firing:
        group.firing = True
        _refresh_draft(group, alert, now)
        group.save()
        # Firing again (a flapping alert): a clearance not yet confirmed is no longer true.
        withdrawn, _ = group.clearances.pending().delete()
        if withdrawn:
            _touch(group.incident_id)
        return "updated"
    group.firing = False
    group.save(update_fields=["firing", "last_received_at", "notifications"])
    incident = group.incident
    if incident.status == Status.DRAFT or incident.resolved_at is not None:
        return "ignored"
    cleared_at = min(alert.ended_at or now, now)
    pending = incident.alert_clearances.pending().filter(group=group).first()
    if pending is None:
        AlertClearance.objects.create(
            incident=incident, group=group, cleared_at=cleared_at, received_at=now
        )
    else:
        pending.cleared_at = cleared_at
        pending.save(update_fields=["cleared_at"])
    _touch(incident.pk)
    return "cleared"


def _open_draft(*, integration: Integration, alert: Alert, now: datetime) -> str:
    owner = integration.owner
    incident = incident_create_draft(
        owner=owner, title=alert.title, time_zone=_owner_zone(owner), now=now
    )
    started_at = alert.started_at if alert.started_at and alert.started_at <= now else None
    incident.system = alert.system
    incident.started_at = started_at
    incident.save(update_fields=["system", "started_at"])
    AlertGroup.objects.create(
        integration=integration,
        key_hash=alert.key_hash,
        incident=incident,
        title=alert.title,
        system=alert.system,
        started_at=started_at,
        source_url=alert.source_url,
        created_at=now,
        last_received_at=now,
    )
    alert_draft_notify_owner(incident.pk)
    return "opened"


def _refresh_draft(group: AlertGroup, alert: Alert, now: datetime) -> None:
    """A repeat's news, onto the draft's fields that still say what the alert last said (what
    the architect typed stays). Saved with a new version, so the audit trail shows it and a
    wizard open on the draft gets the conflict page rather than saving over it."""
    if alert.source_url:
        group.source_url = alert.source_url
    incident = Incident.objects.select_for_update().get(pk=group.incident_id)
    changed = []
    for name, new in (
        ("title", alert.title),
        ("system", alert.system),
        ("started_at", alert.started_at if alert.started_at and alert.started_at <= now else None),
    ):
        if not new:
            continue
        if getattr(incident, name) == getattr(group, name) != new:
            setattr(incident, name, new)
            changed.append(name)
        setattr(group, name, new)
    if changed and incident.status == Status.DRAFT:
        incident.version += 1
        incident.updated_at = max(now, incident.updated_at + timedelta(microseconds=1))
        incident.save(update_fields=[*changed, "version", "updated_at"])


def alert_draft_notify_owner(incident_id: int) -> None:
    """Tell a draft's owner that an alert opened it: one mail through the notification engine,
    recorded in the transaction that opened the draft (none when the owner has no address).

    Only a group's first firing opens a draft and calls this; the engine's key (kind, draft,
    person) would stop a second mail anyway. A draft discarded before the worker sends takes its
    `Delivery` with it, and one escalated meanwhile is cancelled by the engine
    (`notifications._cancel_reason`): nobody is asked to review a draft that is gone."""
    incident = Incident.objects.select_related("owner").get(pk=incident_id)
    owner = incident.owner
    if not owner.email:
        return
    person = notifications.Person(
        key=f"user-{owner.pk}",
        label=owner.get_full_name() or owner.get_username(),
        email=owner.email,
    )
    notifications.queue_to_people(
        incident=incident, kind=NoticeKind.ALERT_DRAFT, people=[person], ref=str(incident.pk)
    )


def alert_draft_notice(delivery: Delivery) -> Notice:
    """What the owner is told, composed when the mail leaves: the alert's facts as the draft
    holds them then. Plain text only: every value came from an alert payload (the mail's HTML
    part escapes it like any notice)."""
    incident = delivery.incident
    group = incident.alert_groups.select_related("integration").order_by("pk").first()
    facts = [("Alert", one_line(incident.title))]
    if incident.system:
        facts.append(("Affected system", one_line(incident.system)))
    if group is not None and group.source_url:
        facts.append(("Source", group.source_url))
    source = group.integration.name if group is not None else "An alert"
    return Notice(
        kind=NoticeKind.ALERT_DRAFT,
        subject=one_line(f"Draft escalation from an alert: {incident.title}")[:200],
        headline=one_line(f"{source} opened a draft escalation from an alert."),
        facts=facts,
        paragraphs=["Review it and decide whether to escalate it to the CEO."],
        link_url=settings.SITE_URL + reverse("briefs:incident_resume", args=[incident.public_id]),
        link_label="Review the draft",
    )


notifications.register_composer(NoticeKind.ALERT_DRAFT, alert_draft_notice)


def cleared_words(clearance: AlertClearance) -> str:
    """'The alert "Checkout 5xx" cleared at 10:41 CET': in the incident's zone, with the date
    when it is not the day the note is confirmed."""
    incident = clearance.incident
    local = timezone.localtime(clearance.cleared_at, incident.zone)
    when = f"{local:%H:%M} {zone_abbreviation(local)}"
    if local.date() != timezone.localtime(timezone.now(), incident.zone).date():
        when = f"{local:%-d %b} {when}"
    return f"The alert “{clearance.group.title}” cleared at {when}."


@transaction.atomic
def clearance_confirm(
    *, clearance: AlertClearance, author: User, now: datetime | None = None
) -> IncidentUpdate | None:
    """The architect confirms a cleared alert: it joins the timeline as an update (the
    operating state unchanged: the architect says whether the service is restored). None when
    it was confirmed meanwhile, from another tab."""
    now = now or timezone.now()
    taken = AlertClearance.objects.filter(pk=clearance.pk, confirmed_at__isnull=True).update(
        confirmed_at=now, confirmed_by=author
    )
    if not taken:
        return None
    incident = clearance.incident
    update = update_post(
        incident=incident,
        author=author,
        what_changed=cleared_words(clearance),
        operating_state=incident.operating_state or OperatingState.UNKNOWN,
        next_update_due=now + timedelta(minutes=incident.update_cadence_minutes),
        posted_at=now,
        as_of=clearance.cleared_at,
    )
    AlertClearance.objects.filter(pk=clearance.pk).update(update=update)
    return update


@dataclass(frozen=True)
class BriefAlerts:
    """What the architect's brief shows of the alerts behind an incident."""

    groups: list[AlertGroup]
    # The cleared alerts waiting for confirmation, each with its sentence.
    clearances: list[tuple[AlertClearance, str]]


def brief_alerts(incident: Incident) -> BriefAlerts:
    """One query for an incident no alert opened (most of them), two otherwise."""
    groups = list(incident.alert_groups.select_related("integration"))
    if not groups:
        return BriefAlerts([], [])
    pending = incident.alert_clearances.pending().select_related("group", "incident")
    return BriefAlerts(groups, [(clearance, cleared_words(clearance)) for clearance in pending])
