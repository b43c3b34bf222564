"""What the architect takes into the CEO meeting, built from the incident as typed in the wizard.

The CEO's likely questions with their answers, the script read aloud, and every text the CEO
will read (which the review step and the PDF appendix check for jargon). The answers are set into
sentences by `briefs.sentences`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import formats, timezone

from briefs import sentences
from briefs.brief_content import DecidedAsk, asks
from briefs.escalation_steps import STEPS_BY_SLUG, Step
from briefs.models import CeoDecision, Confidence, Incident, OperatingState


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "D j M, H:i T")


def _eta(incident: Incident) -> str:
    if incident.eta_earliest is None or incident.eta_latest is None:
        return ""
    return f"between {_when(incident.eta_earliest)} and {_when(incident.eta_latest)}"


def _impact(incident: Incident) -> str:
    estimate = incident.current_estimate()
    if estimate is None:
        return ""
    return (
        f"approximately {incident.money(estimate.revenue_per_hour)} in revenue at risk per hour, "
        f"affecting about {estimate.customers_affected:,} customers"
    )


def cadence_words(minutes: int) -> str:
    """every hour, every 2 hours, every 30 minutes: the promise as the script says it."""
    if minutes == 60:
        return "every hour"
    if minutes % 60 == 0:
        return f"every {minutes // 60} hours"
    return f"every {minutes} minutes"


@dataclass(frozen=True)
class Question:
    question: str
    answer: str
    step: Step

    @property
    def answered(self) -> bool:
        return bool(self.answer)


def ceo_questions(incident: Incident) -> list[Question]:
    """The questions the CEO is likely to ask, each with its answer or nothing yet.

    The answers are set into sentences by the same rules as the meeting script."""
    open_asks, decided = asks(incident)
    names = script_names(incident)
    detection = ""
    if incident.started_at and incident.detected_at and incident.monitoring_changes:
        detection = (
            f"{_detection_sentence(incident)} "
            f"{sentences.after_colon('To catch it earlier', incident.monitoring_changes, names)}"
        )
    resolution = ""
    if _eta(incident) and incident.dependencies:
        resolution = (
            f"Resolved {_eta(incident)}, depending on "
            f"{sentences.clause(incident.dependencies, names)}."
        )
    recurrence = ""
    if incident.recurrence_risk and incident.preventive_measures:
        recurrence = (
            f"{_risk_sentence(incident.recurrence_risk, names)} "
            f"{sentences.after_colon('Prevention', incident.preventive_measures, names)}"
        )
    needs = ""
    if incident.resources_needed:
        decisions = " ".join(
            [
                *(f"Decided: {sentences.sentence(answer.decision)}" for answer in decided),
                *(
                    f"Decision: {sentences.clause(d.question, names)}"
                    f"{'?' if sentences.is_question(d.question) else '.'} "
                    f"{sentences.after_colon('We recommend', d.recommendation, names)}"
                    for d in open_asks
                ),
            ]
        )
        needs = f"{sentences.sentence(incident.resources_needed)} {decisions}".strip()
    accountable = ""
    if incident.accountability and incident.remediation_overseer:
        oversight = _oversight_sentence(
            incident.remediation_overseer, incident.accountability, names
        )
        accountable = f"{sentences.sentence(incident.accountability)} {oversight}".strip()
    what = ""
    if incident.description and incident.system:
        what = f"{sentences.squash(incident.system)}: {sentences.sentence(incident.description)}"
    return [
        Question("What happened?", what, STEPS_BY_SLUG["what-happened"]),
        Question("Why wasn't this caught earlier?", detection, STEPS_BY_SLUG["outlook"]),
        Question("When will it be resolved?", resolution, STEPS_BY_SLUG["outlook"]),
        Question("What is the risk of it happening again?", recurrence, STEPS_BY_SLUG["outlook"]),
        Question("What do you need from me?", needs, STEPS_BY_SLUG["resources"]),
        Question("Who is accountable?", accountable, STEPS_BY_SLUG["resources"]),
    ]


@dataclass(frozen=True)
class ScriptPart:
    """One turn of the meeting script; `missing` names the steps whose answers it lacks."""

    speaker: str
    text: str
    missing: tuple[str, ...] = ()


def _or_missing(value: str, what: str, step: str, gaps: list[str]) -> str:
    if value.strip():
        return value
    gaps.append(step)
    return f"[missing: {what}]"


def _greeting(now: datetime, name: str) -> str:
    hour = timezone.localtime(now).hour
    part = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
    return sentences.sentence(f"Good {part}, {name}" if name else f"Good {part}")


def _impact_sentence(incident: Incident) -> str:
    estimate = incident.current_estimate()
    if estimate is None:
        return ""
    customers = sentences.count(estimate.customers_affected, "customer")
    if not estimate.revenue_per_hour:
        return f"It affects about {customers}."
    money = incident.money(estimate.revenue_per_hour)
    return f"It puts about {money} of revenue at risk every hour and affects about {customers}."


def _detection_sentence(incident: Incident) -> str:
    if incident.started_at is None or incident.detected_at is None:
        return ""
    minutes = int((incident.detected_at - incident.started_at).total_seconds() // 60)
    if minutes < 1:
        return "We noticed it as soon as it started."
    if minutes < 120:
        delay = sentences.count(minutes, "minute")
    elif minutes < 48 * 60:
        delay = sentences.count(minutes // 60, "hour")
    else:
        delay = sentences.count(minutes // (24 * 60), "day")
    return f"We noticed it {delay} after it started."


_CAUSE_LEADS = {
    Confidence.CONFIRMED: "We have confirmed the root cause",
    Confidence.LIKELY: "The likely root cause, as we understand it now, is this",
    Confidence.SUSPECTED: "We suspect, but have not confirmed, that the root cause is this",
}
_STATE_SENTENCES = {
    OperatingState.FULL_OUTAGE: "Right now the service is completely down.",
    OperatingState.DEGRADED: "Right now the service is running, but slower or less reliably "
    "than normal.",
    OperatingState.LIMITED: "Right now the service is running with some features unavailable.",
    OperatingState.RESTORED: "Service is back to normal now, and we are watching it closely.",
}
# The overseer is the speaker: "I am personally overseeing", never "I is".
_SPEAKER = {"i", "me", "myself", "i myself", "me personally", "i personally"}


def _oversight_sentence(overseer: str, accountability: str, names: set[str]) -> str:
    overseer = sentences.clause(overseer, names)
    said = accountability.casefold()
    speaker = overseer.casefold() in _SPEAKER
    if "overs" in said or (not speaker and overseer.casefold() in said):
        # The accountability statement already says who oversees the fix: say it once.
        return ""
    if speaker:
        subject = "I am"
    else:
        # "Alex Rivera, principal architect" needs its closing comma before the verb.
        subject = f"{sentences.upper_first(overseer)}{',' if ',' in overseer else ''} is"
    return f"{subject} personally overseeing the remediation and the preventive measures."


def _decision_sentences(
    decisions: list[CeoDecision], decided: list[DecidedAsk], names: set[str]
) -> str:
    """The asks still open, each with its options and our recommendation; an ask a meeting
    already decided is said as decided, not asked again."""
    turns = [
        f"As you decided on {answer.decided_at:%-d %B}: {sentences.sentence(answer.decision)}"
        for answer in decided
    ]
    for number, decision in enumerate(decisions, start=1):
        lead = (
            "I need your decision"
            if len(decisions) == 1
            else (f"{sentences.ordinal_word(number)}, I need your decision")
        )
        question = sentences.clause(decision.question, names)
        ending = "?" if sentences.is_question(decision.question) else "."
        turns.append(
            " ".join(
                part
                for part in [
                    f"{lead}: {question}{ending}",
                    sentences.after_colon("The options", decision.options, names)
                    if decision.options.strip()
                    else "",
                    sentences.sentence(decision.trade_offs),
                    sentences.after_colon("I recommend", decision.recommendation, names)
                    if decision.recommendation.strip()
                    else "",
                ]
                if part
            )
        )
    return " ".join(turns)


# "Medium: the same command could run again" reads "The risk … is medium: …", not ": medium:".
_RISK_LEVELS = {"low", "medium", "high", "moderate", "minimal", "small", "very", "significant"}


def _risk_sentence(risk: str, names: set[str]) -> str:
    said = sentences.clause(risk, names)
    if said.split(" ", 1)[0].strip(",:;").casefold() in _RISK_LEVELS:
        return f"The risk of it happening again is {said}."
    return sentences.after_colon("The risk of it happening again", risk, names)


def _decision_texts(decision: CeoDecision) -> list[str]:
    return [decision.question, decision.options, decision.trade_offs, decision.recommendation]


def script_names(incident: Incident) -> set[str]:
    """The names the script keeps capitalised inside its sentences."""
    texts = [
        incident.title,
        incident.system,
        # Each decision field on its own: joined, one's first word would look mid-sentence.
        *(text for label, text in executive_texts(incident).items() if label[:9] != "Decision "),
        *(text for d in incident.decisions.all() for text in _decision_texts(d)),
    ]
    names = sentences.proper_names(texts)
    for person in (incident.remediation_overseer, incident.ceo_name):
        names.update(sentences.capitalised_words(person))
    return names


def meeting_script(incident: Incident) -> list[ScriptPart]:
    """The seed's word-for-word script, filled in with this incident's answers.

    Each answer is set into its sentence by the rules in `briefs.sentences`: a capital only
    where a sentence starts or a name stands, one full stop at the end, "our" before a service
    that is not a name. The script is read aloud, so it must read right for any answers.
    """
    parts: list[ScriptPart] = []
    names = script_names(incident)
    open_asks, decided = asks(incident)
    # A name is said as typed, whatever the rules do to the first word of an answer.
    ceo = sentences.squash(incident.ceo_name).rstrip(".,;:!? ")

    def you(*pieces: str, gaps: list[str]) -> None:
        text = " ".join(piece for piece in pieces if piece)
        parts.append(ScriptPart("You", text, tuple(dict.fromkeys(gaps))))

    gaps: list[str] = []
    system = _or_missing(incident.system, "the affected system", "what-happened", gaps)
    what = _or_missing(incident.description, "what happened", "what-happened", gaps)
    impact = _impact_sentence(incident)
    you(
        _greeting(timezone.now(), ceo),
        "Thank you for your time. I need to escalate a critical incident affecting "
        f"{sentences.noun_phrase(system, names)} that requires your awareness.",
        sentences.sentence(what),
        impact or sentences.sentence(_or_missing("", "the business impact", "impact", gaps)),
        gaps=gaps,
    )
    parts.append(ScriptPart("CEO", "(Likely: What happened? Why wasn't this caught earlier?)"))

    gaps = []
    cause = _or_missing(incident.root_cause, "the root cause", "cause", gaps)
    lead = _CAUSE_LEADS.get(
        Confidence(incident.root_cause_confidence or Confidence.UNKNOWN),
        "The root cause, as we understand it now, is this",
    )
    mitigation = _or_missing(incident.mitigation, "the mitigation", "cause", gaps)
    state = _STATE_SENTENCES.get(OperatingState(incident.operating_state or OperatingState.UNKNOWN))
    if state is None:
        state = sentences.sentence(_or_missing("", "the current operating state", "cause", gaps))
    you(
        sentences.after_colon(lead, cause, names),
        _detection_sentence(incident),
        sentences.after_colon("We started fixing it at once", mitigation, names),
        state,
        gaps=gaps,
    )
    parts.append(
        ScriptPart(
            "CEO", "(Likely: When will it be resolved? What is the risk of it happening again?)"
        )
    )

    gaps = []
    eta = _or_missing(_eta(incident), "the ETA range", "outlook", gaps)
    dependencies = _or_missing(incident.dependencies, "what it depends on", "outlook", gaps)
    risk = _or_missing(incident.recurrence_risk, "the risk of recurrence", "outlook", gaps)
    prevention = _or_missing(
        incident.preventive_measures, "the preventive measures", "outlook", gaps
    )
    monitoring = _or_missing(incident.monitoring_changes, "the monitoring changes", "outlook", gaps)
    you(
        f"We expect full resolution {eta}, pending {sentences.clause(dependencies, names)}.",
        _risk_sentence(risk, names),
        "To prevent a recurrence we are doing a thorough root-cause analysis, and we will put "
        f"this in place: {sentences.clause(prevention, names)}.",
        "We are also changing our monitoring and alerting to catch it earlier: "
        f"{sentences.clause(monitoring, names)}.",
        gaps=gaps,
    )
    parts.append(ScriptPart("CEO", "(Likely: What do you need from me? Who is accountable?)"))

    gaps = []
    resources = _or_missing(incident.resources_needed, "the resources needed", "resources", gaps)
    accountability = _or_missing(
        incident.accountability, "the accountability statement", "resources", gaps
    )
    overseer = _or_missing(incident.remediation_overseer, "who oversees the fix", "resources", gaps)
    cadence = cadence_words(incident.update_cadence_minutes)
    you(
        sentences.after_colon("On resources", resources, names),
        _decision_sentences(open_asks, decided, names),
        sentences.sentence(accountability),
        _oversight_sentence(overseer, accountability, names),
        f"I will send you an update {cadence} until it is fully resolved.",
        gaps=gaps,
    )
    parts.append(ScriptPart("CEO", "(Concluding remarks)"))
    thanks = "Thank you for your time and support"
    if ceo:
        thanks += f", {ceo}"
    parts.append(ScriptPart("You", f"{thanks}. I will keep you informed of our progress."))
    return parts


def executive_texts(incident: Incident) -> dict[str, str]:
    """Every text the CEO will read, by the label the review step shows."""
    texts = {
        "Description": incident.description,
        "Root cause": incident.root_cause,
        "Mitigation": incident.mitigation,
        "Dependencies": incident.dependencies,
        "Risk of recurrence": incident.recurrence_risk,
        "Preventive measures": incident.preventive_measures,
        "Monitoring changes": incident.monitoring_changes,
        "Resources needed": incident.resources_needed,
        "Accountability": incident.accountability,
    }
    estimate = incident.current_estimate()
    if estimate is not None:
        texts["Other business impact"] = estimate.other_impact
    for number, decision in enumerate(incident.decisions.all(), start=1):
        texts[f"Decision {number}"] = " ".join(
            [decision.question, decision.options, decision.trade_offs, decision.recommendation]
        )
    return {label: text for label, text in texts.items() if text}
