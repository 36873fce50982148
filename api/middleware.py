"""Every call of the API recorded (`Call`): the client (when its token was valid), method,
endpoint, status and duration; refused calls too. The schema and the documentation page hold
no data and are not recorded.

Calls without a valid token are counted per address (`API_ANONYMOUS_RATE_LIMIT` a minute, in
the cache like the clients' own limits): past it, the address gets 429 with Retry-After and its
calls are neither run nor recorded until the minute ends, so a flood of wrong tokens neither
fills the record nor guesses on; a call with a valid token from that address is still served
(its token is looked up only then). When the cache does not answer, calls are allowed.

It stands before the project's NUL guard (approval_center.middleware.RejectNulMiddleware) so
that the API answers a NUL in the address as it answers any bad query: JSON, 400, recorded."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from applications.track import address_bucket, client_address, fixed_window, window_hit
from approval_center.middleware import has_nul

from .auth import bearer_client
from .models import Call

log = logging.getLogger(__name__)
PREFIX = "/api/v1/"
NOT_RECORDED = ("api:schema", "api:docs")
ANONYMOUS_WINDOW_SECONDS = 60


class CallRecordMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        started = time.perf_counter()
        address = address_bucket(client_address(request))
        window = fixed_window("api-anonymous", address, ANONYMOUS_WINDOW_SECONDS)
        if _over_anonymous_limit(window) and not _valid_token(request):
            response = JsonResponse(
                {
                    "detail": _(
                        "Too many calls without a valid token from this address: try again in "
                        "%(seconds)s seconds."
                    )
                    % {"seconds": window.retry_after}
                },
                status=429,
            )
            response["Retry-After"] = str(window.retry_after)
            return response
        if has_nul(request):
            response = JsonResponse({"detail": _("The address holds a NUL character.")}, status=400)
        else:
            response = self.get_response(request)
        match = request.resolver_match
        endpoint = match.view_name if match else ""
        if endpoint in NOT_RECORDED:
            return response
        client = getattr(request, "api_client", None)
        if client is None:
            _count_anonymous(window, address)
        try:
            Call.objects.create(
                client=client,
                method=request.method[:8],
                endpoint=endpoint[:60],
                path=request.get_full_path()[:300],
                status=response.status_code,
                at=timezone.now(),
                duration_ms=round((time.perf_counter() - started) * 1000),
            )
        except DatabaseError:
            log.exception("API: the call could not be recorded")
        return response


def _over_anonymous_limit(window) -> bool:
    try:
        return (cache.get(window.key) or 0) >= settings.API_ANONYMOUS_RATE_LIMIT
    except Exception:
        log.exception("API: the rate-limit cache is not answering; call allowed")
        return False


def _count_anonymous(window, address: str) -> None:
    try:
        count = window_hit(window)
    except Exception:
        log.exception("API: the rate-limit cache is not answering; call not counted")
        return
    if count == settings.API_ANONYMOUS_RATE_LIMIT:
        log.warning(
            "API: %s calls without a valid token from %s within a minute; refused until it ends",
            count,
            address,
        )


def _valid_token(request: HttpRequest) -> bool:
    try:
        return bearer_client(request) is not None
    except AuthenticationFailed:
        return False
