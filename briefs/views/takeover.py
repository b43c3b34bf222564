"""An admin takes over an incident whose owner is away: hands it on, or adds collaborators."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from briefs.models import Incident
from briefs.services import incident_add_collaborator, incident_hand_over
from briefs.views.common import current_user


def _incident_for_admin(request: HttpRequest, public_id: UUID) -> Incident:
    """The incident, for an admin only: to anyone else the page does not exist."""
    if not current_user(request).is_staff:
        raise Http404("No such incident")
    return get_object_or_404(
        Incident.objects.select_related("owner").prefetch_related("collaborators"),
        public_id=public_id,
    )


def _architect(request: HttpRequest) -> User:
    return get_object_or_404(User, pk=request.POST.get("user", "0") or "0", is_active=True)


@require_GET
def incident_takeover(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_admin(request, public_id)
    architects = User.objects.filter(is_active=True).order_by("username")
    return render(request, "briefs/takeover.html", {"incident": incident, "architects": architects})


@require_POST
def incident_hand_over_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_admin(request, public_id)
    to = _architect(request)
    incident_hand_over(incident=incident, to=to, by=current_user(request))
    messages.success(request, f"{to.get_full_name() or to.get_username()} now owns this incident.")
    return redirect("briefs:incident_takeover", public_id)


@require_POST
def incident_add_collaborator_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = _incident_for_admin(request, public_id)
    user = _architect(request)
    if incident_add_collaborator(incident=incident, user=user, by=current_user(request)):
        messages.success(request, f"{user.get_username()} now works on this incident.")
    else:
        messages.info(request, f"{user.get_username()} already works on this incident.")
    return redirect("briefs:incident_takeover", public_id)
