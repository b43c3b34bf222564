"""The architect's side of alert webhooks: their integrations (a settings page beside the time
zone: list, create, revoke) and the confirmation of a cleared alert on the brief."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from briefs import integrations
from briefs.forms import IntegrationForm
from briefs.models import AlertClearance, Incident, Integration, IntegrationKind
from briefs.views.common import current_user


@require_http_methods(["GET", "POST"])
def integration_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = IntegrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        integration, token = integrations.integration_create(
            owner=user, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"]
        )
        url = request.build_absolute_uri(
            reverse("briefs:alert_hook", args=[integration.kind, token])
        )
        # Shown once, in this response: only the token's hash is stored.
        response = render(
            request, "briefs/integration_created.html", {"integration": integration, "url": url}
        )
        add_never_cache_headers(response)
        return response
    rows = Integration.objects.filter(owner=user).order_by("revoked_at", "-created_at")
    return render(
        request,
        "briefs/integrations.html",
        {"form": form, "integrations": rows},
        status=400 if form.is_bound else 200,
    )


@require_POST
def integration_revoke(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    # Only its owner's: another user's integration is the same 404 as none.
    integration = get_object_or_404(
        Integration, owner=current_user(request), public_id=integration_id
    )
    integrations.integration_revoke(integration=integration)
    messages.success(request, f"“{integration.name}” no longer opens drafts; its URL answers 404.")
    return redirect("briefs:integration_list")


@require_POST
def integration_secret(request: HttpRequest, integration_id: UUID) -> HttpResponse:
    """PagerDuty's signing secret, pasted from the subscription PagerDuty made for the URL."""
    integration = get_object_or_404(
        Integration,
        owner=current_user(request),
        public_id=integration_id,
        kind=IntegrationKind.PAGERDUTY,
    )
    secret = request.POST.get("secret", "").strip()
    if not secret:
        messages.error(request, "Paste the secret PagerDuty showed for the subscription.")
    else:
        integrations.integration_set_secret(integration=integration, secret=secret)
        messages.success(request, f"“{integration.name}” now accepts PagerDuty's signed events.")
    return redirect("briefs:integration_list")


@require_POST
def alert_clearance_confirm(
    request: HttpRequest, public_id: UUID, clearance_id: UUID
) -> HttpResponse:
    """The brief's "Add to the timeline" on a cleared alert: the incident's editors only."""
    clearance = get_object_or_404(
        AlertClearance.objects.select_related("incident", "group"),
        incident__in=Incident.objects.editable_by(request.user),
        incident__public_id=public_id,
        public_id=clearance_id,
    )
    if integrations.clearance_confirm(clearance=clearance, author=current_user(request)):
        messages.success(request, "The cleared alert is on the timeline.")
    return redirect("briefs:incident_brief", public_id)
