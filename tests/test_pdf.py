"""The brief as a PDF: the same facts as the page, safe against hostile text, bounded in time."""

import io
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from briefs.models import CeoDecision, Incident
from briefs.seed import make_estimate, make_incident, make_order_outage
from briefs.services import share_link_create, update_post
from tests.factories import ANSWER_FIELDS, SECTIONS, pdf_text, post_updates

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=3)

SSRF = [
    '<img src="http://127.0.0.1:9/x">',
    '<link rel="attachment" href="file:///etc/passwd">',
    "<style>@import url(http://169.254.169.254/latest);</style>",
    '<iframe src="http://localhost:5432/"></iframe>',
]
XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</title><script>alert(2)</script>",
    "javascript:alert(3)",
    "{{ 7*7 }} {% now 'Y' %}",
]
TEXT_FIELDS = ["title", *ANSWER_FIELDS, "remediation_overseer"]


pytestmark = pytest.mark.usefixtures("frozen")


def page_count(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def brief(owner: User) -> Incident:
    """The demo's order outage three hours in, no updates yet."""
    return make_order_outage(owner=owner, start=START, now=NOW)


def test_pdf_holds_the_key_figures_every_section_and_every_entry(
    owner_client: Client, brief: Incident
) -> None:
    post_updates(
        incident=brief,
        first_at=START + timedelta(minutes=20),
        count=3,
        what_changed="Timeline entry number {number}",
    )
    response = owner_client.get(f"/incidents/{brief.public_id}/pdf")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in ["$144,000", "$48,000", "12,500", "Order processing outage"]:
        assert expected in text
    for heading in [*SECTIONS, "Timeline of updates"]:
        assert heading in text
    for number in range(3):
        assert f"Timeline entry number {number}" in text
    assert "Page 1 of" in text
    assert "Confidential" in text
    assert "Generated 1 Mar 2026, 11:00 UTC" in text


def test_pdf_metadata_title_and_file_name(owner_client: Client, brief: Incident) -> None:
    response = owner_client.get(f"/incidents/{brief.public_id}/pdf")
    metadata = PdfReader(io.BytesIO(response.content)).metadata
    assert metadata is not None
    assert metadata.title == "Order processing outage"
    assert 'filename="order-processing-outage-brief.pdf"' in response["Content-Disposition"]


def test_page_count_grows_with_the_timeline(
    owner_client: Client, brief: Incident, owner: User
) -> None:
    short = owner_client.get(f"/incidents/{brief.public_id}/pdf").content
    long_incident = make_incident(
        owner=owner, started_at=START, detected_at=START, escalated_at=START
    )
    make_estimate(incident=long_incident, effective_at=START)
    post_updates(incident=long_incident, first_at=START + timedelta(minutes=20), count=120)
    long = owner_client.get(f"/incidents/{long_incident.public_id}/pdf").content
    assert page_count(long) > page_count(short)


def test_letter_size_on_request(owner_client: Client, brief: Incident) -> None:
    response = owner_client.get(f"/incidents/{brief.public_id}/pdf?size=letter")
    box = PdfReader(io.BytesIO(response.content)).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_architect_export_can_append_the_script_and_glossary(
    owner_client: Client, brief: Incident
) -> None:
    Incident.objects.filter(pk=brief.pk).update(
        mitigation="We did a rollback.", updated_at=timezone.now()
    )
    text = pdf_text(owner_client.get(f"/incidents/{brief.public_id}/pdf?appendix=1").content)
    assert "Appendix: the meeting script" in text
    assert "Appendix: glossary" in text
    assert "rollback" in text.lower()


def test_a_second_download_of_an_unchanged_brief_costs_no_render(
    owner_client: Client, brief: Incident
) -> None:
    first = owner_client.get(f"/incidents/{brief.public_id}/pdf")
    with mock.patch("briefs.pdf_engine.run_in_child", side_effect=AssertionError("rendered again")):
        second = owner_client.get(f"/incidents/{brief.public_id}/pdf")
        not_modified = owner_client.get(
            f"/incidents/{brief.public_id}/pdf", headers={"If-None-Match": first["ETag"]}
        )
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert not_modified.status_code == 304


def test_hostile_text_in_every_field_renders_as_literal_text_without_any_request(
    owner_client: Client, owner: User
) -> None:
    payload = " ".join(SSRF)
    incident = make_incident(
        owner=owner,
        started_at=START,
        detected_at=START,
        **{
            field: payload[:200]
            if field in {"title", "system", "remediation_overseer"}
            else payload
            for field in TEXT_FIELDS
        },
    )
    make_estimate(incident=incident, effective_at=START, other_impact=payload, basis=payload)
    CeoDecision.objects.create(
        incident=incident,
        question=payload[:300],
        options=payload,
        trade_offs=payload,
        recommendation=payload[:300],
    )
    update_post(
        incident=incident,
        author=owner,
        what_changed=payload,
        next_steps=payload,
        next_update_due=NOW + timedelta(hours=1),
    )

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the PDF tried to open a connection")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(socket, "getaddrinfo", refuse),
    ):
        response = owner_client.get(f"/incidents/{incident.public_id}/pdf?appendix=1")
    assert response.status_code == 200
    assert b"/EmbeddedFile" not in response.content
    text = pdf_text(response.content)
    assert "http://127.0.0.1:9/x" in text
    assert "file:///etc/passwd" in text


@pytest.mark.parametrize("payload", XSS)
def test_xss_stays_escaped_in_page_fragment_pdf_markdown_and_metadata(
    owner_client: Client, client: Client, owner: User, payload: str
) -> None:
    incident = make_incident(
        owner=owner,
        title=payload[:200],
        started_at=START,
        detected_at=START,
        root_cause=payload,
        mitigation=payload,
    )
    make_estimate(incident=incident, effective_at=START, other_impact=payload)
    update_post(
        incident=incident,
        author=owner,
        what_changed=payload,
        next_update_due=NOW + timedelta(hours=1),
    )
    _, token = share_link_create(incident=incident, created_by=owner, label=payload[:100])
    raw = payload.encode()
    pages = [
        owner_client.get(f"/incidents/{incident.public_id}/"),
        owner_client.get(
            f"/incidents/{incident.public_id}/?fragment=live", headers={"HX-Request": "true"}
        ),
        client.get(f"/b/{token}"),
        client.get(f"/b/{token}?fragment=live", headers={"HX-Request": "true"}),
        owner_client.get(f"/incidents/{incident.public_id}/brief.md"),
        client.get(f"/b/{token}/brief.md"),
    ]
    for response in pages:
        assert response.status_code == 200
        if "<" in payload:
            assert raw not in response.content, response.request["PATH_INFO"]
        if "{{" in payload:
            # Shown, never evaluated (the Markdown export escapes the asterisk).
            assert re.search(rb"\{\{ 7\\?\*7 \}\}", response.content)
    document = owner_client.get(f"/incidents/{incident.public_id}/pdf").content
    metadata = PdfReader(io.BytesIO(document)).metadata
    assert metadata is not None
    assert metadata.title == payload[:200]
    assert " ".join(payload.split()) in pdf_text(document)


def test_markdown_keeps_quotes_readable(owner_client: Client, brief: Incident) -> None:
    Incident.objects.filter(pk=brief.pk).update(root_cause='Yesterday\'s "hotfix" <b>')
    text = owner_client.get(f"/incidents/{brief.public_id}/brief.md").content.decode()
    # Plain characters: only what Markdown would read as a tag is escaped, with a backslash.
    assert 'Yesterday\'s "hotfix" \\<b\\>' in text


def test_a_render_over_the_time_limit_gives_a_clear_error_page(
    owner_client: Client, brief: Incident, settings: Any
) -> None:
    settings.PDF_RENDER_TIMEOUT_SECONDS = 1
    with mock.patch(
        "briefs.pdf_engine._render", side_effect=lambda *a, **k: __import__("time").sleep(5)
    ):
        response = owner_client.get(f"/incidents/{brief.public_id}/pdf")
    assert response.status_code == 503
    assert "took too long" in response.content.decode()


def test_executive_can_download_the_pdf(client: Client, brief: Incident, owner: User) -> None:
    _, token = share_link_create(incident=brief, created_by=owner, label="CEO")
    response = client.get(f"/b/{token}/pdf")
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "no-referrer"
    assert "Order processing outage" in pdf_text(response.content)


def test_export_pdf_from_the_shell(brief: Incident, tmp_path: Path) -> None:
    target = tmp_path / "brief.pdf"
    call_command("export_pdf", str(brief.public_id), "-o", str(target))
    assert "Order processing outage" in pdf_text(target.read_bytes())


def test_long_timelines_print_the_last_day_in_full_and_older_days_in_one_line(
    owner_client: Client, owner: User
) -> None:
    incident = make_incident(
        owner=owner,
        started_at=START - timedelta(days=3),
        detected_at=START - timedelta(days=3),
        escalated_at=START - timedelta(days=3),
    )
    make_estimate(incident=incident, effective_at=START - timedelta(days=3))
    for hour in range(0, 72, 6):
        posted = START - timedelta(days=3) + timedelta(hours=hour)
        update_post(
            incident=incident,
            author=owner,
            what_changed=f"Entry at hour {hour}",
            posted_at=posted,
            next_update_due=posted + timedelta(hours=6),
        )
    text = pdf_text(owner_client.get(f"/incidents/{incident.public_id}/pdf").content)
    assert "Entry at hour 66" in text
    assert "Entry at hour 0" not in text
    assert "earlier days in one line each" in text
    assert "4 updates" in text
