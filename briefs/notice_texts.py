"""What each moment's notice says (issue 16): the escalation, an update, a digest of updates,
the resolution, the meeting with the CEO; composed by the worker when the message leaves, from
the brief's own figures (one number per fact, every time in the incident's zone). Every text is
plain: a channel escapes it for its markup (briefs.notices). briefs.notifications sends them.
"""

from __future__ import annotations

from datetime import datetime

from briefs.brief_content import asks, follow_up
from briefs.models import Incident, IncidentUpdate, Meeting, format_money
from briefs.notices import Notice, NoticeKind
from briefs.templatetags.brief_tags import duration
from briefs.timeline import clock


def one_line(text: str) -> str:
    """Text for a header: every line break (CR, LF, and Unicode's own) and run of spaces
    becomes one space, so typed text can never start a header of its own."""
    return " ".join(text.split())


def local_time(incident: Incident, moment: datetime, *, now: datetime) -> str:
    """14:55 UTC in the incident's zone; with the date when it is not today there."""
    local = moment.astimezone(incident.zone)
    today = now.astimezone(incident.zone).date()
    return clock(local, with_date=local.date() != today, zone=True)


def _eta(incident: Incident, now: datetime) -> str:
    if incident.eta_earliest is None or incident.eta_latest is None:
        return ""
    earliest = incident.eta_earliest.astimezone(incident.zone)
    latest = incident.eta_latest.astimezone(incident.zone)
    today = now.astimezone(incident.zone).date()
    if earliest.date() == latest.date() == today:
        return f"{clock(earliest)}–{clock(latest, zone=True)}"
    # Across days, as the brief's key figures write it ("Tue 22:50 – Wed 14:50 UTC"): a bare
    # "22:50–2 Dec 14:50" reads as a range from 22:50 to 2.
    return f"{earliest:%a} {clock(earliest)} – {latest:%a} {clock(latest, zone=True)}"


def _subject(incident: Incident, now: datetime, *, prefix: str = "") -> str:
    cost = format_money(incident.cost_so_far(now), incident.currency)
    eta = _eta(incident, now)
    fix = f"fixed by {eta}" if eta else "time to fix not yet known"
    return one_line(f"[{incident.severity}] {prefix}{incident.title}: {cost} so far, {fix}")


def _facts(incident: Incident, now: datetime) -> list[tuple[str, str]]:
    """The brief's key figures, one number per fact, each time in the incident's zone."""
    facts = [
        (
            "Cost so far",
            f"{format_money(incident.cost_so_far(now), incident.currency)} as of "
            f"{local_time(incident, now, now=now)}",
        )
    ]
    estimate = incident.current_estimate()
    if estimate is not None:
        facts.append(
            (
                "Revenue at risk",
                f"{format_money(estimate.revenue_per_hour, incident.currency)} per hour, "
                f"{estimate.customers_affected:,} customers affected",
            )
        )
    eta = _eta(incident, now)
    facts.append(("Expected fix", eta or "Not yet known"))
    if incident.operating_state:
        facts.append(("Service now", incident.get_operating_state_display()))
    due = incident.next_update_due()
    if due is not None:
        late = " (overdue)" if due < now else ""
        facts.append(("Next update", f"{local_time(incident, due, now=now)}{late}"))
    return facts


def _asks(incident: Incident) -> list[str]:
    open_asks, _decided = asks(incident)
    return [
        f"We need your decision: {ask.question} We recommend: {ask.recommendation}"
        for ask in open_asks
    ]


def compose_escalated(incident: Incident, now: datetime) -> Notice:
    paragraphs = [text for text in [incident.description, incident.mitigation] if text]
    return Notice(
        kind=NoticeKind.ESCALATED,
        subject=_subject(incident, now),
        headline=one_line(f"{incident.title} has been escalated to the CEO."),
        facts=_facts(incident, now),
        paragraphs=paragraphs + _asks(incident),
    )


def compose_update(incident: Incident, update: IncidentUpdate, now: datetime) -> Notice:
    paragraphs = [update.what_changed]
    if update.next_steps:
        paragraphs.append(f"Next steps: {update.next_steps}")
    if update.estimate is not None:
        previous = [e for e in incident.estimates_in_order() if e.pk != update.estimate.pk]
        before = [e for e in previous if e.effective_at <= update.estimate.effective_at]
        paragraphs.append(
            update.estimate.change_from(before[-1] if before else None, incident.currency)
        )
    return Notice(
        kind=NoticeKind.UPDATE,
        subject=_subject(incident, now),
        headline=one_line(f"Update {update.sequence} on {incident.title}."),
        facts=_facts(incident, now),
        paragraphs=paragraphs + _asks(incident),
    )


def compose_digest(incident: Incident, since: IncidentUpdate | None, now: datetime) -> Notice:
    updates = sorted(incident.updates.all(), key=lambda u: u.sequence)
    if since is not None:
        updates = [u for u in updates if u.sequence >= since.sequence]
    count = len(updates)
    return Notice(
        kind=NoticeKind.DIGEST,
        subject=_subject(incident, now),
        headline=one_line(
            f"{count} update{'s' if count != 1 else ''} on {incident.title} since your last mail."
        ),
        facts=_facts(incident, now),
        paragraphs=[
            f"{local_time(incident, u.posted_at, now=now)}: {u.what_changed}" for u in updates
        ],
    )


def compose_resolved(incident: Incident, now: datetime) -> Notice:
    summary = follow_up(incident)
    if summary is None:  # reopened before the mail left: say what is true now
        return compose_escalated(incident, now)
    cost = format_money(summary.final_cost.amount, incident.currency)
    lasted = duration(summary.duration)
    facts = [
        ("Duration", lasted),
        ("Final cost", cost),
    ]
    if summary.customers is not None:
        facts.append(("Customers affected", f"{summary.customers:,}"))
    if incident.resolved_at is not None:
        facts.append(("Resolved at", local_time(incident, incident.resolved_at, now=now)))
    paragraphs = []
    if summary.root_cause.text:
        confidence = f" ({summary.root_cause.confidence})" if summary.root_cause.confidence else ""
        paragraphs.append(f"Root cause{confidence}: {summary.root_cause.text}")
    still_open = summary.planned + summary.still_open
    if still_open:
        paragraphs.append(
            "Still open: "
            + "; ".join(
                f"{item.description} ({item.owner_display()}"
                + (f", due {item.due_on:%-d %b}" if item.due_on else "")
                + ")"
                for item in still_open
            )
        )
    elif summary.planned_text:
        paragraphs.append(f"Planned: {summary.planned_text}")
    else:
        paragraphs.append("Nothing is still open.")
    return Notice(
        kind=NoticeKind.RESOLVED,
        subject=one_line(
            f"[{incident.severity}] Resolved: {incident.title} after {lasted}, final cost {cost}"
        ),
        headline=one_line(f"{incident.title} is resolved."),
        facts=facts,
        paragraphs=paragraphs,
    )


def meeting_with_rows(meeting_id: int) -> Meeting:
    """The meeting with what its summary names: decisions with their asks, action items with
    their owners (three queries)."""
    return Meeting.objects.prefetch_related("decisions__ask", "action_items__owner").get(
        pk=meeting_id
    )


def _minutes_words(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes} min"


def compose_meeting(incident: Incident, meeting: Meeting, now: datetime) -> Notice:
    """The meeting's summary: what the CEO decided (and which ask each answers), who does what
    by when, what was granted, and when the next update comes, in the incident's zone."""
    decisions = list(meeting.decisions.all())
    actions = sorted(meeting.action_items.all(), key=lambda a: (a.due_on is None, a.due_on, a.pk))
    facts = [("Held at", local_time(incident, meeting.held_at, now=now))]
    if meeting.attendees:
        facts.append(("Attendees", meeting.attendees))
    if meeting.resources_granted:
        facts.append(("Resources granted", meeting.resources_granted))
    if meeting.cadence_minutes:
        facts.append(("Update cadence", f"every {_minutes_words(meeting.cadence_minutes)}"))
    due = incident.next_update_due()
    if due is not None:
        facts.append(("Next update", local_time(incident, due, now=now)))
    paragraphs = []
    for decision in decisions:
        by = f" ({decision.decided_by})" if decision.decided_by else ""
        answers = f" Answers: {decision.ask.question}" if decision.ask is not None else ""
        paragraphs.append(f"Decided{by}: {decision.decision}{answers}")
    for item in actions:
        due_on = f", due {item.due_on:%-d %b %Y}" if item.due_on else ", no due date"
        paragraphs.append(f"Action: {item.description} ({item.owner_display()}{due_on})")
    if not paragraphs:
        paragraphs.append("No decision was taken and no action item was set.")
    count = len(decisions)
    return Notice(
        kind=NoticeKind.MEETING,
        subject=one_line(
            f"[{incident.severity}] Meeting with the CEO on {incident.title}: "
            f"{count} decision{'s' if count != 1 else ''}, "
            f"{len(actions)} action item{'s' if len(actions) != 1 else ''}"
        ),
        headline=one_line(f"What the meeting with the CEO on {incident.title} agreed."),
        facts=facts,
        paragraphs=paragraphs,
    )
