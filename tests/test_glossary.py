"""The plain-language check: which words in a brief a CEO may not know, and what to say instead."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from briefs import escalation_steps
from briefs.glossary import (
    GLOSSARY,
    SHAPES,
    TERM_KIND,
    Flag,
    Term,
    check_texts,
    find_flags,
    find_jargon,
    terms_used,
)
from briefs.meeting_script import executive_texts
from briefs.models import Incident

TERMS = {term.term: term for term in GLOSSARY}
SPELLINGS = [(spelling, term) for term in GLOSSARY for spelling in term.spellings]


def names(terms: list[Term]) -> list[str]:
    return [term.term for term in terms]


def test_a_glossary_term_in_the_text_is_found() -> None:
    assert names(find_jargon("We started a rollback at 09:40.")) == ["rollback"]


def test_plain_text_has_no_jargon() -> None:
    text = "Customers could not pay for their orders for two hours. We have fixed it."
    assert find_jargon(text) == []


def test_empty_text_has_no_jargon() -> None:
    assert find_jargon("") == []


@pytest.mark.parametrize(
    "text",
    [
        "Our capital plan is unchanged.",
        "A rapid response team is in place.",
        "The therapist and the apiary are unaffected.",
        "Please avoid slang in the summary.",
        "We will translate the notice for Slack.",
        "The slow checkout hurt the slot bookings.",
        "The podcast and the tripod were fine.",
        "It cost circa two million.",
        "Dispatch and cachet are ordinary words.",
        "The latent issue came from a supplier.",
        "Neither p999 nor xp99 is in the glossary.",
    ],
)
def test_a_term_inside_another_word_is_not_flagged(text: str) -> None:
    assert find_jargon(text) == []


@pytest.mark.parametrize(("spelling", "term"), SPELLINGS)
def test_no_spelling_is_found_glued_to_other_letters(spelling: str, term: Term) -> None:
    for text in (f"q{spelling}q", f"{spelling}q", f"q{spelling}", f"_{spelling}"):
        fragments = {flag.fragment.casefold() for flag in check_texts({"summary": text})}
        assert spelling.casefold() not in fragments, text


def test_matching_ignores_case() -> None:
    text = "ROLLBACK done; Rollback confirmed; the sla and the Api are fine."
    assert names(find_jargon(text)) == ["rollback", "SLA", "API"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The RCA is due Friday.", "RCA"),
        ("p99 went to 4 seconds.", "p99"),
        ("A spike of 5xx responses.", "5xx"),
        ("The k8s cluster restarted.", "Kubernetes"),
        ("We breached the SLA.", "SLA"),
        ("Three SLAs are at risk.", "SLA"),
        ("The SPOF was the payment database.", "single point of failure"),
        ("MTTR was 3 hours.", "MTTR"),
        ("We declared a SEV1.", "SEV1"),
        ("It was a P1.", "SEV1"),
        ("The API's errors went up.", "API"),
    ],
)
def test_acronyms_are_found(text: str, expected: str) -> None:
    assert names(find_jargon(text)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected", "fragment"),
    [
        ("Two rollbacks failed.", "rollback", "rollbacks"),
        ("We roll back now.", "rollback", "roll back"),
        ("A roll-back is ready.", "rollback", "roll-back"),
        ("We rolled back at noon.", "rollback", "rolled back"),
        ("We are rolling back the release.", "rollback", "rolling back"),
        ("Friday's deploys are paused.", "deployment", "deploys"),
        ("The fix was deployed.", "deployment", "deployed"),
        ("Two deployments went out.", "deployment", "deployments"),
        (
            "The single point of failure is gone.",
            "single point of failure",
            "single point of failure",
        ),
        ("A single-point-of-failure review.", "single point of failure", "single-point-of-failure"),
        (
            "The single point\nof failure moved.",
            "single point of failure",
            "single point\nof failure",
        ),
        ("Retries made it worse.", "retry", "Retries"),
        ("The client retried.", "retry", "retried"),
        ("The page was cached.", "cache", "cached"),
        ("Caching was off.", "cache", "Caching"),
        ("Two dependencies failed.", "dependency", "dependencies"),
        ("The hotfixes are live.", "hotfix", "hotfixes"),
        ("Requests timed out.", "timeout", "timed out"),
        ("Mean time to recovery was 3 hours.", "MTTR", "Mean time to recovery"),
        ("Traffic was rate-limited.", "rate limiting", "rate-limited"),
        ("We are in a degraded performance mode.", "degraded mode", "degraded performance"),
        ("The engineer on-call was paged.", "on-call", "on-call"),
    ],
)
def test_multi_word_terms_and_variants_are_found(text: str, expected: str, fragment: str) -> None:
    assert check_texts({"summary": text}) == [Flag("summary", TERMS[expected], fragment)]


def test_the_longest_spelling_wins_where_two_start_together() -> None:
    assert names(find_jargon("The read replica lagged.")) == ["database replica"]
    assert check_texts({"cause": "A read-replica fell behind."})[0].fragment == "read-replica"


def test_ordinary_phrases_near_a_term_are_not_flagged() -> None:
    assert find_jargon("Checkout relies on calls to the bank.") == []


def test_each_term_is_reported_once_per_text() -> None:
    text = "The rollback failed, a second rollback worked, and we rolled back the config."
    assert names(find_jargon(text)) == ["rollback"]


def test_terms_are_reported_in_order_of_first_appearance() -> None:
    text = "p99 latency rose after the deploy; the RCA will cover the p99 and the deploy."
    assert names(find_jargon(text)) == ["p99", "latency", "deployment", "RCA"]


def test_check_texts_reports_the_field_and_the_fragment_as_written() -> None:
    flags = check_texts(
        {
            "What happened": "A Deployment broke checkout; we Rolled Back.",
            "Next steps": "Plain words only.",
            "Prevention": "Remove the SPOF and run an RCA.",
        }
    )
    assert [(flag.field, flag.term.term, flag.fragment) for flag in flags] == [
        ("What happened", "deployment", "Deployment"),
        ("What happened", "rollback", "Rolled Back"),
        ("Prevention", "single point of failure", "SPOF"),
        ("Prevention", "RCA", "RCA"),
    ]


def test_check_texts_reports_a_term_again_in_each_field_it_appears_in() -> None:
    flags = check_texts({"Cause": "A bad deploy.", "Fix": "Another deploy."})
    assert [(flag.field, flag.fragment) for flag in flags] == [
        ("Cause", "deploy"),
        ("Fix", "deploy"),
    ]


def test_check_texts_of_no_fields_is_empty() -> None:
    assert check_texts({}) == []


def test_terms_used_are_distinct_and_alphabetical() -> None:
    texts = ["The SLA was breached after a rollback.", "An RCA and another rollback.", ""]
    assert names(terms_used(texts)) == ["RCA", "rollback", "SLA"]


def test_terms_used_accepts_any_iterable() -> None:
    assert names(terms_used(text for text in ["p99 latency"])) == ["latency", "p99"]


def test_glossary_has_more_than_150_unique_terms() -> None:
    unique = {term.term.casefold() for term in GLOSSARY}
    assert len(unique) == len(GLOSSARY)
    assert len(unique) > 150


def test_the_framework_vocabulary_is_in_the_glossary() -> None:
    # The terms the framework's script and the product issue name explicitly.
    required = {
        "RCA", "rollback", "hotfix", "deployment", "p99", "latency", "single point of failure",
        "failover", "5xx", "degraded mode", "blast radius", "SLO", "SLA", "MTTR", "MTTD",
        "root cause", "canary", "postmortem", "incident commander", "runbook", "throughput",
        "timeout", "retry", "cache", "CDN", "DNS", "load balancer", "database replica", "sharding",
        "Kubernetes", "pod", "container", "microservice", "API", "endpoint", "configuration drift",
        "feature flag", "circuit breaker", "rate limiting", "outage", "degradation", "error budget",
        "on-call", "SEV1", "regression", "patch", "dependency", "upstream", "downstream",
    }  # fmt: skip
    assert required <= TERMS.keys()


@pytest.mark.parametrize("term", GLOSSARY, ids=lambda term: term.term)
def test_every_term_has_a_one_sentence_definition_and_a_plain_phrase(term: Term) -> None:
    assert term.definition.strip()
    assert term.definition.endswith(".")
    assert term.definition.count(". ") == 0
    assert term.plain.strip()
    assert term.plain.casefold() != term.term.casefold()


@pytest.mark.parametrize(("spelling", "term"), SPELLINGS)
def test_every_spelling_is_found_in_a_sentence_containing_it(spelling: str, term: Term) -> None:
    for text in (f"We saw {spelling} today.", f"{spelling.upper()}!", f"({spelling.title()})"):
        assert term in find_jargon(text), text


def test_no_plain_phrase_is_itself_jargon_of_its_own_term() -> None:
    offenders = [term.term for term in GLOSSARY if term in find_jargon(term.plain)]
    assert offenders == []


def test_no_suggested_wording_raises_a_flag_of_its_own() -> None:
    advice = [*GLOSSARY, *(shape.advice for shape in SHAPES)]
    offenders = {term.term: find_flags(term.plain) for term in advice if find_flags(term.plain)}
    assert offenders == {}


def _found(text: str) -> list[tuple[str, str]]:
    return [(flag.fragment, flag.kind) for flag in find_flags(text)]


# The terms the plain-language check missed in three real postmortems (GitLab 2017, Cloudflare
# 2019, Amazon S3 2017), each in a sentence like the architects wrote.
@pytest.mark.parametrize(
    ("text", "fragment", "kind"),
    [
        ("An engineer ran rm -rf on the wrong server.", "rm -rf", "command"),
        ("pg_basebackup hung without output.", "pg_basebackup", "command"),
        ("The files on db1 were deleted.", "db1", "code name with digits"),
        ("Requests in us-east-1 failed.", "us-east-1", "code name with digits"),
        ("Visitors saw 502s everywhere.", "502s", "HTTP status code"),
        ("EBS volumes were stuck.", "EBS", TERM_KIND),
        ("New EC2 instances could not start.", "EC2 instances", TERM_KIND),
        ("A WAF rule was deployed.", "WAF rule", TERM_KIND),
        ("The regex was badly written.", "regex", TERM_KIND),
        ("CPU reached 100% on every machine.", "CPU", TERM_KIND),
        ("GET/PUT calls failed.", "GET/PUT", "HTTP method"),
        ("Every edge server was overloaded.", "edge server", TERM_KIND),
        ("The proxy stopped answering.", "proxy", TERM_KIND),
        ("We emptied the data directory.", "data directory", TERM_KIND),
        ("It was catastrophic backtracking.", "catastrophic backtracking", TERM_KIND),
    ],
)
def test_the_terms_missed_in_real_postmortems_are_flagged(
    text: str, fragment: str, kind: str
) -> None:
    assert (fragment, kind) in _found(text)


# Shapes no glossary lists: names invented for each system, found by their form.
@pytest.mark.parametrize(
    ("text", "fragment", "kind"),
    [
        ("We went back to v4.12.0 overnight.", "v4.12.0", "version number"),
        ("The app ran MySQL 5.7 at the time.", "5.7", "version number"),
        ("We raised maxPoolSize after lunch.", "maxPoolSize", "camelCase name"),
        ("A SessionStoreException was logged.", "SessionStoreException", "camelCase name"),
        ("MongoDB stopped accepting writes.", "MongoDB", "camelCase name"),
        ("We set shared_buffers too low.", "shared_buffers", "snake_case name"),
        ("The job ran with --dry-run off.", "--dry-run", "command-line flag"),
        ("Someone ran git push --force on main.", "git push --force", "command"),
        ("The file /etc/haproxy/haproxy.cfg was wrong.", "/etc/haproxy/haproxy.cfg", "file path"),
        ("A typo in settings.yaml broke it.", "settings.yaml", "file name"),
        ("Traffic went to lb-07.eu.example.net.", "lb-07.eu.example.net", "host name"),
        ("The host cache.internal was full.", "cache.internal", "host name"),
        ("Requests from 192.168.4.20 were refused.", "192.168.4.20", "IP address"),
        ("See https://status.example.com/incidents/42 for details.",
         "https://status.example.com/incidents/42", "web address"),
        ("Every DELETE request failed.", "DELETE request", "HTTP method"),
        ("The servers returned 503 errors.", "503", "HTTP status code"),
        ("A spike of 4xx followed.", "4xx", "HTTP status code"),
        ("The query `SELECT * FROM orders` ran for hours.", "`SELECT * FROM orders`", "code"),
        ("Our t3.large machines ran hot.", "t3.large", "code name with digits"),
        ("The KMS key was rotated.", "KMS", "acronym"),
        ("Three NICs failed at once.", "NICs", "acronym"),
    ],
)  # fmt: skip
def test_technical_shapes_are_flagged_with_what_kind_of_thing_they_are(
    text: str, fragment: str, kind: str
) -> None:
    assert (fragment, kind) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "The CEO and CFO will brief the board at 10am on Q3 results.",
        "About $48k of orders per hour, 24/7, since the 1st of March.",
        "Customers in the US and EU were affected, so GDPR may apply.",
        "It affected 9.6 million users in 2017 and cost $2.5m, up 12.5% on 2016.",
        "Meet at 14:00 UTC and/or 9:30am PST, e.g. before the AT&T call.",
        "B2B sales, M&A and P&L are unaffected; Wi-Fi in the office works.",
        "DO NOT RESTART ANYTHING UNTIL THE TEAM CONFIRMS IT IS SAFE.",
        "Our FY2024 plan and H1 targets stand, despite COVID-19.",
        "The 73-hour outage hit 5,000+ projects and a 6-hour-old copy was restored.",
        "Olivia, VP of Sales, called the top 20 customers; 3x more than in the 1990s.",
        "We will send the update in a PDF at 5 p.m. ET on Monday.",
        "The iOS and Android apps were fine; only the website was down.",
    ],
)
def test_plain_business_english_raises_no_flags(text: str) -> None:
    assert _found(text) == []


# From the framework's script: the plain examples it gives of what to say.
SEED_EXAMPLES = [
    "Complete outage of the order processing system.",
    "Approximately $X in potential lost revenue per hour, affecting Y number of customers.",
    "Approximately 4-6 hours.",
    "Enhanced automated testing.",
    "We may need to temporarily re-prioritize resources from other projects.",
    "A limited functionality state.",
    "Every hour or every two hours.",
    "CEOs are primarily concerned with business outcomes.",
    "Thank you for your time and support. I'll keep you informed of our progress.",
]


@pytest.mark.parametrize("text", SEED_EXAMPLES)
def test_the_frameworks_plain_examples_raise_no_flags(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    "step", [s for s in escalation_steps.STEPS if s.example], ids=lambda s: s.slug
)
def test_the_wizards_coaching_examples_raise_no_flags(step: escalation_steps.Step) -> None:
    assert _found(step.example) == []


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_the_demo_answers_raise_no_shape_flags() -> None:
    call_command("demo")
    flags = [
        flag
        for incident in Incident.objects.all()
        for flag in check_texts(executive_texts(incident))
    ]
    assert [f.fragment for f in flags if f.kind != TERM_KIND] == []


def test_everyday_terms_are_defined_but_not_flagged() -> None:
    text = "The outage had one root cause."
    assert check_texts({"Summary": text}) == []
    assert names(terms_used([text])) == ["outage", "root cause"]


def test_every_flag_says_what_it_is_and_what_to_say_instead() -> None:
    text = "Ran rm -rf on db1; EBS and the KMS key failed; see /var/log/x.log; GET 503."
    flags = find_flags(text, "Cause")
    assert len(flags) >= 6
    for flag in flags:
        assert flag.field == "Cause"
        assert flag.kind
        assert flag.term.definition.endswith(".")
        assert flag.term.plain


def test_a_shape_is_reported_once_per_text_and_the_longest_match_wins() -> None:
    text = "rm -rf /var/opt/data on db1, then again on db1 and db2."
    assert _found(text) == [
        ("rm -rf /var/opt/data", "command"),
        ("db1", "code name with digits"),
        ("db2", "code name with digits"),
    ]
