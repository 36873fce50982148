"""outbox's tasks (the sweep's schedule in settings)."""

from celery import shared_task
from django.utils import timezone

from . import push


# Queued after the commit of each event; delivered twice, it pushes nothing twice
# (push.push_one locks the event it sends, skipping one another worker holds).
@shared_task
def push_application_task(application_id: int) -> int:
    return push.push_application(application_id)


@shared_task
def sweep_outbox() -> int:
    return push.sweep(now=timezone.now())
