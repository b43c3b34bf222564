"""The meeting script reads aloud correctly for any answers.

Three golden scripts from real public postmortems (GitLab's database deletion in 2017, Cloudflare's
regex outage in 2019, Amazon S3 in us-east-1 in 2017), written as an architect would type them in
the wizard, and a property test over generated answers.
"""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefs.meeting_script import meeting_script
from briefs.models import CeoDecision, Confidence, Incident, OperatingState
from briefs.seed import make_estimate, make_incident
from tests.factories import ANSWER_FIELDS


def _incident(
    owner: User, *, estimate: tuple[str, int], decisions: list[dict[str, str]], **fields: Any
) -> Incident:
    incident = make_incident(owner=owner, **fields)
    make_estimate(incident=incident, revenue_per_hour=estimate[0], customers_affected=estimate[1])
    for position, decision in enumerate(decisions):
        CeoDecision.objects.create(incident=incident, position=position, **decision)
    return incident


def gitlab(owner: User) -> Incident:
    return _incident(
        owner,
        title="GitLab.com database deleted",
        system="GitLab.com",
        description="Users cannot sign in, push code or open issues, because our production "
        "database was deleted by mistake.",
        started_at=datetime(2017, 1, 31, 23, 27, tzinfo=UTC),
        detected_at=datetime(2017, 1, 31, 23, 28, tzinfo=UTC),
        estimate=("12000", 1_500_000),
        root_cause="An engineer repairing the standby copy of the database deleted the data "
        "folder of the live database, believing he was logged in to the standby.",
        root_cause_confidence=Confidence.CONFIRMED,
        mitigation="restoring the copy taken for testing at 17:20 UTC, six hours before.",
        operating_state=OperatingState.FULL_OUTAGE,
        eta_earliest=datetime(2017, 2, 1, 12, 0, tzinfo=UTC),
        eta_latest=datetime(2017, 2, 1, 18, 0, tzinfo=UTC),
        dependencies="How fast we can copy 300 GB back from the test servers, whose disks are "
        "slow...",
        recurrence_risk="High until every backup is restored and checked automatically.",
        preventive_measures="Backups that are tested daily, and a warning in every engineer's "
        "window showing which server they are working on.",
        monitoring_changes="An alert when a backup produces an empty file or fails silently.",
        resources_needed="Two database specialists from our support partner for a week",
        accountability="I am accountable for the database, and I am personally overseeing the "
        "recovery.",
        remediation_overseer="I",
        ceo_name="Sid",
        decisions=[
            {
                "question": "Do we restore now and accept losing six hours of data",
                "options": "Restore the six-hour-old copy now; or search for newer copies for "
                "up to two more days.",
                "trade_offs": "restoring now brings the site back today but loses about 5,000 "
                "projects and 700 new accounts; searching may save them but keeps everyone "
                "out for days.",
                "recommendation": "Restore now, and tell users openly what was lost.",
            }
        ],
    )


def cloudflare(owner: User) -> Incident:
    return _incident(
        owner,
        title="Sites behind Cloudflare show errors worldwide",
        system="Cloudflare's proxy and CDN",
        description="Visitors to every website behind our network get an error page instead of "
        "the site, worldwide",
        started_at=datetime(2019, 7, 2, 13, 42, tzinfo=UTC),
        detected_at=datetime(2019, 7, 2, 13, 45, tzinfo=UTC),
        estimate=("250000", 20_000_000),
        root_cause="A new rule in our firewall for blocking attacks contained a badly written "
        "pattern that used all the processing power of every server.",
        root_cause_confidence=Confidence.LIKELY,
        mitigation="We switched the firewall off worldwide with our emergency switch…",
        operating_state=OperatingState.DEGRADED,
        eta_earliest=datetime(2019, 7, 2, 15, 0, tzinfo=UTC),
        eta_latest=datetime(2019, 7, 2, 17, 0, tzinfo=UTC),
        dependencies="Switching the firewall back on safely, one rule at a time.",
        recurrence_risk="Low once new rules reach a few servers first.",
        preventive_measures="New firewall rules go to a small share of servers before the rest; "
        "a time limit on every rule.",
        monitoring_changes="An alert when a new rule raises the servers' load.",
        resources_needed="Current resources are enough.",
        accountability="Accountability rests with the whole engineering team.",
        remediation_overseer="John Graham-Cumming, CTO",
        decisions=[],
    )


def amazon_s3(owner: User) -> Incident:
    return _incident(
        owner,
        title="S3 unavailable in us-east-1",
        system="Amazon S3 in us-east-1",
        description="Websites and apps that keep their files with us cannot read or save them "
        "in our largest region.",
        started_at=datetime(2017, 2, 28, 17, 37, tzinfo=UTC),
        detected_at=datetime(2017, 2, 28, 17, 37, tzinfo=UTC),
        estimate=("150000", 120_000),
        root_cause="a mistyped input to a maintenance command removed far more servers than "
        "intended, including two systems S3 needs to work.",
        root_cause_confidence=Confidence.SUSPECTED,
        mitigation="Restarting those two systems. They have not been fully restarted in years, so "
        "this takes hours!",
        operating_state=OperatingState.FULL_OUTAGE,
        eta_earliest=datetime(2017, 2, 28, 21, 0, tzinfo=UTC),
        eta_latest=datetime(2017, 2, 28, 22, 0, tzinfo=UTC),
        dependencies="Amazon's index system finishing its safety checks.",
        recurrence_risk="Medium: the same command could still remove too many servers.",
        preventive_measures="the command removes servers slowly, and never below the minimum a "
        "system needs.",
        monitoring_changes="A check of capacity before any servers are removed.",
        resources_needed="None beyond the storage team; two decisions from you.",
        accountability="The storage team is accountable; Priya Patel is personally overseeing "
        "the recovery.",
        remediation_overseer="Priya Patel",
        ceo_name="Andy.",
        decisions=[
            {
                "question": "Should we pause all non-urgent maintenance in us-east-1 until the "
                "review is done?",
                "options": "Pause for two weeks, or pause only commands that remove servers.",
                "trade_offs": "A full pause delays two launches; a partial pause leaves some risk.",
                "recommendation": "Pause only the commands that remove servers.",
            },
            {
                "question": "Do we credit affected customers beyond the contract?",
                "options": "Contract credits only, or a further 10% credit.",
                "trade_offs": "The further credit costs about $2 million and shows we take "
                "it seriously.",
                "recommendation": "Contract credits only, with a personal note to the largest "
                "customers.",
            },
        ],
    )


CEO_1 = ("CEO", "(Likely: What happened? Why wasn't this caught earlier?)")
CEO_2 = ("CEO", "(Likely: When will it be resolved? What is the risk of it happening again?)")
CEO_3 = ("CEO", "(Likely: What do you need from me? Who is accountable?)")
CEO_END = ("CEO", "(Concluding remarks)")

GITLAB = [
    (
        "You",
        "Good morning, Sid. Thank you for your time. I need to escalate a critical incident "
        "affecting GitLab.com that requires your awareness. Users cannot sign in, push code or open"
        " issues, because our production database was deleted by mistake. It puts about $12,000 of "
        "revenue at risk every hour and affects about 1,500,000 customers.",
    ),
    CEO_1,
    (
        "You",
        "We have confirmed the root cause: an engineer repairing the standby copy of the database "
        "deleted the data folder of the live database, believing he was logged in to the standby. "
        "We noticed it 1 minute after it started. We started fixing it at once: restoring the copy "
        "taken for testing at 17:20 UTC, six hours before. Right now the service is completely "
        "down.",
    ),
    CEO_2,
    (
        "You",
        "We expect full resolution between Wed 1 Feb, 12:00 UTC and Wed 1 Feb, 18:00 UTC, pending "
        "how fast we can copy 300 GB back from the test servers, whose disks are slow. The risk of "
        "it happening again is high until every backup is restored and checked automatically. To "
        "prevent a recurrence we are doing a thorough root-cause analysis, and we will put this in "
        "place: backups that are tested daily, and a warning in every engineer's window showing "
        "which server they are working on. We are also changing our monitoring and alerting to "
        "catch it earlier: an alert when a backup produces an empty file or fails silently.",
    ),
    CEO_3,
    (
        "You",
        "On resources: two database specialists from our support partner for a week. I need your "
        "decision: do we restore now and accept losing six hours of data? The options: restore the "
        "six-hour-old copy now; or search for newer copies for up to two more days. Restoring now "
        "brings the site back today but loses about 5,000 projects and 700 new accounts; searching "
        "may save them but keeps everyone out for days. I recommend: restore now, and tell users "
        "openly what was lost. I am accountable for the database, and I am personally overseeing "
        "the recovery. I will send you an update every hour until it is fully resolved.",
    ),
    CEO_END,
    (
        "You",
        "Thank you for your time and support, Sid. I will keep you informed of our progress.",
    ),
]
CLOUDFLARE = [
    (
        "You",
        "Good afternoon. Thank you for your time. I need to escalate a critical incident affecting "
        "Cloudflare's proxy and CDN that requires your awareness. Visitors to every website behind "
        "our network get an error page instead of the site, worldwide. It puts about $250,000 of "
        "revenue at risk every hour and affects about 20,000,000 customers.",
    ),
    CEO_1,
    (
        "You",
        "The likely root cause, as we understand it now, is this: a new rule in our firewall for "
        "blocking attacks contained a badly written pattern that used all the processing power of "
        "every server. We noticed it 3 minutes after it started. We started fixing it at once: we "
        "switched the firewall off worldwide with our emergency switch. Right now the service is "
        "running, but slower or less reliably than normal.",
    ),
    CEO_2,
    (
        "You",
        "We expect full resolution between Tue 2 Jul, 15:00 UTC and Tue 2 Jul, 17:00 UTC, pending "
        "switching the firewall back on safely, one rule at a time. The risk of it happening again "
        "is low once new rules reach a few servers first. To prevent a recurrence we are doing a "
        "thorough root-cause analysis, and we will put this in place: new firewall rules go to a "
        "small share of servers before the rest; a time limit on every rule. We are also changing "
        "our monitoring and alerting to catch it earlier: an alert when a new rule raises the "
        "servers' load.",
    ),
    CEO_3,
    (
        "You",
        "On resources: current resources are enough. Accountability rests with the whole "
        "engineering team. John Graham-Cumming, CTO, is personally overseeing the remediation and "
        "the preventive measures. I will send you an update every hour until it is fully resolved.",
    ),
    CEO_END,
    (
        "You",
        "Thank you for your time and support. I will keep you informed of our progress.",
    ),
]
AMAZON_S3 = [
    (
        "You",
        "Good evening, Andy. Thank you for your time. I need to escalate a critical incident "
        "affecting Amazon S3 in us-east-1 that requires your awareness. Websites and apps that keep"
        " their files with us cannot read or save them in our largest region. It puts about "
        "$150,000 of revenue at risk every hour and affects about 120,000 customers.",
    ),
    CEO_1,
    (
        "You",
        "We suspect, but have not confirmed, that the root cause is this: a mistyped input to a "
        "maintenance command removed far more servers than intended, including two systems S3 needs"
        " to work. We noticed it as soon as it started. We started fixing it at once: restarting "
        "those two systems. They have not been fully restarted in years, so this takes hours. Right"
        " now the service is completely down.",
    ),
    CEO_2,
    (
        "You",
        "We expect full resolution between Tue 28 Feb, 21:00 UTC and Tue 28 Feb, 22:00 UTC, pending"
        " Amazon's index system finishing its safety checks. The risk of it happening again is "
        "medium: the same command could still remove too many servers. To prevent a recurrence we "
        "are doing a thorough root-cause analysis, and we will put this in place: the command "
        "removes servers slowly, and never below the minimum a system needs. We are also changing "
        "our monitoring and alerting to catch it earlier: a check of capacity before any servers "
        "are removed.",
    ),
    CEO_3,
    (
        "You",
        "On resources: none beyond the storage team; two decisions from you. First, I need your "
        "decision: should we pause all non-urgent maintenance in us-east-1 until the review is "
        "done? The options: pause for two weeks, or pause only commands that remove servers. A full"
        " pause delays two launches; a partial pause leaves some risk. I recommend: pause only the "
        "commands that remove servers. Second, I need your decision: do we credit affected "
        "customers beyond the contract? The options: contract credits only, or a further 10% "
        "credit. The further credit costs about $2 million and shows we take it seriously. I "
        "recommend: contract credits only, with a personal note to the largest customers. The "
        "storage team is accountable; Priya Patel is personally overseeing the recovery. I will "
        "send you an update every hour until it is fully resolved.",
    ),
    CEO_END,
    (
        "You",
        "Thank you for your time and support, Andy. I will keep you informed of our progress.",
    ),
]


def _said(incident: Incident) -> list[tuple[str, str]]:
    return [(part.speaker, part.text) for part in meeting_script(incident)]


@pytest.mark.parametrize(
    ("build", "now", "expected"),
    [
        (gitlab, datetime(2017, 2, 1, 2, 0, tzinfo=UTC), GITLAB),
        (cloudflare, datetime(2019, 7, 2, 14, 20, tzinfo=UTC), CLOUDFLARE),
        (amazon_s3, datetime(2017, 2, 28, 19, 0, tzinfo=UTC), AMAZON_S3),
    ],
    ids=["gitlab-2017", "cloudflare-2019", "amazon-s3-2017"],
)
def test_the_script_of_a_real_incident_reads_aloud_word_for_word(
    owner: User, build: Any, now: datetime, expected: list[tuple[str, str]]
) -> None:
    with time_machine.travel(now, tick=False):
        assert _said(build(owner)) == expected


def test_the_greeting_uses_the_ceos_name_from_the_resources_step(
    owner_client: Client, owner: User
) -> None:
    incident = cloudflare(owner)
    form = {
        "version": str(incident.version),
        "nav": "next",
        "resources_needed": incident.resources_needed,
        "accountability": incident.accountability,
        "remediation_overseer": incident.remediation_overseer,
        "update_cadence_minutes": "60",
        "ceo_name": "Matthew",
        "decisions-TOTAL_FORMS": "0",
        "decisions-INITIAL_FORMS": "0",
        "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "5",
    }
    with time_machine.travel(datetime(2019, 7, 2, 14, 20, tzinfo=UTC), tick=False):
        page = owner_client.get(f"/incidents/{incident.public_id}/escalate/resources/")
        assert "The CEO&#x27;s name (optional)" in page.content.decode()
        response = owner_client.post(f"/incidents/{incident.public_id}/escalate/resources/", form)
        assert response.status_code == 302
        review = owner_client.get(f"/incidents/{incident.public_id}/escalate/review/")
    content = review.content.decode()
    assert "Good afternoon, Matthew. Thank you for your time." in content
    assert "Thank you for your time and support, Matthew." in content


def test_without_a_ceo_name_the_greeting_has_none(owner: User) -> None:
    with time_machine.travel(datetime(2019, 7, 2, 9, 0, tzinfo=UTC), tick=False):
        script = _said(cloudflare(owner))
    assert script[0][1].startswith("Good morning. Thank you for your time.")
    assert script[-1][1].startswith("Thank you for your time and support. I will")


@pytest.mark.parametrize(
    ("overseer", "accountability", "said"),
    [
        ("I", "Accountability rests with the whole engineering team.", "I am personally"),
        ("me.", "Accountability rests with the whole engineering team.", "I am personally"),
        (
            "Alex Rivera, principal architect",
            "The team is accountable.",
            "Alex Rivera, principal architect, is personally",
        ),
        ("Alex Rivera", "I am accountable, and Alex Rivera oversees the fix.", ""),
    ],
)
def test_accountability_and_oversight_are_said_once_and_agree(
    owner: User, overseer: str, accountability: str, said: str
) -> None:
    incident = cloudflare(owner)
    incident.remediation_overseer = overseer
    incident.accountability = accountability
    text = meeting_script(incident)[6].text
    assert text.count(accountability) == 1
    assert text.count("personally") == (1 if said else 0)
    assert said in text
    assert " I is " not in text


# --- any answers -------------------------------------------------------------------------------

# Words people start answers with, capitalised as at the start of a sentence, and names.
COMMON = ["The", "How", "A", "Our", "We", "Restoring", "Two", "Confirmation", "Whether", "It"]
NAMES = ["Amazon", "AWS", "GitLab", "Olivia", "PostgreSQL", "S3"]
ENDINGS = ["", ".", "..", "...", "…", "!", "?", ";", ",", ":", " ", ".\n", " .  "]

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@st.composite
def answer(draw: st.DrawFn, *, optional: bool = False) -> str:
    first = draw(st.sampled_from(COMMON + NAMES + ["10%", "about"]))
    rest = draw(st.lists(word, min_size=1, max_size=6))
    middle = draw(st.sampled_from(["", ", ", "; ", " - "]))
    ending = draw(st.sampled_from(ENDINGS))
    space = draw(st.sampled_from(["", " ", "\n", "  "]))
    return space + first + " " + " ".join(rest[:1]) + middle + " ".join(rest[1:]) + ending


DECIDED = ["question", "options", "trade_offs", "recommendation"]


def _core(text: str) -> str:
    """An answer as the script must contain it: its words, in any case for the first letter."""
    core = " ".join(text.split()).rstrip(".…!?;,:- ")
    return core[1:]


def _doubled(text: str) -> list[str]:
    return re.findall(r"[.!?,;:…]\s*[.!?,;:…]|\s{2,}|\s[.,;:!?]", text)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    answers=st.fixed_dictionaries({name: answer() for name in ANSWER_FIELDS}),
    decisions=st.lists(st.fixed_dictionaries({name: answer() for name in DECIDED}), max_size=2),
    overseer=st.sampled_from(["I", "me", "Olivia Owner", "Alex Rivera, principal architect"]),
    ceo=st.sampled_from(["", "Sarah", "Andy.", " Dr Jane Okafor "]),
    state=st.sampled_from([s for s in OperatingState if s]),
    confidence=st.sampled_from(list(Confidence)),
)
def test_any_answers_read_aloud_without_doubled_punctuation_or_stray_capitals(
    owner: User,
    answers: dict[str, str],
    decisions: list[dict[str, str]],
    overseer: str,
    ceo: str,
    state: OperatingState,
    confidence: Confidence,
) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 12, 0, tzinfo=UTC), tick=False):
        incident = make_incident(
            owner=owner,
            remediation_overseer=overseer,
            ceo_name=ceo,
            operating_state=state,
            root_cause_confidence=confidence,
            eta_earliest=datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
            eta_latest=datetime(2026, 11, 26, 16, 0, tzinfo=UTC),
            **answers,
        )
        make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=1)
        for position, decision in enumerate(decisions):
            CeoDecision.objects.create(incident=incident, position=position, **decision)
        parts = meeting_script(incident)
    script = " ".join(part.text for part in parts)

    assert _doubled(script) == []
    assert "[missing" not in script
    assert not any(part.missing for part in parts)
    # "pending How fast…": after "pending" only a name keeps its capital.
    after_pending = re.search(r"pending (\S+)", script)
    assert after_pending is not None
    following = after_pending.group(1).rstrip(".,;:")
    assert following[0].islower() or following in NAMES or following[0].isdigit()
    # Every answer is there, with its words as typed.
    for name, typed in answers.items():
        assert _core(typed) in script, name
    for decision in decisions:
        for typed in decision.values():
            assert _core(typed) in script
    if ceo.strip():
        assert f", {ceo.strip().rstrip('.')}." in script
    assert " I is " not in script and "operating with" not in script
    for part in parts:
        if part.speaker == "You":
            assert part.text[0].isupper()
            assert part.text[-1] in ".?!"
    # Each sentence starts with a capital (or a number, or the CEO's name said as typed).
    said = " ".join(part.text for part in parts if part.speaker == "You")
    for sentence_start in re.findall(r"[.!?] (\S)", said):
        assert sentence_start.isupper() or sentence_start.isdigit(), script


def test_the_review_answers_to_the_ceos_questions_read_as_sentences(
    owner_client: Client, owner: User
) -> None:
    incident = gitlab(owner)
    incident.accountability = "accountability rests with the whole team"
    incident.save()
    with time_machine.travel(datetime(2017, 2, 1, 2, 0, tzinfo=UTC), tick=False):
        content = owner_client.get(f"/incidents/{incident.public_id}/escalate/review/")
    whole = content.content.decode()
    # The questions' section only: the brief's preview below it is another module's.
    page = whole[whole.index('id="questions-h"') : whole.index('id="plain-h"')]
    assert (
        "Accountability rests with the whole team. I am personally overseeing the remediation "
        "and the preventive measures." in page
    )
    assert "I personally oversees" not in page
    assert (
        ", depending on how fast we can copy 300 GB back from the test servers, whose disks "
        "are slow." in page
    )
    assert "The risk of it happening again is high until every backup" in page
    assert (
        "Decision: do we restore now and accept losing six hours of data? We recommend: "
        "restore now, and tell users openly what was lost." in page
    )
    assert "We noticed it 1 minute after it started. To catch it earlier: an alert when" in page
