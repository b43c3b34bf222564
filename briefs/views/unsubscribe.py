"""Unsubscribe without an account (issue 16): the link in every mail's footer and in its
`List-Unsubscribe` header (RFC 8058's one-click POST from the mail client itself)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from briefs import notifications, services

# The token in the address lets anyone holding it unsubscribe: it must not leak through a
# Referer nor be kept by a cache or indexed.
_HEADERS = {"Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}


# CSRF-exempt: a mail client's one-click POST (RFC 8058) carries no token, and the token in the
# address is itself the proof that this person may unsubscribe; the worst a forged POST can do
# is what the link's holder may do anyway.
@csrf_exempt
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = notifications.subscriber_for_unsubscribe(token)
    if subscriber is None:
        raise Http404("No such subscription")
    if request.method == "POST":
        services.subscriber_unsubscribe(subscriber=subscriber)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            response = HttpResponse("Unsubscribed.\n", content_type="text/plain")
        else:
            response = redirect("briefs:unsubscribe", token)
    else:
        response = render(request, "briefs/unsubscribe.html", {"subscriber": subscriber})
    for name, value in _HEADERS.items():
        response[name] = value
    return response
