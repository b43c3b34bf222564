"""The notification engine (issue 16): who hears of an incident, what they are told, and the
worker's delivery of each message, once.

Entry points (each is called inside the transaction of the change that causes it, writes its
`Delivery` rows there, and enqueues one task per row once that transaction commits, so a
change and its messages are saved together or not at all):

- `queue_escalated(incident=...)`: services.incident_mark_escalated; every subscriber and chat
  target gets the brief in short and their own link.
- `queue_update(update=...)`: services.update_post; each-update subscribers and chat targets
  now, digest subscribers one mail at the promised time (the update's `next_update_due`).
- `queue_resolved(incident=...)`: services.incident_resolve; the follow-up summary.
- `queue_welcome(subscriber=...)`: services.subscriber_add, when the incident is already
  escalated: the newcomer gets the escalation mail (their link) at once.
- `queue_meeting(meeting=...)`: services.meeting_record (the follow-up form, or the end of the
  presenter's meeting); every subscriber and chat target gets the summary: decisions, action
  items, resources, the cadence agreed and the next update's time.
- `queue_to_people(incident=..., kind=..., people=[Person(...)], ref=...)`: any other notice
  to named people by email, e.g. the architects' reminders (issue 16c). The notice is composed
  when the message is sent, by the function registered for `kind` with `register_composer`
  (it gets the `Delivery` and returns a `Notice`), so it says what is true when it leaves.
- `deliver(delivery_id)`: the task's body (briefs.tasks.deliver_notification).
- `send_due(now)`: enqueues the rows whose time has come and whose task is missing (lost with
  a worker, or never deferred because the backend cannot defer); `manage.py worker` calls it.

Exactly once, as far as it can be: a message is recorded under an `idempotency_key` (message and
recipient) that is unique in the database, so it is never recorded twice; `deliver` claims its
row (status `sending`, `attempts` + 1) in a transaction committed *before* it talks to the mail
server. A task that runs again finds the row `sent` and does nothing. A row found still
`sending` after TASK_LEASE_SECONDS means a worker died mid-send: the message may or may not have
left, and we chose never to send it again (at most once): it is marked failed, saying so. A
second copy of a CEO mail costs more trust than one the architect sees failed on the brief and
can follow up by hand.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.utils import formataddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from briefs import chat
from briefs.brief_content import minute, with_brief_rows
from briefs.models import (
    ChatLink,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Incident,
    IncidentUpdate,
    Meeting,
    PdfDocument,
    PdfKind,
    PdfSize,
    ShareLink,
    Status,
    Subscriber,
    SubscriberCadence,
)
from briefs.notice_texts import (
    compose_digest,
    compose_escalated,
    compose_meeting,
    compose_resolved,
    compose_update,
    meeting_with_rows,
    one_line,
)
from briefs.notices import Notice, NoticeKind
from briefs.timeline import clock

logger = logging.getLogger(__name__)

# How long an escalation mail waits between looks for its PDF (NOTIFY_PDF_WAIT_SECONDS in all).
PDF_POLL = timedelta(seconds=5)


# --- Links a mail can carry -------------------------------------------------------------------


def new_salt() -> str:
    return secrets.token_hex(16)


def derived_token(public_key: str, salt: str) -> str:
    """An executive link's token that the database cannot give away: ShareLink keeps only its
    hash, and only SECRET_KEY (with the row's random salt) makes the token again, so each mail
    can carry the person's link while a dump of the database yields none."""
    value = f"{public_key}:{salt}"
    return salted_hmac("briefs.notifications.link", value, algorithm="sha256").hexdigest()


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("briefs:share_view", args=[token])


def subscriber_token(subscriber: Subscriber) -> str:
    return derived_token(str(subscriber.public_id), subscriber.link_salt)


def unsubscribe_token(subscriber: Subscriber) -> str:
    """`<public_id hex>.<signature>`: verified by recomputing, so nothing more is stored."""
    value = f"{subscriber.public_id}:{subscriber.link_salt}"
    signature = salted_hmac("briefs.notifications.unsubscribe", value, algorithm="sha256")
    return f"{subscriber.public_id.hex}.{signature.hexdigest()[:32]}"


def subscriber_for_unsubscribe(token: str) -> Subscriber | None:
    public_hex, _, _signature = token.partition(".")
    if len(public_hex) != 32 or not all(c in "0123456789abcdef" for c in public_hex):
        return None
    subscriber = Subscriber.objects.select_related("incident").filter(public_id=public_hex).first()
    if subscriber is None or not constant_time_compare(unsubscribe_token(subscriber), token):
        return None
    return subscriber


def unsubscribe_url(subscriber: Subscriber) -> str:
    return settings.SITE_URL + reverse("briefs:unsubscribe", args=[unsubscribe_token(subscriber)])


def chat_link_url(incident: Incident, target: chat.ChatTarget) -> str:
    """The chat target's own executive link to `incident`, made the first time it is needed;
    "" (the notice goes without a link) once the link was revoked, rather than a dead one or a
    new one the architect did not ask for."""
    found = (
        ChatLink.objects.select_related("share_link")
        .filter(incident=incident, target_key=target.key)
        .first()
    )
    if found is not None:
        if found.share_link.revoked_at is not None:
            return ""
        # As a subscriber's: each notice pushes the end back, so a long incident's channel
        # never holds only links that have expired.
        _keep_link_open(found.share_link_id)
    else:
        salt = new_salt()
        try:
            with transaction.atomic():
                link = ShareLink.objects.create(
                    incident=incident,
                    token_hash=ShareLink.hash_token(derived_token(target.key, salt)),
                    label=target.label[:100],
                    created_by=incident.owner,
                    expires_at=timezone.now() + timedelta(days=30),
                )
                found = ChatLink.objects.create(
                    incident=incident, target_key=target.key, share_link=link, link_salt=salt
                )
        except IntegrityError:  # another worker made it meanwhile
            found = ChatLink.objects.get(incident=incident, target_key=target.key)
    return link_url(derived_token(found.target_key, found.link_salt))


Composer = Callable[[Delivery], Notice]
_composers: dict[str, Composer] = {}


def register_composer(kind: str, composer: Composer) -> None:
    """What a `queue_to_people` notice of `kind` says, composed when it is sent."""
    _composers[kind] = composer


def notice_for(delivery: Delivery, now: datetime) -> Notice:
    # To the minute, as the brief states its figures: the mail and the page say the same cost.
    now = minute(now)
    incident = with_brief_rows(delivery.incident)
    if delivery.trigger in _composers:
        return _composers[delivery.trigger](delivery)
    if delivery.trigger == NoticeKind.ESCALATED:
        return compose_escalated(incident, now)
    if delivery.trigger == NoticeKind.RESOLVED:
        return compose_resolved(incident, now)
    if delivery.trigger == NoticeKind.DIGEST:
        return compose_digest(incident, delivery.update, now)
    if delivery.trigger == NoticeKind.MEETING:
        meeting = meeting_with_rows(int(_occasion(delivery.idempotency_key)[1]))
        return compose_meeting(incident, meeting, now)
    if delivery.trigger == NoticeKind.UPDATE and delivery.update is not None:
        update = next(u for u in incident.updates.all() if u.pk == delivery.update_id)
        return compose_update(incident, update, now)
    raise ValueError(f"no notice for {delivery.trigger}")


# --- Queueing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Someone to mail who is not a subscriber (an architect): `key` is stable per person."""

    key: str
    label: str
    email: str


def _row(
    incident: Incident,
    kind: str,
    ref: str,
    *,
    channel: str,
    recipient_key: str,
    label: str,
    address: str,
    subscriber: Subscriber | None = None,
    update: IncidentUpdate | None = None,
    due: datetime | None = None,
) -> Delivery:
    now = timezone.now()
    return Delivery(
        incident=incident,
        channel=channel,
        recipient_label=one_line(label)[:200],
        recipient_address=address,
        subscriber=subscriber,
        trigger=kind,
        update=update,
        # "<kind>:<ref>:<recipient>": `ref` holds no ":", so the first two fields name the
        # occasion (delivery_line groups by them).
        idempotency_key=f"{kind}:{ref.replace(':', '-')}:{recipient_key}"[:300],
        created_at=now,
        next_attempt_at=due or now,
    )


def _subscriber_row(subscriber: Subscriber, kind: str, ref: str, **extra: Any) -> Delivery:
    return _row(
        subscriber.incident,
        kind,
        ref,
        channel=DeliveryChannel.EMAIL,
        recipient_key=f"subscriber-{subscriber.public_id}",
        label=subscriber.name,
        address=subscriber.email,
        subscriber=subscriber,
        **extra,
    )


def _chat_rows(incident: Incident, kind: str, ref: str, **extra: Any) -> list[Delivery]:
    return [
        _row(
            incident,
            kind,
            ref,
            channel=target.channel,
            recipient_key=target.key,
            label=target.label,
            address=target.key,
            **extra,
        )
        for target in chat.targets_for(incident)
    ]


def _save_and_enqueue(rows: list[Delivery]) -> list[Delivery]:
    """Write the rows in the caller's transaction (a key already recorded is skipped) and
    enqueue their sends once it commits."""
    saved = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:  # this message already went to this recipient
            continue
        saved.append(row)
    jobs = [(row.pk, row.next_attempt_at) for row in saved]
    if jobs:
        transaction.on_commit(lambda: _enqueue_all(jobs))
    return saved


def _enqueue_all(jobs: list[tuple[int, datetime | None]]) -> None:
    for delivery_id, due in jobs:
        _enqueue(delivery_id, due)


def _enqueue(delivery_id: int, due: datetime | None = None) -> None:
    from briefs.tasks import deliver_notification  # the task module imports this one

    task = deliver_notification
    if due is not None and due > timezone.now():
        if not task.get_backend().supports_defer:
            return  # send_due enqueues it when its time comes
        task = task.using(run_after=due)
    task.enqueue(delivery_id)


def _subscribers(incident: Incident) -> list[Subscriber]:
    return list(Subscriber.objects.receiving().filter(incident=incident).select_related("incident"))


def queue_escalated(*, incident: Incident) -> list[Delivery]:
    ref = str(incident.pk)
    rows = [_subscriber_row(s, NoticeKind.ESCALATED, ref) for s in _subscribers(incident)]
    return _save_and_enqueue(rows + _chat_rows(incident, NoticeKind.ESCALATED, ref))


def queue_welcome(*, subscriber: Subscriber) -> list[Delivery]:
    incident = subscriber.incident
    if incident.status == Status.DRAFT or not incident.is_open:
        return []  # a draft's escalation mails them; a resolved incident has no news
    row = _subscriber_row(subscriber, NoticeKind.ESCALATED, str(incident.pk))
    return _save_and_enqueue([row])


# A digest not sent yet: the first try's or a retry's time has not come.
DIGEST_WAITING = [DeliveryStatus.QUEUED, DeliveryStatus.RETRYING]


def queue_update(*, update: IncidentUpdate) -> list[Delivery]:
    incident = update.incident
    if incident.status == Status.DRAFT:
        return []
    ref = str(update.pk)
    rows: list[Delivery] = []
    subscribers = _subscribers(incident)
    digest = [s for s in subscribers if s.cadence == SubscriberCadence.DIGEST]
    waiting = set(
        Delivery.objects.filter(
            subscriber__in=digest,
            trigger=NoticeKind.DIGEST,
            # A digest retrying after a failed try is still waiting: it tells this update too.
            status__in=DIGEST_WAITING,
        ).values_list("subscriber_id", flat=True)
    )
    for subscriber in subscribers:
        if subscriber.cadence == SubscriberCadence.EACH_UPDATE:
            rows.append(_subscriber_row(subscriber, NoticeKind.UPDATE, ref, update=update))
        elif subscriber.pk not in waiting:
            # One digest per promised update: it leaves when the next update is due and tells
            # everything posted from this one on.
            rows.append(
                _subscriber_row(
                    subscriber,
                    NoticeKind.DIGEST,
                    ref,
                    update=update,
                    due=update.next_update_due,
                )
            )
    rows += _chat_rows(incident, NoticeKind.UPDATE, ref, update=update)
    return _save_and_enqueue(rows)


def queue_resolved(*, incident: Incident) -> list[Delivery]:
    # The resolution's summary says everything a pending digest would have.
    Delivery.objects.filter(
        incident=incident, trigger=NoticeKind.DIGEST, status__in=DIGEST_WAITING
    ).update(status=DeliveryStatus.CANCELLED, last_error="Replaced by the resolution mail.")
    ref = f"{incident.pk}-{incident.version}"
    rows = [_subscriber_row(s, NoticeKind.RESOLVED, ref) for s in _subscribers(incident)]
    return _save_and_enqueue(rows + _chat_rows(incident, NoticeKind.RESOLVED, ref))


def queue_meeting(*, meeting: Meeting) -> list[Delivery]:
    """The meeting's summary to every receiving subscriber and chat target, once per meeting
    (its pk is the key's ref, which `notice_for` reads back)."""
    incident = meeting.incident
    if incident.status == Status.DRAFT:
        return []
    ref = str(meeting.pk)
    rows = [_subscriber_row(s, NoticeKind.MEETING, ref) for s in _subscribers(incident)]
    return _save_and_enqueue(rows + _chat_rows(incident, NoticeKind.MEETING, ref))


def queue_to_people(
    *, incident: Incident, kind: str, people: list[Person], ref: str, due: datetime | None = None
) -> list[Delivery]:
    """Mail `people` a notice of `kind` (composed by `register_composer(kind, ...)` when it is
    sent). `ref` names the occasion: the same (kind, ref, person) is recorded and sent once."""
    rows = [
        _row(
            incident,
            kind,
            ref,
            channel=DeliveryChannel.EMAIL,
            recipient_key=person.key,
            label=person.label,
            address=person.email,
            due=due,
        )
        for person in people
    ]
    return _save_and_enqueue(rows)


def send_due(now: datetime | None = None) -> int:
    """Enqueue the sends whose time has come but whose task is not known to be waiting: a
    digest or retry where the backend cannot defer, a job lost with its worker, or a commit
    whose process died before it enqueued. A task too many is harmless (see `deliver`).
    Returns how many were enqueued."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
    defer = _backend_defers()
    due = Delivery.objects.filter(
        status__in=[DeliveryStatus.QUEUED, DeliveryStatus.RETRYING], next_attempt_at__lte=now
    )
    if defer:
        # With a deferring backend the task is queued already; only a lost one is re-sent.
        due = due.filter(next_attempt_at__lte=now - lease)
    stuck = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lte=now - lease)
    ids = list(due.values_list("pk", flat=True)) + list(stuck.values_list("pk", flat=True))
    for pk in ids:
        _enqueue(pk)
    return len(ids)


def _backend_defers() -> bool:
    from briefs.tasks import deliver_notification

    return bool(deliver_notification.get_backend().supports_defer)


# --- Sending (in the worker) --------------------------------------------------------------------


class RetryableError(Exception):
    """A failure a later try may not meet: a mail server's 4xx, a refused connection."""


class PermanentError(Exception):
    """A failure no retry fixes: a 5xx refusal of the address, a webhook that is gone."""


def _claim(delivery_id: int, now: datetime) -> Delivery | str:
    """The row, claimed for one attempt (committed before anything is sent), or the status
    it is left in when there is nothing to send."""
    with transaction.atomic():
        row = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("incident", "subscriber", "subscriber__share_link", "update")
            .filter(pk=delivery_id)
            .first()
        )
        if row is None:
            return "gone"
        if row.status == DeliveryStatus.SENDING:
            lease = timedelta(seconds=settings.TASK_LEASE_SECONDS)
            if row.claimed_at is not None and now - row.claimed_at < lease:
                return row.status  # another worker is sending it right now
            row.status = DeliveryStatus.FAILED
            row.last_error = (
                f"The worker stopped while sending attempt {row.attempts}: it may or may not "
                "have arrived, and it is not sent again so that nobody gets it twice."
            )
            row.save(update_fields=["status", "last_error"])
            return row.status
        if row.status not in {DeliveryStatus.QUEUED, DeliveryStatus.RETRYING}:
            return row.status
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            return row.status  # early: its own deferred task comes at its time
        reason = _cancel_reason(row)
        if reason:
            row.status, row.last_error = DeliveryStatus.CANCELLED, reason
            row.save(update_fields=["status", "last_error"])
            return row.status
        if _waits_for_pdf(row, now):
            row.next_attempt_at = now + PDF_POLL
            row.save(update_fields=["next_attempt_at"])
            transaction.on_commit(lambda: _enqueue(row.pk, row.next_attempt_at))
            return row.status
        row.status = DeliveryStatus.SENDING
        row.attempts += 1
        row.claimed_at = now
        row.save(update_fields=["status", "attempts", "claimed_at"])
    return row


def _cancel_reason(row: Delivery) -> str:
    if row.trigger == NoticeKind.ALERT_DRAFT and row.incident.status != Status.DRAFT:
        # "Review this draft" about one escalated meanwhile would be stale (a discarded one
        # took its row with it).
        return "Not sent: the draft was escalated before the mail left."
    subscriber = row.subscriber
    if subscriber is not None:
        if subscriber.unsubscribed_at is not None:
            return f"Not sent: {subscriber.name} unsubscribed."
        if subscriber.share_link.revoked_at is not None:
            return f"Not sent: {subscriber.name}'s link was revoked."
    elif row.channel != DeliveryChannel.EMAIL and row.recipient_address not in {
        target.key for target in chat.targets_for(row.incident)
    }:
        # The architect removed the channel after this was queued: what they asked for, not a
        # failure for the brief's delivery line to show.
        return f"Not sent: {row.recipient_label} was removed before the notice left."
    return ""


def _stored_pdf(incident: Incident) -> PdfDocument | None:
    from briefs.pdf_documents import document_stamp

    document = PdfDocument.objects.filter(
        incident=incident, kind=PdfKind.BRIEF, size=PdfSize.default()
    ).first()
    if document is None or not document.is_ready_for(document_stamp(incident)):
        return None
    return document


def _wants_pdf(row: Delivery) -> bool:
    return (
        settings.NOTIFY_ATTACH_PDF
        and row.channel == DeliveryChannel.EMAIL
        and row.trigger == NoticeKind.ESCALATED
    )


def _waits_for_pdf(row: Delivery, now: datetime) -> bool:
    """The escalation mail waits a little for its PDF, asking for the render, when the backend
    can come back later; after NOTIFY_PDF_WAIT_SECONDS it leaves without it."""
    if not _wants_pdf(row) or _stored_pdf(row.incident) is not None:
        return False
    if now - row.created_at >= timedelta(seconds=settings.NOTIFY_PDF_WAIT_SECONDS):
        return False
    if not _backend_defers():
        return False
    from briefs.pdf_documents import request_render

    transaction.on_commit(
        lambda: request_render(incident=row.incident, kind=PdfKind.BRIEF, size=PdfSize.default())
    )
    return True


def deliver(delivery_id: int, *, now: datetime | None = None) -> str:
    """Send one recorded message, once; the row's new status (see the module's docstring)."""
    now = now or timezone.now()
    claimed = _claim(delivery_id, now)
    if isinstance(claimed, str):
        return claimed
    row = claimed
    try:
        notice = notice_for(row, now)
        if row.channel == DeliveryChannel.EMAIL:
            _send_email(row, notice)
        else:
            _send_chat(row, notice)
    except RetryableError as error:
        return _settle_failure(row, str(error), retry=True)
    except PermanentError as error:
        return _settle_failure(row, str(error), retry=False)
    except Exception as error:
        # A bug or an unforeseen answer: recorded on the row (the architect sees it), not
        # retried, since it would most likely fail the same way.
        logger.exception("Delivery %s failed", row.pk)
        return _settle_failure(row, f"{type(error).__name__}: {error}", retry=False)
    Delivery.objects.filter(pk=row.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), subject=notice.subject[:1000]
    )
    return DeliveryStatus.SENT


def _settle_failure(row: Delivery, error: str, *, retry: bool) -> str:
    now = timezone.now()
    if retry and row.attempts < settings.NOTIFY_MAX_ATTEMPTS:
        backoff = settings.NOTIFY_RETRY_BACKOFF_SECONDS * 2 ** (row.attempts - 1)
        due = now + timedelta(seconds=backoff)
        status, fields = DeliveryStatus.RETRYING, {"next_attempt_at": due}
    else:
        due, status, fields = None, DeliveryStatus.FAILED, {}
    Delivery.objects.filter(pk=row.pk, status=DeliveryStatus.SENDING).update(
        status=status, last_error=error[:1000], **fields
    )
    logger.warning("Delivery %s to %s: %s (%s)", row.pk, row.channel, status, error)
    if due is not None:
        _enqueue(row.pk, due)
    return status


def _domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)
    if len(address) == 2:
        return address[1].strip(" >") or "localhost"
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def message_id(idempotency_key: str) -> str:
    """The same message, the same Message-ID: a mail server or client that sees it twice
    (a retry after an answer lost on the way) may drop the copy."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<{digest}@{_domain()}>"


# A subscriber's link lasts as long as any link (MAX_SHARE_LINK_DAYS); each mail that carries
# it pushes its end back, so a long incident's mail never carries a link that has expired.
LINK_RENEWAL = timedelta(days=30)


def _keep_link_open(share_link_id: int) -> None:
    now = timezone.now()
    ShareLink.objects.filter(
        pk=share_link_id, revoked_at__isnull=True, expires_at__lt=now + LINK_RENEWAL / 2
    ).update(expires_at=now + LINK_RENEWAL)


def email_message(row: Delivery, notice: Notice) -> EmailMultiAlternatives:
    subscriber = row.subscriber
    link = notice.link_url
    unsubscribe = ""
    if subscriber is not None:
        _keep_link_open(subscriber.share_link_id)
        link = link_url(subscriber_token(subscriber))
        unsubscribe = unsubscribe_url(subscriber)
    attachment = None
    pdf_missing = False
    if _wants_pdf(row):
        document = _stored_pdf(row.incident)
        if document is not None:
            from briefs.pdf_documents import pdf_storage

            with pdf_storage().open(document.file) as stored:
                attachment = stored.read()
        else:
            pdf_missing = True
    context = {
        "notice": notice,
        "link_url": link,
        "link_label": notice.link_label,
        "unsubscribe_url": unsubscribe,
        "recipient": row.recipient_label,
        "pdf_attached": attachment is not None,
        "pdf_missing": pdf_missing,
        "incident": row.incident,
    }
    headers = {"Message-ID": message_id(row.idempotency_key)}
    if unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=one_line(notice.subject),
        body=render_to_string("emails/notice.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((one_line(row.recipient_label), row.recipient_address))],
        headers=headers,
    )
    message.attach_alternative(render_to_string("emails/notice.html", context), "text/html")
    if attachment is not None:
        message.attach(f"{row.incident.public_id}-brief.pdf", attachment, "application/pdf")
    return message


def _send_email(row: Delivery, notice: Notice) -> None:
    message = email_message(row, notice)
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _text in error.recipients.values()]
        text = f"The mail server refused the address: {error.recipients}"
        if all(400 <= code < 500 for code in codes):
            raise RetryableError(text) from error
        raise PermanentError(text) from error
    except smtplib.SMTPResponseException as error:
        text = f"The mail server answered {error.smtp_code}: {error.smtp_error!r}"
        if 400 <= error.smtp_code < 500:
            raise RetryableError(text) from error
        raise PermanentError(text) from error
    except (smtplib.SMTPException, OSError) as error:
        # Refused or dropped connections, timeouts: the server may be back soon.
        raise RetryableError(f"{type(error).__name__}: {error}") from error


def _send_chat(row: Delivery, notice: Notice) -> None:
    target = next(
        (t for t in chat.targets_for(row.incident) if t.key == row.recipient_address), None
    )
    if target is None:
        raise PermanentError("The chat webhook is no longer configured.")
    notice = replace(notice, link_url=chat_link_url(row.incident, target))
    try:
        chat.send(target, notice)
    except chat.ChatDeliveryError as error:
        if error.retryable:
            raise RetryableError(str(error)) from error
        raise PermanentError(str(error)) from error


# --- What the architect sees ----------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryLine:
    """The brief's one line about the latest notification: "Sent to 3 executives at 10:02;
    1 failed, retrying"."""

    text: str
    problem: bool
    # Something is still on its way (queued, sending, or retrying).
    pending: bool


# The notices that go to the architects (queue_to_people), not to the executives.
TO_ARCHITECTS = [NoticeKind.ALERT_DRAFT, NoticeKind.REMINDER_DUE, NoticeKind.REMINDER_OVERDUE]


def _occasion(idempotency_key: str) -> tuple[str, ...]:
    return tuple(idempotency_key.split(":", 2)[:2])


def delivery_line(incident_id: int, zone: Any) -> DeliveryLine | None:
    """The latest notification's recipients, by status, in one query (the index
    `delivery_incident_created`)."""
    rows = list(
        Delivery.objects.filter(incident_id=incident_id)
        .exclude(status=DeliveryStatus.CANCELLED)
        # The line tells how the executives' news went; the architects' own mails (an alert's
        # draft, reminders) are on the details page, not counted as "executives".
        .exclude(trigger__in=TO_ARCHITECTS)
        .order_by("-created_at", "-pk")
        .values_list("idempotency_key", "status", "sent_at", "channel")[:200]
    )
    if not rows:
        return None
    # One notification's rows share the key's "<kind>:<ref>:" (a recipient's key may hold ":").
    batch_key = _occasion(rows[0][0])
    batch = [row for row in rows if _occasion(row[0]) == batch_key]
    sent = [row for row in batch if row[1] == DeliveryStatus.SENT]
    counts = {status: sum(1 for row in batch if row[1] == status) for status in DeliveryStatus}
    everyone_mail = all(row[3] == DeliveryChannel.EMAIL for row in batch)
    noun = "executive" if everyone_mail else "recipient"
    parts = []
    if sent:
        last = max(row[2] for row in sent if row[2] is not None)
        local = last.astimezone(zone)
        plural = "s" if len(sent) != 1 else ""
        parts.append(f"Sent to {len(sent)} {noun}{plural} at {clock(local, zone=True)}")
    waiting = counts[DeliveryStatus.QUEUED] + counts[DeliveryStatus.SENDING]
    if waiting:
        parts.append(f"{waiting} waiting to be sent")
    if counts[DeliveryStatus.RETRYING]:
        parts.append(f"{counts[DeliveryStatus.RETRYING]} failed, retrying")
    if counts[DeliveryStatus.FAILED]:
        parts.append(f"{counts[DeliveryStatus.FAILED]} failed")
    text = "; ".join(parts)
    problem = bool(counts[DeliveryStatus.RETRYING] or counts[DeliveryStatus.FAILED])
    pending = bool(waiting or counts[DeliveryStatus.RETRYING])
    return DeliveryLine(text[:1].upper() + text[1:], problem, pending)


def subscriber_rows(incident: Incident) -> list[Subscriber]:
    """The brief's list: who gets the mail now."""
    return list(
        Subscriber.objects.receiving()
        .filter(incident=incident)
        .select_related("share_link")
        .order_by("created_at", "pk")
    )


def deliveries_for(incident: Incident) -> list[Delivery]:
    return list(Delivery.objects.filter(incident=incident).order_by("-created_at", "-pk")[:500])
