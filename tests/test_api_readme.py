"""The README's curl examples for the JSON API, run as written against the demo's data."""

import os
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from briefs.models import Incident, ShareLink
from briefs.seed import ORDER_OUTAGE
from briefs.services import api_token_create

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- api-examples:"


def _examples() -> str:
    text = README.read_text()
    found = re.search(re.escape(MARKER) + r".*?-->\n```sh\n(.*?)```", text, re.S)
    assert found, "the README's API examples block is missing"
    return found.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.django_db(transaction=True)
def test_the_readme_api_examples_work_against_the_demo(
    live_server: LiveServer, tmp_path: Path
) -> None:
    call_command("demo", "--force", stdout=StringIO())
    architect = User.objects.get(username="architect")
    _, token = api_token_create(user=architect, name="readme")
    lines = _examples().splitlines()
    # The token line runs manage.py against the development database; the test's token
    # stands in for what it prints.
    assert lines[0].startswith("TOKEN=$(.venv/bin/python manage.py api_token_create architect")
    script = "\n".join(lines[1:]).replace("http://127.0.0.1:8000", live_server.url)
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={**os.environ, "TOKEN": token},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outage = Incident.objects.get(title=ORDER_OUTAGE, owner=architect)
    assert str(outage.public_id) in done.stdout
    newest = outage.updates.order_by("-sequence").first()
    assert newest is not None and newest.what_changed.startswith("Card payments are back")
    assert ShareLink.objects.filter(incident=outage, label="Board").exists()
    # The PDF: stored and sent (the immediate task backend rendered it), or still rendering.
    status = done.stdout.strip().splitlines()[-1]
    assert status in {"200 application/pdf", "202 application/problem+json"}, status
    if status.startswith("200"):
        assert (tmp_path / "brief.pdf").read_bytes()[:4] == b"%PDF"
