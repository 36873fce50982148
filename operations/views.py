from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from windows.roles import Role, require_role

from . import backups, health
from .models import Backup


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: no login, no names, 503 when anything is down."""
    ok, body = health.report(now=timezone.now())
    return JsonResponse(body, status=200 if ok else 503)


@login_required
def backups_page(request: HttpRequest) -> HttpResponse:
    """Administrators see the last backups: when, how big, the SHA-256 of each part, failures."""
    require_role(request.user, Role.ADMINISTRATOR)
    now = timezone.now()
    return render(
        request,
        "operations/backups.html",
        {
            "backups": Backup.objects.all()[:30],
            "freshness": backups.freshness(now=now),
            "last_good": backups.last_good(),
            "backup_dir": backups.backup_dir(),
            "keep_daily": settings.BACKUP_KEEP_DAILY,
            "max_age_hours": settings.BACKUP_MAX_AGE_HOURS,
            "schedule": f"{settings.BACKUP_HOUR:02d}:{settings.BACKUP_MINUTE:02d}",
        },
    )
