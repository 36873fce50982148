"""The Celery app. Broker, schedules and task settings live in settings.py (CELERY_*).

Sending a task never holds a page up for long: the publish is tried once within the broker's
connect and socket timeouts (settings), and after a failure this process does not try the
broker again for `BROKER_DOWN_SECONDS`, failing at once instead. Callers send after commit and
log the failure; what was not sent is picked up by the next periodic run (README: "Celery").
"""

from __future__ import annotations

import logging
import os
import time

from celery import Celery
from celery import Task as BaseTask
from kombu.exceptions import OperationalError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approval_center.settings")

log = logging.getLogger(__name__)


class BrokerUnavailable(OperationalError):
    """The broker failed a moment ago; not tried again yet."""


class _Breaker:
    """When the broker last failed in this process, per process (each gunicorn worker learns
    for itself; the cost of learning is one publish's timeout)."""

    failed_at: float | None = None

    def is_open(self, window: float) -> bool:
        return self.failed_at is not None and time.monotonic() - self.failed_at < window

    def trip(self) -> None:
        self.failed_at = time.monotonic()

    def reset(self) -> None:
        self.failed_at = None


breaker = _Breaker()


class Task(BaseTask):
    def apply_async(self, *args, **kwargs):
        if self.app.conf.task_always_eager:
            return super().apply_async(*args, **kwargs)
        from django.conf import settings

        window = settings.BROKER_DOWN_SECONDS
        if breaker.is_open(window):
            raise BrokerUnavailable(f"broker failed less than {window} s ago; {self.name} not sent")
        try:
            result = super().apply_async(*args, **kwargs)
        except OperationalError:
            breaker.trip()
            raise
        breaker.reset()
        return result


def delay_or_log(task: BaseTask, *args, what: str) -> bool:
    """Send a task, or log (naming `what`) that the broker refused it: whether it went. Callers
    send after the commit; what did not go is left for the next periodic run."""
    try:
        task.delay(*args)
    except Exception:
        log.exception("could not queue %s", what)
        return False
    return True


app = Celery("approval_center", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
