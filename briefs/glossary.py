"""Plain-language check: find the architects' jargon in executive-facing text.

The glossary is the framework's "Technical Vocabulary", kept in `data/glossary.toml` and read once
at import. Each term carries a one-sentence definition a CEO understands and a plain phrase to use
instead. Flags are advice for the review step, never a block; `terms_used` feeds the short glossary
appended to the brief.

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
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Term:
    term: str
    definition: str
    plain: str
    variants: tuple[str, ...] = ()
    # "on call" is also ordinary English ("relies on calls to the bank"); only its exact spellings
    # count as the term.
    inflect: bool = True
    # A word executives use themselves ("outage", "root cause": the brief's own headings say
    # them): defined in the brief's glossary when used, never flagged as jargon.
    everyday: bool = False

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.term, *self.variants)


TERM_KIND = "technical term"
EVERYDAY = "everyday term"


@dataclass(frozen=True, slots=True)
class Flag:
    field: str
    # The glossary's term, or for a shape its kind with advice in the same form.
    term: Term
    fragment: str
    # What kind of thing the fragment is: "technical term" (from the glossary), "acronym",
    # "command", "file path", "code name with digits", ...
    kind: str = TERM_KIND


def _load(path: Path) -> tuple[Term, ...]:
    """The glossary's terms, in the file's order; an unknown key is an error, not ignored."""
    with path.open("rb") as file:
        entries: list[dict[str, Any]] = tomllib.load(file)["term"]
    return tuple(
        Term(**{**entry, "variants": tuple(entry.get("variants", ()))}) for entry in entries
    )


# Read once, at import: the review step and the brief use it on every render.
GLOSSARY: Final[tuple[Term, ...]] = _load(Path(__file__).parent / "data" / "glossary.toml")

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


# --- Shapes: the technical tokens no glossary can list -------------------------------------------
#
# A server called db1, a region us-east-1, a flag -rf, a path /var/opt/data: each is recognised by
# its form. Every shape has a kind (what the CEO is looking at) and advice in the same Term form
# as the glossary, so the review step shows both alike. The patterns are tuned for precision on
# plain business English: a CEO's own words (CEO, Q3, 10am, 24/7, $48k, 1st, COVID-19) never match.


@dataclass(frozen=True, slots=True)
class Shape:
    kind: str
    pattern: re.Pattern[str]
    advice: Term
    # A second look at a match: False when it is plain after all.
    keep: Callable[[str], bool] | None = None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Capitals that plain business English uses: titles, places, currencies, time zones, units,
# regulators, common business terms, and words written in capitals for emphasis.
PLAIN_CAPITALS: Final[frozenset[str]] = _words(
    """CEO CFO CTO COO CIO CISO CMO CRO CPO CHRO VP SVP EVP GM MD HR PR IT IR QA OKR OKRS KPI KPIS
    ROI P&L EBITDA CAGR ARR MRR GMV B2B B2C IPO M&A R&D NDA LOI MOU SOW RFP RFQ PO SKU CRM ERP
    SME SMB FAQ ASAP FYI TBD TBC ETA EOD COB AOB NB PS RSVP ID PIN OK AM PM AI TV PC UK US USA EU
    UN UAE EMEA APAC LATAM NA NYC LA SF DC UTC GMT BST CET CEST EET EST EDT CST CDT MST MDT PST PDT
    ET PT CT MT IST JST AEST AEDT USD EUR GBP JPY CHF CAD AUD SEK INR BRL CNY HKD SGD NZD NOK DKK
    KB MB GB TB PB GDPR CCPA HIPAA SOX SEC FTC FCA ICO FBI NHS BBC CNN NASA IBM AWS SAP HP
    LLC LLP INC LTD PLC AG SA GMBH CO CORP PDF CSV NGO MBA PHD CV II III IV VI VII VIII IX
    XI XII COVID A I NO NOT ALL ANY AND OR THE IS ARE WAS WILL CAN MUST NEVER ONLY NOW NEW
    DO DONT STOP URGENT IMPORTANT NOTE WARNING UPDATE FINAL YES ON OFF UP DOWN OUT FOR OF
    TO IN AT BY WE"""
)
_PLAIN_CODES = re.compile(
    r"(?:Q[1-4]|H[12]|FY\d{2,4}|[345]G|[348]K|3D|24x7|B2[BC]|B2B2C|COVID-19|Y2K|\d{1,2}-\w{3}-\d{2,4})",
    re.IGNORECASE,
)
# A number with a unit or an ordinal: 10am, 30s, 1990s, 300GB, $48k, 2x, 21st.
_NUMBER_WITH_UNIT = re.compile(
    r"\d+(?:[.,]\d+)*(?:k|m|bn|b|x|s|ms|h|hrs?|mins?|secs?|am|pm|st|nd|rd|th|[kmgtp]b|gbps|mbps"
    r"|kg|km|mi|ft|lbs?|d|w|wk|wks|y|yrs?|mo|mos|ppm|bps|p)",
    re.IGNORECASE,
)
_STATUS_PLURAL = re.compile(r"[1-5]\d\ds")
# 73-hour, 6-hour-old, 2-step: a number made into an adjective.
_NUMBER_COMPOUND = re.compile(r"\d+(?:[.,]\d+)?(?:-[a-z]+)+")
# Product names ending in capitals that business people know; BoltDB and GraphQL they do not.
_PLAIN_PRODUCTS = frozenset({"iOS", "macOS", "iPadOS", "watchOS", "tvOS", "OpenAI", "PhD"})

_HTTP_METHODS = "GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS"
_PRODUCTS = (
    "Python|Java|Node|Ruby|PHP|Perl|Rust|Redis|Kafka|Docker|Kubernetes|Elasticsearch|Terraform|"
    "Linux|Ubuntu|Debian|CentOS|RHEL|Windows|Android|Chrome|Firefox|Nginx|Apache|OpenSSL|Postgres|"
    "Django|Rails|React|Angular|Spring|Hadoop|Spark|Cassandra|Consul|Nomad|Vault|Java|Go|Kernel"
)
# Commands that are never ordinary English words.
_COMMANDS = (
    "sudo|rm|rmdir|chmod|chown|kubectl|systemctl|journalctl|ssh|scp|rsync|psql|mysqldump|"
    "pg_dump|pg_restore|pg_basebackup|pg_ctl|terraform|ansible|curl|wget|grep|awk|sed|iptables|"
    "crontab|gcloud|nslookup|traceroute|netstat|tcpdump|strace|ls|cd|mkdir|mv|cp|dd|mkfs|umount|"
    "fsck|nohup|chroot|tail -f"
)
# Commands that are also words ("make", "kill", "top"): only with a flag or a path after them.
_WORD_COMMANDS = "docker|git|kill|killall|make|mount|service|top|helm|aws|az|npm|pip|apt|yum|brew"
_ARGUMENTS = r"(?:\s+(?:--?[A-Za-z0-9][\w=.-]*|[~.]?/[\w.@%+/-]*[\w/]))"
_CODE_SUFFIXES = (
    "Exception|Error|Timeout|Handler|Manager|Controller|Factory|Pool|Client|Config|Queue|Worker|"
    "Listener|Provider|Adapter|Builder|Helper|Utils?|Impl|Interface|Proxy|Cache|Store|Request|"
    "Response|Stream|Buffer|Thread|Scheduler|Service|Server|Loader|Parser|Wrapper|Module|Exporter"
)


def _acronym_is_jargon(fragment: str) -> bool:
    word = fragment.removesuffix("s") if fragment[-1:] == "s" else fragment
    return not all(part in PLAIN_CAPITALS for part in word.split("/"))


def _mixed_is_jargon(fragment: str) -> bool:
    if _PLAIN_CODES.fullmatch(fragment) or _NUMBER_COMPOUND.fullmatch(fragment):
        return False
    if _STATUS_PLURAL.fullmatch(fragment):
        return True
    return not _NUMBER_WITH_UNIT.fullmatch(fragment)


def _shape(kind: str, pattern: str, definition: str, plain: str, **options: Any) -> Shape:
    keep = options.pop("keep", None)
    flags = options.pop("flags", 0)
    return Shape(kind, re.compile(pattern, flags), Term(kind, definition, plain), keep)


SHAPES: Final[tuple[Shape, ...]] = (
    _shape(
        "web address",
        r"\bhttps?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]",
        "A web address, which means little when read aloud.",
        "name the page or service instead",
    ),
    _shape(
        "command",
        rf"(?<![\w/.-])(?:sudo\s+)?(?:{_COMMANDS})(?![\w-]){_ARGUMENTS}*"
        rf"|(?<![\w/.-])(?:sudo\s+)?(?:{_WORD_COMMANDS})(?:\s+[a-z][\w-]*)?{_ARGUMENTS}+",
        "A command typed by an engineer on a server.",
        "say what it did, such as “deleted the files”",
    ),
    _shape(
        "command-line flag",
        r"(?<![\w-])--[A-Za-z][\w-]*(?:=\S+)?|(?<=\s)-[A-Za-z]{1,3}(?=[\s,;.)]|$)",
        "An option typed after a command, which changes what the command does.",
        "say what the command did, such as “without asking for confirmation”",
    ),
    _shape(
        "file path",
        r"(?<![\w.:/])(?:~|\.{1,2})?(?:/[\w@%+-]+(?:\.[\w@%+-]+)*){2,}/?"
        r"|\b[A-Z]:\\[\w\\. -]+",
        "The location of a file on a server.",
        "say what the file is, such as “the database files”",
    ),
    _shape(
        "file name",
        r"\b[\w-]+\.(?:ya?ml|json|conf|cfg|ini|sh|py|rb|go|js|ts|java|sql|log|xml|toml|tf|env|pem"
        r"|crt|lock|jar|dll|exe|so|bin|tar|gz|tgz|rpm|deb)\b",
        "The name of a file on a server.",
        "say what the file holds, such as “the settings”",
    ),
    _shape(
        "host name",
        r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.){2,}[a-z]{2,}\b(?::\d{2,5})?"
        r"|\b[a-z0-9][\w-]*\.(?:internal|local|lan|corp|intra|svc|cluster)\b"
        r"|\b[a-z][\w-]*[a-z0-9]:\d{2,5}\b",
        "The network name of a server.",
        "say which system it is, such as “the main database server”",
        flags=re.IGNORECASE,
        keep=lambda fragment: not fragment.casefold().startswith("www."),
    ),
    _shape(
        "IP address",
        r"\b(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?\b",
        "A numeric network address of a server.",
        "say which system it is",
    ),
    _shape(
        "version number",
        r"(?<![\w.])v\d+(?:\.\d+)*\b|(?<![\w.])\d+\.\d+\.\d+(?![\w.]*\d)",
        "A software version number.",
        "“an older version”, or “the version from March”",
        flags=re.IGNORECASE,
    ),
    _shape(
        "code",
        r"`[^`\n]+`|(?<!\S)(?=(?:\S*?[*(){}\[\]=<>|\\^]){3})\S+",
        "A piece of code or a pattern written for computers.",
        "describe what it does in plain words",
    ),
    _shape(
        "version number",
        # Only the number after a product's name is flagged: "PostgreSQL 9.6", not "up 9.6%".
        rf"\b(?:[A-Za-z]*[a-z][A-Z][A-Za-z]*|{_PRODUCTS}|[Vv]ersions?|[Rr]elease|[Bb]uild)\s+"
        r"(?P<flagged>v?\d+\.\d+(?:\.\d+)*)\b"
        r"(?![.,]?\d|\s*(?:%|percent|million|billion|thousand))",
        "A software version number.",
        "“an older version”, or “the version from March”",
    ),
    _shape(
        "HTTP method",
        rf"\b(?:{_HTTP_METHODS})(?:/(?:{_HTTP_METHODS}))*\b(?:\s+requests?)?",
        "A type of web request, such as reading (GET) or saving (PUT) data.",
        "“requests to read or save data”",
    ),
    _shape(
        "HTTP status code",
        r"\b(?:HTTP\s*)?[1-5]\d\ds\b"
        r"|\b[1-5](?:\d|x)x\b"
        r"|\b(?:HTTP|errors?|status(?:es)?|codes?)\s+[1-5]\d\d\b"
        r"|\b[1-5]\d\d(?=\s+(?:errors?|responses?|status|codes?|error pages?|Bad Gateway"
        r"|Service Unavailable|Gateway Timeout|Internal Server Error|Not Found|Forbidden"
        r"|Unauthorized|Too Many Requests)\b)",
        "A numeric code a web server sends back; 5xx codes mean our servers failed.",
        "“errors” or “error pages”",
        flags=re.IGNORECASE,
    ),
    _shape(
        "snake_case name",
        r"\b[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+\b",
        "An internal name from code, a setting or a tool.",
        "say what it does, such as “the connection limit setting”",
    ),
    _shape(
        "camelCase name",
        rf"\b[a-z]{{2,}}(?:[A-Z][a-z0-9]*)+\b|\b(?:[A-Z][a-z0-9]+)+(?:{_CODE_SUFFIXES})\b"
        r"|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,}\b|\b[A-Z]?[a-z]{2,}[A-Z]{2,}\b",
        "An internal name from code, or the name of an engineers' product.",
        "say what it does in plain words",
        keep=lambda fragment: fragment not in _PLAIN_PRODUCTS,
    ),
    _shape(
        "code name with digits",
        r"(?<![\w.$€£¥:/+-])(?=[A-Za-z0-9._-]*\d)(?=[A-Za-z0-9._-]*[A-Za-z])"
        r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*\b(?!\.\d)",
        "An engineers' name or code (a server, a region, a product, a measure) that means nothing "
        "outside the team.",
        "say what it is, such as “the main database” or “our US East data centre”",
        keep=_mixed_is_jargon,
    ),
    _shape(
        "acronym",
        r"(?<![\w&./'’-])[A-Z]{2,}(?:/[A-Z]{2,})*s?(?![\w&/-])",
        "An abbreviation that people outside engineering may not know.",
        "spell out what it stands for, in plain words",
        keep=_acronym_is_jargon,
    ),
)


def _shouted(text: str, start: int, end: int) -> bool:
    """Whether the match sits in a sentence written in capitals ("DO NOT RESTART"): emphasis."""
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    right = min(x for x in (text.find(".", end), text.find("\n", end), len(text)) if x >= 0)
    letters = [c for c in text[left:right] if c.isalpha()]
    return len(letters) > 12 and sum(c.isupper() for c in letters) > 0.7 * len(letters)


def _candidates(text: str) -> list[tuple[int, int, int, Term, str]]:
    """(start, end, rank, advice, kind) for every glossary term and shape found in `text`."""
    found = [
        (m.start(), m.end(), 0, _TERM_BY_GROUP[m.lastgroup or ""], TERM_KIND)
        for m in _PATTERN.finditer(text)
    ]
    # An everyday term still claims its words, so that no shape flags them instead.
    found = [c if not c[3].everyday else (*c[:4], EVERYDAY) for c in found]
    for rank, shape in enumerate(SHAPES, start=1):
        for match in shape.pattern.finditer(text):
            fragment = match.group()
            if shape.keep is not None and not shape.keep(fragment):
                continue
            if shape.kind in {"acronym", "code name with digits"} and _shouted(
                text, match.start(), match.end()
            ):
                continue
            # A pattern may match some context around what it flags ("PostgreSQL 9.6").
            group = (
                "flagged" if match.re.groupindex.get("flagged") and match.group("flagged") else 0
            )
            start, end = match.span(group)
            found.append((start, end, rank, shape.advice, shape.kind))
    return found


def find_flags(text: str, field: str = "") -> list[Flag]:
    """Every glossary term and technical shape in `text`, in order, each said once.

    Where matches overlap, the one starting first wins, then the longer, then the glossary (its
    definition is more precise than a shape's): "rm -rf /var/data" is one command, not a command
    and a path; "p99" is the glossary's term, not a code name.
    """
    flags: list[Flag] = []
    seen: set[object] = set()
    end = 0
    for start, stop, _, advice, kind in sorted(
        _candidates(text), key=lambda c: (c[0], -(c[1] - c[0]), c[2])
    ):
        if start < end:
            continue
        end = stop
        if kind == EVERYDAY:
            continue
        fragment = text[start:stop]
        key = advice if kind == TERM_KIND else (kind, fragment.casefold())
        if key in seen:
            continue
        seen.add(key)
        flags.append(Flag(field=field, term=advice, fragment=fragment, kind=kind))
    return flags


def check_texts(texts: Mapping[str, str]) -> list[Flag]:
    """Advice for each field (label -> executive-facing text), with the fragment as written."""
    return [flag for label, text in texts.items() for flag in find_flags(text, label)]


def terms_used(texts: Iterable[str]) -> list[Term]:
    """Distinct terms across `texts`, alphabetical: the glossary appended to the brief."""
    used = {term for text in texts for term in find_jargon(text)}
    return sorted(used, key=lambda term: (term.term.casefold(), term.term))
