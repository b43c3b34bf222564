"""Plain functions that make the rows tests need."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from briefs.models import ImpactEstimate, Incident, Status

PASSWORD = "correct-horse-battery"


def make_user(username: str = "owner", **fields: Any) -> User:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
    return user


def make_incident(*, owner: User, title: str = "Checkout outage", **fields: Any) -> Incident:
    now = timezone.now()
    defaults: dict[str, Any] = {
        "system": "Checkout service",
        "description": "Customers cannot pay for orders.",
        "status": Status.ESCALATED,
        "started_at": now - timedelta(hours=2),
        "detected_at": now - timedelta(hours=2) + timedelta(minutes=5),
        "escalated_at": now - timedelta(hours=1),
    }
    defaults.update(fields)
    return Incident.objects.create(owner=owner, title=title, **defaults)


def make_estimate(
    incident: Incident,
    *,
    revenue_per_hour: str | Decimal = "1000",
    customers_affected: int = 100,
    effective_at: datetime | None = None,
    **fields: Any,
) -> ImpactEstimate:
    return ImpactEstimate.objects.create(
        incident=incident,
        author=incident.owner,
        revenue_per_hour=Decimal(revenue_per_hour),
        customers_affected=customers_affected,
        effective_at=effective_at or incident.started_at or timezone.now(),
        **fields,
    )
