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
    from applications.track import client_address

    return (client_address(request) or "-") if request is not None else "-"


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


class AddressThrottleBackend:
    """Password spraying: many usernames tried from one address. After LOGIN_ADDRESS_FAILURE_LIMIT
    failed sign-ins from an address within the cool-off time, whatever the usernames, that address
    signs in no more until the failures age out (django-axes counts per username and address;
    this counts its failure log per address). The address is `client_address`: the connection's,
    or the one the trusted proxies recorded, so a forged X-Forwarded-For changes nothing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from axes.exceptions import AxesBackendPermissionDenied
        from axes.models import AccessFailureLog
        from django.utils import timezone

        from applications.track import client_address

        if request is None:
            return None
        since = timezone.now() - settings.AXES_COOLOFF_TIME
        failures = AccessFailureLog.objects.filter(
            ip_address=client_address(request), attempt_time__gte=since
        ).count()
        if failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # axes' middleware answers with locked_out above
            log.warning("login refused address=%s failures=%d", address(request), failures)
            raise AxesBackendPermissionDenied("too many failed sign-ins from this address")
        return None
