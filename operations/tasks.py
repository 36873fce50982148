import logging
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import health

log = logging.getLogger(__name__)


@shared_task
def beat_heartbeat() -> None:
    # Sent by beat every HEARTBEAT_SECONDS with a short expiry, so heartbeats that piled up
    # while no worker ran are dropped rather than replayed. Overwriting one row is idempotent.
    health.record_heartbeat(health.BEAT, at=timezone.now())


@shared_task
def clear_expired_sessions() -> None:
    # An expired session stays in its table until someone removes it: the status page starts one
    # for every applicant's lookup, staff sessions end after SESSION_IDLE_SECONDS. Nightly, as
    # `manage.py clearsessions` would; deleting what is already gone is idempotent.
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
    log.info("expired sessions cleared")
