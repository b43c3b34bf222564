"""The JSON API under /api/v1/ (django-ninja): incidents, updates, executive links, action items
and the PDF, through the same access rule, forms and services as the pages.

Errors are `application/problem+json` (RFC 9457). Only personal tokens authenticate
(`briefs.api_auth`): no session cookie, hence no CSRF token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from ninja import NinjaAPI, Query, Schema
from ninja import Status as Answer
from pydantic import Field

from briefs import escalation_steps, services
from briefs.api_auth import TokenAuth
from briefs.api_problems import (
    LimitedParser,
    field_problem,
    form_problem,
    install,
    method_problem,
    problem,
    state_problem,
)
from briefs.api_schemas import (
    ASSESS_FIELDS,
    ActionIn,
    ActionOut,
    DraftIn,
    IncidentOut,
    IncidentPage,
    IncidentPatch,
    LinkCreated,
    LinkIn,
    LinkOut,
    ResolveIn,
    SubscriberIn,
    SubscriberOut,
    UpdateIn,
    UpdateOut,
    action_out,
    brief_data,
    incident_out,
    link_out,
    subscriber_out,
    update_out,
)
from briefs.brief_content import brief_queryset
from briefs.forms import ActionItemForm, ResolveForm, SubscriberForm, UpdateForm
from briefs.models import (
    ActionItem,
    Incident,
    PdfKind,
    Profile,
    Severity,
    ShareLink,
    Status,
    Subscriber,
    zone_named,
)
from briefs.pdf_downloads import pdf_file_response, size_from_request
from briefs.services import (
    ActionInput,
    EstimateInput,
    UpdatesTooFrequent,
    VersionConflict,
)
from briefs.views.common import current_user, incident_people, incident_row_for_editor


def _docs_view[V: Callable[..., HttpResponse]](view: V) -> V:
    """The schema and the docs page are public: they hold no incident data, and API clients
    fetch the schema with a token, not a session.

    The docs page is Swagger UI from django-ninja's vendored files (static/ninja/: "ninja" is
    in INSTALLED_APPS, else it would load them from a CDN). It runs under the site's strict
    CSP unchanged: its script and stylesheet are our own static files, its settings a JSON
    data block (never executed), and React sets styles through the CSSOM, which CSP allows.
    tests/browser/test_api_docs.py drives it in Chromium, where any violation fails the test.
    """
    return login_not_required(view)


api = NinjaAPI(
    title="Escalation Briefs API",
    version="1",
    description=(
        "Incidents, their briefs, updates, executive links and action items. Authenticate "
        "with a personal token from your settings page: `Authorization: Bearer <token>`."
    ),
    # The name django-ninja reverses its own URLs with: "api" inside the app's "briefs" (urls()).
    urls_namespace="briefs:api",
    parser=LimitedParser(),
    docs_decorator=_docs_view,
)
install(api)

READ = TokenAuth(write=False)
WRITE = TokenAuth(write=True)


# --- Helpers ----------------------------------------------------------------------------------


@contextmanager
def _utc_by_default() -> Iterator[None]:
    """A time sent without an offset is UTC, whatever zone a cookie would pick for a page."""
    with timezone.override(UTC):
        yield


def _incident(request: HttpRequest, public_id: UUID, *, with_rows: bool = False) -> Incident:
    """The pages' access rule (`editable_by`): another user's incident is 404."""
    queryset = brief_queryset() if with_rows else Incident.objects.select_related("owner", "rca")
    return get_object_or_404(queryset.editable_by(request.user), public_id=public_id)


def _brief_url(request: HttpRequest, incident: Incident) -> str:
    return request.build_absolute_uri(reverse("briefs:incident_brief", args=[incident.public_id]))


def _estimate_initial(
    form_class: type[UpdateForm | ResolveForm], incident: Incident
) -> dict[str, Any]:
    """The form's hidden "shown" values: the current estimate, so that only the figures a
    request changes count as a revision, as on the page."""
    current = incident.current_estimate()
    if current is None:
        return {}
    return {
        f"initial-{name}": getattr(current, attribute)
        for name, attribute in form_class.estimate_fields.items()
    }


# --- Incidents --------------------------------------------------------------------------------


class IncidentFilters(Schema):
    status: Status | None = None
    severity: Severity | None = None
    limit: int = Field(20, ge=1, le=settings.API_PAGE_SIZE_MAX)
    offset: int = Field(0, ge=0)


@api.get("/incidents", response=IncidentPage, auth=READ, tags=["incidents"])
def incident_list(request: HttpRequest, filters: Query[IncidentFilters]) -> dict[str, Any]:
    """Your incidents (owned or collaborating), newest first."""
    incidents = Incident.objects.editable_by(request.user).order_by("-created_at", "-pk")
    if filters.status:
        incidents = incidents.filter(status=filters.status)
    if filters.severity:
        incidents = incidents.filter(severity=filters.severity)
    page = incidents[filters.offset : filters.offset + filters.limit]
    return {
        "count": incidents.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [incident_out(incident, _brief_url(request, incident)) for incident in page],
    }


@api.get("/incidents/{uuid:public_id}", auth=READ, tags=["incidents"])
def incident_detail(request: HttpRequest, public_id: UUID) -> dict[str, Any]:
    """The brief as data: figures, sections, asks, decisions, the timeline, action items."""
    incident = _incident(request, public_id, with_rows=True)
    return brief_data(incident, url=_brief_url(request, incident))


@api.post("/incidents", response={201: IncidentOut}, auth=WRITE, tags=["incidents"])
def incident_create(request: HttpRequest, payload: DraftIn) -> Any:
    """A new draft escalation; PATCH fills it in, `escalate` makes it the live brief."""
    user = current_user(request)
    if payload.time_zone is not None and zone_named(payload.time_zone) is None:
        return field_problem("time_zone", "Not an IANA time zone name.")
    stored = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    zone = payload.time_zone or stored or settings.DEFAULT_USER_TIME_ZONE
    incident = services.incident_create_draft(owner=user, title=payload.title, time_zone=zone)
    return Answer(201, incident_out(incident, _brief_url(request, incident)))


@api.patch(
    "/incidents/{uuid:public_id}", response={200: IncidentOut}, auth=WRITE, tags=["incidents"]
)
def incident_change(request: HttpRequest, public_id: UUID, payload: IncidentPatch) -> Any:
    """Change fields as the guided escalation's steps do, with the version they were read at:
    409 with both versions when someone saved in between."""
    incident = _incident(request, public_id)
    changes = payload.model_dump(exclude_unset=True, exclude={"version", "estimate"})
    with _utc_by_default():
        changes = {
            name: timezone.make_aware(value) if _naive(value) else value
            for name, value in changes.items()
        }
    preview = escalation_steps.assessed(incident, changes)
    try:
        preview.validate_constraints()
    except DjangoValidationError as refused:
        # What the database's check constraints would refuse: caught here, before any write.
        messages = refused.messages
        return problem(
            422,
            "Invalid request",
            " ".join(messages),
            kind="validation",
            errors={"body": list(messages)},
        )
    estimate = payload.estimate
    try:
        saved = services.incident_step_save(
            incident=incident,
            author=current_user(request),
            step="assess" if ASSESS_FIELDS & changes.keys() else "api",
            expected_version=payload.version,
            fields=changes,
            estimate=EstimateInput(**estimate.model_dump()) if estimate else None,
        )
    except VersionConflict as conflict:
        current = conflict.current
        return problem(
            409,
            "Version conflict",
            "Someone saved this incident after you read it; nothing was changed. Read it "
            "again, then send your change with the current version.",
            kind="version-conflict",
            current_version=current.version,
            your_version=payload.version,
            current={name: getattr(current, name) for name in changes},
            yours=changes,
        )
    return incident_out(saved, _brief_url(request, saved))


def _naive(value: Any) -> bool:
    return hasattr(value, "tzinfo") and hasattr(value, "hour") and timezone.is_naive(value)


@api.post(
    "/incidents/{uuid:public_id}/escalate",
    response={200: IncidentOut},
    auth=WRITE,
    tags=["incidents"],
)
def incident_escalate(request: HttpRequest, public_id: UUID) -> Any:
    """Make a draft the live brief: refused, with what each step still needs, as the
    wizard's review refuses it."""
    incident = _incident(request, public_id, with_rows=True)
    if incident.status != Status.DRAFT:
        return state_problem("The incident is already escalated.")
    missing = escalation_steps.missing_for_escalation(incident)
    if missing:
        errors: dict[str, list[str]] = {}
        for step, item in missing:
            errors.setdefault(step.slug, []).append(f"Missing: {item}.")
        return problem(
            422,
            "Not ready to escalate",
            "The brief still lacks what the CEO needs; see errors, by step of the wizard.",
            kind="not-ready",
            errors=errors,
        )
    escalated = services.incident_mark_escalated(incident=incident)
    return incident_out(escalated, _brief_url(request, escalated))


# --- Updates and resolution -------------------------------------------------------------------


@api.post(
    "/incidents/{uuid:public_id}/updates",
    response={201: UpdateOut},
    auth=WRITE,
    tags=["updates"],
)
def update_create(request: HttpRequest, public_id: UUID, payload: UpdateIn) -> Any:
    """Post a timeline entry with the brief's update form's fields, and optionally a revised
    estimate and ETA. It shows on the brief and every executive link at once."""
    incident = _incident(request, public_id, with_rows=True)
    if incident.status == Status.DRAFT:
        return state_problem("Escalate the draft before posting updates.")
    now = timezone.now()
    shown = _estimate_initial(UpdateForm, incident)
    data = {
        **shown,
        # An estimate field not sent is unchanged, as a field left alone on the page.
        **{name.removeprefix("initial-"): value for name, value in shown.items()},
        **payload.model_dump(exclude_none=True),
    }
    with _utc_by_default():
        form = UpdateForm(data, incident=incident, now=now)
        if not form.is_valid():
            return form_problem(form)
    try:
        update = services.update_post(
            incident=incident,
            author=current_user(request),
            posted_at=now,
            rate_limited=True,
            **form.update_post_fields(),
        )
    except UpdatesTooFrequent as refused:
        response = problem(
            429,
            "Too many updates",
            f"This incident has had {settings.UPDATE_POST_LIMIT_PER_MINUTE} updates in the "
            f"last minute; post this one in {refused.retry_after} seconds.",
            kind="too-many-updates",
        )
        response["Retry-After"] = str(refused.retry_after)
        return response
    return Answer(201, update_out(update, incident))


@api.post(
    "/incidents/{uuid:public_id}/resolve",
    response={200: IncidentOut},
    auth=WRITE,
    tags=["incidents"],
)
def incident_resolve(request: HttpRequest, public_id: UUID, payload: ResolveIn) -> Any:
    """Mark resolved with the final figures (the current estimate's unless given) and a
    closing update, with the version read (409 on a conflict)."""
    incident = _incident(request, public_id, with_rows=True)
    if incident.status == Status.DRAFT:
        return state_problem("A draft cannot be resolved.")
    if incident.resolved_at is not None:
        return state_problem("The incident is already resolved.")
    now = timezone.now()
    shown = _estimate_initial(ResolveForm, incident)
    data = {
        **shown,
        **{name.removeprefix("initial-"): value for name, value in shown.items()},
        **payload.model_dump(exclude_none=True),
    }
    with _utc_by_default():
        form = ResolveForm(data, incident=incident, now=now)
        if not form.is_valid():
            return form_problem(form)
    values = form.cleaned_data
    try:
        resolved = services.incident_resolve(
            incident=incident,
            author=current_user(request),
            expected_version=values["version"],
            resolved_at=values["resolved_at"],
            estimate=form.estimate_input(),
            closing_update=values["closing_update"],
        )
    except VersionConflict as conflict:
        return problem(
            409,
            "Version conflict",
            "Someone saved this incident after you read it; it was not resolved.",
            kind="version-conflict",
            current_version=conflict.current.version,
            your_version=payload.version,
            current={"status": conflict.current.status},
            yours={"status": Status.RESOLVED},
        )
    return incident_out(resolved, _brief_url(request, resolved))


# --- Executive links --------------------------------------------------------------------------


@api.get("/incidents/{uuid:public_id}/links", response=list[LinkOut], auth=READ, tags=["links"])
def link_list(request: HttpRequest, public_id: UUID) -> list[dict[str, Any]]:
    """The incident's executive links, newest first (their tokens are never shown again)."""
    incident = _incident(request, public_id)
    now = timezone.now()
    return [link_out(link, now) for link in incident.share_links.all()]


@api.post(
    "/incidents/{uuid:public_id}/links", response={201: LinkCreated}, auth=WRITE, tags=["links"]
)
def link_create(request: HttpRequest, public_id: UUID, payload: LinkIn) -> Any:
    """A read-only executive link. Its address is in this answer only."""
    incident = _incident(request, public_id)
    link, token = services.share_link_create(
        incident=incident,
        created_by=current_user(request),
        label=payload.label,
        valid_for=timedelta(days=payload.valid_days),
    )
    url = request.build_absolute_uri(reverse("briefs:share_view", args=[token]))
    return Answer(201, {**link_out(link, timezone.now()), "url": url})


@api.post(
    "/incidents/{uuid:public_id}/links/{uuid:link_id}/revoke",
    response={200: LinkOut},
    auth=WRITE,
    tags=["links"],
)
def link_revoke(request: HttpRequest, public_id: UUID, link_id: UUID) -> dict[str, Any]:
    link = incident_row_for_editor(request, ShareLink, public_id, link_id)
    services.share_link_revoke(link=link)
    return link_out(link, timezone.now())


# --- Action items -----------------------------------------------------------------------------


@api.get(
    "/incidents/{uuid:public_id}/actions", response=list[ActionOut], auth=READ, tags=["actions"]
)
def action_list(request: HttpRequest, public_id: UUID) -> list[dict[str, Any]]:
    incident = _incident(request, public_id)
    items = incident.action_items.select_related("owner").order_by("created_at", "pk")
    return [action_out(item) for item in items]


@api.post(
    "/incidents/{uuid:public_id}/actions",
    response={201: ActionOut},
    auth=WRITE,
    tags=["actions"],
)
def action_create(request: HttpRequest, public_id: UUID, payload: ActionIn) -> Any:
    """An action item, owned by someone in the app (`owner`: a username among the incident's
    owner and collaborators) or outside it (`owner_name`)."""
    incident = _incident(request, public_id)
    people = incident_people(incident)
    data = payload.model_dump(exclude_none=True)
    if payload.owner is not None:
        person = people.filter(username=payload.owner).first()
        if person is None:
            return field_problem("owner", "Not the incident's owner or a collaborator.")
        data["owner"] = person.pk
    form = ActionItemForm(data, people=people)
    if not form.is_valid():
        return form_problem(form)
    values = form.cleaned_data
    item = services.action_item_add(
        incident=incident,
        data=ActionInput(
            description=values["description"],
            kind=values["kind"],
            due_on=values.get("due_on"),
            owner=values.get("owner"),
            owner_name=values.get("owner_name", ""),
        ),
    )
    return Answer(201, action_out(item))


@api.post(
    "/incidents/{uuid:public_id}/actions/{uuid:item_id}/complete",
    response={200: ActionOut},
    auth=WRITE,
    tags=["actions"],
)
def action_complete(request: HttpRequest, public_id: UUID, item_id: UUID) -> dict[str, Any]:
    item = incident_row_for_editor(request, ActionItem, public_id, item_id)
    services.action_item_complete(item=item)
    return action_out(item)


# --- Subscribers (issue 16: the executives an incident's notices go to) ------------------------


@api.get(
    "/incidents/{uuid:public_id}/subscribers",
    response=list[SubscriberOut],
    auth=READ,
    tags=["subscribers"],
)
def subscriber_list(request: HttpRequest, public_id: UUID) -> list[dict[str, Any]]:
    incident = _incident(request, public_id)
    subscribers = incident.subscribers.select_related("share_link")
    return [subscriber_out(subscriber) for subscriber in subscribers]


@api.post(
    "/incidents/{uuid:public_id}/subscribers",
    response={201: SubscriberOut},
    auth=WRITE,
    tags=["subscribers"],
)
def subscriber_create(request: HttpRequest, public_id: UUID, payload: SubscriberIn) -> Any:
    """Subscribe an executive: they get their own executive link by mail, and the incident's
    notices from then on (at once, the escalation's, when it is already escalated)."""
    incident = _incident(request, public_id)
    form = SubscriberForm(payload.model_dump())
    if not form.is_valid():
        return form_problem(form)
    try:
        subscriber = services.subscriber_add(
            incident=incident,
            created_by=current_user(request),
            name=form.cleaned_data["name"],
            email=form.cleaned_data["email"],
            cadence=form.cleaned_data["cadence"],
        )
    except services.AlreadySubscribed:
        return problem(
            409,
            "Already subscribed",
            "This address already gets the incident's notices.",
            kind="already-subscribed",
        )
    return Answer(201, subscriber_out(subscriber))


@api.delete(
    "/incidents/{uuid:public_id}/subscribers/{uuid:subscriber_id}",
    response={204: None},
    auth=WRITE,
    tags=["subscribers"],
)
def subscriber_delete(request: HttpRequest, public_id: UUID, subscriber_id: UUID) -> Any:
    """Remove an executive: their mail stops and their link no longer opens the brief."""
    subscriber = incident_row_for_editor(request, Subscriber, public_id, subscriber_id)
    services.subscriber_remove(subscriber=subscriber)
    return Answer(204, None)


# --- The PDF ----------------------------------------------------------------------------------

# How soon a client should ask again for a PDF the worker is rendering.
PDF_RETRY_AFTER_SECONDS = 2


@api.get(
    "/incidents/{uuid:public_id}/pdf",
    auth=READ,
    tags=["incidents"],
    openapi_extra={
        "responses": {
            200: {"description": "The PDF", "content": {"application/pdf": {}}},
            202: {"description": "Being rendered; ask again after Retry-After seconds"},
            503: {"description": "The render failed; the reason is in `detail`"},
        },
        "parameters": [
            {"in": "query", "name": "size", "schema": {"enum": ["a4", "letter"]}},
            {"in": "query", "name": "appendix", "schema": {"enum": ["1"]}},
        ],
    },
)
def incident_pdf(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The stored PDF of the brief's current version (`?size=a4|letter`, `?appendix=1` adds
    the script and glossary). Never rendered in the request: 202 with Retry-After while the
    worker renders it."""
    incident = _incident(request, public_id)
    kind = PdfKind.BRIEF_WITH_APPENDIX if request.GET.get("appendix") == "1" else PdfKind.BRIEF
    response = pdf_file_response(
        request, incident, kind=kind, size=size_from_request(request), architect=True
    )
    if response.status_code in {200, 304}:
        return response
    if response.status_code == 202:
        waiting = problem(
            202,
            "Preparing the PDF",
            "The worker is rendering this version; ask again shortly.",
            kind="pdf-preparing",
        )
        waiting["Retry-After"] = str(PDF_RETRY_AFTER_SECONDS)
        return waiting
    return problem(
        response.status_code,
        "The PDF could not be made",
        "Rendering this version failed; changing the brief tries again.",
        kind="pdf-failed",
    )


def urls() -> tuple[list[URLResolver | URLPattern], str, str]:
    """The API's URLs, in the app's namespace as "briefs:api" (see `urls_namespace`)."""
    patterns, app_name, _ = api.urls
    for pattern in patterns:
        assert isinstance(pattern, URLPattern)
        pattern.callback = method_problem(pattern.callback)
    return patterns, app_name, "api"
