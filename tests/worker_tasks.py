"""Jobs for tests/test_worker.py only: a job that holds its worker until the test lets it go."""

import time
from pathlib import Path

from django.tasks import task


@task
def wait_for(path: str) -> str:
    """Note each attempt in `path`.attempts, then wait for `path` to exist and return its text."""
    release = Path(path)
    with release.with_suffix(".attempts").open("a") as attempts:
        attempts.write("started\n")
    while not release.exists():
        time.sleep(0.05)
    return release.read_text()
