"""manage.py says what to do about a missing setting or database, in one line (issue 20, 1, 6)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_missing_secret_key_is_one_line_naming_it() -> None:
    line = assert_one_line(manage("migrate"))
    assert line.startswith("manage.py: SECRET_KEY must be set when DEBUG is off")
    assert "DEBUG=1" in line


def test_a_bad_setting_is_one_line_naming_the_variable() -> None:
    line = assert_one_line(manage("check", DEBUG="1", PDF_PAGE_SIZE="A3"))
    assert line == "manage.py: PDF_PAGE_SIZE must be A4 or letter, not 'A3'"


def test_an_unreachable_postgresql_is_one_line_naming_database_url_and_the_host() -> None:
    # Port 1 refuses at once; the pool still waits its 10 s before giving up.
    url = "postgresql://postgres:hunter2secret@127.0.0.1:1/escalation"
    line = assert_one_line(manage("migrate", DEBUG="1", DATABASE_URL=url))
    assert "DATABASE_URL (127.0.0.1:1/escalation)" in line
    assert "Connection refused" in line
    assert "hunter2secret" not in line


def test_a_database_without_tables_says_to_migrate_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    line = assert_one_line(manage("demo", DEBUG="1", DATABASE_URL=url))
    assert "run `make migrate` first" in line
    assert "empty.sqlite3" in line


def test_traceback_flag_keeps_the_traceback() -> None:
    result = manage("migrate", "--traceback")
    assert result.returncode == 1
    assert "Traceback" in result.stderr
