"""Every database constraint rejects a bad row on its own, whatever the forms let through."""

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import UniqueConstraint
from django.utils import timezone

from briefs.models import ActionItem, Incident, IncidentUpdate, RootCauseAnalysis, ShareLink
from briefs.seed import make_estimate, make_incident

NOW = timezone.now()


def violated_constraint(error: IntegrityError) -> str:
    """The name of the constraint a row broke, as the database reports it: PostgreSQL in
    psycopg's diagnostics, SQLite in its message (a CHECK by name, a UNIQUE by its columns)."""
    diag = getattr(error.__cause__, "diag", None)
    if diag is not None:
        return str(diag.constraint_name)
    message = str(error)
    if check := re.fullmatch(r"CHECK constraint failed: (\w+)", message):
        return check[1]
    if unique := re.fullmatch(r"UNIQUE constraint failed: (.+)", message):
        table_columns = [name.split(".") for name in unique[1].split(", ")]
        model = next(m for m in apps.get_models() if m._meta.db_table == table_columns[0][0])
        columns = {column for _, column in table_columns}
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and columns == {
                field.column
                for field in model._meta.concrete_fields
                if field.name in constraint.fields
            }:
                return constraint.name
    raise AssertionError(f"no constraint named in {message!r}")


def _rejected(constraint: str, action: Any) -> None:
    if constraint.endswith("_length") and connection.vendor == "postgresql":
        # PostgreSQL's varchar refuses an over-long value before any check; the `_length` checks
        # are there for SQLite, which ignores varchar lengths.
        too_long = "value too long for type character varying"
        with pytest.raises(DataError, match=too_long), transaction.atomic():
            action()
        return
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        action()
    assert violated_constraint(raised.value) == constraint


# The case (the test's id): the constraint that must refuse it, and the row's bad fields.
INCIDENT_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "severity_valid": ("incident_severity_valid", {"severity": "SEV9"}),
    "status_valid": ("incident_status_valid", {"status": "exploded"}),
    "operating_state_valid": ("incident_operating_state_valid", {"operating_state": "on_fire"}),
    "root_cause_confidence_valid": (
        "incident_root_cause_confidence_valid",
        {"root_cause_confidence": "guess"},
    ),
    "currency_valid": ("incident_currency_valid", {"currency": "XXX"}),
    "detected_after_start": (
        "incident_detected_after_start",
        {"started_at": NOW, "detected_at": NOW - timedelta(minutes=1)},
    ),
    "resolved_after_start": (
        "incident_resolved_after_start",
        {"started_at": NOW, "detected_at": NOW, "resolved_at": NOW - timedelta(minutes=1)},
    ),
    "eta_range_ordered": (
        "incident_eta_range_ordered",
        {"eta_earliest": NOW, "eta_latest": NOW - timedelta(minutes=1)},
    ),
    "assess_revenue_negative": (
        "incident_assess_revenue_range",
        {"assess_revenue_per_hour": Decimal("-1")},
    ),
    "assess_revenue_ceiling": (
        "incident_assess_revenue_range",
        {"assess_revenue_per_hour": Decimal("1000000000000")},
    ),
    "assess_customers_negative": ("incident_assess_customers_range", {"assess_customers": -5}),
    "assess_customers_ceiling": (
        "incident_assess_customers_range",
        {"assess_customers": 10**10 + 1},
    ),
    "assess_duration_range": (
        "incident_assess_duration_range",
        {"assess_duration_hours": 24 * 366},
    ),
    "cadence_too_short": ("incident_cadence_range", {"update_cadence_minutes": 1}),
    "cadence_too_long": ("incident_cadence_range", {"update_cadence_minutes": 24 * 60 + 1}),
    "version_positive": ("incident_version_positive", {"version": 0}),
    "title_length": ("incident_title_length", {"title": "x" * 201}),
    "description_length": ("incident_description_length", {"description": "x" * 301}),
    "root_cause_length": ("incident_root_cause_length", {"root_cause": "x" * 2001}),
    "override_reason_length": ("incident_override_reason_length", {"override_reason": "x" * 1001}),
}


@pytest.mark.parametrize(("constraint", "fields"), INCIDENT_CASES.values(), ids=INCIDENT_CASES)
def test_incident_constraint_rejects_bad_row(
    owner: User, constraint: str, fields: dict[str, Any]
) -> None:
    base = {"started_at": NOW - timedelta(hours=1), "detected_at": NOW - timedelta(hours=1)}
    _rejected(constraint, lambda: make_incident(owner=owner, **{**base, **fields}))


def test_a_valid_incident_is_accepted(owner: User) -> None:
    make_incident(owner=owner, title="x" * 200, update_cadence_minutes=5)
    assert Incident.objects.count() == 1


ESTIMATE_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "revenue_negative": ("estimate_revenue_range", {"revenue_per_hour": "-0.01"}),
    "revenue_ceiling": ("estimate_revenue_range", {"revenue_per_hour": "1000000000000"}),
    "customers_negative": ("estimate_customers_range", {"customers_affected": -1}),
    "customers_ceiling": ("estimate_customers_range", {"customers_affected": 10**10 + 1}),
    # Short enough for the column: PostgreSQL would refuse a longer one as too long instead.
    "confidence_valid": ("estimate_confidence_valid", {"confidence": "sure"}),
    "basis_length": ("estimate_basis_length", {"basis": "x" * 1001}),
}


@pytest.mark.parametrize(("constraint", "fields"), ESTIMATE_CASES.values(), ids=ESTIMATE_CASES)
def test_estimate_constraint_rejects_bad_row(
    incident: Incident, constraint: str, fields: dict[str, Any]
) -> None:
    _rejected(constraint, lambda: make_estimate(incident=incident, **fields))


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


UPDATE_CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "sequence_positive": ("update_sequence_positive", {"sequence": 0}),
    "operating_state_valid": ("update_operating_state_valid", {"operating_state": "fine"}),
    "eta_range_ordered": (
        "update_eta_range_ordered",
        {"eta_earliest": NOW, "eta_latest": NOW - timedelta(hours=1)},
    ),
    "next_due_after_post": (
        "update_next_due_after_post",
        {"next_update_due": NOW - timedelta(minutes=1)},
    ),
    "what_changed_length": ("update_what_changed_length", {"what_changed": "x" * 2001}),
}


@pytest.mark.parametrize(("constraint", "fields"), UPDATE_CASES.values(), ids=UPDATE_CASES)
def test_update_constraint_rejects_bad_row(
    incident: Incident, constraint: str, fields: dict[str, Any]
) -> None:
    _rejected(constraint, lambda: _update(incident, **fields))


def test_update_sequence_is_unique_per_incident(incident: Incident) -> None:
    _update(incident)
    _rejected("update_sequence_unique", lambda: _update(incident))


def test_share_link_must_expire_after_creation(incident: Incident) -> None:
    _rejected(
        "sharelink_expires_after_created",
        lambda: ShareLink.objects.create(
            incident=incident,
            token_hash="a" * 64,
            label="CEO",
            created_by=incident.owner,
            created_at=NOW,
            expires_at=NOW,
        ),
    )


def test_action_item_kind_is_a_known_kind(incident: Incident) -> None:
    _rejected(
        "actionitem_kind_valid",
        lambda: ActionItem.objects.create(incident=incident, description="x", kind="wish"),
    )


def test_rca_version_positive_rejects_version_0(owner: User) -> None:
    incident = make_incident(owner=owner)
    _rejected(
        "rca_version_positive",
        lambda: RootCauseAnalysis.objects.create(
            incident=incident, root_cause="A settings change.", author=owner, version=0
        ),
    )
