"""The JSON API's errors as `application/problem+json` (RFC 9457): `type`, `title`, `status`,
`detail`, and `errors` by field; the body limit (413) and the 405 django-ninja would answer in
HTML. briefs/views/api.py installs them on its NinjaAPI."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from briefs.api_auth import ReadOnlyToken, TooManyTokenFailures

PROBLEM = "application/problem+json"
# Problem types: relative references, resolved against the API's address (RFC 9457 §3.1.1).
PROBLEM_BASE = "/api/v1/problems/"


class BodyTooLarge(Exception):
    """The request body is over API_MAX_BODY_BYTES."""


class LimitedParser(Parser):
    """JSON bodies up to API_MAX_BODY_BYTES. The length is checked before the body is read;
    authentication has already run, so an anonymous client cannot make it read anything."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit() or int(declared) > settings.API_MAX_BODY_BYTES:
            raise BodyTooLarge
        if len(request.body) > settings.API_MAX_BODY_BYTES:  # sent without a length
            raise BodyTooLarge
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return cast(dict[str, Any], data)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    kind: str,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + kind,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return HttpResponse(json.dumps(body, cls=_Encoder), status=status, content_type=PROBLEM)


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if hasattr(o, "isoformat"):
            return o.isoformat()
        return str(o)


def _validation_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Pydantic's errors by field: the path inside the body, dotted (`estimate.basis`)."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "field", ...) or ("query", "field")
        where = location[2:] if location[:1] == ["body"] else location[1:]
        message = "This field is not allowed." if error["type"] == "extra_forbidden" else None
        errors.setdefault(".".join(where) or "body", []).append(message or error["msg"])
    return errors


def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem(
        422,
        "Invalid request",
        "Some fields are missing, unknown or invalid.",
        kind="validation",
        errors=_validation_errors(exc),
    )


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, BodyTooLarge):
        limit = settings.API_MAX_BODY_BYTES
        return problem(413, "Body too large", f"Send at most {limit} bytes.", kind="body-too-large")
    if exc.status_code == 400:
        return problem(400, "Bad JSON", "The body is not a JSON object.", kind="bad-json")
    if isinstance(exc, AuthenticationError):
        response = problem(
            401,
            "Not authenticated",
            "Send a valid, unexpired API token: Authorization: Bearer <token>.",
            kind="unauthenticated",
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    return problem(exc.status_code, "Error", str(exc), kind="error")


def _read_only(request: HttpRequest, exc: ReadOnlyToken) -> HttpResponse:
    return problem(
        403, "Read-only token", "This token may read but not change anything.", kind="read-only"
    )


def _throttled(request: HttpRequest, exc: TooManyTokenFailures) -> HttpResponse:
    response = problem(
        429,
        "Too many failed attempts",
        f"Too many wrong tokens from this address; try again in {exc.retry_after} seconds.",
        kind="too-many-attempts",
    )
    response["Retry-After"] = str(exc.retry_after)
    return response


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # The same answer for an incident that does not exist and another user's.
    return problem(404, "Not found", "No such incident, or not yours.", kind="not-found")


def form_problem(form: forms.Form) -> HttpResponse:
    errors = {
        ("body" if name == "__all__" else name): [error["message"] for error in found]
        for name, found in form.errors.get_json_data().items()
    }
    return problem(
        422, "Invalid request", "Some fields are invalid.", kind="validation", errors=errors
    )


def state_problem(detail: str) -> HttpResponse:
    return problem(409, "Not possible in this state", detail, kind="state")


def field_problem(field: str, message: str) -> HttpResponse:
    return problem(422, "Invalid request", message, kind="validation", errors={field: [message]})


def method_problem(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """django-ninja answers a method a route lacks with an HTML 405: this one says it as a
    problem too, keeping its Allow header."""

    @wraps(view)
    def answered(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code != 405 or response.get("Content-Type") == PROBLEM:
            return response
        allowed = response.get("Allow", "")
        refused = problem(
            405, "Method not allowed", f"This address answers {allowed}.", kind="method"
        )
        refused["Allow"] = allowed
        return refused

    # Exempt from the site's login redirect: tokens, not sessions, sign API requests in, and a
    # script must get 401, not a login page.
    answered.login_required = False  # type: ignore[attr-defined]
    return answered


def install(api: NinjaAPI) -> None:
    """Every error the API answers as a problem: what django-ninja raises (validation, bad
    JSON, no token), a read-only token's write, too many wrong tokens, and a 404."""
    api.exception_handler(ValidationError)(_invalid)
    api.exception_handler(HttpError)(_http_error)
    api.exception_handler(ReadOnlyToken)(_read_only)
    api.exception_handler(TooManyTokenFailures)(_throttled)
    api.exception_handler(Http404)(_not_found)
