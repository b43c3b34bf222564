from unittest import mock

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.fixtures import Settings

from briefs import health

# A cache outside the database, as Redis is (REDIS_URL).
LOCAL_CACHE = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def test_healthz_reports_ok_without_login(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_checks_the_database_cache_and_the_database_in_one_query(
    client: Client, db: None, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1) as captured:
        assert client.get("/healthz").status_code == 200
    assert "django_cache" in captured.captured_queries[0]["sql"]


def test_healthz_answers_503_naming_the_database_when_it_is_unreachable(
    client: Client, db: None
) -> None:
    with mock.patch("briefs.health.connection.cursor", side_effect=OperationalError("x")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "cache": "unreachable"}


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_503_naming_the_cache_when_its_table_is_missing(client: Client) -> None:
    # Committed, as a request outside a test's transaction runs: the failed read must not
    # make the database look down too.
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE django_cache")
    try:
        response = client.get("/healthz")
    finally:
        call_command("createcachetable")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "unreachable"}


def test_healthz_names_the_cache_when_a_separate_cache_is_down(
    client: Client, db: None, settings: Settings
) -> None:
    settings.CACHES = {**settings.CACHES, "default": LOCAL_CACHE}
    with mock.patch.object(caches["default"], "get", side_effect=ConnectionError("refused")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "unreachable"}


def test_healthz_checks_the_database_itself_when_the_cache_is_elsewhere(
    client: Client, db: None, settings: Settings
) -> None:
    settings.CACHES = {**settings.CACHES, "default": LOCAL_CACHE}
    with mock.patch("briefs.health.connection.cursor", side_effect=OperationalError("x")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "cache": "ok"}


def test_healthz_refuses_post(client: Client, db: None) -> None:
    assert client.post("/healthz").status_code == 405


def test_health_check_names_each_dependency_ok_or_unreachable(db: None) -> None:
    assert health.check() == {"database": "ok", "cache": "ok"}
    with mock.patch("briefs.health.connection.cursor", side_effect=OperationalError("x")):
        assert health.check() == {"database": "unreachable", "cache": "unreachable"}


def test_health_check_tries_the_database_alone_only_when_the_cache_table_fails(
    db: None, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # Its table missing (a read that fails at once): the database answers `SELECT 1` itself.
    with mock.patch("briefs.health._answers", side_effect=[False, True]) as answers:
        assert health.check() == {"database": "ok", "cache": "unreachable"}
    assert [call.args[0] for call in answers.call_args_list][1] == "SELECT 1"
    with django_assert_num_queries(1):
        health.check()
