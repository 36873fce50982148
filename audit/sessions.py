"""Idle sessions end: a signed-in person who makes no request for SESSION_IDLE_SECONDS is signed
out on the next one and asked to sign in again.

The session cookie's own age (SESSION_COOKIE_AGE, renewed on every request) ends it in the
browser too; this middleware is what makes it an *idle* limit while a page refreshes itself: a
request marked `X-Auto-Refresh` (the dashboard's live part, static/js/app.js) does not count as
activity, and gets a 401 once the session has ended so that the page reloads to the sign-in form.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

LAST_SEEN = "audit_last_seen"


def is_auto_refresh(request: HttpRequest) -> bool:
    return request.headers.get("X-Auto-Refresh") == "1"


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > settings.SESSION_IDLE_SECONDS:
                request.audit_logout_reason = "idle"
                logout(request)
                messages.info(
                    request,
                    _("You were signed out after %(minutes)d minutes without activity.")
                    % {"minutes": settings.SESSION_IDLE_SECONDS // 60},
                )
                if is_auto_refresh(request):
                    return HttpResponse(status=401)
                return redirect_to_login(request.get_full_path())
            if last is None or not is_auto_refresh(request):
                request.session[LAST_SEEN] = now
        return self.get_response(request)
