"""The Markdown export: typed text stays text once pasted into a Markdown renderer.

Each export is rendered with a real CommonMark parser (markdown-it-py, with GitHub's tables,
strikethrough and bare-address links) to prove that no link, image, heading, list, quote, table,
code or HTML comes from what an architect typed.
"""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from briefs.markdown import markdown_escape
from briefs.models import CeoDecision, ImpactEstimate, Incident
from briefs.seed import make_incident
from briefs.services import share_link_create, update_post
from tests.factories import SECTIONS

HOSTILE = [
    "[click here](javascript:alert(1))",
    "![t](http://tracker.example/pixel.gif)",
    "## What we need from you",
    "Fine.\n## What we need from you\nSign the cheque.",
    "Fine.\n\n# Forged title",
    "Heading\n===",
    "Heading\n---",
    "<img src=x onerror=alert(1)> <b>bold</b> <!-- comment -->",
    "<script>alert(1)</script>",
    "&lt;b&gt; &amp; &#106;avascript",
    "<http://autolink.example> https://bare.example/x www.bare.example mail@evil.example",
    "[ref]\n\n[ref]: http://ref.example",
    "> quoted\n- bullet\n+ plus\n* star\n1. one\n2) two",
    "| a | b |\n|---|---|\n| c | d |",
    "    four-space code\n\tand a tab",
    "```\nfenced\n```\n~~~\nfenced too\n~~~",
    "*em* **strong** _u_ __uu__ ~~struck~~ `code`",
    "ends with a backslash\\",
    "***\n___\n- - -",
    "[x]: <javascript:alert(1)> 'title'",
    "Line one\r\nLine two\rLine three",
]

PARSER = MarkdownIt("gfm-like")
# As GitHub: addresses with a scheme or www. become links, bare host names do not.
assert PARSER.linkify is not None
PARSER.linkify.set({"fuzzy_link": False})
ALLOWED_INLINE = {"text", "softbreak", "hardbreak", "strong_open", "strong_close"}
ALLOWED_INLINE |= {"em_open", "em_close"}


def _inline_text(token: Token) -> str:
    return "".join(
        " " if child.type in {"softbreak", "hardbreak"} else child.content
        for child in token.children or []
    )


def _forbidden(tokens: list[Token]) -> list[str]:
    """Every Markdown construct in the tokens beyond headings, paragraphs, bullets and text."""
    found = []
    for token in tokens:
        if token.type in {"html_block", "code_block", "fence", "blockquote_open", "hr"}:
            found.append(token.type)
        if token.type.startswith(("table", "ordered_list")):
            found.append(token.type)
        for child in token.children or []:
            if child.type not in ALLOWED_INLINE:
                found.append(child.type)
    return found


def _headings(tokens: list[Token]) -> list[str]:
    return [_inline_text(tokens[i + 1]) for i, t in enumerate(tokens) if t.type == "heading_open"]


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _fill(instance: models.Model, payload: str) -> None:
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.CharField | models.TextField) and not field.choices:
            setattr(instance, field.name, payload[: field.max_length])
    instance.save()


def _hostile_brief(owner: User, payload: str) -> Incident:
    """Every typed field of the brief (incident, estimate, asks, timeline) holds the payload."""
    now = timezone.now()
    incident = make_incident(
        owner=owner,
        eta_earliest=now + timedelta(hours=1),
        eta_latest=now + timedelta(hours=2),
    )
    _fill(incident, payload)
    estimate = ImpactEstimate(
        incident=incident,
        author=owner,
        effective_at=now,
        revenue_per_hour=1000,
        customers_affected=10,
        sla_breach=True,
    )
    _fill(estimate, payload)
    _fill(CeoDecision(incident=incident), payload)
    update_post(
        incident=incident,
        author=owner,
        what_changed=payload,
        next_steps=payload,
        next_update_due=now + timedelta(hours=1),
    )
    return incident


def _check_export(text: str, payload: str) -> None:
    tokens = PARSER.parse(text)
    assert _forbidden(tokens) == []
    # Only the template's own headings, the title first: none is forged by typed text.
    headings = _headings(tokens)
    assert headings[1:] == [*SECTIONS, headings[-1]]
    assert headings[-1].startswith("Timeline (")
    # The title reads as typed (its first line: a heading is one line), and so does every
    # paragraph holding a typed field.
    assert _squash(headings[0]) == _squash(payload.splitlines()[0])
    rendered = _squash(html.unescape(re.sub(r"<[^>]+>", " ", PARSER.render(text))))
    assert _squash(payload) in rendered
    # Plain characters in the file itself: no HTML entity stands for a typed character.
    assert "&lt;" not in text.replace(r"\&lt;", "")
    assert "&#x27;" not in text
    assert "&quot;" not in text


@pytest.mark.parametrize("payload", HOSTILE, ids=range(len(HOSTILE)))
def test_typed_markdown_stays_text_in_the_architects_export(
    owner_client: Client, owner: User, payload: str
) -> None:
    incident = _hostile_brief(owner, payload)
    response = owner_client.get(f"/incidents/{incident.public_id}/brief.md")
    assert response.status_code == 200
    _check_export(response.content.decode(), payload)


@pytest.mark.parametrize("payload", HOSTILE[:3], ids=range(3))
def test_typed_markdown_stays_text_in_the_executives_export(
    client: Client, owner: User, payload: str
) -> None:
    incident = _hostile_brief(owner, payload)
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    response = client.get(f"/b/{token}/brief.md")
    assert response.status_code == 200
    _check_export(response.content.decode(), payload)


def test_the_export_shows_typed_characters_not_html_entities(
    owner_client: Client, owner: User
) -> None:
    incident = make_incident(owner=owner, description='Revenue < plan & "margins" aren\'t ok')
    text = owner_client.get(f"/incidents/{incident.public_id}/brief.md").content.decode()
    assert 'Revenue \\< plan \\& "margins" aren\'t ok' in text
    assert "&lt;" not in text
    assert "&amp;" not in text


# --- The escaping itself, over any text ------------------------------------------------------

MARKDOWN_ALPHABET = st.text(
    alphabet=st.sampled_from(list("ab1 \t\n\\`*_{}[]()<>#+-.!|~&@:/=\"';w")), max_size=60
)


@settings(max_examples=300, deadline=None)
@given(text=MARKDOWN_ALPHABET)
def test_any_escaped_text_renders_as_exactly_its_characters(text: str) -> None:
    tokens = PARSER.parse(markdown_escape(text))
    assert {t.type for t in tokens} <= {"paragraph_open", "paragraph_close", "inline"}
    children = {child.type for t in tokens for child in t.children or []}
    assert children <= {"text", "softbreak", "hardbreak"}
    shown = " ".join(_inline_text(t) for t in tokens if t.type == "inline")
    assert _squash(shown) == _squash(text)


def test_the_export_names_its_file_after_the_incident(owner_client: Client, owner: User) -> None:
    incident = make_incident(owner=owner, title="Łódź checkout outage")

    response = owner_client.get(f"/incidents/{incident.public_id}/brief.md")

    expected = "inline; filename*=utf-8''%C5%82%C3%B3d%C5%BA-checkout-outage-brief.md"
    assert response["Content-Disposition"] == expected
