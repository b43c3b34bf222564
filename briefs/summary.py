"""Page 1 of the brief: the CEO's questions from the framework's script, a line or two each.

What happened? Why wasn't this caught earlier? What's the timeline for resolution? What's the
risk of this happening again? What do you need? Who is accountable? The key figures (cost,
revenue at risk, customers, ETA, next update) answer the timeline; this module answers the rest.
The PDF prints it on page 1 with the full sections from page 2 (`static/css/pdf.css`); the
architect's page and the executive link show it at the top (`templates/briefs/_brief_summary.html`).

A long answer is shortened here, in Python, so that page 1 holds every heading whatever was
typed: the fields' limits allow 2,000 characters each, page 1 has room for a line or two apiece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from fontTools.ttLib import TTFont

from briefs.models import Incident

# Widths are in ems of page 1's 10 pt text, measured with the PDF's own font, so that a line of
# capitals is cut as surely as a line of "i"s. Page 1's answer column is 140 mm on A4 (174 mm of
# text less the 34 mm label column that `static/css/pdf.css` sets; letter is wider), which is
# 39.7 em at 10 pt; the rest is kept for kerning the advance widths do not count.
LINE = 39.0
# What happened, the impact and what we are doing may take two lines (the issue asks one line
# of the others); a line break wastes up to a long word at the end of the first.
TWO_LINES = 2 * LINE - 4
# "continued on page 12", in 8 pt, after a space.
MARKER = " continued on page 12"
MARKER_SCALE = 0.8
# Page 1's room for asks and decisions; the rest is counted and left to the full sections.
# Five asks is also the wizard's maximum (`briefs.forms.DecisionFormSet`).
MAX_ASKS = 5
# Up to this many asks get two lines each (TWO_LINES) instead of one.
TWO_LINE_ASKS = 2
MAX_DECISIONS = 3
OVERSEEN = "Overseen by "
FONTS = {False: "fonts/brief-sans-regular.woff2", True: "fonts/brief-sans-bold.woff2"}
# A character the font lacks is drawn by a fallback font: assume a wide one.
MISSING_WIDTH = 0.7

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(A-Z0-9])")
# Not ": ", which would leave a lead-in ("to catch it sooner") without what it leads to.
_CLAUSE_BREAKS = (", ", "; ", " – ", " — ", " - ")


@cache
def _advances(bold: bool) -> dict[str, float]:
    """Each character's advance width in ems, read once per process from the font file."""
    path = finders.find(FONTS[bold])
    if not isinstance(path, str):
        raise ImproperlyConfigured(f"The PDF font {FONTS[bold]} is missing from the static files")
    font = TTFont(path)
    scale = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return {chr(code): metrics[glyph][0] / scale for code, glyph in font.getBestCmap().items()}


def measure(text: str, *, bold: bool = False) -> float:
    """The width of `text` in ems of page 1's text size."""
    advances = _advances(bold)
    return sum(advances.get(char, MISSING_WIDTH) for char in text)


def marker_width() -> float:
    return measure(MARKER) * MARKER_SCALE


@dataclass(frozen=True)
class Line:
    """One answer as page 1 prints it; `shortened` when the rest is in the full section."""

    text: str
    shortened: bool = False


def flat(text: str) -> str:
    """Text on one line: paragraphs typed into a text area become one run of words."""
    return " ".join(text.split())


def shorten(text: str, room: float, *, bold: bool = False) -> Line:
    """`text` if it fits in `room` ems; else its first sentence if that fits, else as many
    words as fit (cut at a comma or semicolon when one falls in the second half) and "…".
    """
    text = flat(text)
    if measure(text, bold=bold) <= room:
        return Line(text)
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if measure(sentence, bold=bold) <= room:
        return Line(sentence, shortened=True)
    limit = _fitting(text, room - measure("…", bold=bold), bold=bold)
    cut = text.rfind(" ", 0, limit + 1)
    # A word too long for the line (a URL, a hash) is cut where the room ends.
    head = text[:cut] if cut >= limit // 3 else text[:limit]
    clause = max(head.rfind(mark) for mark in _CLAUSE_BREAKS)
    if clause >= limit // 2:
        head = head[:clause]
    return Line(head.rstrip(" ,;:.–—-(") + "…", shortened=True)


def _fitting(text: str, room: float, *, bold: bool) -> int:
    """How many of the first characters of `text` fit in `room` ems."""
    advances = _advances(bold)
    total = 0.0
    for index, char in enumerate(text):
        total += advances.get(char, MISSING_WIDTH)
        if total > room:
            return index
    return len(text)


def one_line(text: str, width: float = LINE) -> Line:
    """`text` whole if it fits the line, else shortened to leave room for "continued"."""
    text = flat(text)
    if measure(text) <= width:
        return Line(text)
    return shorten(text, width - marker_width())


def pair(
    first: str, second: str, *, glue: str, bold: bool = False, width: float = LINE
) -> tuple[Line, Line]:
    """Two texts printed on one line (or in `width`) with `glue` around them ("We recommend:
    "); the first in bold when `bold`. Each keeps at least half the room, so neither crowds out
    the other.
    """
    first, second = flat(first), flat(second)
    glued = measure(glue)
    if measure(first, bold=bold) + glued + measure(second) <= width:
        return Line(first), Line(second)
    room = width - marker_width() - glued
    first_line = shorten(first, max(room - measure(second), room / 2), bold=bold)
    return first_line, shorten(second, room - measure(first_line.text, bold=bold))


@dataclass(frozen=True)
class Ask:
    """A decision the CEO is asked for, with what we recommend."""

    question: Line
    recommendation: Line

    @property
    def shortened(self) -> bool:
        return self.question.shortened or self.recommendation.shortened


@dataclass(frozen=True)
class Decision:
    """A decision the CEO meeting took, and who took it."""

    decision: Line
    by: Line

    @property
    def shortened(self) -> bool:
        return self.decision.shortened or self.by.shortened


@dataclass(frozen=True)
class Row:
    """One answer of page 1. `line` is None while unanswered; `anchor` is the full section's
    heading, where a shortened answer continues."""

    label: str
    line: Line | None
    anchor: str
    note: str = ""


@dataclass(frozen=True)
class PageOne:
    need_label: str
    asks: list[Ask]
    decisions: list[Decision]
    # Asks and decisions beyond page 1's room, listed in full from page 2.
    more_asks: int
    more_decisions: int
    resources: Line | None
    rows: list[Row]

    @property
    def needs_anything(self) -> bool:
        return bool(self.asks or self.decisions or self.resources)


def page_one(
    incident: Incident,
    *,
    open_asks: list[tuple[str, str]],
    decisions: list[tuple[str, str]],
    cause: tuple[str, str],
) -> PageOne:
    """Page 1 from the rows `briefs.brief_content.brief_queryset` loads (no queries of its own).

    The brief's page data decides which asks are still open (question, recommendation), which
    decisions were taken (decision, by whom) and the one root cause (text, confidence), so page 1
    and the full sections never disagree. A resolved brief asks nothing.
    """
    asks = open_asks if incident.is_open else []
    cause_text, confidence = cause
    rca = getattr(incident, "rca", None)
    return PageOne(
        need_label="What we need from you" if incident.is_open else "What was decided",
        # The CEO answers the asks from page 1: one or two get two lines each, so that a
        # question is not cut to its first words; more share page 1 a line each.
        asks=[
            pair_ask(q, r, width=TWO_LINES if len(asks) <= TWO_LINE_ASKS else LINE)
            for q, r in asks[:MAX_ASKS]
        ],
        decisions=[pair_decision(d, by) for d, by in decisions[:MAX_DECISIONS]],
        more_asks=max(len(asks) - MAX_ASKS, 0),
        more_decisions=max(len(decisions) - MAX_DECISIONS, 0),
        resources=(
            _line(incident.resources_needed, LINE - measure("Resources: "))
            if incident.is_open
            else None
        ),
        rows=[
            Row("What happened", _line(incident.description, TWO_LINES), "s-what"),
            Row("Impact", _line(_impact(incident), TWO_LINES), "s-impact"),
            Row("Cause", _line(cause_text, LINE - _note_width(confidence)), "s-cause", confidence),
            Row(
                "Why not caught earlier",
                _line(rca.why_not_caught if rca and rca.why_not_caught else _detection(incident)),
                "s-prevent",
            ),
            Row(
                "What we are doing" if incident.is_open else "What we did",
                _line(incident.mitigation, TWO_LINES),
                "s-doing",
            ),
            Row("Risk of recurrence", _line(incident.recurrence_risk), "s-prevent"),
            Row("Accountability", _accountability(incident), "s-account"),
        ],
    )


def pair_ask(question: str, recommendation: str, *, width: float = LINE) -> Ask:
    # Printed "<b>question</b> We recommend: recommendation".
    return Ask(*pair(question, recommendation, glue=" We recommend: ", bold=True, width=width))


def pair_decision(decision: str, by: str) -> Decision:
    # Printed "Decided: decision – by".
    return Decision(*pair(decision, by, glue="Decided:  – "))


def _note_width(note: str) -> float:
    """The room a note takes after its answer: " (likely)"."""
    return measure(f" ({note})") if note else 0.0


def _line(text: str, width: float = LINE) -> Line | None:
    return one_line(text, width) if text.strip() else None


def _impact(incident: Incident) -> str:
    """What the figures above do not say: the contract, legal, data and reputation exposure."""
    estimate = incident.current_estimate()
    if estimate is None:
        return ""
    flags = estimate.flags()
    parts = [", ".join([*flags[:1], *(_lower_first(flag) for flag in flags[1:])])]
    parts.append(flat(estimate.other_impact))
    text = " ".join(_ended(part) for part in parts if part)
    if text:
        return text
    # A resolved brief is a record: what was at risk, not what is.
    was, were = ("was ", "were ") if incident.resolved_at is not None else ("", "")
    return (
        f"{incident.money(estimate.revenue_per_hour)} of revenue {was}at risk per hour; "
        f"about {estimate.customers_affected:,} customers {were}affected."
    )


def _detection(incident: Incident) -> str:
    """Before the RCA says why, the brief says how soon we noticed and what will catch it sooner."""
    if incident.started_at is None or incident.detected_at is None:
        return ""
    delay = max(incident.detected_at - incident.started_at, timedelta(0))
    minutes = int(delay.total_seconds() // 60)
    when = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
    # "Detected in 0 min" reads like a glitch: within the minute, we noticed at once.
    detected = "Detected at once" if minutes == 0 else f"Detected in {when}"
    if incident.monitoring_changes:
        sooner = _lower_first(flat(incident.monitoring_changes))
        return f"{detected}; to catch it sooner: {sooner}"
    return "Detected at once." if minutes == 0 else f"Detected {when} after it started."


def _accountability(incident: Incident) -> Line | None:
    """Who is accountable and who personally oversees the fix: both named on the one line."""
    if not incident.remediation_overseer:
        return _line(incident.accountability)
    overseer_name = incident.overseer_name()
    if not incident.accountability.strip():
        return one_line(f"{OVERSEEN}{overseer_name}")
    statement, overseer = pair(incident.accountability, overseer_name, glue=f". {OVERSEEN}.")
    text = f"{_ended(statement.text)} {OVERSEEN}{_ended(overseer.text)}"
    return Line(text, statement.shortened or overseer.shortened)


def _ended(text: str) -> str:
    return text if text.endswith((".", "!", "?", "…")) else f"{text}."


def _lower_first(text: str) -> str:
    """ "An alert when…" continues a sentence as "an alert when…"; "SLA alerts" stays."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
