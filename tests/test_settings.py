import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured

from escalation.settings import envbool, envdecimal, envint, envlist, envzone

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("off", False), ("", True)]
)
def test_envbool_reads_common_spellings(raw: str, expected: bool) -> None:
    with mock.patch.dict(os.environ, {"FLAG": raw}):
        assert envbool("FLAG", True) is expected


@pytest.mark.parametrize(
    ("helper", "raw"),
    [
        (envbool, "maybe"),
        (envint, "ten"),
        (envint, "-3"),
        (envdecimal, "NaN"),
        (envdecimal, "abc"),
        (envzone, "Mars/Base"),
    ],
)
def test_env_helpers_refuse_bad_values(helper: object, raw: str) -> None:
    with (
        mock.patch.dict(os.environ, {"VALUE": raw}),
        pytest.raises(ImproperlyConfigured, match="VALUE"),
    ):
        if helper is envdecimal:
            envdecimal("VALUE", "1")
        elif helper is envzone:
            envzone("VALUE", "UTC")
        elif helper is envint:
            envint("VALUE", 1)
        else:
            envbool("VALUE", False)


def test_envlist_splits_on_commas() -> None:
    with mock.patch.dict(os.environ, {"HOSTS": "a.example, b.example,,"}):
        assert envlist("HOSTS") == ["a.example", "b.example"]


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "-c", "import escalation.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_redis_url_gives_a_working_shared_cache_for_sessions() -> None:
    # README offers REDIS_URL for the shared cache; its client library must be installed.
    program = (
        "import django; django.setup()\n"
        "from django.core.cache import caches\n"
        "cache = caches['default']\n"
        "from django.conf import settings\n"
        "print(type(cache).__name__, settings.SESSION_ENGINE.rsplit('.', 1)[1])\n"
        "import redis\n"
        "try:\n"
        "    cache.set('probe', 1); print(cache.get('probe'))\n"
        "except redis.ConnectionError:\n"
        "    print('unreachable')\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "escalation.settings",
        "DEBUG": "1",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
    }
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    kind, outcome = result.stdout.splitlines()[0], result.stdout.splitlines()[1]
    assert kind == "RedisCache cached_db"
    if outcome == "unreachable":
        pytest.skip("no Redis server on 127.0.0.1:6379")
    assert outcome == "1"


@pytest.mark.parametrize(("raw", "expected"), [(None, "2"), ("0", "None"), ("5", "5")])
def test_postgresql_prepares_repeated_queries_unless_told_not_to(
    raw: str | None, expected: str
) -> None:
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/escalation",
    }
    env.pop("DATABASE_PREPARE_THRESHOLD", None)
    if raw is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = raw
    program = (
        "from escalation import settings\n"
        "options = settings.DATABASES['default']['OPTIONS']\n"
        "print(options['server_side_binding'], options['prepare_threshold'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", expected]


@pytest.mark.parametrize(("raw", "message"), [("0", "at least 1"), ("129", "at most 128")])
def test_the_ipv6_rate_limit_prefix_is_a_prefix_length(raw: str, message: str) -> None:
    env = {**os.environ, "DEBUG": "1", "RATE_LIMIT_IPV6_PREFIX": raw}
    result = subprocess.run(
        [sys.executable, "-c", "import escalation.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert f"RATE_LIMIT_IPV6_PREFIX must be {message}" in result.stderr
