"""`/hooks/<kind>/<token>`: where alerting tools post (Alertmanager, Grafana, PagerDuty, generic).

No session and no CSRF token: the secret URL is the credential (and, for PagerDuty, the
signature too). Answers are `application/problem+json` (RFC 9457) when refused, so a tool's
delivery log says why.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from briefs.alert_sources import PARSERS, MalformedAlert, pagerduty_signature_valid
from briefs.integrations import PAGERDUTY_MAX_AGE, alert_receive
from briefs.models import Integration, IntegrationKind

logger = logging.getLogger(__name__)

# A sender's clock may run a little ahead of ours.
CLOCK_SKEW = timedelta(minutes=5)
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Content Too Large",
}


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


@csrf_exempt
@login_not_required
@require_POST
def alert_hook(request: HttpRequest, kind: str, token: str) -> HttpResponse:
    limit: int = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _problem(400, "Content-Length is not a number")
    if declared > limit:
        return _problem(413, f"the body is over {limit} bytes")
    # An unknown token, a revoked one and a token of another kind are the same 404.
    integration = (
        Integration.objects.for_token(kind=kind, token=token)
        if kind in IntegrationKind.values
        else None
    )
    if integration is None:
        return _problem(404, "no such hook")
    try:
        body = request.body
    except RequestDataTooBig:
        return _problem(413, f"the body is over {limit} bytes")
    now = timezone.now()
    if kind == IntegrationKind.PAGERDUTY and not (
        integration.signing_secret
        and pagerduty_signature_valid(
            body=body,
            header=request.headers.get("X-PagerDuty-Signature", ""),
            secret=integration.signing_secret,
        )
    ):
        return _problem(401, "X-PagerDuty-Signature does not match this integration's secret")
    try:
        payload = json.loads(body)
    except ValueError:
        return _problem(400, "the body is not JSON")
    try:
        alert = PARSERS[IntegrationKind(kind)](payload)
    except MalformedAlert as error:
        return _problem(400, str(error))
    if alert is None:
        return JsonResponse({"outcome": "ignored"}, status=202)
    if alert.occurred_at is not None and not (
        now - PAGERDUTY_MAX_AGE <= alert.occurred_at <= now + CLOCK_SKEW
    ):
        return _problem(400, "stale event: occurred_at is outside the accepted window")
    outcome = alert_receive(integration=integration, alert=alert, now=now)
    logger.info("alert hook %s: %s", integration.public_id, outcome)
    # A replay ("duplicate") is refused with a 200: PagerDuty's own retry of a delivery that
    # timed out is the same event, and must not be retried until PagerDuty disables the hook.
    return JsonResponse({"outcome": outcome}, status=201 if outcome == "opened" else 200)
