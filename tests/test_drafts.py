"""No empty drafts on the dashboard (issue 20, item 5): a draft nobody typed into is hidden and
deleted after a day; the owner can discard any draft."""

from datetime import timedelta

import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from briefs import escalation_steps
from briefs.models import Incident, Status
from briefs.seed import make_user
from tests.factories import PASSWORD


def start_escalation(client: Client) -> Incident:
    response = client.post("/incidents/new/")
    incident = Incident.objects.order_by("-pk").first() or Incident()
    assert response["Location"] == f"/incidents/{incident.public_id}/escalate/assess/"
    return incident


def post_step(client: Client, incident: Incident, slug: str, nav: str, **data: str) -> str:
    incident.refresh_from_db()
    response = client.post(
        f"/incidents/{incident.public_id}/escalate/{slug}/",
        {"version": str(incident.version), "nav": nav, **data},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_a_started_escalation_with_nothing_typed_is_not_on_the_dashboard(
    owner_client: Client,
) -> None:
    start_escalation(owner_client)
    content = owner_client.get("/").content.decode()
    assert escalation_steps.DRAFT_TITLE not in content
    assert "Drafts to resume" not in content
    assert "No escalations yet" in content


def test_a_draft_with_something_saved_is_listed_to_resume(owner_client: Client) -> None:
    draft = start_escalation(owner_client)
    post_step(owner_client, draft, "assess", "next", assess_customers="12500")
    content = owner_client.get("/").content.decode()
    assert "Drafts to resume" in content
    assert f"/incidents/{draft.public_id}/escalate/" in content


def test_moving_between_steps_without_typing_saves_nothing(owner_client: Client) -> None:
    draft = start_escalation(owner_client)
    target = post_step(owner_client, draft, "assess", "cause")
    target = post_step(owner_client, draft, "cause", "back")
    assert target.endswith("/escalate/impact/")
    draft.refresh_from_db()
    assert draft.version == 1
    assert "Drafts to resume" not in owner_client.get("/").content.decode()


def test_untouched_drafts_are_deleted_a_day_later_when_an_escalation_starts(
    owner_client: Client, owner: User
) -> None:
    other_client = Client()
    other_client.force_login(make_user(username="other", password=PASSWORD))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        abandoned = start_escalation(owner_client)
        someone_elses = start_escalation(other_client)
        typed_into = start_escalation(owner_client)
        post_step(owner_client, typed_into, "assess", "next", assess_customers="10")
    with time_machine.travel(start + timedelta(hours=23), tick=False):
        owner_client.force_login(owner)  # the session itself ended after 8 idle hours
        recent = start_escalation(owner_client)
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        owner_client.force_login(owner)
        newest = start_escalation(owner_client)
    remaining = set(Incident.objects.values_list("pk", flat=True))
    assert abandoned.pk not in remaining
    assert someone_elses.pk not in remaining
    assert {typed_into.pk, recent.pk, newest.pk} <= remaining


def test_the_owner_discards_a_draft(owner_client: Client) -> None:
    draft = start_escalation(owner_client)
    post_step(owner_client, draft, "assess", "next", assess_customers="12500")
    listed = owner_client.get("/").content.decode()
    assert f'aria-label="Discard the draft {escalation_steps.DRAFT_TITLE}"' in listed
    response = owner_client.post(f"/incidents/{draft.public_id}/discard", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert not Incident.objects.filter(pk=draft.pk).exists()
    content = response.content.decode()
    assert f"The draft “{escalation_steps.DRAFT_TITLE}” is discarded." in content
    assert "Drafts to resume" not in content


def test_discard_needs_post(owner_client: Client) -> None:
    draft = start_escalation(owner_client)
    assert owner_client.get(f"/incidents/{draft.public_id}/discard").status_code == 405


def test_only_the_owner_may_discard_and_only_a_draft(
    client: Client, owner: User, collaborator: User, outsider: User, incident: Incident
) -> None:
    client.force_login(owner)
    draft = start_escalation(client)
    draft.collaborators.add(collaborator)
    for person in (collaborator, outsider):
        client.force_login(person)
        assert client.post(f"/incidents/{draft.public_id}/discard").status_code == 404
    client.force_login(owner)
    assert incident.status != Status.DRAFT
    assert client.post(f"/incidents/{incident.public_id}/discard").status_code == 404
    assert Incident.objects.filter(pk__in=[draft.pk, incident.pk]).count() == 2
