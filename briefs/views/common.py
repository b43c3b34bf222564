"""What every architect view shares: the htmx request type, the access rule, the conflict page."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django_htmx.middleware import HtmxDetails

from briefs import notifications
from briefs.brief_content import brief_queryset
from briefs.forms import SubscriberForm
from briefs.models import ActionItem, Incident, ShareLink, Subscriber

# Stands in for the CSRF token in a cached page (the architect's brief, the dashboard) and is
# replaced in every response: the token is the only per-request secret those pages hold.
# Random, so no text typed into an incident can be mistaken for it.
CSRF_SLOT = f"csrf{secrets.token_hex(16)}"


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


def incident_row_for_editor[Row: (ActionItem, ShareLink, Subscriber)](
    request: HttpRequest, model: type[Row], public_id: UUID, row_id: UUID
) -> Row:
    """A row of an incident (an action item, an executive link), under the incident's access
    rule: 404 for an outsider, and for a row of another incident."""
    return get_object_or_404(
        model.objects.select_related("incident"),
        incident__in=Incident.objects.editable_by(request.user),
        incident__public_id=public_id,
        public_id=row_id,
    )


def incident_people(incident: Incident) -> QuerySet[User]:
    """Who can own an action item in the app: the incident's owner and collaborators."""
    ids = [incident.owner_id, *(user.pk for user in incident.collaborators.all())]
    return User.objects.filter(pk__in=ids).order_by("username")


def conflict_page(
    request: HttpRequest,
    incident: Incident,
    subject: str,
    rows: Iterable[tuple[Any, Any, Any]],
    *,
    form_url: str,
    back_url: str | None = None,
    current_version: int | None = None,
) -> HttpResponse:
    """409: someone else saved first. Their saved version beside this editor's, unsaved; the
    editor's entries go back in hidden fields with the current version, so saving over theirs
    is a second, deliberate decision (templates/briefs/conflict.html).

    `incident` is as saved now; `rows` are (label, theirs, yours). "Keep theirs" leads to
    `back_url` (default: the form again); the version re-posted is `current_version` (default:
    the incident's; the RCA has its own).
    """
    resubmit = [
        (key, item)
        for key, values in request.POST.lists()
        if key not in {"version", "csrfmiddlewaretoken"}
        for item in values
    ]
    context = {
        "incident": incident,
        "step": {"name": subject},
        "rows": [
            {"label": label, "theirs": theirs, "yours": yours, "differs": theirs != yours}
            for label, theirs, yours in rows
        ],
        "resubmit": resubmit,
        "current_version": incident.version if current_version is None else current_version,
        "step_url": form_url,
        "back_url": back_url or form_url,
    }
    return render(request, "briefs/conflict.html", context, status=409)


def subscriber_panel(
    incident: Incident, form: SubscriberForm | None = None, *, links: list[ShareLink] | None = None
) -> dict[str, Any]:
    """What the executives panel shows (templates/briefs/_subscribers.html), on the brief and in
    the guided escalation's resources step: who gets the mail, and the form to add someone.
    `links`, loaded with `select_related("subscriber")`, saves the brief page a query."""
    if links is None:
        subscribers = notifications.subscriber_rows(incident)
    else:
        subscribers = sorted(
            (
                link.subscriber
                for link in links
                if hasattr(link, "subscriber") and link.subscriber.is_receiving
            ),
            key=lambda subscriber: (subscriber.created_at, subscriber.pk),
        )
    return {"subscribers": subscribers, "subscriber_form": form or SubscriberForm()}
