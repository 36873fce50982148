"""Nothing answers a privileged person between the password and the second factor.

After the password, someone `services.required_for` names is "half signed in" until a code of
their authenticator or a recovery code is accepted (django-otp's `request.user.is_verified()`):
every page, GET or POST, the Django admin included, is a redirect to the enrolment page (no
authenticator yet) or the verification page, before any view runs. Only these answer: signing
out, the step's own pages, the language switch and the pages that need no login at all (the
applicant's status and rating pages, /healthz). Static files never reach this (whitenoise).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from audit.sessions import is_auto_refresh

from . import services

OPEN_URL_NAMES = frozenset(
    {
        "logout",
        "admin:logout",
        "set_language",
        "healthz",
        "applications:track",
        "applications:track_rate",
        "applications:track_forget",
        "twofactor:enrol",
        "twofactor:verify",
    }
)


def half_signed_in(request: HttpRequest) -> bool:
    """Signed in with the password, asked for a second factor, and not yet past it."""
    user = getattr(request, "user", None)
    return services.required_for(user) and not user.is_verified()


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.resolver_match.view_name in OPEN_URL_NAMES or not half_signed_in(request):
            return None
        if is_auto_refresh(request):
            return HttpResponse(status=401)  # the page reloads and lands on the step
        step = "twofactor:verify"
        if services.authenticator(request.user) is None:
            step = "twofactor:enrol"
        target = reverse(step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(target)
