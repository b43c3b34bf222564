"""The dashboard and the guided escalation."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Prefetch
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from briefs import glossary, metrics, wizard
from briefs.brief import brief_context, minute
from briefs.forms import (
    AssessForm,
    CauseForm,
    DecisionFormSet,
    ImpactForm,
    OutlookForm,
    ResourcesForm,
    StepForm,
    WhatHappenedForm,
)
from briefs.middleware import PROPOSE_ZONE, set_zone_cookie, zone_from_request
from briefs.models import (
    CENT,
    SECONDS_PER_HOUR,
    Incident,
    IncidentUpdate,
    Profile,
    Status,
    zone_named,
)
from briefs.services import (
    EstimateInput,
    VersionConflict,
    draft_discard,
    impact_save_first_estimate,
    incident_create_draft,
    incident_mark_escalated,
    incident_save_versioned,
    profile_set_time_zone,
)
from briefs.task_queue import queue_status
from briefs.views.common import CSRF_SLOT, HtmxHttpRequest, current_user, incident_for_editor

STEP_FORMS: dict[str, type[StepForm]] = {
    "assess": AssessForm,
    "cause": CauseForm,
    "outlook": OutlookForm,
    "resources": ResourcesForm,
}


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
    open_rows = [metrics.open_figures(i, now=now) for i in unresolved if i.status != Status.DRAFT]
    escalated = visible.exclude(status=Status.DRAFT)
    resolved_page = Paginator(
        escalated.filter(resolved_at__isnull=False)
        .with_action_counts(today)
        .order_by("-resolved_at", "-pk"),
        RESOLVED_PER_PAGE,
    ).get_page(request.GET.get("page"))
    weeks = metrics.last_weeks(today)
    sums = escalated.dashboard_totals(today=today, weeks=[(s, e) for _, s, e in weeks])
    return {
        "drafts": drafts,
        "any_escalated": bool(open_rows) or resolved_page.paginator.count > 0,
        "open_rows": open_rows,
        "resolved_page": resolved_page,
        "resolved_rows": [metrics.resolved_figures(i) for i in resolved_page.object_list],
        "totals": metrics.totals(
            open_rows=open_rows, sums=sums, durations=list(escalated.stage_durations())
        ),
        "weekly": metrics.incidents_per_week(
            [(monday, sums[f"week_{index}"]) for index, (monday, _, _) in enumerate(weeks)]
        ),
        "now": now,
    }


@require_POST
def incident_new(request: HttpRequest) -> HttpResponse:
    incident = incident_create_draft(
        owner=current_user(request),
        title=wizard.DRAFT_TITLE,
        # The owner's zone: the cookie is set from their profile at login (briefs.middleware).
        time_zone=zone_from_request(request).key,
    )
    return redirect("briefs:incident_step", incident.public_id, "assess")


@require_POST
def incident_discard(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The owner throws a draft away; a collaborator or an outsider gets 404."""
    incident = incident_for_editor(request, public_id, with_rows=False)
    if incident.owner_id != request.user.pk or incident.status != Status.DRAFT:
        raise Http404("No such draft")
    if draft_discard(incident=incident):
        messages.success(request, f"The draft “{incident.title}” is discarded.")
    return redirect("briefs:dashboard")


@require_GET
def incident_resume(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    return redirect(
        "briefs:incident_step", incident.public_id, wizard.first_incomplete_step(incident)
    )


def _step_url(incident: Incident, slug: str) -> str:
    return reverse("briefs:incident_step", args=[incident.public_id, slug])


def _build_forms(
    request: HttpRequest, incident: Incident, slug: str, *, complete: bool
) -> tuple[forms.BaseForm, Any]:
    """The step's form (and the decisions formset on the resources step), bound on POST."""
    data = request.POST if request.method == "POST" else None
    formset = None
    form: forms.BaseForm
    if slug == "impact":
        first = incident.estimates_in_order()[0] if incident.estimates_in_order() else None
        form = ImpactForm(data, instance=first, initial={"currency": incident.currency})
    elif slug == "resources":
        form = ResourcesForm(
            data, instance=incident, can_add_collaborators=incident.owner_id == request.user.pk
        )
        formset = DecisionFormSet(data, instance=incident, prefix="decisions")
    elif slug == "what-happened":
        form = WhatHappenedForm(data, instance=incident, now=timezone.now())
    else:
        form = STEP_FORMS[slug](data, instance=incident)
    if not complete:
        # Back and the step list save what is there; only Next insists on a complete step.
        for field in form.fields.values():
            field.required = False
    return form, formset


def _render_step(
    request: HttpRequest,
    incident: Incident,
    slug: str,
    form: forms.BaseForm | None,
    formset: Any = None,
    *,
    status: int = 200,
    partial: str = "",
) -> HttpResponse:
    step = wizard.STEPS_BY_SLUG[slug]
    before, after = wizard.neighbours(slug)
    context: dict[str, Any] = {
        "incident": incident,
        "step": step,
        "progress": wizard.progress(incident, slug),
        "form": form,
        "formset": formset,
        "before": before,
        "after": after,
        "step_url": _step_url(incident, slug),
        "recommendation": _preview_incident(incident, form).recommendation()
        if slug == "assess"
        else None,
        "now": timezone.now(),
    }
    if slug == "impact":
        context["preview"] = _cost_preview(incident, form)
    template = "briefs/wizard_step.html" + (f"#{partial}" if partial else "")
    return render(request, template, context, status=status)


def _preview_incident(incident: Incident, form: forms.BaseForm | None) -> Incident:
    """The incident as it would be with the form's (valid) values, for live advice."""
    if form is None or not form.is_bound or not isinstance(form, AssessForm):
        return incident
    form.is_valid()
    preview = Incident(
        **{f.attname: getattr(incident, f.attname) for f in Incident._meta.concrete_fields}
    )
    for name, value in form.cleaned_data.items():
        setattr(preview, name, value)
    return preview


def _cost_preview(incident: Incident, form: forms.BaseForm | None) -> dict[str, Any]:
    """Cost so far and per hour from the numbers on the impact form, before they are saved."""
    rate = None
    currency = incident.currency
    if form is not None and form.is_bound:
        form.is_valid()
        rate = form.cleaned_data.get("revenue_per_hour")
        currency = form.cleaned_data.get("currency") or currency
    elif incident.current_estimate() is not None:
        rate = incident.estimates_in_order()[0].revenue_per_hour
    cost = None
    if rate is not None and incident.started_at is not None:
        seconds = Decimal(incident.elapsed().total_seconds())
        cost = (rate * seconds / SECONDS_PER_HOUR).quantize(CENT)
    return {"rate": rate, "cost": cost, "currency": currency, "elapsed": incident.elapsed()}


@require_http_methods(["GET", "POST"])
def incident_step(request: HtmxHttpRequest, public_id: UUID, step: str) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    if step not in wizard.STEPS_BY_SLUG:
        raise Http404("No such step")
    if step == "review":
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET"})
        return _review(request, incident)

    nav = request.POST.get("nav", "next")
    complete = request.method == "POST" and nav == "next" and not request.GET
    form, formset = _build_forms(request, incident, step, complete=complete)
    if request.method == "GET":
        return _render_step(request, incident, step, form, formset)

    # htmx asks for advice while the architect types: validate and preview, never save.
    if request.htmx and "validate" in request.GET:
        name = request.GET["validate"]
        if name not in form.fields:
            # Nothing to swap in: the field stays as the user left it.
            return HttpResponse(status=204)
        form.is_valid()
        return render(request, "briefs/_field.html", {"field": form[name]})
    if request.htmx and "preview" in request.GET:
        partial = "recommendation" if step == "assess" else "cost_preview"
        return _render_step(request, incident, step, form, formset, partial=partial)

    try:
        expected_version = int(request.POST.get("version", ""))
    except ValueError:
        return HttpResponseBadRequest("The form is missing its version; reload the page.")

    forms_valid = form.is_valid() and (formset is None or formset.is_valid())
    if not forms_valid:
        return _render_step(request, incident, step, form, formset, status=400)
    if nav != "next" and not form.has_changed() and (formset is None or not formset.has_changed()):
        # Nothing typed: moving between steps writes nothing, so a draft stays untouched
        # (off the dashboard, deleted after a day: Incident.objects.untouched_drafts).
        return redirect(_step_url(incident, _navigation_target(step, nav)))

    try:
        _save_step(request, incident, step, form, formset, expected_version)
    except VersionConflict as conflict:
        return _conflict(request, incident, step, form, conflict.current)

    target = _navigation_target(step, nav)
    return redirect(_step_url(incident, target))


def _navigation_target(step: str, nav: str) -> str:
    before, after = wizard.neighbours(step)
    if nav == "back":
        return before or step
    if nav in wizard.STEPS_BY_SLUG:
        return nav
    return after or step


def _save_step(
    request: HttpRequest,
    incident: Incident,
    step: str,
    form: forms.BaseForm,
    formset: Any,
    expected_version: int,
) -> None:
    user = current_user(request)
    data = form.cleaned_data
    if step == "impact":
        fields = {"currency": data["currency"]} if data.get("currency") else {}

        def save_estimate(current: Incident) -> None:
            if data.get("revenue_per_hour") is None or data.get("customers_affected") is None:
                return
            impact_save_first_estimate(
                incident=current,
                author=user,
                data=EstimateInput(
                    revenue_per_hour=data["revenue_per_hour"],
                    customers_affected=data["customers_affected"],
                    confidence=data.get("confidence") or "medium",
                    basis=data.get("basis", ""),
                    other_impact=data.get("other_impact", ""),
                    sla_breach=data.get("sla_breach", False),
                    regulatory=data.get("regulatory", False),
                    data_exposure=data.get("data_exposure", False),
                    reputation=data.get("reputation", False),
                ),
            )

        incident_save_versioned(
            incident=incident,
            expected_version=expected_version,
            fields=fields,
            after_save=save_estimate,
        )
        return

    assert isinstance(form, forms.ModelForm)
    # An incomplete step (Back, the step list) may leave any field empty; a field the incident
    # cannot be without (title, severity, cadence) then keeps its saved value.
    required = {field.name for field in Incident._meta.concrete_fields if not field.blank}
    model_fields = {
        name: data[name]
        for name in form._meta.fields or []
        if name in data and (data[name] not in (None, "") or name not in required)
    }
    if step == "assess":
        model_fields["assessed_at"] = incident.assessed_at or timezone.now()

    def save_related(current: Incident) -> None:
        if formset is not None:
            formset.instance = current
            formset.save()
        collaborator = getattr(form, "new_collaborator", None)
        if collaborator is not None:
            current.collaborators.add(collaborator)

    incident_save_versioned(
        incident=incident,
        expected_version=expected_version,
        fields=model_fields,
        after_save=save_related,
    )


def _conflict(
    request: HttpRequest, incident: Incident, step: str, form: forms.BaseForm, current: Incident
) -> HttpResponse:
    """Show their saved version beside ours; nothing is overwritten without a second decision."""
    rows = []
    for name, field in form.fields.items():
        if not hasattr(current, name):
            continue
        theirs = getattr(current, name)
        yours = form.cleaned_data.get(name)
        rows.append(
            {
                "label": field.label or name,
                "theirs": theirs,
                "yours": yours,
                "differs": theirs != yours,
            }
        )
    resubmit = [
        (key, item)
        for key, values in request.POST.lists()
        if key not in {"version", "csrfmiddlewaretoken"}
        for item in values
    ]
    return render(
        request,
        "briefs/conflict.html",
        {
            "incident": current,
            "step": wizard.STEPS_BY_SLUG[step],
            "rows": rows,
            "resubmit": resubmit,
            "current_version": current.version,
            "step_url": _step_url(incident, step),
        },
        status=409,
    )


def _review(
    request: HttpRequest, incident: Incident, *, status: int = 200, errors: Any = None
) -> HttpResponse:
    context = brief_context(incident, zone=zone_from_request(request), architect=True)
    context.update(
        {
            "step": wizard.STEPS_BY_SLUG["review"],
            "progress": wizard.progress(incident, "review"),
            "questions": wizard.ceo_questions(incident),
            "script": wizard.meeting_script(incident),
            "flags": glossary.check_texts(wizard.executive_texts(incident)),
            "missing": errors if errors is not None else wizard.missing_for_escalation(incident),
            "show_errors": errors is not None,
        }
    )
    return render(request, "briefs/review.html", context, status=status)


@require_POST
def incident_escalate(request: HttpRequest, public_id: UUID) -> HttpResponse:
    incident = incident_for_editor(request, public_id)
    missing = wizard.missing_for_escalation(incident)
    if missing:
        return _review(request, incident, status=400, errors=missing)
    incident_mark_escalated(incident=incident)
    return redirect("briefs:incident_brief", incident.public_id)


HEALTH_CACHE_KEY = "healthz"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the shared cache answer; 503 naming the one that does not.
    `?detail=1` adds the task queue's figures (briefs/task_queue.py)."""
    cache = caches["default"]
    checks = {"database": "ok", "cache": "ok"}
    if isinstance(cache, DatabaseCache):
        # The bench's floor, so the healthy path stays one query, as cheap as `SELECT 1`:
        # reading the cache's table proves the database too (cache.get() costs 50-150 us more
        # per request on PostgreSQL). Only when it fails does `SELECT 1` tell which is down.
        table = connection.ops.quote_name(cache._table)  # type: ignore[attr-defined]
        if not _answers(f"SELECT 1 FROM {table} WHERE cache_key = %s", [HEALTH_CACHE_KEY]):
            checks["cache"] = "unreachable"
            if not _answers("SELECT 1"):
                checks["database"] = "unreachable"
    else:
        if not _answers("SELECT 1"):
            checks["database"] = "unreachable"
        try:
            cache.get(HEALTH_CACHE_KEY)
        except Exception:  # any backend's failure (Redis's own errors among them) means down
            checks["cache"] = "unreachable"
    down = "unreachable" in checks.values()
    body: dict[str, object] = {"status": "error" if down else "ok", **checks}
    if request.GET.get("detail") == "1" and checks["database"] == "ok":
        # One more query, only when asked: the plain probe stays as cheap as above.
        body["queue"] = queue_status().as_dict()
    return JsonResponse(body, status=503 if down else 200)


def _answers(sql: str, params: list[str] | None = None) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    zones = sorted(available_timezones())
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")
        if chosen in zones:
            profile_set_time_zone(user=current_user(request), time_zone=chosen)
            request.session.pop(PROPOSE_ZONE, None)
            response = redirect(next_url)
            set_zone_cookie(response, request, chosen)
            return response
        return render(
            request,
            "briefs/time_zone.html",
            {"zones": zones, "next": next_url, "error": "Choose a time zone from the list."},
            status=400,
        )
    return render(request, "briefs/time_zone.html", {"zones": zones, "next": next_url})


class SignInView(LoginView):
    """Django's login, which also brings the user's stored time zone to this browser.

    A class because Django's login is one; only `form_valid` changes. A user who never chose a
    zone is flagged in the session, and base.html proposes their browser's zone.
    """

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        stored = Profile.objects.filter(user=form.get_user()).values_list("time_zone", flat=True)
        zone = zone_named(next(iter(stored), ""))
        if zone is None:
            self.request.session[PROPOSE_ZONE] = True
        else:
            set_zone_cookie(response, self.request, zone.key)
        return response
