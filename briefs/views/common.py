"""What every architect view shares: the htmx request type and the access rule."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django_htmx.middleware import HtmxDetails

from briefs.brief import brief_queryset
from briefs.models import Incident


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def current_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def incident_for_editor(
    request: HttpRequest, public_id: UUID, *, with_rows: bool = True
) -> Incident:
    """The one access rule for an incident: its owner or a collaborator, else 404.

    `with_rows` preloads everything the brief shows; pages that take the brief's HTML from
    the fragment cache need only the incident row.
    """
    queryset = brief_queryset() if with_rows else Incident.objects.select_related("owner", "rca")
    return get_object_or_404(queryset.editable_by(request.user), public_id=public_id)


def incident_people(incident: Incident) -> QuerySet[User]:
    """Who can own an action item in the app: the incident's owner and collaborators."""
    ids = [incident.owner_id, *(user.pk for user in incident.collaborators.all())]
    return User.objects.filter(pk__in=ids).order_by("username")
