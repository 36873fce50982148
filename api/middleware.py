"""Every call of the API recorded (`Call`): the client (when its token was valid), method,
endpoint, status and duration; refused calls too. The schema and the documentation page hold
no data and are not recorded.

It stands before the project's NUL guard (approval_center.middleware.RejectNulMiddleware) so
that the API answers a NUL in the address as it answers any bad query: JSON, 400, recorded."""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from approval_center.middleware import has_nul

from .models import Call

log = logging.getLogger(__name__)
PREFIX = "/api/v1/"
NOT_RECORDED = ("api:schema", "api:docs")


class CallRecordMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        started = time.perf_counter()
        if has_nul(request):
            response = JsonResponse({"detail": _("The address holds a NUL character.")}, status=400)
        else:
            response = self.get_response(request)
        match = request.resolver_match
        endpoint = match.view_name if match else ""
        if endpoint in NOT_RECORDED:
            return response
        client = getattr(request, "api_client", None)
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
