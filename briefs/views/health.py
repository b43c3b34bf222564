"""`/healthz`: what a load balancer or an uptime check asks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from briefs import health


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the shared cache answer; 503 naming the one that does not."""
    checks = health.check()
    if health.UNREACHABLE in checks.values():
        return JsonResponse({"status": "error", **checks}, status=503)
    return JsonResponse({"status": "ok", **checks})
