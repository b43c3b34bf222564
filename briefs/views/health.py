"""`/healthz`: what a load balancer or an uptime check asks."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from briefs import health
from briefs.task_queue import queue_status


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the shared cache answer; 503 naming the one that does not.
    `?detail=1` adds the task queue's figures (briefs/task_queue.py)."""
    checks = health.check()
    down = health.UNREACHABLE in checks.values()
    body: dict[str, object] = {"status": "error" if down else "ok", **checks}
    if request.GET.get("detail") == "1" and checks["database"] != health.UNREACHABLE:
        # One more query, only when asked: the plain probe stays one query.
        body["queue"] = queue_status().as_dict()
    return JsonResponse(body, status=503 if down else 200)
