import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import caches
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count, Max
from django.test import Client
from django.utils import timezone

from briefs.models import Incident, Status
from briefs.seed import make_estimate, make_incident, make_user
from briefs.services import (
    ActionInput,
    EstimateInput,
    action_item_add,
    incident_reopen,
    incident_resolve,
    update_post,
)
from briefs.views.common import CSRF_SLOT
from tests.factories import PASSWORD, form_data


def test_dashboard_explains_how_to_start_when_empty(owner_client: Client) -> None:
    response = owner_client.get("/")
    assert response.status_code == 200
    assert b"No escalations yet" in response.content


def test_dashboard_lists_own_incidents_with_cost_so_far(owner_client: Client, owner: User) -> None:
    # On the minute: the dashboard, like the brief, states costs as of the current minute.
    with time_machine.travel(timezone.now().replace(second=0, microsecond=0), tick=False):
        incident = make_incident(owner=owner)
        make_estimate(incident=incident, revenue_per_hour="48000")
        response = owner_client.get("/")
    assert incident.title.encode() in response.content
    assert b"$96,000" in response.content  # 2 h at $48,000/h


def test_dashboard_separates_drafts(owner_client: Client, owner: User) -> None:
    make_incident(owner=owner, title="Half-written", status=Status.DRAFT, escalated_at=None)
    response = owner_client.get("/")
    assert b"Drafts to resume" in response.content
    assert b"Half-written" in response.content


def test_dashboard_hides_other_peoples_incidents(
    outsider_client: Client, incident: Incident
) -> None:
    response = outsider_client.get("/")
    assert incident.title.encode() not in response.content


def test_dashboard_shows_overdue_updates_in_red(owner_client: Client, owner: User) -> None:
    make_incident(owner=owner, escalated_at=timezone.now() - timedelta(hours=3))
    response = owner_client.get("/")
    assert b'class="overdue"' in response.content


def test_resolved_incidents_come_a_page_at_a_time_and_the_totals_count_them_all(
    owner_client: Client, owner: User
) -> None:
    start = timezone.now() - timedelta(days=40)
    for number in range(27):
        make_incident(
            owner=owner,
            title=f"Resolved #{number:02}",
            status=Status.RESOLVED,
            started_at=start + timedelta(days=number),
            detected_at=start + timedelta(days=number),
            escalated_at=start + timedelta(days=number),
            resolved_at=start + timedelta(days=number, hours=2),
        )
    make_incident(owner=owner, title="Still burning")
    first = owner_client.get("/").content.decode()
    second = owner_client.get("/?page=2").content.decode()
    # Newest resolution first: #26 down to #02 on the first page, #01 and #00 on the second.
    assert "Resolved #26" in first and "Resolved #02" in first
    assert "Resolved #01" not in first
    assert "Resolved #01" in second and "Resolved #00" in second
    assert "Resolved #02" not in second
    assert "Page 1 of 2 (1–25 of 27)" in first
    assert 'href="?page=2#resolved-h" rel="next">Older</a>' in first
    # The open incident is on every page; the totals always cover all 28.
    for page in (first, second):
        assert "Still burning" in page
        assert "<dt>Median escalation → resolution</dt><dd>2 h" in page
    # A page past the end or not a number shows the nearest page rather than an error.
    assert "Resolved #00" in owner_client.get("/?page=99").content.decode()
    assert "Resolved #26" in owner_client.get("/?page=x").content.decode()


# --- Issue 14: figures stored at resolution, totals in one aggregate query -------------------

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
# Half a minute past 12:00: the dashboard, like the brief, states open costs as of 12:00.
NOW = START + timedelta(hours=4, seconds=30)


def _resolve(client: Client, incident: Incident, resolved_at: str) -> None:
    path = f"/incidents/{incident.public_id}/resolve/"
    data = form_data(client.get(path).content.decode())
    data.update(resolved_at=resolved_at, basis="Measured.", closing_update="Restored.")
    assert client.post(path, data).status_code == 302


def _reopen(client: Client, incident: Incident) -> None:
    incident.refresh_from_db()
    path = f"/incidents/{incident.public_id}/reopen"
    assert client.post(path, {"version": incident.version, "reason": "Back."}).status_code == 302


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _brief_says(client: Client, incident: Incident) -> tuple[str, int, int]:
    """The cost and the promises (kept, made) as the incident's brief states them."""
    text = _text(client.get(f"/incidents/{incident.public_id}/").content.decode())
    cost = re.search(r"(?:Total cost|Cost so far) (\$[\d,.]+)", text)
    promises = re.search(r"(\d+) of (\d+) kept on time", text)
    assert cost and promises, text[:500]
    return cost.group(1), int(promises.group(1)), int(promises.group(2))


def _dashboard_rows(page: str) -> dict[str, tuple[str, int, int]]:
    """Each row's cost and promises (kept, made), by incident title."""
    rows = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", page, re.DOTALL):
        title = _text(re.search(r"<a [^>]*>(.*?)</a>", row).group(1))  # type: ignore[union-attr]
        cells = [_text(cell) for cell in re.findall(r'<td class="num">(.*?)</td>', row, re.DOTALL)]
        cost, promises = cells[0], cells[4]
        kept, made = (0, 0) if promises == "–" else map(int, promises.split(" of "))
        rows[title] = (cost, kept, made)
    return rows


def _dashboard_total(page: str) -> tuple[int, int]:
    found = re.search(r"<dt>Updates posted on time</dt><dd>(\d+) of (\d+)", page)
    assert found
    return int(found.group(1)), int(found.group(2))


def _escalation(owner: User, title: str, rate: str) -> Incident:
    incident = make_incident(
        owner=owner,
        title=title,
        started_at=START,
        detected_at=START + timedelta(minutes=10),
        escalated_at=START + timedelta(minutes=30),
    )
    make_estimate(incident=incident, revenue_per_hour=rate, confidence="medium")
    # Promised 09:30: kept at 09:20. Promised 10:20: posted 10:40, late.
    for minutes in (80, 160):
        update_post(
            incident=incident,
            author=owner,
            what_changed="Still degraded.",
            posted_at=START + timedelta(minutes=minutes),
            next_update_due=START + timedelta(minutes=minutes + 60),
        )
    return incident


def test_the_dashboard_totals_equal_what_the_briefs_say(owner_client: Client, owner: User) -> None:
    with time_machine.travel(START + timedelta(hours=2, minutes=50), tick=False):
        incidents = [_escalation(owner, f"Outage {n}", rate) for n, rate in enumerate("123")]
    with time_machine.travel(NOW, tick=False):
        _resolve(owner_client, incidents[0], "2026-03-02T11:00")
        _resolve(owner_client, incidents[1], "2026-03-02T11:30")
        # An entry posted after the resolution, its facts dated before it: the brief's final
        # cost and promises change, and so must the dashboard's.
        update_post(
            incident=incidents[1],
            author=owner,
            what_changed="The lost orders were fewer than we thought.",
            next_update_due=NOW + timedelta(hours=1),
            estimate=EstimateInput(Decimal("500"), 10, "high"),
            as_of=START + timedelta(hours=3),
        )

        def compare() -> None:
            page = owner_client.get("/").content.decode()
            rows = _dashboard_rows(page)
            said = {i.title: _brief_says(owner_client, i) for i in incidents}
            assert rows == said
            kept = sum(k for _, k, _ in said.values())
            made = sum(m for _, _, m in said.values())
            assert _dashboard_total(page) == (kept, made)

        compare()
        assert Incident.objects.filter(final_cost_amount__isnull=False).count() == 2
        _reopen(owner_client, incidents[0])
        compare()
        assert Incident.objects.filter(final_cost_amount__isnull=False).count() == 1


def test_resolving_stores_the_final_figures_and_reopening_clears_them(owner: User) -> None:
    with time_machine.travel(START + timedelta(hours=2, minutes=50), tick=False):
        incident = _escalation(owner, "Checkout outage", "6000")
    with time_machine.travel(NOW, tick=False):
        resolved = incident_resolve(
            incident=incident,
            author=owner,
            expected_version=incident.version,
            resolved_at=START + timedelta(hours=3),
            estimate=EstimateInput(Decimal("6000"), 100, "medium"),
            closing_update="Restored.",
        )
        stored = Incident.objects.get(pk=incident.pk)
        # 3 h at $6,000; promises: 09:30 kept, 10:20 missed, 11:40 missed (closed at 12:00).
        assert stored.final_cost_amount == Decimal("18000.00") == resolved.final_cost_amount
        final = stored.final_cost()
        assert final is not None and final.amount == stored.final_cost_amount
        assert (stored.promises_kept, stored.promises_made) == (1, 3)
        incident_reopen(
            incident=stored, author=owner, expected_version=stored.version, reason="Back."
        )
    reopened = Incident.objects.get(pk=incident.pk)
    assert reopened.resolved_at is None
    assert (reopened.final_cost_amount, reopened.promises_kept, reopened.promises_made) == (
        None,
        None,
        None,
    )


def test_an_open_incident_cannot_hold_final_figures(incident: Incident) -> None:
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(final_cost_amount=Decimal("1.00"))
    assert "incident_final_figures_only_when_resolved" in str(refused.value)


@pytest.mark.parametrize("count", [5, 50])
def test_the_dashboard_runs_the_same_queries_for_5_and_50_incidents(
    owner_client: Client, owner: User, count: int, django_assert_num_queries: Any
) -> None:
    for number in range(count):
        incident = make_incident(owner=owner, title=f"#{number}")
        make_estimate(incident=incident)
        update_post(
            incident=incident,
            author=owner,
            what_changed="Posted.",
            next_update_due=timezone.now() + timedelta(hours=1),
        )
        action_item_add(incident=incident, data=ActionInput("Check", "rca", owner=owner))
        if number % 2:
            incident_resolve(
                incident=incident,
                author=owner,
                expected_version=incident.version,
                resolved_at=timezone.now(),
                estimate=EstimateInput(Decimal("1000"), 10, "high"),
                closing_update="Restored.",
            )
    owner_client.get("/")  # the session's first save is not the dashboard's (briefs.middleware)
    caches["fragments"].clear()
    # The clock stops: the cached page is keyed by the minute, and a run that crossed one
    # between the two requests drew the page twice.
    with time_machine.travel(timezone.now(), tick=False):
        # Session, user, the stamp; then, to draw the page: open incidents, their estimates
        # and updates, the resolved page's count and rows, the totals, the durations. The same
        # for 5 incidents as for 50.
        with django_assert_num_queries(10):
            drawn = owner_client.get("/")
        # Within the minute, with nothing changed: the page drawn, with this response's token.
        with django_assert_num_queries(3):
            again = owner_client.get("/")
    assert again.status_code == drawn.status_code == 200
    assert _without_tokens(again.content.decode()) == _without_tokens(drawn.content.decode())


def _without_tokens(page: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+', "", page)


def test_a_cached_dashboard_gets_a_token_per_response_and_moves_with_the_incidents(
    owner: User, incident: Incident
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    with time_machine.travel(NOW, tick=False):
        first = client.get("/").content.decode()
        update_post(
            incident=incident,
            author=owner,
            what_changed="Posted within the same minute.",
            next_update_due=NOW + timedelta(minutes=47),
        )
        second = client.get("/").content.decode()
    for page in (first, second):
        assert CSRF_SLOT not in page
    # The update's promise is on the page at once, not a minute later.
    assert "12:47" not in first and "12:47" in second
    # The token a cached page carries is one the next POST is accepted with.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', second)
    assert token
    response = client.post("/incidents/new/", {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302


def test_stage_durations_are_the_differences_of_the_loaded_times(owner: User) -> None:
    start = datetime(2026, 3, 29, 0, 30, 15, 500_000, tzinfo=UTC)  # across a DST change in Europe
    made = [
        make_incident(owner=owner, started_at=start, detected_at=start, escalated_at=None),
        make_incident(
            owner=owner,
            started_at=start,
            detected_at=start + timedelta(minutes=20, seconds=1),
            escalated_at=start + timedelta(days=3, hours=2),
            resolved_at=start + timedelta(days=40, microseconds=400_000),
        ),
        # Entered out of order: negative in the database, counted as no time by the dashboard.
        make_incident(
            owner=owner,
            started_at=start,
            detected_at=start + timedelta(hours=2),
            escalated_at=start + timedelta(hours=1),
        ),
    ]

    def seconds(begin: datetime | None, end: datetime | None) -> float | None:
        return None if begin is None or end is None else round((end - begin).total_seconds())

    expected = {
        (
            seconds(i.started_at, i.detected_at),
            seconds(i.detected_at, i.escalated_at),
            seconds(i.escalated_at, i.resolved_at),
        )
        for i in made
    }
    assert set(Incident.objects.stage_durations()) == expected


def test_the_dashboard_stamp_counts_what_editable_by_returns(
    owner: User, collaborator: User, outsider: User, incident: Incident
) -> None:
    make_incident(owner=owner, title="Only the owner's")
    shared = make_incident(owner=outsider, title="Shared with the owner")
    shared.collaborators.add(owner)
    # Touched last: the newest `updated_at` is one the owner sees only as a collaborator.
    Incident.objects.filter(pk=shared.pk).update(updated_at=timezone.now() + timedelta(hours=1))
    expected = {}
    for user in (owner, collaborator, outsider, make_user(username="nobody", password=PASSWORD)):
        orm = Incident.objects.editable_by(user).aggregate(n=Count("pk"), newest=Max("updated_at"))
        expected[user.username] = (orm["n"], orm["newest"])
        assert Incident.objects.stamp_for(user) == expected[user.username]
    assert expected["owner"][0] == 3 and expected["collaborator"][0] == 1
    assert expected["nobody"] == (0, None)


@pytest.mark.django_db(transaction=True)
def test_the_migration_stores_the_figures_of_incidents_resolved_before_it(owner: User) -> None:
    before = [("briefs", "0007_time_zones_and_update_as_of")]
    after = [("briefs", "0008_incident_final_figures")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    resolved_at = START + timedelta(hours=3)
    incident = old.get_model("briefs", "Incident").objects.create(
        owner_id=owner.pk,
        title="Resolved last year",
        status="resolved",
        started_at=START,
        detected_at=START,
        escalated_at=START + timedelta(minutes=30),
        resolved_at=resolved_at,
    )
    old.get_model("briefs", "ImpactEstimate").objects.create(
        incident_id=incident.pk,
        author_id=owner.pk,
        effective_at=START,
        revenue_per_hour=Decimal("1000"),
        customers_affected=10,
        confidence="high",
    )
    for sequence, minutes in enumerate((80, 160), start=1):  # 09:20 on time, 10:40 late
        posted = START + timedelta(minutes=minutes)
        old.get_model("briefs", "IncidentUpdate").objects.create(
            incident_id=incident.pk,
            sequence=sequence,
            posted_at=posted,
            author_id=owner.pk,
            what_changed="Update.",
            next_update_due=posted + timedelta(hours=1),
        )
    open_one = old.get_model("briefs", "Incident").objects.create(
        owner_id=owner.pk, title="Still open", started_at=START
    )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = Incident.objects.get(pk=incident.pk)
    final = migrated.final_cost()
    assert final is not None and migrated.final_cost_amount == final.amount == Decimal("3000.00")
    assert (migrated.promises_kept, migrated.promises_made) == (1, 2)
    assert Incident.objects.get(pk=open_one.pk).promises_made is None
