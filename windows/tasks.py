from celery import shared_task
from django.utils import timezone

from . import authority


@shared_task
def sync_signing_authority() -> dict[str, int]:
    drift = authority.sync_signing_authority(at=timezone.now())
    return {"granted": len(drift.missing), "withdrawn": len(drift.extra)}
