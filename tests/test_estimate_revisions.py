"""Revising the impact estimate: a revision starts from the current estimate and keeps what the
architect did not change, on every page the CEO reads."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from briefs.forms import ImpactForm, UpdateForm
from briefs.models import EstimateConfidence, ImpactEstimate, Incident
from briefs.seed import make_estimate, make_incident
from briefs.services import EstimateInput, share_link_create, update_post
from tests.factories import form_data, pdf_text

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = START + timedelta(hours=3)

FLAGS = ["SLA or contract breach", "Data, security or privacy exposure"]
OTHER = "Orders placed during the outage are lost for good."


pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def flagged(owner: User) -> Incident:
    incident = make_incident(
        owner=owner, title="Database deleted", started_at=START, escalated_at=START
    )
    make_estimate(
        incident=incident,
        revenue_per_hour="48000",
        customers_affected=12500,
        effective_at=START,
        sla_breach=True,
        data_exposure=True,
        other_impact=OTHER,
        confidence="medium",
        basis="Orders per hour times the average order.",
    )
    return incident


def brief_url(incident: Incident, suffix: str = "") -> str:
    return f"/incidents/{incident.public_id}/{suffix}"


def update_form(client: Client, incident: Incident) -> dict[str, str]:
    """The update form as the brief page shows it, ready to send back."""
    data = form_data(client.get(brief_url(incident)).content.decode(), "update-form")
    data["what_changed"] = "Restore from the backup is running."
    return data


def everything_the_ceo_reads(client: Client, incident: Incident, owner: User) -> dict[str, str]:
    _, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    page = client.get(brief_url(incident)).content.decode()
    page = page[: page.index('id="update-form"')]  # the brief, not the architect's forms
    link = Client().get(f"/b/{token}").content.decode()
    markdown = client.get(brief_url(incident, "brief.md")).content.decode()
    document = pdf_text(client.get(brief_url(incident, "pdf")).content)
    return {"brief": page, "link": link, "markdown": markdown, "pdf": document}


def test_the_update_form_shows_the_current_estimate_with_its_flags(
    owner_client: Client, flagged: Incident
) -> None:
    data = update_form(owner_client, flagged)
    assert Decimal(data["revenue_per_hour"]) == Decimal("48000")
    assert data["customers_affected"] == "12500"
    assert data["sla_breach"] == "on"
    assert data["data_exposure"] == "on"
    assert "regulatory" not in data and "reputation" not in data
    assert data["other_impact"] == OTHER
    assert data["estimate_confidence"] == "medium"
    assert data["estimate_basis"] == "Orders per hour times the average order."


def test_revising_the_figures_keeps_the_flags_on_brief_link_pdf_and_markdown(
    owner_client: Client, flagged: Incident, owner: User
) -> None:
    data = update_form(owner_client, flagged)
    data["revenue_per_hour"] = "30000"
    assert owner_client.post(brief_url(flagged, "updates/"), data).status_code == 302

    revised = flagged.estimates.order_by("effective_at", "pk").last()
    assert revised is not None
    assert revised.revenue_per_hour == Decimal("30000")
    assert revised.customers_affected == 12500
    assert (revised.sla_breach, revised.data_exposure, revised.regulatory) == (True, True, False)
    assert revised.other_impact == OTHER
    assert revised.confidence == "medium"
    for where, text in everything_the_ceo_reads(owner_client, flagged, owner).items():
        for flag in [*FLAGS, OTHER]:
            assert flag in text, (where, flag)
        assert "$30,000" in text, where


def test_an_update_that_leaves_the_estimate_alone_adds_no_revision(
    owner_client: Client, flagged: Incident
) -> None:
    assert owner_client.post(brief_url(flagged, "updates/"), update_form(owner_client, flagged))
    assert flagged.estimates.count() == 1
    assert flagged.updates.get().estimate is None


def test_a_confidence_only_update_says_so(
    owner_client: Client, flagged: Incident, owner: User
) -> None:
    data = update_form(owner_client, flagged)
    data["estimate_confidence"] = "high"
    owner_client.post(brief_url(flagged, "updates/"), data)

    revised = flagged.estimates.order_by("effective_at", "pk").last()
    assert revised is not None and revised.confidence == "high"
    assert revised.revenue_per_hour == Decimal("48000") and revised.sla_breach
    texts = everything_the_ceo_reads(owner_client, flagged, owner)
    for where in ["brief", "link", "pdf"]:
        assert "Confidence raised to high: measured." in texts[where], where
        assert "Impact estimate revised" not in texts[where], where


def test_unticking_a_flag_is_a_change_the_timeline_names(
    owner_client: Client, flagged: Incident
) -> None:
    data = update_form(owner_client, flagged)
    del data["sla_breach"]
    owner_client.post(brief_url(flagged, "updates/"), data)

    revised = flagged.estimates.order_by("effective_at", "pk").last()
    assert revised is not None and not revised.sla_breach and revised.data_exposure
    page = owner_client.get(brief_url(flagged)).content.decode()
    assert "No longer flagged: SLA or contract breach." in page


def test_a_revision_changes_only_what_this_architect_changed(
    owner_client: Client, flagged: Incident, owner: User
) -> None:
    # The page was loaded, then a colleague revised the figures before this post was sent.
    data = update_form(owner_client, flagged)
    update_post(
        incident=flagged,
        author=owner,
        what_changed="Fewer customers affected than feared.",
        next_update_due=NOW + timedelta(hours=1),
        estimate=EstimateInput.revising(
            flagged.current_estimate(), revenue_per_hour=Decimal("20000")
        ),
        posted_at=NOW - timedelta(minutes=1),
    )
    data["estimate_confidence"] = "high"
    owner_client.post(brief_url(flagged, "updates/"), data)

    latest = ImpactEstimate.objects.order_by("effective_at", "pk").last()
    assert latest is not None
    assert (latest.revenue_per_hour, latest.confidence) == (Decimal("20000"), "high")


def test_resolving_starts_from_the_current_estimate_and_keeps_its_flags(
    owner_client: Client, flagged: Incident, owner: User
) -> None:
    page = owner_client.get(brief_url(flagged, "resolve/")).content.decode()
    data = form_data(page)
    assert data["sla_breach"] == "on" and data["data_exposure"] == "on"
    assert data["other_impact"] == OTHER
    assert data["confidence"] == "medium"
    data.update(
        resolved_at="2026-03-02T10:00",
        customers_affected="11000",
        closing_update="Restored from the backup.",
    )
    assert owner_client.post(brief_url(flagged, "resolve/"), data).status_code == 302

    final = flagged.estimates.order_by("effective_at", "pk").last()
    assert final is not None
    assert final.customers_affected == 11000
    assert (final.sla_breach, final.data_exposure, final.other_impact) == (True, True, OTHER)
    for where, text in everything_the_ceo_reads(owner_client, flagged, owner).items():
        for flag in FLAGS:
            assert flag in text, (where, flag)


def test_the_final_figures_stay_current_when_the_resolution_predates_the_last_revision(
    owner_client: Client, flagged: Incident, owner: User
) -> None:
    data = update_form(owner_client, flagged)
    data["revenue_per_hour"] = "30000"
    owner_client.post(brief_url(flagged, "updates/"), data)  # revised at 11:00
    data = form_data(owner_client.get(brief_url(flagged, "resolve/")).content.decode())
    del data["data_exposure"]  # no data was lost after all
    data.update(resolved_at="2026-03-02T10:00", closing_update="Restored from the backup.")
    owner_client.post(brief_url(flagged, "resolve/"), data)

    flagged.refresh_from_db()
    current = flagged.current_estimate()
    assert current is not None and not current.data_exposure
    assert flagged.final_cost() is not None
    assert flagged.final_cost().amount == Decimal("96000.00")  # type: ignore[union-attr]
    texts = everything_the_ceo_reads(owner_client, flagged, owner)
    for where in ["brief", "link", "pdf", "markdown"]:
        assert "Data, security or privacy exposure" not in texts[where], where
        assert "SLA or contract breach" in texts[where], where


def test_a_revision_typed_into_a_refused_update_is_kept_when_it_is_sent_again(
    owner_client: Client, flagged: Incident
) -> None:
    data = update_form(owner_client, flagged)
    data.update(what_changed="", revenue_per_hour="30000")
    refused = owner_client.post(brief_url(flagged, "updates/"), data)
    assert refused.status_code == 400
    again = form_data(refused.content.decode(), "update-form")
    assert Decimal(again["revenue_per_hour"]) == Decimal("30000")
    again["what_changed"] = "Half of the sign-ups work again."
    assert owner_client.post(brief_url(flagged, "updates/"), again).status_code == 302
    revised = flagged.current_estimate()
    assert revised is not None and revised.revenue_per_hour == Decimal("30000")


def test_resolving_with_the_figures_unchanged_still_records_them_as_final(
    owner_client: Client, flagged: Incident
) -> None:
    data = form_data(owner_client.get(brief_url(flagged, "resolve/")).content.decode())
    data.update(resolved_at="2026-03-02T10:00", closing_update="Restored from the backup.")
    assert owner_client.post(brief_url(flagged, "resolve/"), data).status_code == 302

    first, final = flagged.estimates.order_by("effective_at", "pk")
    assert (final.revenue_per_hour, final.customers_affected) == (Decimal("48000"), 12500)
    assert (final.sla_breach, final.other_impact, final.confidence) == (True, OTHER, "medium")
    assert final.pk != first.pk


def test_each_estimate_form_states_its_estimate_through_one_method(flagged: Incident) -> None:
    # The wizard's impact step: a blank confidence is medium; without both figures, nothing.
    figures = {"revenue_per_hour": "100", "customers_affected": "5", "currency": "USD"}
    impact = ImpactForm({**figures, "basis": "Orders"})
    for field in impact.fields.values():
        field.required = False  # as the wizard's Back saves an incomplete step
    assert impact.is_valid(), impact.errors
    assert impact.estimate_input() == EstimateInput(
        revenue_per_hour=Decimal("100"),
        customers_affected=5,
        confidence=EstimateConfidence.MEDIUM,
        basis="Orders",
    )
    half = ImpactForm({"revenue_per_hour": "100", "currency": "USD"})
    for field in half.fields.values():
        field.required = False
    assert half.is_valid(), half.errors
    assert half.estimate_input() is None

    # An update: None when the estimate is left alone, else the shown one with the changes.
    def update(**changes: str) -> UpdateForm:
        form = UpdateForm(incident=flagged, now=NOW)
        data = {**form_initial(form), **changes}
        bound = UpdateForm(data, incident=flagged, now=NOW)
        assert bound.is_valid(), bound.errors
        return bound

    assert update().estimate_input() is None
    revised = update(revenue_per_hour="20000").estimate_input()
    assert revised is not None
    assert (revised.revenue_per_hour, revised.customers_affected) == (Decimal("20000"), 12500)
    assert revised.sla_breach and revised.other_impact == OTHER


def form_initial(form: UpdateForm) -> dict[str, str]:
    """What the page posts when nothing is typed: each field's value and its hidden initial."""
    data: dict[str, str] = {
        "what_changed": "Still degraded.",
        "operating_state": "degraded",
        "next_update_due": "2026-03-02T12:00",
    }
    for name in form.estimate_fields:
        value = form.initial.get(name)
        if value in (None, False):
            continue
        shown = "on" if value is True else str(value)
        data[name] = shown
        data[f"initial-{name}"] = shown
    return data
