"""Plain-language check: find the architects' jargon in executive-facing text.

The glossary is the framework's "Technical Vocabulary". Each term carries a one-sentence definition
a CEO understands and a plain phrase to use instead. Flags are advice for the review step, never a
block; `terms_used` feeds the short glossary appended to the brief.

Matching rules (one combined regex, compiled once at import because the review step runs it on
every render):

- whole words only, case-insensitive: "API" is not found in "capital", "SLA" not in "slang";
- a space or hyphen between words matches either, so "roll back" also finds "roll-back";
- the last word takes its regular inflections ("rollbacks", "deployed", "caching", "retries");
  acronyms and codes ("SLA", "p99", "5xx") take only a plural "s";
- other spellings ("k8s", "SPOF", "rolled back") are listed on the term as `variants`;
- where spellings start at the same place, the longest wins ("read replica" over "replica").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    definition: str
    plain: str
    variants: tuple[str, ...] = ()
    # "on call" is also ordinary English ("relies on calls to the bank"); only its exact spellings
    # count as the term.
    inflect: bool = True

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.variants)


@dataclass(frozen=True, slots=True)
class Flag:
    field: str
    term: Term
    fragment: str


GLOSSARY: Final[tuple[Term, ...]] = (
    Term(
        "RCA",
        "A structured investigation into why an incident happened, so that it does not happen "
        "again.",
        "investigation into why it happened",
    ),
    Term(
        "root cause",
        "The underlying reason a problem happened, rather than its visible symptoms.",
        "underlying cause",
    ),
    Term(
        "rollback",
        "Undoing a recent change by returning the system to the last version that worked.",
        "returning to the previous working version",
        ("roll back", "rolled back", "rolling back", "rolls back"),
    ),
    Term(
        "hotfix",
        "A small, urgent fix released outside the normal release schedule.",
        "emergency fix",
        ("hot fix",),
    ),
    Term(
        "patch",
        "A small change to the software that fixes one specific problem.",
        "fix",
    ),
    Term(
        "deployment",
        "Putting a new version of our software onto the systems customers use.",
        "release of new software",
        ("deploy",),
    ),
    Term(
        "canary",
        "Releasing a change to a small share of customers first, to catch problems before everyone "
        "gets it.",
        "a trial release to a small group of customers",
    ),
    Term(
        "feature flag",
        "A switch that turns a feature on or off for customers without releasing new software.",
        "an on/off switch for a feature",
        ("feature toggle",),
    ),
    Term(
        "regression",
        "Something that used to work and broke because of a recent change.",
        "a recent change broke something that worked",
    ),
    Term(
        "configuration drift",
        "When a system's settings slowly stop matching what they should be, usually unnoticed.",
        "settings that no longer match what we intended",
        ("config drift",),
    ),
    Term(
        "p99",
        "The response time that 99 out of 100 requests beat: what our slowest 1% of customers "
        "experience.",
        "response time for the slowest 1% of requests",
        ("99th percentile",),
    ),
    Term(
        "p95",
        "The response time that 95 out of 100 requests beat: what our slowest 5% of customers "
        "experience.",
        "response time for the slowest 5% of requests",
        ("95th percentile",),
    ),
    Term(
        "latency",
        "How long the system takes to respond after a customer does something.",
        "response time",
    ),
    Term(
        "throughput",
        "How much work the system gets through per second, such as orders processed.",
        "orders (or requests) handled per second",
    ),
    Term(
        "timeout",
        "A request that was abandoned because the answer took too long.",
        "a request that took too long and was abandoned",
        ("time out", "timed out", "times out", "timing out"),
    ),
    Term(
        "retry",
        "Automatically trying a failed request again.",
        "trying again",
    ),
    Term(
        "5xx",
        "Error responses meaning our own servers failed to handle a request, not that the customer "
        "did something wrong.",
        "server errors",
        ("HTTP 500",),
    ),
    Term(
        "outage",
        "A period when a service is completely unavailable to customers.",
        "the service was down",
    ),
    Term(
        "degradation",
        "A period when a service still works but is slow or partly broken.",
        "the service was slow or partly down",
    ),
    Term(
        "degraded mode",
        "The service keeps running, but slower or with some features switched off.",
        "running with reduced service",
        ("degraded performance", "degraded state"),
    ),
    Term(
        "blast radius",
        "How much of the business a failure or a change can affect.",
        "how far the damage can spread",
    ),
    Term(
        "single point of failure",
        "One component whose failure takes the whole service down because nothing can take over "
        "for it.",
        "a part with no backup",
        ("SPOF", "single points of failure"),
    ),
    Term(
        "failover",
        "Switching automatically to a backup system when the main one fails.",
        "switching to the backup system",
        ("fail over", "failed over", "failing over", "fails over"),
    ),
    Term(
        "SLO",
        "An internal target for how reliable or fast a service must be, such as 99.9% of requests "
        "succeeding.",
        "our reliability target",
        ("service level objective",),
    ),
    Term(
        "SLA",
        "A contractual promise to customers about availability or response, often with penalties "
        "if we miss it.",
        "our contractual commitment to customers",
        ("service level agreement",),
    ),
    Term(
        "error budget",
        "How much failure our reliability target still allows before new releases must pause.",
        "remaining allowance for failures",
    ),
    Term(
        "uptime",
        "The share of time a service is available to customers, usually given as a percentage.",
        "time the service was available",
    ),
    Term(
        "MTTR",
        "The average time it takes us to restore service after something breaks.",
        "average time to fix",
        (
            "mean time to recovery",
            "mean time to repair",
            "mean time to restore",
            "mean time to resolve",
            "mean time to resolution",
        ),
    ),
    Term(
        "MTTD",
        "The average time between something breaking and us noticing it.",
        "average time to notice a problem",
        ("mean time to detect", "mean time to detection"),
    ),
    Term(
        "RTO",
        "Recovery time objective: the longest we have agreed a service may be down after a "
        "disaster.",
        "maximum acceptable downtime",
        ("recovery time objective",),
    ),
    Term(
        "RPO",
        "Recovery point objective: how much recent data we have agreed we can afford to lose in a "
        "disaster.",
        "maximum acceptable data loss",
        ("recovery point objective",),
    ),
    Term(
        "postmortem",
        "A written, blame-free review after an incident of what happened and what we will change.",
        "incident review",
        ("post mortem",),
    ),
    Term(
        "incident commander",
        "The one person in charge of coordinating the response to an incident.",
        "the person leading the response",
    ),
    Term(
        "runbook",
        "A written step-by-step procedure for handling a known kind of problem.",
        "the step-by-step response plan",
        ("run book",),
    ),
    Term(
        "on-call",
        "The engineer or team assigned to respond to problems at any hour.",
        "the engineer responsible right now",
        ("oncall",),
        inflect=False,
    ),
    Term(
        "SEV1",
        "The highest severity level for an incident: major customer or revenue impact that needs "
        "an all-hands response.",
        "top-severity incident",
        ("sev 1", "SEV0", "sev 0", "P0", "P1"),
    ),
    Term(
        "alerting threshold",
        "The level at which our monitoring warns engineers that something is wrong.",
        "the point at which we are warned",
        ("alert threshold",),
    ),
    Term(
        "cache",
        "A fast temporary copy of data kept close at hand so the system need not fetch it every "
        "time.",
        "temporary copy of data",
    ),
    Term(
        "CDN",
        "A network of servers around the world that delivers our website and images quickly to "
        "nearby customers.",
        "the network that delivers our website to customers",
        ("content delivery network",),
    ),
    Term(
        "DNS",
        "The internet's address book, which turns our web address into the location of our "
        "servers.",
        "the internet's address book",
        ("domain name system",),
    ),
    Term(
        "TLS certificate",
        "The digital certificate that proves our website is genuine; when it expires, browsers "
        "turn customers away.",
        "security certificate",
        ("SSL certificate", "TLS cert", "SSL cert"),
    ),
    Term(
        "DDoS",
        "An attack that floods our systems with fake traffic to knock them offline.",
        "a flood of malicious traffic",
        ("denial of service",),
    ),
    Term(
        "load balancer",
        "The component that spreads incoming customer traffic across many servers.",
        "traffic distributor",
        ("load balancing",),
    ),
    Term(
        "rate limiting",
        "Capping how many requests a customer or system can make in a given time.",
        "capping traffic",
        ("rate limit", "rate limiter", "throttle"),
    ),
    Term(
        "circuit breaker",
        "A safeguard that stops calling a failing system for a while so the failure does not "
        "spread.",
        "automatic safety cut-off",
    ),
    Term(
        "database replica",
        "A live copy of a database kept in step with the main one, used as a backup or to share "
        "the load.",
        "a copy of the database",
        ("read replica", "replica"),
    ),
    Term(
        "replication lag",
        "The delay before a copy of our data catches up with the original.",
        "delay in copying data",
    ),
    Term(
        "sharding",
        "Splitting a large database into smaller pieces kept on separate servers.",
        "splitting the database into parts",
        ("shard",),
    ),
    Term(
        "Kubernetes",
        "The system that runs and manages our software across many servers.",
        "the platform that runs our services",
        ("k8s",),
    ),
    Term(
        "pod",
        "One running copy of a piece of our software inside our hosting platform.",
        "a running copy of a service",
    ),
    Term(
        "container",
        "A packaged, self-contained unit of our software that can run on any server.",
        "packaged piece of software",
    ),
    Term(
        "microservice",
        "One of the many small, separate programs that together make up our product.",
        "one part of our system",
        ("micro service",),
    ),
    Term(
        "API",
        "The connection through which one piece of software asks another for data or actions.",
        "system connection",
        ("application programming interface",),
    ),
    Term(
        "endpoint",
        "One specific address on our systems that other software calls to get something done.",
        "a specific function of the service",
        ("end point",),
    ),
    Term(
        "dependency",
        "Another system or supplier that our service needs in order to work.",
        "a system we rely on",
    ),
    Term(
        "upstream",
        "The systems or suppliers our service relies on, whose problems flow down to us.",
        "the systems we rely on",
    ),
    Term(
        "downstream",
        "The systems or customers that rely on our service and feel its problems.",
        "the systems that rely on us",
    ),
    Term(
        "race condition",
        "A bug that only appears when two things happen at almost exactly the same moment.",
        "a timing bug",
    ),
    Term(
        "memory leak",
        "A bug that makes software use more and more memory until it slows down or crashes.",
        "a gradual build-up that crashes the system",
    ),
    Term(
        "deadlock",
        "Two processes each waiting for the other to finish, so neither ever does.",
        "a standstill between two processes",
    ),
)

_SEPARATOR = r"[\s\-\u2010\u2011]+"


def _word_pattern(word: str, *, inflect: bool) -> str:
    stem = re.escape(word)
    if not inflect:
        return stem
    if not (word.isalpha() and word.islower()):
        # Acronyms and codes: "SLAs", "APIs"; never "SLAed".
        return stem + "s?"
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e[sd]?|ing)"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return re.escape(word[:-1]) + "(?:y|ying|ies|ied)"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return stem + "(?:es|ed|ing)?"
    return stem + "(?:s|ed|ing)?"


def _spelling_pattern(spelling: str, *, inflect: bool) -> str:
    *words, last = re.split(_SEPARATOR, spelling)
    return _SEPARATOR.join(
        [*(re.escape(word) for word in words), _word_pattern(last, inflect=inflect)]
    )


def _compile(glossary: Iterable[Term]) -> tuple[re.Pattern[str], dict[str, Term]]:
    term_by_group: dict[str, Term] = {}
    term_by_spelling: dict[str, Term] = {}
    spellings: list[tuple[str, Term]] = []
    for term in glossary:
        for spelling in term.spellings:
            if not (spelling[:1].isalnum() and spelling[-1:].isalnum()):
                raise ValueError(f"{spelling!r} must start and end with a letter or digit")
            key = " ".join(re.split(_SEPARATOR, spelling.casefold()))
            if key in term_by_spelling:
                other = term_by_spelling[key].term
                raise ValueError(f"{spelling!r} belongs to both {other!r} and {term.term!r}")
            term_by_spelling[key] = term
            spellings.append((spelling, term))
    # Alternation takes the first alternative that matches, so longest spellings go first: "read
    # replica" wins over "replica". Spellings that start at the same place share a first character,
    # hence land in the same bucket below, which keeps this order.
    spellings.sort(key=lambda pair: len(pair[0]), reverse=True)
    # Bucketing by first character lets the engine skip most alternatives at each word start:
    # about seven times faster than one flat alternation.
    buckets: dict[str, list[str]] = {}
    for spelling, term in spellings:
        group = f"s{len(term_by_group)}"
        term_by_group[group] = term
        first = re.escape(spelling[0])
        rest = _spelling_pattern(spelling, inflect=term.inflect).removeprefix(first)
        buckets.setdefault(spelling[0].casefold(), []).append(f"(?P<{group}>{rest})")
    body = "|".join(
        f"{re.escape(first)}(?:{'|'.join(alternatives)})" for first, alternatives in buckets.items()
    )
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE), term_by_group


_PATTERN, _TERM_BY_GROUP = _compile(GLOSSARY)


def _first_matches(text: str) -> list[tuple[Term, str]]:
    found: dict[Term, str] = {}
    for match in _PATTERN.finditer(text):
        term = _TERM_BY_GROUP[match.lastgroup or ""]
        found.setdefault(term, match.group())
    return list(found.items())


def find_jargon(text: str) -> list[Term]:
    """Glossary terms in `text`, each once, in order of first appearance."""
    return [term for term, _ in _first_matches(text)]


def check_texts(texts: Mapping[str, str]) -> list[Flag]:
    """Advice for each field (label -> executive-facing text), with the fragment as written."""
    return [
        Flag(field=label, term=term, fragment=fragment)
        for label, text in texts.items()
        for term, fragment in _first_matches(text)
    ]


def terms_used(texts: Iterable[str]) -> list[Term]:
    """Distinct terms across `texts`, alphabetical: the glossary appended to the brief."""
    used = {term for text in texts for term in find_jargon(text)}
    return sorted(used, key=lambda term: (term.term.casefold(), term.term))
