"""What only tests need: reading forms, pages and PDFs as a user would. The rows themselves come
from the seed world's builders in briefs/seed.py, which the demo and the bench share."""

import io
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

from django.contrib.auth.models import User
from pypdf import PdfReader

from briefs.models import Incident
from briefs.seed import make_estimate, make_incident
from briefs.services import update_post

PASSWORD = "correct-horse-battery"

# The brief's full sections, in the order the page, the PDF and the Markdown give them; the
# timeline follows, under a heading each format words its own way.
SECTIONS = [
    "What happened",
    "Business impact",
    "Root cause",
    "What we are doing",
    "When it will be resolved",
    "What we need from you",
    "Preventing a recurrence",
    "Accountability",
]
# The wizard's free-text answers that the brief prints as prose.
ANSWER_FIELDS = [
    "system",
    "description",
    "root_cause",
    "mitigation",
    "dependencies",
    "recurrence_risk",
    "preventive_measures",
    "monitoring_changes",
    "resources_needed",
    "accountability",
]


def post_updates(
    *, incident: Incident, first_at: datetime, count: int, what_changed: str = "Update {number}"
) -> None:
    """`count` updates a minute apart from `first_at`, each promising the next within the hour."""
    for number in range(count):
        posted = first_at + timedelta(minutes=number)
        update_post(
            incident=incident,
            author=incident.owner,
            what_changed=what_changed.format(number=number),
            posted_at=posted,
            next_update_due=posted + timedelta(hours=1),
        )


def make_revised_incident(*, owner: User, start: datetime) -> Incident:
    """$48,000/h from `start` + 20 min, revised to $52,000/h at + 4 h and to $30,000/h at + 10 h:
    the demo's estimates, as the cost and chart tests compute them by hand."""
    incident = make_incident(
        owner=owner, started_at=start, detected_at=start, escalated_at=start + timedelta(minutes=30)
    )
    for rate, after in [
        ("48000", timedelta(minutes=20)),
        ("52000", timedelta(hours=4)),
        ("30000", timedelta(hours=10)),
    ]:
        make_estimate(incident=incident, revenue_per_hour=rate, effective_at=start + after)
    return incident


class _FormReader(HTMLParser):
    """Collects what a browser would send from one form of a page."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._first_option = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            # "" names the first form that posts to its own page (no action): the page's form.
            if self.form_id:
                self.inside = attributes.get("id") == self.form_id
            else:
                self.inside = "action" not in attributes and not self.done
                self.done = self.done or self.inside
        if not self.inside or "name" not in attributes and tag != "option":
            return
        name = attributes.get("name") or ""
        if tag == "input":
            kind = attributes.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self.data[name] = attributes.get("value") or "on"
            elif kind not in {"submit", "button"}:
                self.data[name] = attributes.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.data[name] = ""
        elif tag == "select":
            self._select = name
            self._first_option = True
        elif tag == "option" and self._select:
            # With no option selected, a browser sends the first.
            if self._first_option or "selected" in attributes:
                self.data[self._select] = attributes.get("value") or ""
            self._first_option = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            # A textarea's first newline belongs to the markup, not to the value.
            text = self.data[self._textarea] + data
            self.data[self._textarea] = text.removeprefix("\n")


def form_data(html: str, form_id: str = "") -> dict[str, str]:
    """The fields of the form `form_id` as a browser would submit them unchanged."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return reader.data


def pdf_text(content: bytes) -> str:
    """A PDF's text with single spaces: lines wrap wherever the layout puts them."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def visible_text(html: str) -> str:
    """A page's text without its tags, with single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
