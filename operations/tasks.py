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


@shared_task
def back_up() -> None:
    # Nightly from beat when BACKUP_ENABLED. A failure is recorded on its Backup row and /healthz
    # turns red once the last good set is too old: no retry here, the next night tries again
    # (and an operator may run `manage.py backup` at once). A second copy of this task delivered
    # while the first runs finds the lock taken and stops.
    from . import backups

    try:
        backups.backup_create(trigger="schedule", now=timezone.now())
    except backups.BackupBusy as error:
        log.warning("backup not started: %s", error)
    except backups.BackupError:
        log.exception("backup failed")
