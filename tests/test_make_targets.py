"""The `make` targets a newcomer types from the README (issue 20, items 1 and 2)."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Minutes long and not in CI (README, "Performance" and "Load").
LONG_TARGETS = {"bench", "loadtest"}


def readme_targets() -> set[str]:
    return set(re.findall(r"\bmake ([a-z]+)", (ROOT / "README.md").read_text()))


def make(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def environment_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names and not k.startswith("MAKE")}


def test_every_make_target_the_readme_names_exists_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text()
    defined = set(re.findall(r"^([a-z]+):", makefile, flags=re.MULTILINE))
    named = readme_targets()
    assert {"install", "migrate", "demo", "run", "test", "check", "backup", "restore"} <= named
    assert named - defined == set()


def test_ci_runs_every_target_the_readme_names_in_a_clean_clone() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    clone_steps = script.split("git clone", 1)[1]
    ran = set(re.findall(r"\bmake (?:--no-print-directory )?([a-z]+(?: [a-z]+)*)", clone_steps))
    ran_targets = {target for line in ran for target in line.split()}
    assert readme_targets() - LONG_TARGETS - ran_targets == set()


def test_make_defaults_to_debug_only_without_a_secret_key() -> None:
    show = ["-s", "--eval", 'show-debug: ; @echo "[$$DEBUG]"', "show-debug"]
    fresh_clone = environment_without("DEBUG", "SECRET_KEY")
    production = {**fresh_clone, "SECRET_KEY": "from-the-environment"}
    assert make(*show, env=fresh_clone).strip() == "[1]"
    # `make backup`, `restore` and `migrate` in production: DEBUG stays off.
    assert make(*show, env=production).strip() == "[]"
    assert make(*show, env={**fresh_clone, "DEBUG": "0"}).strip() == "[0]"


def test_make_run_serves_and_prints_links_on_the_port_asked_for() -> None:
    env = environment_without("DEBUG", "SECRET_KEY", "SITE_URL")
    chosen = make("-n", "run", "PORT=8001", env=env)
    assert "SITE_URL=http://127.0.0.1:8001 .venv/bin/python manage.py demo" in chosen
    # The worker too: the links it mails name the port served.
    assert "SITE_URL=http://127.0.0.1:8001 .venv/bin/honcho" in chosen
    assert "--procfile Procfile.dev --port 8001" in chosen
    default = make("-n", "run", env={**env, "SITE_URL": "http://briefs.example.com"})
    assert "SITE_URL=http://127.0.0.1:8000 .venv/bin/python manage.py demo" in default
    assert "--procfile Procfile.dev --port 8000" in default


def test_make_targets_stop_at_a_bad_setting_in_one_line() -> None:
    env = {**environment_without("DEBUG", "SECRET_KEY"), "PDF_PAGE_SIZE": "A3"}
    # PYTEST_ARGS: were the settings check ever gone, `make test` here would not run the suite.
    for target in ("migrate", "typecheck", "test"):
        result = subprocess.run(
            ["make", "--no-print-directory", target, "PYTEST_ARGS=--collect-only -q -k none"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode != 0, target
        lines = [line for line in result.stderr.splitlines() if not line.startswith("make: ***")]
        assert lines == ["manage.py: PDF_PAGE_SIZE must be A4 or letter, not 'A3'"], target
