"""The README's "Using it" shows screenshots the browser journeys keep up to date (issue 20, 3)."""

import re
from pathlib import Path

from tests.browser.support import README_SCREENS, README_SHOTS

ROOT = Path(__file__).resolve().parent.parent
MAX_BYTES = 150 * 1024


def readme_images() -> set[Path]:
    text = (ROOT / "README.md").read_text()
    found = re.findall(r"!\[[^\]]*\]\(([^)]+)\)|<img src=\"([^\"]+)\"", text)
    return {Path(markdown or html) for markdown, html in found}


def test_the_readme_shows_only_screenshots_the_browser_journeys_refresh() -> None:
    shown = readme_images()
    refreshed = {README_SCREENS.relative_to(ROOT) / name for name in README_SHOTS.values()}
    assert len(shown) >= 3
    assert shown == refreshed


def test_the_readme_screenshots_are_committed_and_small() -> None:
    for name in README_SHOTS.values():
        path = README_SCREENS / name
        assert path.is_file(), f"{path}: run make test PYTEST_ARGS='-m browser'"
        assert path.stat().st_size < MAX_BYTES, f"{path} is {path.stat().st_size} bytes"
