"""The audit trail, read from django-simple-history's tables: who changed what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from briefs.models import (
    ActionItem,
    ImpactEstimate,
    Incident,
    RootCauseAnalysis,
    ShareLink,
    StaffAct,
)


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    subject: str
    action: str
    changes: list[Change]


_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}


def _entries(records: Any, subject: Any) -> list[HistoryEntry]:
    entries = []
    # Records come oldest first; each is compared with the previous one of the same row
    # (in memory: simple-history's prev_record would cost a query per record).
    previous_of: dict[int, Any] = {}
    for record in records:
        previous = previous_of.get(record.id)
        previous_of[record.id] = record
        if previous is None:
            changes = []
        else:
            delta = record.diff_against(previous)
            changes = [
                Change(
                    field=str(record.instance_type._meta.get_field(change.field).verbose_name),
                    old=change.old,
                    new=change.new,
                )
                for change in delta.changes
            ]
            if not changes:
                continue
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "The system",
                subject=subject(record),
                action=_ACTIONS.get(record.history_type, record.history_type),
                changes=changes,
            )
        )
    return entries


def incident_history_entries(incident: Incident) -> list[HistoryEntry]:
    """Every recorded change to the incident and its estimates, actions, links and RCA."""
    sources: list[tuple[Any, Any]] = [
        (Incident.history.filter(id=incident.pk), lambda r: "Incident"),
        (
            ImpactEstimate.history.filter(incident_id=incident.pk),
            lambda r: f"Impact estimate of {r.effective_at:%d %b %H:%M}",
        ),
        (ActionItem.history.filter(incident_id=incident.pk), lambda r: f"Action “{r.description}”"),
        (
            ShareLink.history.filter(incident_id=incident.pk),
            lambda r: f"Executive link “{r.label}”",
        ),
        (
            RootCauseAnalysis.history.filter(incident_id=incident.pk),
            lambda r: "Root-cause analysis",
        ),
    ]
    entries: list[HistoryEntry] = []
    for records, subject in sources:
        ordered = records.select_related("history_user").order_by("history_date", "history_id")
        entries += _entries(ordered, subject)
    # An admin's take-over (briefs.services.incident_hand_over, incident_add_collaborator).
    for act in StaffAct.objects.filter(incident_id=incident.pk).select_related("actor", "person"):
        entries.append(
            HistoryEntry(
                at=act.at,
                who=act.actor.get_full_name() or act.actor.get_username(),
                subject="Incident",
                action=f"taken over: {act.get_kind_display().lower()} "
                f"{act.person.get_full_name() or act.person.get_username()}",
                changes=[],
            )
        )
    return sorted(entries, key=lambda entry: entry.at, reverse=True)
