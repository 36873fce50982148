from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import health


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: no login, no names, 503 when anything is down."""
    ok, body = health.report(now=timezone.now())
    return JsonResponse(body, status=200 if ok else 503)
