"""An unbroken word wraps in the PDF instead of running off the page (static/css/pdf.css)."""

import re
from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from briefs.seed import make_estimate, make_incident
from briefs.services import update_post

# 2,000 characters without a break opportunity: a pasted hash, token or minified line.
WORD = "0123456789" * 200


def test_a_two_thousand_character_word_wraps_onto_many_lines(owner: User, tmp_path: Path) -> None:
    incident = make_incident(owner=owner, root_cause=WORD[:1000], mitigation="Rolled back.")
    make_estimate(incident=incident)
    update_post(
        incident=incident,
        author=owner,
        what_changed=WORD,
        next_update_due=timezone.now() + timedelta(hours=1),
    )
    output = tmp_path / "brief.pdf"
    call_command("export_pdf", str(incident.public_id), "-o", str(output))

    lines = "\n".join(page.extract_text() for page in PdfReader(output).pages).splitlines()
    # The word's pieces are the only long runs of digits in the brief.
    runs = [run for line in lines for run in re.findall(r"\d{30,}", line)]
    pieces = "".join(runs)
    # Every character is printed (root cause, then update, in page order), none cut off ...
    assert WORD[:1000] in pieces
    assert WORD in pieces
    # ... on many lines, each as wide as a line of the page allows, not one line off its edge.
    assert len(runs) >= 2000 // 130
    assert max(len(run) for run in runs) < 130
