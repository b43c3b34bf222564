"""The executives an incident's notices go to, and what was sent (issue 16): add, remove, the
delivery details page. Only the incident's owner and collaborators reach any of it."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from briefs import notifications, services
from briefs.forms import SubscriberForm
from briefs.middleware import zone_from_request
from briefs.models import Status, Subscriber
from briefs.views.common import (
    HtmxHttpRequest,
    current_user,
    incident_for_editor,
    incident_row_for_editor,
    subscriber_panel,
)


def _back(request: HtmxHttpRequest, public_id: UUID, status: str) -> str:
    """Where the panel lives: the resources step for a draft, otherwise the brief."""
    if status == Status.DRAFT:
        return reverse("briefs:incident_step", args=[public_id, "resources"]) + "#executives"
    return reverse("briefs:incident_brief", args=[public_id]) + "#executives"


@require_POST
def subscriber_create(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    form = SubscriberForm(request.POST)
    subscriber = None
    if form.is_valid():
        try:
            subscriber = services.subscriber_add(
                incident=incident,
                created_by=current_user(request),
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                cadence=form.cleaned_data["cadence"],
            )
        except services.AlreadySubscribed:
            form.add_error("email", "This address already gets this incident's mail.")
    if subscriber is None:
        # What was typed stays in the form, beside its error: the panel for htmx, else a page.
        context = {"incident": incident, **subscriber_panel(incident, form)}
        template = "briefs/_subscribers.html" if request.htmx else "briefs/subscriber_form.html"
        return render(request, template, context, status=400)
    if request.htmx:
        context = {"incident": incident, **subscriber_panel(incident), "added": subscriber}
        return render(request, "briefs/_subscribers.html", context)
    messages.success(request, f"{subscriber.name} will get this incident's updates by email.")
    return redirect(_back(request, public_id, incident.status))


@require_POST
def subscriber_remove(
    request: HtmxHttpRequest, public_id: UUID, subscriber_id: UUID
) -> HttpResponse:
    subscriber = incident_row_for_editor(request, Subscriber, public_id, subscriber_id)
    services.subscriber_remove(subscriber=subscriber)
    messages.success(
        request, f"{subscriber.name} gets no more email, and their link no longer opens the brief."
    )
    return redirect(_back(request, public_id, subscriber.incident.status))


@require_GET
def incident_deliveries(request: HtmxHttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id, with_rows=False)
    if request.htmx and request.GET.get("fragment") == "line":
        line = notifications.delivery_line(incident.pk, zone_from_request(request))
        fragment = {"incident": incident, "line": line}
        return render(request, "briefs/deliveries.html#delivery_line", fragment)
    context = {"incident": incident, "deliveries": notifications.deliveries_for(incident)}
    return render(request, "briefs/deliveries.html", context)
