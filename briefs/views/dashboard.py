"""The dashboard: drafts, open and resolved incidents, and the totals across them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from briefs import dashboard_figures, reminders
from briefs.brief_content import minute
from briefs.middleware import PROPOSE_ZONE
from briefs.models import Incident, IncidentUpdate, Status
from briefs.views.common import CSRF_SLOT, current_user

# Open incidents are all listed; resolved ones a page at a time, most recently resolved first.
# The totals and the weekly chart still cover every incident.
RESOLVED_PER_PAGE = 25


# A page older than its minute is never used again (its key names the minute).
DASHBOARD_SECONDS = 120


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Cached per user, address, minute and zone, and the stamp of the incidents it shows."""
    user = current_user(request)
    # To the minute, as the brief states its figures: the two never show different costs.
    now = minute(timezone.now())
    if messages.get_messages(request):
        # A message to show once (a draft discarded): drawn for this response only.
        return render(request, "briefs/dashboard.html", _dashboard_context(request, now))
    # Every service that changes what a row shows touches its incident's `updated_at` (see
    # `brief_stamp`); the count catches an incident that left (a draft discarded).
    count, changed = Incident.objects.stamp_for(user)
    material = "|".join(
        [
            str(user.pk),
            user.get_username(),
            request.get_full_path(),
            now.isoformat(),
            timezone.get_current_timezone_name(),
            str(count),
            str(changed),
            # base.html proposes a time zone until the user has one.
            str(request.session.get(PROPOSE_ZONE, False)),
        ]
    )

    def render_page() -> str:
        context = _dashboard_context(request, now)
        context["csrf_token"] = CSRF_SLOT
        return render_to_string("briefs/dashboard.html", context, request=request)

    key = "dashboard:" + hashlib.sha256(material.encode()).hexdigest()
    page = str(caches["fragments"].get_or_set(key, render_page, DASHBOARD_SECONDS))
    return HttpResponse(page.replace(CSRF_SLOT, get_token(request)))


def _dashboard_context(request: HttpRequest, now: datetime) -> dict[str, Any]:
    # Built only to draw the page: building the access rule's query costs more than a hit.
    visible = Incident.objects.editable_by(request.user)
    today = timezone.localdate(now)
    # Drafts and open incidents, each with what its row computes live: cost, promises, next
    # update due. Resolved incidents carry their figures on their own row.
    unresolved = list(
        visible.filter(resolved_at__isnull=True)
        .with_action_counts(today)
        .with_alert_origin()
        .prefetch_related(
            "estimates",
            Prefetch(
                "updates",
                queryset=IncidentUpdate.objects.only(
                    "incident_id", "sequence", "posted_at", "next_update_due", "corrects_id"
                ),
            ),
        )
        .order_by("-created_at")
    )
    drafts = [i for i in unresolved if i.status == Status.DRAFT and not i.is_untouched_draft]
    if request.user.is_staff:
        # An admin sees every incident (issue 19), but others' drafts are unfinished work, not
        # incidents to take over: their dashboard lists only their own.
        drafts = [i for i in drafts if i.owner_id == request.user.pk]
    # Alert webhooks (issue 17): which drafts an alert opened, for the badge and their rows.
    drafts_from_alerts = {i.pk for i in drafts if i.from_alert}  # type: ignore[attr-defined]
    open_rows = [
        dashboard_figures.open_figures(i, now=now) for i in unresolved if i.status != Status.DRAFT
    ]
    escalated = visible.exclude(status=Status.DRAFT)
    resolved_page = Paginator(
        escalated.filter(resolved_at__isnull=False)
        .with_action_counts(today)
        .order_by("-resolved_at", "-pk"),
        RESOLVED_PER_PAGE,
    ).get_page(request.GET.get("page"))
    # The reminders banner (base.html): the rows are all the viewer's open incidents, with
    # their updates loaded, so they tell what is due without a query. An admin's rows are
    # everyone's; their banner keeps its own query, on their incidents alone.
    banner = (
        {}
        if request.user.is_staff
        else {"due_updates": reminders.due_updates_among([r.incident for r in open_rows], now)}
    )
    weeks = dashboard_figures.last_weeks(today)
    sums = escalated.dashboard_totals(today=today, weeks=[(s, e) for _, s, e in weeks])
    return {
        "drafts": drafts,
        "drafts_from_alerts": drafts_from_alerts,
        "any_escalated": bool(open_rows) or resolved_page.paginator.count > 0,
        "open_rows": open_rows,
        "resolved_page": resolved_page,
        "resolved_rows": [dashboard_figures.resolved_figures(i) for i in resolved_page.object_list],
        "totals": dashboard_figures.totals(
            open_rows=open_rows, sums=sums, durations=list(escalated.stage_durations())
        ),
        "weekly": dashboard_figures.incidents_per_week(
            [(monday, sums[f"week_{index}"]) for index, (monday, _, _) in enumerate(weeks)]
        ),
        "now": now,
        **banner,
    }
