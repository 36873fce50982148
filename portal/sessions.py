"""The applicant's session: its own cookie, its own rows, nothing shared with the staff's.

- The cookie `PORTAL_SESSION_COOKIE` ("portal_session") holds a random key; the database keeps
  only its keyed digest (`Session.digest`). HttpOnly, SameSite=Lax, Secure in production, and
  path `/my/`: the browser never sends it to a staff page, and no staff page reads it.
- A session ends `PORTAL_SESSION_MAX_SECONDS` after sign-in, after
  `PORTAL_SESSION_IDLE_SECONDS` without a request, or at sign-out (the row is ended, the cookie
  deleted).
- `applicant_required` guards every page of `/my/` but the sign-in: a browser signed in as staff
  gets a 403 (a staff session is never an applicant, and a rating counts only from the
  applicant, as on `/track/rate/`); no session, or an ended one, goes to the sign-in.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from applications.track import client_address

from .models import Account, Session

PATH = "/my/"


def _digest(key: str) -> str:
    return salted_hmac("portal.session", key, algorithm="sha256").hexdigest()


def session_open(
    request: HttpRequest, response: HttpResponse, account: Account, now: dt.datetime
) -> Session:
    """Open a session for the account and set its cookie on `response`."""
    key = secrets.token_urlsafe(32)
    session = Session.objects.create(
        account=account,
        digest=_digest(key),
        created_at=now,
        last_seen_at=now,
        expires_at=now + dt.timedelta(seconds=settings.PORTAL_SESSION_MAX_SECONDS),
        address=client_address(request)[:64],
    )
    response.set_cookie(
        settings.PORTAL_SESSION_COOKIE,
        key,
        max_age=settings.PORTAL_SESSION_MAX_SECONDS,
        path=PATH,
        secure=settings.PORTAL_SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return session


def forget_cookie(response: HttpResponse) -> None:
    response.delete_cookie(settings.PORTAL_SESSION_COOKIE, path=PATH, samesite="Lax")


def current(request: HttpRequest, now: dt.datetime) -> tuple[Session | None, str]:
    """The browser's live session, or None and why not ("", "idle", "expired")."""
    key = request.COOKIES.get(settings.PORTAL_SESSION_COOKIE, "")
    if not key or len(key) > 100:
        return None, ""
    session = (
        Session.objects.select_related("account")
        .filter(digest=_digest(key), ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None, ""
    idle = dt.timedelta(seconds=settings.PORTAL_SESSION_IDLE_SECONDS)
    reason = ""
    if session.expires_at <= now:
        reason = "expired"
    elif session.last_seen_at + idle <= now:
        reason = "idle"
    if reason:
        Session.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=now)
        return None, reason
    Session.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session, ""


def session_end(request: HttpRequest, now: dt.datetime) -> None:
    key = request.COOKIES.get(settings.PORTAL_SESSION_COOKIE, "")
    if key and len(key) <= 100:
        Session.objects.filter(digest=_digest(key), ended_at__isnull=True).update(ended_at=now)


def staff_refused(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/staff_refused.html", status=403)
    add_never_cache_headers(response)
    return response


def applicant_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The page is the signed-in applicant's: `request.account` is who they are."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated:
            return staff_refused(request)
        session, reason = current(request, timezone.now())
        if session is None:
            if reason:
                messages.info(
                    request,
                    _("You were signed out after a time without activity. Please sign in again.")
                    if reason == "idle"
                    else _("Your session has ended. Please sign in again."),
                )
            response = redirect("portal:sign_in")
            if request.COOKIES.get(settings.PORTAL_SESSION_COOKIE):
                forget_cookie(response)
            return response
        request.account = session.account
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex"
        return response

    return guarded
