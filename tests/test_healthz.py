from unittest import mock

from django.db import OperationalError
from django.test import Client


def test_healthz_reports_ok_without_login(client: Client, db: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(client: Client, db: None) -> None:
    with mock.patch("briefs.views.wizard.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_healthz_refuses_post(client: Client, db: None) -> None:
    assert client.post("/healthz").status_code == 405
