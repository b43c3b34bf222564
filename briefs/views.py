from zoneinfo import available_timezones

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from briefs.middleware import TIME_ZONE_COOKIE
from briefs.models import Incident, Status


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    incidents = list(
        Incident.objects.editable_by(request.user)
        .select_related("owner")
        .prefetch_related("estimates", "updates")
        .order_by("-created_at")
    )
    now = timezone.now()
    drafts = [i for i in incidents if i.status == Status.DRAFT]
    active = [i for i in incidents if i.status != Status.DRAFT]
    return render(
        request,
        "briefs/dashboard.html",
        {"drafts": drafts, "active": active, "now": now},
    )


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_http_methods(["GET", "POST"])
def time_zone(request: HttpRequest) -> HttpResponse:
    zones = sorted(available_timezones())
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = "/"
    if request.method == "POST":
        chosen = request.POST.get("time_zone", "")
        if chosen in zones:
            response = redirect(next_url)
            response.set_cookie(
                TIME_ZONE_COOKIE,
                chosen,
                max_age=365 * 86400,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
        return render(
            request,
            "briefs/time_zone.html",
            {"zones": zones, "next": next_url, "error": "Choose a time zone from the list."},
            status=400,
        )
    return render(request, "briefs/time_zone.html", {"zones": zones, "next": next_url})
