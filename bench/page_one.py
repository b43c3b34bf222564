"""Page 1 of the demo's PDFs: words and reading grade (issue 12, "Done when").

Builds the demo in a throwaway SQLite database, renders both demo briefs as the executive's PDF
on A4 and on letter, and prints for each page 1's word count and Flesch-Kincaid grade (and the
whole text's, for comparison). Words are pypdf's text split at white space, as the test counts
them: a "·" or "–" between figures counts as a word, so the count errs high. Run it as
`.venv/bin/python bench/page_one.py`; `--show` prints page 1's text, `--out DIR` keeps the PDFs.
The 350-word budget is also a test (tests/test_page_one.py).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’$%,.:-]*")
VOWELS = re.compile(r"[aeiouy]+")


def words(text: str) -> list[str]:
    """Words as a reader counts them: runs of letters or digits ("$4,950", "18:46", "SEV1")."""
    return WORD.findall(text)


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate, within a syllable of a
    dictionary for most English words. A number or an acronym counts one per group read."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    if not letters:
        return 1
    count = len(VOWELS.findall(letters))
    if letters.endswith("e") and not letters.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(count, 1)


def sentences(text: str, *, by_line: bool = True) -> int:
    """Sentence ends. With `by_line`, each line of the layout (a heading, a figure, a list item)
    counts as at least one: page 1 is mostly short labelled lines, and reading them as one run
    would make sentences of 40 words. Without it, only ". ! ? …" end a sentence, as the
    readability tools count prose: the higher, more pessimistic grade."""
    ends = r"[.!?…](?=\s|$)"
    if not by_line:
        return max(len(re.findall(ends, text)), 1)
    count = 0
    for line in text.splitlines():
        if line.strip():
            count += max(len(re.findall(ends, line)), 1)
    return max(count, 1)


def flesch_kincaid_grade(text: str, *, by_line: bool = True) -> float:
    """0.39 (words / sentences) + 11.8 (syllables / words) - 15.59."""
    found = words(text)
    if not found:
        return 0.0
    total = sum(syllables(word) for word in found)
    return 0.39 * len(found) / sentences(text, by_line=by_line) + 11.8 * total / len(found) - 15.59


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print page 1's text")
    parser.add_argument("--out", type=Path, help="also write the PDFs to this folder")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="page-one-"))
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'demo.sqlite3'}"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

    import django

    django.setup()
    from django.core.management import call_command
    from pypdf import PdfReader

    from briefs.exports import brief_pdf
    from briefs.models import Incident
    from briefs.seed import ORDER_OUTAGE, SEARCH_OUTAGE

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("demo", "--force", stdout=io.StringIO())
    print(
        "| brief | size | pages | page-1 words | page-1 FK grade (lines; prose) "
        "| whole-PDF FK grade (lines; prose) |"
    )
    print("|---|---|---|---|---|---|")
    for title in [ORDER_OUTAGE, SEARCH_OUTAGE]:
        incident = Incident.objects.get(title=title)
        for size in ["A4", "letter"]:
            content = brief_pdf(
                incident,
                zone=ZoneInfo("UTC"),
                size=size,
                appendix=False,
                base_url="http://127.0.0.1:8000/",
            )
            if args.out:
                args.out.mkdir(parents=True, exist_ok=True)
                (args.out / f"{incident.pk}-{size}.pdf").write_bytes(content)
            pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
            first, whole = pages[0], "\n".join(pages)
            print(
                f"| {title} | {size} | {len(pages)} | {len(first.split())} "
                f"| {flesch_kincaid_grade(first):.1f}; "
                f"{flesch_kincaid_grade(first, by_line=False):.1f} "
                f"| {flesch_kincaid_grade(whole):.1f}; "
                f"{flesch_kincaid_grade(whole, by_line=False):.1f} |"
            )
            if args.show:
                print(first, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
