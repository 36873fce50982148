from celery import shared_task
from django.utils import timezone

from . import health


@shared_task
def beat_heartbeat() -> None:
    # Sent by beat every HEARTBEAT_SECONDS with a short expiry, so heartbeats that piled up
    # while no worker ran are dropped rather than replayed. Overwriting one row is idempotent.
    health.record_heartbeat(health.BEAT, at=timezone.now())
