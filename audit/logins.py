"""Every sign-in, sign-out and failed sign-in goes to the `audit.auth` log, with the username
and the address, never the password. django-axes keeps the same events in its tables (access
log and failure log, shown in the admin) and throttles the failures."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

log = logging.getLogger("audit.auth")


def address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "-") if request is not None else "-"


@receiver(user_logged_in, dispatch_uid="audit.login")
def logged_in(sender, request, user, **kwargs) -> None:
    log.info("login user=%s address=%s", user.get_username(), address(request))


@receiver(user_logged_out, dispatch_uid="audit.logout")
def logged_out(sender, request, user, **kwargs) -> None:
    who = user.get_username() if user is not None else "-"
    reason = getattr(request, "audit_logout_reason", "")
    log.info("logout user=%s address=%s%s", who, address(request), reason and f" reason={reason}")


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def login_failed(sender, credentials, request=None, **kwargs) -> None:
    # `credentials` has the password masked by Django already; only the username is kept.
    username = str(credentials.get("username", ""))[:150]
    log.warning("login failed username=%s address=%s", username, address(request))


def locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """What a locked-out username and address see instead of the sign-in form (axes calls it)."""
    cooloff = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "registration/locked.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cooloff_minutes": int(cooloff.total_seconds() // 60) if cooloff else None,
        },
        status=429,
    )
