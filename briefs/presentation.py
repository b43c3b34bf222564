"""What the meeting's two views show: the presenter's cue cards and questions, and the state the
screen polls once a second (one indexed query, answered 204 while nothing changed)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import FilteredRelation, Q

from briefs.brief_content import minute
from briefs.meeting_script import ceo_questions, meeting_script
from briefs.models import Incident, ScreenSection, zone_named

# The section each of the CEO's six questions (briefs.meeting_script.ceo_questions, in its
# order) puts on the screen: keys 1 to 6. Catching it earlier is answered under prevention.
QUESTION_SECTIONS = [
    ScreenSection.WHAT,
    ScreenSection.PREVENT,
    ScreenSection.WHEN,
    ScreenSection.PREVENT,
    ScreenSection.NEED,
    ScreenSection.ACCOUNT,
]
# The section each turn of the meeting script (briefs.meeting_script.meeting_script) puts on
# the screen: the opening with the page at a glance, each of the CEO's turns keeps what the
# answer before it showed, the thanks end on the page at a glance again.
CARD_SECTIONS = [
    ScreenSection.OVERVIEW,
    ScreenSection.WHAT,
    ScreenSection.CAUSE,
    ScreenSection.CAUSE,
    ScreenSection.WHEN,
    ScreenSection.WHEN,
    ScreenSection.NEED,
    ScreenSection.NEED,
    ScreenSection.OVERVIEW,
]


@dataclass(frozen=True)
class CueCard:
    index: int
    speaker: str
    text: str
    missing: tuple[str, ...]
    section: str


def cue_cards(incident: Incident) -> list[CueCard]:
    """The script read aloud, one card a turn, with today's figures in it."""
    return [
        CueCard(
            index,
            part.speaker,
            part.text,
            part.missing,
            CARD_SECTIONS[index] if index < len(CARD_SECTIONS) else ScreenSection.OVERVIEW,
        )
        for index, part in enumerate(meeting_script(incident))
    ]


@dataclass(frozen=True)
class KeyedQuestion:
    key: int
    question: str
    answer: str
    section: str


def keyed_questions(incident: Incident) -> list[KeyedQuestion]:
    return [
        KeyedQuestion(key, q.question, q.answer, QUESTION_SECTIONS[key - 1])
        for key, q in enumerate(ceo_questions(incident), start=1)
    ]


def section_of_question(key: int) -> str | None:
    return QUESTION_SECTIONS[key - 1] if 1 <= key <= len(QUESTION_SECTIONS) else None


@dataclass(frozen=True)
class ScreenState:
    """What the screen shows, read in one query: the incident's brief stamp and its open
    presentation's (if any). `stamp` changes with either, and with the minute (the cost ticks)."""

    incident_id: int
    version: int
    updated_at: datetime
    time_zone: str
    presentation_id: int | None
    section: str
    screen_version: int

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.time_zone) or ZoneInfo(settings.DEFAULT_USER_TIME_ZONE)

    def stamp(self, now: datetime) -> str:
        material = "|".join(
            str(part)
            for part in [
                self.incident_id,
                self.version,
                self.updated_at.isoformat(),
                self.time_zone,
                self.presentation_id,
                self.section,
                self.screen_version,
                minute(now).isoformat(),
            ]
        )
        return hashlib.sha256(material.encode()).hexdigest()[:32]


def screen_state(user: AbstractBaseUser | AnonymousUser, public_id: UUID) -> ScreenState | None:
    """The screen's state, or None where `editable_by(user)` has no incident `public_id`: the
    access rule and the state in one query (a LEFT JOIN on the open presentation, which the
    partial unique index `presentation_one_open_per_incident` finds)."""
    row = (
        Incident.objects.editable_by(user)
        .filter(public_id=public_id)
        .annotate(
            open=FilteredRelation(
                "presentations", condition=Q(presentations__ended_at__isnull=True)
            )
        )
        .values_list(
            "pk",
            "version",
            "updated_at",
            "time_zone",
            "open__id",
            "open__section",
            "open__screen_version",
        )
        .first()
    )
    if row is None:
        return None
    pk, version, updated_at, zone, presentation_id, section, screen_version = row
    return ScreenState(
        incident_id=pk,
        version=version,
        updated_at=updated_at,
        time_zone=zone,
        presentation_id=presentation_id,
        section=section or ScreenSection.OVERVIEW,
        screen_version=screen_version or 0,
    )
