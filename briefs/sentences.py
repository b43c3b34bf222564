"""Small rules for building sentences out of what people typed: case, articles, end punctuation.

The meeting script (`briefs.meeting_script`) is read aloud, so an answer set
inside a sentence must read as part of it: "pending how fast we can copy the data", not "pending
How fast we can copy the data..". These functions never change the words of an answer, only the
case of its first letter, the spaces between its words and the punctuation at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that keep their capital wherever they stand.
_ALWAYS_CAPITAL = _words(
    """I I'm I'll I've I'd Monday Tuesday Wednesday Thursday Friday Saturday Sunday January
    February March April May June July August September October November December"""
)
# Company and product names an architect is likely to start an answer with. Any other name is
# recognised when the incident's texts use it in the middle of a sentence (see `proper_names`).
KNOWN_NAMES = _words(
    """Akamai Amazon Android Apple Atlassian Azure Cloudflare Datadog Docker Fastly GitHub
    GitLab Google Heroku Kafka Kubernetes Linux Mastercard Microsoft MySQL Okta Oracle
    PagerDuty PayPal PostgreSQL Postgres Redis Salesforce Shopify Slack Stripe Twilio Visa
    Windows Zoom"""
)

_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_SPACES = re.compile(r"\s+")
# Closing quotes and brackets may follow the full stop of a typed sentence: `He said "stop."`
_CLOSERS = "\"'”’)]»"
_TERMINAL = ".!?"
# Punctuation that cannot end a sentence: it is dropped before the sentence's own.
_TRAILING = ",;:-–—…"


def squash(text: str) -> str:
    """Runs of spaces and line breaks as one space: a script is read as one paragraph."""
    return _SPACES.sub(" ", text).strip()


def _first_word(text: str) -> re.Match[str] | None:
    match = _WORD.search(text)
    # Only a word at the very start counts: "[missing: …]" or "10% of orders" start otherwise.
    return match if match and match.start() == 0 else None


def _base(word: str) -> str:
    for suffix in ("'s", "’s", "s'", "s’"):
        if word.endswith(suffix):
            return word[: -len(suffix)] + ("s" if suffix[0] == "s" else "")
    return word


def proper_names(texts: Iterable[str]) -> set[str]:
    """Capitalised words the texts use in the middle of a sentence: names, kept as typed."""
    names: set[str] = set()
    for text in texts:
        for sentence in re.split(r"(?<=[.!?:;])\s+|\n+", text):
            for match in list(_WORD.finditer(sentence.strip()))[1:]:
                word = _base(match.group())
                if word[0].isupper():
                    names.add(word)
    return names


def capitalised_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text) if word[0].isupper()]


# A question typed without its question mark still gets one: "Do we restore now" -> "…now?"
_QUESTION_WORDS = _words(
    """do does did should shall can could will would is are was were may might must have has
    how what when where which who whom whose why whether"""
)


def is_question(text: str) -> bool:
    text = squash(text).rstrip(_TRAILING + ". ")
    if text.endswith("?"):
        return True
    match = _first_word(text)
    return match is not None and match.group().casefold() in _QUESTION_WORDS


def is_name(word: str, names: Iterable[str] = ()) -> bool:
    """Whether a capitalised word stays capitalised inside a sentence."""
    base = _base(word)
    if word in _ALWAYS_CAPITAL or base in KNOWN_NAMES or base in set(names):
        return True
    # "AWS", "GitLab", "PostgreSQL", "S3": capitals after the first letter make a name.
    return any(character.isupper() for character in base[1:])


def lower_first(text: str, names: Iterable[str] = ()) -> str:
    """The text as the middle of a sentence: "The backup provider" -> "the backup provider",
    while "Amazon", "AWS", "I" and the names in `names` keep their capital."""
    match = _first_word(text)
    if match is None or not match.group()[0].isupper() or is_name(match.group(), names):
        return text
    return text[0].lower() + text[1:]


def upper_first(text: str) -> str:
    """The text as the start of a sentence; "eBay" and "iOS" keep their case."""
    match = _first_word(text)
    if match is None or not match.group().islower():
        return text
    return text[0].upper() + text[1:]


def _split_closers(text: str) -> tuple[str, str]:
    body = text.rstrip(_CLOSERS)
    return body, text[len(body) :]


def clause(text: str, names: Iterable[str] = ()) -> str:
    """An answer to set inside a sentence: one line, no end punctuation, no capital unless it
    starts with a name."""
    body, closers = _split_closers(squash(text))
    body = body.rstrip(_TERMINAL + _TRAILING + " ")
    return lower_first(body + closers if body else "", names)


def sentence(text: str) -> str:
    """An answer as a sentence of its own: a capital at the start and one full stop (or the
    question or exclamation mark typed) at the end, never "..", "?." or ",."."""
    text = squash(text)
    body, closers = _split_closers(text)
    if closers and body[-1:] in _TERMINAL:
        return upper_first(text)
    question = text.rstrip(_TRAILING + ". ").endswith("?")
    text = text.rstrip(_TERMINAL + _TRAILING + " ")
    if not text:
        return ""
    return upper_first(text) + ("?" if question else "." if text[-1] not in _TERMINAL else "")


def after_colon(lead: str, text: str, names: Iterable[str] = ()) -> str:
    """ "lead: answer." with the answer in sentence-middle case."""
    return f"{lead}: {clause(text, names)}."


def count(number: int, singular: str, plural: str | None = None) -> str:
    """1 customer, 12,500 customers."""
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def ordinal_word(number: int) -> str:
    words = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth"]
    return words[number - 1] if 0 < number <= len(words) else f"Number {number}"


def noun_phrase(text: str, names: Iterable[str] = ()) -> str:
    """A system or service as the object of a sentence: "Checkout service" -> "our checkout
    service"; names ("Amazon S3", "GitLab.com", "Cloudflare's edge") stay as typed."""
    text = squash(text).rstrip(_TERMINAL + _TRAILING + " ")
    words = _WORD.findall(text)
    if _first_word(text) is None:
        return text
    first, later = words[0], words[1:]
    if first.casefold() in _DETERMINERS:
        return lower_first(text, names)
    if is_name(first, names) or _base(first) != first:
        return text
    # One capitalised word ("Checkout", "Cloudflare") may be a name; capitals further on
    # ("Amazon S3", "Google Cloud") make one.
    if (not later and not first.islower()) or any(not word.islower() for word in later):
        return text
    return f"our {lower_first(text, names)}"


_DETERMINERS = _words("""the our a an all their its every both each this that these""")
