"""conduct's tasks (schedules in settings)."""

from celery import shared_task
from django.utils import timezone

from . import notify, sweep


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_complaint_message(pk: int) -> bool:
    return notify.deliver(pk)


@shared_task
def sweep_complaints() -> int:
    written = sweep.sweep_complaints(now=timezone.now())
    notify.queue_pending(now=timezone.now())
    return len(written)
