"""Every database constraint rejects a bad row on its own, whatever the forms let through."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from briefs.models import ActionItem, Incident, IncidentUpdate, RootCauseAnalysis, ShareLink
from tests.factories import make_estimate, make_incident

NOW = timezone.now()


def _rejected(action: Any) -> None:
    # PostgreSQL reports an over-long varchar as a DataError before checking the constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        action()


INCIDENT_CASES = {
    "incident_severity_valid": {"severity": "SEV9"},
    "incident_status_valid": {"status": "exploded"},
    "incident_operating_state_valid": {"operating_state": "on_fire"},
    "incident_root_cause_confidence_valid": {"root_cause_confidence": "guess"},
    "incident_currency_valid": {"currency": "XXX"},
    "incident_detected_after_start": {"started_at": NOW, "detected_at": NOW - timedelta(minutes=1)},
    "incident_resolved_after_start": {"started_at": NOW, "resolved_at": NOW - timedelta(minutes=1)},
    "incident_eta_range_ordered": {"eta_earliest": NOW, "eta_latest": NOW - timedelta(minutes=1)},
    "incident_assess_revenue_range": {"assess_revenue_per_hour": Decimal("-1")},
    "incident_assess_revenue_ceiling": {"assess_revenue_per_hour": Decimal("1000000000000")},
    "incident_assess_customers_range": {"assess_customers": -5},
    "incident_assess_customers_ceiling": {"assess_customers": 10**10 + 1},
    "incident_assess_duration_range": {"assess_duration_hours": 24 * 366},
    "incident_cadence_too_short": {"update_cadence_minutes": 1},
    "incident_cadence_too_long": {"update_cadence_minutes": 24 * 60 + 1},
    "incident_version_positive": {"version": 0},
    "incident_title_length": {"title": "x" * 201},
    "incident_description_length": {"description": "x" * 301},
    "incident_root_cause_length": {"root_cause": "x" * 2001},
    "incident_override_reason_length": {"override_reason": "x" * 1001},
}


@pytest.mark.parametrize("fields", INCIDENT_CASES.values(), ids=INCIDENT_CASES.keys())
def test_incident_constraint_rejects_bad_row(owner: User, fields: dict[str, Any]) -> None:
    base = {"started_at": NOW - timedelta(hours=1), "detected_at": NOW - timedelta(hours=1)}
    _rejected(lambda: make_incident(owner=owner, **{**base, **fields}))


def test_a_valid_incident_is_accepted(owner: User) -> None:
    make_incident(owner=owner, title="x" * 200, update_cadence_minutes=5)
    assert Incident.objects.count() == 1


ESTIMATE_CASES = {
    "estimate_revenue_negative": {"revenue_per_hour": "-0.01"},
    "estimate_revenue_ceiling": {"revenue_per_hour": "1000000000000"},
    "estimate_customers_negative": {"customers_affected": -1},
    "estimate_customers_ceiling": {"customers_affected": 10**10 + 1},
    "estimate_confidence_valid": {"confidence": "certain"},
    "estimate_basis_length": {"basis": "x" * 1001},
}


@pytest.mark.parametrize("fields", ESTIMATE_CASES.values(), ids=ESTIMATE_CASES.keys())
def test_estimate_constraint_rejects_bad_row(incident: Incident, fields: dict[str, Any]) -> None:
    _rejected(lambda: make_estimate(incident, **fields))


def _update(incident: Incident, **fields: Any) -> IncidentUpdate:
    values: dict[str, Any] = {
        "incident": incident,
        "sequence": 1,
        "author": incident.owner,
        "what_changed": "Rollback done",
        "posted_at": NOW,
        "next_update_due": NOW + timedelta(hours=1),
    }
    values.update(fields)
    return IncidentUpdate.objects.create(**values)


UPDATE_CASES = {
    "update_sequence_positive": {"sequence": 0},
    "update_operating_state_valid": {"operating_state": "fine"},
    "update_eta_range_ordered": {"eta_earliest": NOW, "eta_latest": NOW - timedelta(hours=1)},
    "update_next_due_after_post": {"next_update_due": NOW - timedelta(minutes=1)},
    "update_what_changed_length": {"what_changed": "x" * 2001},
}


@pytest.mark.parametrize("fields", UPDATE_CASES.values(), ids=UPDATE_CASES.keys())
def test_update_constraint_rejects_bad_row(incident: Incident, fields: dict[str, Any]) -> None:
    _rejected(lambda: _update(incident, **fields))


def test_update_sequence_is_unique_per_incident(incident: Incident) -> None:
    _update(incident)
    _rejected(lambda: _update(incident))


def test_share_link_must_expire_after_creation(incident: Incident) -> None:
    _rejected(
        lambda: ShareLink.objects.create(
            incident=incident,
            token_hash="a" * 64,
            label="CEO",
            created_by=incident.owner,
            created_at=NOW,
            expires_at=NOW,
        )
    )


def test_action_item_kind_is_a_known_kind(incident: Incident) -> None:
    _rejected(lambda: ActionItem.objects.create(incident=incident, description="x", kind="wish"))


def test_rca_version_positive_rejects_version_0(owner: User) -> None:
    incident = make_incident(owner=owner)
    _rejected(
        lambda: RootCauseAnalysis.objects.create(
            incident=incident, root_cause="A settings change.", author=owner, version=0
        )
    )
