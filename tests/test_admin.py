"""The admin: every page of every registered model opens, on both databases.

On PostgreSQL the app binds parameters on the server (prepared statements, settings.py); some
queries Django builds, such as the date hierarchy's, behave differently there.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client

from briefs.models import Incident
from briefs.seed import make_user
from briefs.services import ActionInput, action_item_add, api_token_create, share_link_create
from tests.factories import PASSWORD


@pytest.fixture
def staff_client(client: Client, incident: Incident, owner: User) -> Client:
    share_link_create(incident=incident, created_by=owner, label="CEO")
    action_item_add(incident=incident, data=ActionInput("Rotate the keys", "corrective"))
    api_token_create(user=owner, name="CEO dashboard script")
    client.force_login(
        make_user(username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    )
    return client


@pytest.mark.parametrize(
    "model", list(admin.site._registry), ids=lambda model: model._meta.label_lower
)
def test_every_admin_list_search_and_change_page_opens(
    staff_client: Client, model: type[Model]
) -> None:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert staff_client.get(base).status_code == 200
    assert staff_client.get(f"{base}?q=CEO").status_code == 200
    assert staff_client.get(f"{base}add/").status_code in {200, 403}
    instance = model._default_manager.first()
    if instance is not None:
        assert staff_client.get(f"{base}{instance.pk}/change/").status_code == 200
        assert staff_client.get(f"{base}{instance.pk}/history/").status_code == 200


def test_the_incident_list_drills_down_by_date(staff_client: Client, incident: Incident) -> None:
    created = incident.created_at
    base = "/admin/briefs/incident/"
    for query in (
        "",
        f"?created_at__year={created.year}",
        f"?created_at__year={created.year}&created_at__month={created.month}",
        f"?created_at__year={created.year}&created_at__month={created.month}"
        f"&created_at__day={created.day}",
        f"?status__exact={incident.status}&severity__exact={incident.severity}",
    ):
        response = staff_client.get(base + query)
        assert response.status_code == 200, query
        assert incident.title in response.content.decode(), query
