"""The signed-in person's own settings: signing in, and the time zone pages are shown in."""

from __future__ import annotations

from zoneinfo import available_timezones

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from briefs.middleware import PROPOSE_ZONE, set_zone_cookie
from briefs.models import Profile, zone_named
from briefs.services import profile_set_time_zone
from briefs.views.common import current_user


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
