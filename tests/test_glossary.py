"""The plain-language check: which words in a brief a CEO may not know, and what to say instead."""

import pytest

from briefs.glossary import GLOSSARY, Flag, Term, check_texts, find_jargon, terms_used

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


def test_glossary_has_at_least_45_unique_terms() -> None:
    unique = {term.term.casefold() for term in GLOSSARY}
    assert len(unique) == len(GLOSSARY)
    assert len(unique) >= 45


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
