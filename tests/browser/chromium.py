"""Debian's Chromium as this machine runs it: the browser tests drive it through Playwright and
the bench prints a PDF with it (bench/run.py), so both start it with the same flags."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Playwright's own browser builds cannot be downloaded here; these flags keep Debian's
# Chromium from reaching the network or needing a sandbox, a GPU or a big /dev/shm.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
