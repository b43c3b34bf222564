"""The guided escalation: every step saves, validates and leads to a complete brief."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from briefs import escalation_steps
from briefs.brief_content import facts, minute
from briefs.meeting_script import ceo_questions, meeting_script
from briefs.models import Incident, Status
from briefs.seed import make_estimate, make_incident
from briefs.services import final_figures_store
from tests.factories import PASSWORD

FULL_ANSWERS: dict[str, dict[str, Any]] = {
    "assess": {
        "assess_revenue_per_hour": "48000",
        "assess_customers": "12500",
        "assess_regulatory": "on",
        "assess_duration_hours": "6",
    },
    "what-happened": {
        "title": "Order processing outage",
        "system": "Checkout service",
        "description": "Customers cannot complete orders.",
        "severity": "SEV1",
        "started_at": "2026-11-26T08:00",
        "detected_at": "2026-11-26T08:10",
    },
    "impact": {
        "revenue_per_hour": "48000",
        "currency": "EUR",
        "customers_affected": "12500",
        "confidence": "medium",
        "basis": "Orders per hour times average order value.",
        "other_impact": "Two enterprise contracts breached.",
        "sla_breach": "on",
    },
    "cause": {
        "root_cause": "A payment settings change released yesterday.",
        "root_cause_confidence": "likely",
        "mitigation": "We returned to the previous settings.",
        "operating_state": "degraded",
    },
    "outlook": {
        "eta_earliest": "2026-11-26T14:00",
        "eta_latest": "2026-11-26T16:00",
        "dependencies": "The backup provider confirming capacity.",
        "recurrence_risk": "Medium until settings are checked automatically.",
        "preventive_measures": "Automatic checks of payment settings before release.",
        "monitoring_changes": "An alert when payments drop 20% below normal.",
    },
    "resources": {
        "resources_needed": "Two engineers from the app team for two days.",
        "accountability": "Accountability rests with the whole engineering team.",
        "remediation_overseer": "Olivia Owner",
        "update_cadence_minutes": "60",
        "decisions-TOTAL_FORMS": "1",
        "decisions-INITIAL_FORMS": "0",
        "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "5",
        "decisions-0-question": "Do we compensate customers?",
        "decisions-0-options": "A 10% voucher, or an apology only.",
        "decisions-0-trade_offs": "The voucher costs $90,000 and keeps repeat customers.",
        "decisions-0-recommendation": "Send the voucher.",
    },
}
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def step_url(incident: Incident, slug: str) -> str:
    return f"/incidents/{incident.public_id}/escalate/{slug}/"


def post_step(
    client: Client,
    incident: Incident,
    slug: str,
    data: dict[str, Any],
    nav: str = "next",
    **extra: Any,
) -> Any:
    incident.refresh_from_db()
    payload = {"version": str(incident.version), "nav": nav, **data}
    return client.post(step_url(incident, slug), payload, **extra)


@pytest.fixture
def draft(owner: User) -> Incident:
    return Incident.objects.create(owner=owner, title=escalation_steps.DRAFT_TITLE)


@pytest.fixture(autouse=True)
def frozen_now() -> Any:
    import time_machine

    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def complete_all(client: Client, incident: Incident) -> None:
    for slug, data in FULL_ANSWERS.items():
        response = post_step(client, incident, slug, data)
        assert response.status_code == 302, (slug, response.content.decode()[:2000])


def test_new_escalation_creates_a_draft_and_opens_the_first_step(owner_client: Client) -> None:
    response = owner_client.post("/incidents/new/")
    incident = Incident.objects.get()
    assert incident.status == Status.DRAFT
    assert response["Location"] == step_url(incident, "assess")


def test_new_escalation_needs_post(owner_client: Client) -> None:
    assert owner_client.get("/incidents/new/").status_code == 405


@pytest.mark.parametrize("slug", escalation_steps.STEP_SLUGS)
def test_every_step_page_renders_with_progress_and_coaching(
    owner_client: Client, draft: Incident, slug: str
) -> None:
    response = owner_client.get(step_url(draft, slug))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'aria-label="Escalation steps"' in content
    assert "What the CEO cares about here" in content
    assert escalation_steps.STEPS_BY_SLUG[slug].heading.replace("'", "&#x27;") in content


@pytest.mark.parametrize("slug", [s for s in escalation_steps.STEP_SLUGS if s != "review"])
def test_each_step_saves_on_next_and_moves_on(
    owner_client: Client, draft: Incident, slug: str
) -> None:
    if slug in {"outlook", "impact"}:
        post_step(owner_client, draft, "what-happened", FULL_ANSWERS["what-happened"])
    response = post_step(owner_client, draft, slug, FULL_ANSWERS[slug])
    assert response.status_code == 302
    _, after = escalation_steps.neighbours(slug)
    assert response["Location"] == step_url(draft, after or slug)
    draft.refresh_from_db()
    assert escalation_steps.missing(draft, slug) == []


def test_times_are_read_in_the_architects_time_zone(owner_client: Client, draft: Incident) -> None:
    owner_client.cookies["tz"] = "Europe/Berlin"
    post_step(owner_client, draft, "what-happened", FULL_ANSWERS["what-happened"])
    draft.refresh_from_db()
    assert draft.started_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def test_impact_step_creates_the_first_estimate_and_sets_the_currency(
    owner_client: Client, draft: Incident
) -> None:
    post_step(owner_client, draft, "impact", FULL_ANSWERS["impact"])
    draft.refresh_from_db()
    estimate = draft.estimates.get()
    assert estimate.revenue_per_hour == Decimal("48000")
    assert estimate.sla_breach
    assert draft.currency == "EUR"
    # Saving the step again edits the first estimate rather than adding a revision.
    post_step(
        owner_client, draft, "impact", {**FULL_ANSWERS["impact"], "revenue_per_hour": "50000"}
    )
    assert draft.estimates.get().revenue_per_hour == Decimal("50000")


def test_back_saves_an_incomplete_step(owner_client: Client, draft: Incident) -> None:
    response = post_step(owner_client, draft, "cause", {"root_cause": "Config change"}, nav="back")
    assert response["Location"] == step_url(draft, "impact")
    draft.refresh_from_db()
    assert draft.root_cause == "Config change"
    assert escalation_steps.missing(draft, "cause") != []


def test_jumping_to_any_step_saves_the_current_one(owner_client: Client, draft: Incident) -> None:
    response = post_step(
        owner_client, draft, "cause", {"mitigation": "Rolled back"}, nav="resources"
    )
    assert response["Location"] == step_url(draft, "resources")
    draft.refresh_from_db()
    assert draft.mitigation == "Rolled back"


def test_next_refuses_an_incomplete_step_and_keeps_what_was_typed(
    owner_client: Client, draft: Incident
) -> None:
    response = post_step(owner_client, draft, "cause", {"root_cause": "Config change"})
    assert response.status_code == 400
    content = response.content.decode()
    assert "This field is required." in content
    assert "Config change" in content
    draft.refresh_from_db()
    assert draft.root_cause == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "Enter zero or more"),
        ("NaN", "Enter a number"),
        ("Infinity", "Enter a number"),
        ("1e400", "check the number of zeros"),
        ("1000000000000", "check the number of zeros"),
        ("lots", "Enter a number"),
    ],
)
def test_bad_revenue_gets_a_clear_error_beside_the_field(
    owner_client: Client, draft: Incident, value: str, message: str
) -> None:
    data = {**FULL_ANSWERS["impact"], "revenue_per_hour": value}
    response = post_step(owner_client, draft, "impact", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert message in content
    assert 'aria-describedby="id_revenue_per_hour_error' in content
    assert 'id="id_revenue_per_hour_error"' in content
    assert "Orders per hour times average order value." in content  # nothing else lost
    assert draft.estimates.count() == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": "x" * 201}, "title", "at most 200 characters"),
        ({"description": "bad\x00byte"}, "description", "Null characters are not allowed"),
        (
            {"started_at": "2026-11-26T08:00", "detected_at": "2026-11-26T07:00"},
            "detected_at",
            "Detection cannot be before the start",
        ),
        ({"started_at": "2026-02-30T08:00"}, "started_at", "Enter a valid date/time"),
    ],
)
def test_what_happened_rejects_bad_input(
    owner_client: Client, draft: Incident, data: dict[str, str], field: str, message: str
) -> None:
    response = post_step(
        owner_client, draft, "what-happened", {**FULL_ANSWERS["what-happened"], **data}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("field", "late", "message"),
    [
        ("started_at", "2026-11-26T12:05", "The start cannot be in the future"),
        ("detected_at", "2026-11-26T12:05", "Detection cannot be in the future"),
        ("started_at", "2027-11-26T08:00", "The start cannot be in the future"),
    ],
)
def test_a_start_or_detection_in_the_future_is_refused_and_nothing_typed_is_lost(
    owner_client: Client, draft: Incident, field: str, late: str, message: str
) -> None:
    data = {**FULL_ANSWERS["what-happened"], field: late}
    if field == "started_at":
        data["detected_at"] = late
    response = post_step(owner_client, draft, "what-happened", data)
    assert response.status_code == 400
    content = response.content.decode()
    assert f"{message}: it is now Thu 26 Nov 2026, 12:00 UTC." in content
    for name in ["title", "system", "description", "started_at", "detected_at"]:
        assert data[name] in content, name
    draft.refresh_from_db()
    assert draft.started_at is None and draft.system == ""


def test_a_minute_of_clock_skew_is_allowed(owner_client: Client, draft: Incident) -> None:
    skewed = {"started_at": "2026-11-26T12:01", "detected_at": "2026-11-26T12:01"}
    response = post_step(
        owner_client, draft, "what-happened", {**FULL_ANSWERS["what-happened"], **skewed}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.started_at == datetime(2026, 11, 26, 12, 1, tzinfo=UTC)


def test_the_confirmation_for_an_old_start_is_not_shown_for_a_recent_one(
    owner_client: Client, draft: Incident
) -> None:
    content = owner_client.get(step_url(draft, "what-happened")).content.decode()
    assert 'type="hidden" name="confirm_old_start"' in content
    assert "really started more than 30 days ago" not in content
    month_ago = {"started_at": "2026-10-28T08:00", "detected_at": "2026-10-28T08:10"}
    response = post_step(
        owner_client, draft, "what-happened", {**FULL_ANSWERS["what-happened"], **month_ago}
    )
    assert response.status_code == 302


def test_a_start_more_than_30_days_ago_asks_for_confirmation_first(
    owner_client: Client, draft: Incident
) -> None:
    # GitLab's database deletion, typed with the year it happened: a cost over 3,590 days.
    old = {
        **FULL_ANSWERS["what-happened"],
        "started_at": "2017-01-31T23:00",
        "detected_at": "2017-01-31T23:30",
    }
    response = post_step(owner_client, draft, "what-happened", old)
    assert response.status_code == 400
    content = response.content.decode()
    assert "That is 3,585 days ago (31 January 2017). If the date is right, tick" in content
    assert 'type="checkbox" name="confirm_old_start"' in content
    assert "Yes, the incident really started more than 30 days ago" in content
    assert 'value="2017-01-31T23:00"' in content
    draft.refresh_from_db()
    assert draft.started_at is None

    confirmed = post_step(owner_client, draft, "what-happened", {**old, "confirm_old_start": "on"})
    assert confirmed.status_code == 302
    draft.refresh_from_db()
    assert draft.started_at == datetime(2017, 1, 31, 23, 0, tzinfo=UTC)
    # Saving the step again (another field edited) does not ask again for the same start.
    again = post_step(owner_client, draft, "what-happened", {**old, "title": "Database deleted"})
    assert again.status_code == 302


def test_the_ticked_confirmation_stays_in_sight_when_checked_live(
    owner_client: Client, draft: Incident
) -> None:
    old = {
        **FULL_ANSWERS["what-happened"],
        "started_at": "2017-01-31T23:00",
        "detected_at": "2017-01-31T23:30",
        "confirm_old_start": "on",
        "version": "1",
    }
    response = owner_client.post(
        f"{step_url(draft, 'what-happened')}?validate=confirm_old_start",
        old,
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'type="checkbox" name="confirm_old_start" id="id_confirm_old_start" checked' in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("local", "zone"),
    [("2026-03-29T02:30", "Europe/Berlin"), ("2026-10-25T02:30", "Europe/Berlin")],
    ids=["spring-forward gap", "fall-back ambiguity"],
)
def test_a_local_time_that_does_not_exist_or_is_ambiguous_is_refused(
    owner_client: Client, draft: Incident, local: str, zone: str
) -> None:
    owner_client.cookies["tz"] = zone
    data = {**FULL_ANSWERS["what-happened"], "started_at": local, "detected_at": local}
    response = post_step(owner_client, draft, "what-happened", data)
    assert response.status_code == 400
    assert "may be ambiguous or it may not exist" in response.content.decode()


def test_eta_cannot_end_before_it_starts_or_before_the_incident(
    owner_client: Client, draft: Incident
) -> None:
    post_step(owner_client, draft, "what-happened", FULL_ANSWERS["what-happened"])
    backwards = {
        **FULL_ANSWERS["outlook"],
        "eta_earliest": "2026-11-26T16:00",
        "eta_latest": "2026-11-26T14:00",
    }
    assert (
        "cannot be before the earliest"
        in post_step(owner_client, draft, "outlook", backwards).content.decode()
    )
    early = {**FULL_ANSWERS["outlook"], "eta_earliest": "2026-11-26T06:00"}
    assert (
        "before the incident started"
        in post_step(owner_client, draft, "outlook", early).content.decode()
    )


def test_escalating_against_the_recommendation_needs_a_reason(
    owner_client: Client, draft: Incident
) -> None:
    post_step(owner_client, draft, "assess", {"assess_customers": "10"})
    draft.refresh_from_db()
    assert escalation_steps.missing(draft, "assess") == [
        "a reason for escalating against the recommendation"
    ]
    post_step(
        owner_client,
        draft,
        "assess",
        {"assess_customers": "10", "override_reason": "The CEO asked to be told."},
    )
    draft.refresh_from_db()
    assert escalation_steps.missing(draft, "assess") == []


RULES = [
    ({}, False),
    ({"assess_data_exposure": True}, True),
    ({"assess_regulatory": True}, True),
    ({"assess_public": True}, True),
    ({"assess_revenue_per_hour": Decimal("10000")}, False),
    ({"assess_revenue_per_hour": Decimal("10000"), "assess_customers": 1000}, True),
    ({"assess_revenue_per_hour": Decimal("9999.99"), "assess_customers": 1000}, False),
    ({"assess_customers": 1000, "assess_duration_hours": 4}, True),
    ({"assess_customers": 1000, "assess_duration_hours": 3}, False),
    ({"assess_duration_unknown": True, "assess_beyond_authority": True}, True),
    ({"assess_beyond_authority": True}, False),
]


@pytest.mark.parametrize(("answers", "escalate"), RULES)
def test_recommendation_rule(answers: dict[str, Any], escalate: bool) -> None:
    incident = Incident(**answers)
    assert incident.recommendation().escalate is escalate


def test_recommendation_explains_itself() -> None:
    incident = Incident(assess_regulatory=True, assess_customers=5000, assess_duration_unknown=True)
    recommendation = incident.recommendation()
    assert recommendation.headline == "Escalate to the CEO now"
    assert recommendation.reasoning == "3 of 7 factors, including a regulatory breach."
    hold = Incident(assess_customers=5000).recommendation()
    assert hold.headline == "Handle through normal incident channels and inform your VP"


@override_settings(ESCALATION_CUSTOMERS_THRESHOLD=50)
def test_thresholds_are_settings() -> None:
    assert Incident(assess_customers=60, assess_beyond_authority=True).recommendation().escalate


def test_recommendation_changes_live_through_htmx(owner_client: Client, draft: Incident) -> None:
    response = owner_client.post(
        step_url(draft, "assess") + "?preview=1",
        {"version": draft.version, "assess_regulatory": "on"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<div id="recommendation"')
    assert "Escalate to the CEO now" in content
    assert "<html" not in content
    draft.refresh_from_db()
    assert draft.assess_regulatory is False  # advice only: nothing saved


def test_field_validation_through_htmx_returns_only_that_field(
    owner_client: Client, draft: Incident
) -> None:
    response = owner_client.post(
        step_url(draft, "impact") + "?validate=revenue_per_hour",
        {"version": draft.version, "revenue_per_hour": "-1"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div class="field has-error" id="wrap-id_revenue_per_hour"')
    assert "Enter zero or more" in content
    assert "<html" not in content


def test_cost_preview_through_htmx(owner_client: Client, owner: User) -> None:
    incident = make_incident(
        owner=owner,
        status=Status.DRAFT,
        started_at=NOW - timedelta(hours=2),
        detected_at=NOW - timedelta(hours=2),
    )
    response = owner_client.post(
        step_url(incident, "impact") + "?preview=1",
        {"version": incident.version, "revenue_per_hour": "1500", "currency": "USD"},
        headers={"HX-Request": "true"},
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="cost-preview"')
    assert "$1,500" in content
    assert "$3,000" in content


def test_the_cost_preview_states_what_the_brief_will_state_to_the_cent(
    owner_client: Client, owner: User, frozen_now: Any
) -> None:
    # 100.01 an hour for half an hour is 50.005: the brief rounds half up (50.01) where
    # rounding half to even would say 50.00. Forty seconds into the minute: the brief states
    # its figures to the minute, and so does the preview.
    incident = make_incident(
        owner=owner,
        status=Status.DRAFT,
        started_at=NOW - timedelta(minutes=30),
        detected_at=NOW - timedelta(minutes=30),
    )
    frozen_now.shift(timedelta(seconds=40))
    answers = {**FULL_ANSWERS["impact"], "revenue_per_hour": "100.01"}
    response = owner_client.post(
        step_url(incident, "impact") + "?preview=1",
        {"version": incident.version, **answers},
        headers={"HX-Request": "true"},
    )
    previewed = response.context["preview"].cost

    post_step(owner_client, incident, "impact", answers)
    incident.refresh_from_db()
    stated = facts(incident, minute(timezone.now())).cost_so_far
    assert previewed == stated == Decimal("50.01")
    # Once saved, the step's page shows the same figure.
    assert owner_client.get(step_url(incident, "impact")).context["preview"].cost == stated


def test_the_cost_preview_keeps_later_revisions_as_the_brief_does(
    owner_client: Client, owner: User
) -> None:
    incident = make_incident(
        owner=owner, started_at=NOW - timedelta(hours=2), detected_at=NOW - timedelta(hours=2)
    )
    make_estimate(incident=incident, revenue_per_hour="1000")
    make_estimate(incident=incident, revenue_per_hour="3000", effective_at=NOW - timedelta(hours=1))
    response = owner_client.post(
        step_url(incident, "impact") + "?preview=1",
        {"version": incident.version, "revenue_per_hour": "2000", "currency": "USD"},
        headers={"HX-Request": "true"},
    )
    # The first hour at the typed 2,000, the second at the revision's 3,000.
    assert response.context["preview"].cost == Decimal("5000.00")


def test_a_stale_impact_or_resources_step_writes_nothing_at_all(
    owner_client: Client, owner: User, collaborator: User, draft: Incident
) -> None:
    stale = draft.version
    other = Client()
    other.force_login(owner)
    post_step(other, draft, "cause", {"root_cause": "Theirs"}, nav="back")

    impact = {"version": stale, "nav": "next", **FULL_ANSWERS["impact"]}
    assert owner_client.post(step_url(draft, "impact"), impact).status_code == 409
    resources = {
        "version": stale,
        "nav": "next",
        **FULL_ANSWERS["resources"],
        "add_collaborator": "collaborator",
    }
    response = owner_client.post(step_url(draft, "resources"), resources)
    assert response.status_code == 409
    assert "Theirs" not in response.content.decode()  # the resources step's fields only
    draft.refresh_from_db()
    assert (draft.currency, draft.resources_needed) == ("USD", "")
    assert not draft.estimates.exists()
    assert not draft.decisions.exists()
    assert not draft.collaborators.exists()


def test_correcting_a_resolved_incidents_first_estimate_moves_its_stored_final_cost(
    owner_client: Client, owner: User
) -> None:
    incident = make_incident(
        owner=owner,
        status=Status.RESOLVED,
        started_at=NOW - timedelta(hours=3),
        detected_at=NOW - timedelta(hours=3),
        resolved_at=NOW - timedelta(hours=1),
    )
    make_estimate(incident=incident, revenue_per_hour="1000")
    final_figures_store(incident=incident)
    incident.refresh_from_db()
    assert incident.final_cost_amount == Decimal("2000.00")

    post_step(
        owner_client, incident, "impact", {**FULL_ANSWERS["impact"], "revenue_per_hour": "3000"}
    )
    incident.refresh_from_db()
    # What the dashboard totals is what the brief states: 2 hours at the corrected 3,000.
    final = incident.final_cost()
    assert final is not None
    assert incident.final_cost_amount == final.amount == Decimal("6000.00")


def test_a_required_field_left_empty_on_back_keeps_its_saved_value(
    owner_client: Client, draft: Incident
) -> None:
    post_step(owner_client, draft, "what-happened", FULL_ANSWERS["what-happened"])
    data = {**FULL_ANSWERS["what-happened"], "title": "", "severity": "", "system": ""}
    post_step(owner_client, draft, "what-happened", data, nav="back")
    draft.refresh_from_db()
    # Title and severity the incident cannot be without; the system it can.
    assert (draft.title, draft.severity) == ("Order processing outage", "SEV1")
    assert draft.system == ""


def test_the_assessment_time_is_the_first_assessment(
    owner_client: Client, draft: Incident, frozen_now: Any
) -> None:
    post_step(owner_client, draft, "assess", {"assess_customers": "10"}, nav="back")
    frozen_now.shift(timedelta(hours=1))
    post_step(owner_client, draft, "assess", {"assess_customers": "20"}, nav="back")
    draft.refresh_from_db()
    assert (draft.assessed_at, draft.assess_customers) == (NOW, 20)


def test_a_draft_survives_a_new_client_session(
    client: Client, owner: User, draft: Incident
) -> None:
    client.force_login(owner)
    post_step(client, draft, "cause", FULL_ANSWERS["cause"])
    fresh = Client()
    login = fresh.post("/login/", {"username": "owner", "password": PASSWORD})
    assert login.status_code == 302
    assert draft.title.encode() in fresh.get("/").content
    response = fresh.get(f"/incidents/{draft.public_id}/escalate/")
    assert response["Location"] == step_url(draft, "assess")
    assert (
        b"A payment settings change released yesterday."
        in fresh.get(step_url(draft, "cause")).content
    )


def test_skipping_straight_to_escalate_is_refused_with_what_is_missing(
    owner_client: Client, draft: Incident
) -> None:
    response = owner_client.post(f"/incidents/{draft.public_id}/escalate/review/escalate")
    assert response.status_code == 400
    content = response.content.decode()
    assert "cannot be escalated yet" in content
    assert "The root cause as currently understood" in content
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.escalated_at is None


def test_complete_walk_escalates_and_opens_the_brief(owner_client: Client, draft: Incident) -> None:
    complete_all(owner_client, draft)
    review = owner_client.get(step_url(draft, "review")).content.decode()
    assert "Missing</span>" not in review
    response = owner_client.post(f"/incidents/{draft.public_id}/escalate/review/escalate")
    assert response["Location"] == f"/incidents/{draft.public_id}/"
    draft.refresh_from_db()
    assert draft.status == Status.ESCALATED
    assert draft.escalated_at == NOW
    brief = owner_client.get(response["Location"]).content.decode()
    assert "€48,000" in brief


SCRIPTED = [
    ("what-happened", "system"),
    ("what-happened", "description"),
    ("cause", "root_cause"),
    ("cause", "mitigation"),
    ("outlook", "dependencies"),
    ("outlook", "preventive_measures"),
    ("outlook", "monitoring_changes"),
    ("resources", "resources_needed"),
    ("resources", "accountability"),
    ("resources", "remediation_overseer"),
    ("resources", "decisions-0-question"),
    ("resources", "decisions-0-options"),
    ("resources", "decisions-0-trade_offs"),
    ("resources", "decisions-0-recommendation"),
]


def test_the_script_contains_each_answer(owner_client: Client, draft: Incident) -> None:
    complete_all(owner_client, draft)
    draft.refresh_from_db()
    script = " ".join(part.text for part in meeting_script(draft))
    for slug, name in SCRIPTED:
        # The first letter takes the case of its place in the sentence.
        assert FULL_ANSWERS[slug][name].rstrip(".?")[1:] in script, name
    assert "about €48,000 of revenue at risk every hour" in script
    assert "12,500 customers" in script
    assert "between Thu 26 Nov, 14:00 UTC and Thu 26 Nov, 16:00 UTC" in script
    assert "running, but slower or less reliably than normal" in script
    assert "The likely root cause" in script
    assert "update every hour" in script
    assert "[missing" not in script


def test_a_missing_answer_shows_as_missing_in_script_and_questions(draft: Incident) -> None:
    script = meeting_script(draft)
    assert "[missing: the root cause]" in script[2].text
    assert "cause" in script[2].missing
    questions = {q.question: q for q in ceo_questions(draft)}
    assert not questions["When will it be resolved?"].answered
    assert questions["When will it be resolved?"].step.slug == "outlook"


def test_review_links_each_unanswered_question_to_its_step(
    owner_client: Client, draft: Incident
) -> None:
    content = owner_client.get(step_url(draft, "review")).content.decode()
    assert f'href="{step_url(draft, "outlook")}">Answer it in Outlook' in content


def test_review_flags_jargon_as_advice(owner_client: Client, draft: Incident) -> None:
    complete_all(owner_client, draft)
    Incident.objects.filter(pk=draft.pk).update(mitigation="We did a rollback and a hotfix.")
    content = owner_client.get(step_url(draft, "review")).content.decode()
    assert "<strong>rollback</strong> in Mitigation" in content
    assert "<strong>hotfix</strong> in Mitigation" in content
    assert (
        owner_client.post(f"/incidents/{draft.public_id}/escalate/review/escalate").status_code
        == 302
    )


def test_review_names_what_kind_of_jargon_each_flag_is(
    owner_client: Client, draft: Incident
) -> None:
    complete_all(owner_client, draft)
    Incident.objects.filter(pk=draft.pk).update(
        root_cause="An engineer ran rm -rf /var/opt/gitlab/postgresql/data on db1, not db2.",
        mitigation="Restore the EBS snapshot; clients see 502s in us-east-1.",
    )
    content = owner_client.get(step_url(draft, "review")).content.decode()
    assert (
        "<strong>rm -rf /var/opt/gitlab/postgresql/data</strong> in Root cause (command): "
        "A command typed by an engineer on a server. Try “say what it did" in content
    )
    assert "<strong>db1</strong> in Root cause (code name with digits):" in content
    assert "<strong>EBS</strong> in Mitigation (technical term):" in content
    assert "<strong>502s</strong> in Mitigation (HTTP status code):" in content
    assert "<strong>us-east-1</strong> in Mitigation (code name with digits):" in content


def test_a_second_editor_gets_the_conflict_page_and_nothing_is_lost(
    client: Client, owner: User, collaborator: User, draft: Incident
) -> None:
    draft.collaborators.add(collaborator)
    loaded_version = draft.version
    first = Client()
    first.force_login(owner)
    first.post(
        step_url(draft, "cause"),
        {"version": loaded_version, "nav": "back", "root_cause": "Theirs: DNS"},
    )
    client.force_login(collaborator)
    response = client.post(
        step_url(draft, "cause"),
        {"version": loaded_version, "nav": "back", "root_cause": "Mine: config"},
    )
    assert response.status_code == 409
    content = response.content.decode()
    assert "Theirs: DNS" in content
    assert "Mine: config" in content
    draft.refresh_from_db()
    assert draft.root_cause == "Theirs: DNS"
    # "Save my version" re-posts with the current version, and then it wins.
    resubmit = client.post(
        step_url(draft, "cause"),
        {"version": draft.version, "nav": "back", "root_cause": "Mine: config"},
    )
    assert resubmit.status_code == 302
    draft.refresh_from_db()
    assert draft.root_cause == "Mine: config"


def test_posted_version_owner_or_status_fields_change_nothing(
    owner_client: Client, draft: Incident, outsider: User
) -> None:
    post_step(
        owner_client,
        draft,
        "cause",
        {
            **FULL_ANSWERS["cause"],
            "owner": outsider.pk,
            "status": "resolved",
            "created_at": "2020-01-01T00:00",
        },
    )
    draft.refresh_from_db()
    assert draft.owner_id != outsider.pk
    assert draft.status == Status.DRAFT
    assert draft.version == 2


@pytest.mark.parametrize("version", [None, "", "seven", "0"])
def test_a_form_without_its_version_is_a_bad_request(
    owner_client: Client, draft: Incident, version: str | None
) -> None:
    data = {"nav": "next", **FULL_ANSWERS["cause"]}
    if version is not None:
        data["version"] = version
    response = owner_client.post(step_url(draft, "cause"), data)
    assert response.status_code == 400
    assert b"missing its version" in response.content
    draft.refresh_from_db()
    assert draft.root_cause == ""


def test_owner_adds_a_collaborator_by_username(
    owner_client: Client, draft: Incident, collaborator: User
) -> None:
    data = {**FULL_ANSWERS["resources"], "add_collaborator": "collaborator"}
    post_step(owner_client, draft, "resources", data)
    assert list(draft.collaborators.all()) == [collaborator]
    unknown = post_step(owner_client, draft, "resources", {**data, "add_collaborator": "nobody"})
    assert "No active user is called" in unknown.content.decode()


def test_decisions_are_saved_with_options_and_recommendation(
    owner_client: Client, draft: Incident
) -> None:
    post_step(owner_client, draft, "resources", FULL_ANSWERS["resources"])
    decision = draft.decisions.get()
    assert decision.recommendation == "Send the voucher."


def test_collaborator_can_edit(client: Client, collaborator: User, draft: Incident) -> None:
    draft.collaborators.add(collaborator)
    client.force_login(collaborator)
    assert post_step(client, draft, "cause", FULL_ANSWERS["cause"]).status_code == 302


@pytest.mark.parametrize("slug", escalation_steps.STEP_SLUGS)
def test_an_outsider_gets_404_on_every_step(
    outsider_client: Client, draft: Incident, slug: str
) -> None:
    assert outsider_client.get(step_url(draft, slug)).status_code == 404
    assert outsider_client.post(step_url(draft, slug), {"version": 1}).status_code == 404


def test_an_outsider_cannot_escalate_or_resume(outsider_client: Client, draft: Incident) -> None:
    assert (
        outsider_client.post(f"/incidents/{draft.public_id}/escalate/review/escalate").status_code
        == 404
    )
    assert outsider_client.get(f"/incidents/{draft.public_id}/escalate/").status_code == 404
    assert outsider_client.get(f"/incidents/{draft.public_id}/").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "escalate/assess/"),
        ("delete", "escalate/cause/"),
        ("post", "escalate/review/"),
        ("get", "escalate/review/escalate"),
        ("post", "escalate/"),
    ],
)
def test_wrong_http_methods_get_405(
    owner_client: Client, draft: Incident, method: str, path: str
) -> None:
    response = getattr(owner_client, method)(f"/incidents/{draft.public_id}/{path}")
    assert response.status_code == 405


def test_unknown_step_is_404(owner_client: Client, draft: Incident) -> None:
    assert owner_client.get(step_url(draft, "nope")).status_code == 404


def test_editing_an_escalated_incident_uses_the_same_steps(
    owner_client: Client, owner: User
) -> None:
    incident = make_incident(
        owner=owner, started_at=NOW - timedelta(hours=3), detected_at=NOW - timedelta(hours=3)
    )
    make_estimate(incident=incident)
    response = post_step(owner_client, incident, "cause", FULL_ANSWERS["cause"])
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == Status.ESCALATED
    assert incident.escalated_at is not None
    assert b"Back to the brief" in owner_client.get(step_url(incident, "review")).content


def test_dashboard_links_drafts_to_resume(owner_client: Client, draft: Incident) -> None:
    # Something saved: a draft nobody typed into stays off the dashboard (tests/test_drafts.py).
    post_step(owner_client, draft, "assess", {"assess_customers": "10"})
    content = owner_client.get("/").content.decode()
    assert f"/incidents/{draft.public_id}/escalate/" in content
    assert timezone.now() == NOW


def test_the_review_step_is_complete_only_when_every_other_step_is(
    owner_client: Client, draft: Incident
) -> None:
    states = {
        state.step.slug: state.complete for state in escalation_steps.progress(draft, "assess")
    }
    assert states["review"] is False
    complete_all(owner_client, draft)
    draft.refresh_from_db()
    assert all(state.complete for state in escalation_steps.progress(draft, "assess"))
