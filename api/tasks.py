from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Call


def calls_prune(*, now: dt.datetime) -> int:
    """Forget the calls older than API_CALL_RETENTION_DAYS; the number forgotten."""
    cutoff = now - dt.timedelta(days=settings.API_CALL_RETENTION_DAYS)
    deleted, _ = Call.objects.before(cutoff).delete()
    return deleted


@shared_task
def prune_calls() -> int:
    return calls_prune(now=timezone.now())
