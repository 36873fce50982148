from celery import shared_task
from django.utils import timezone

from . import notifications


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_notification(pk: int) -> bool:
    return notifications.deliver(pk)


@shared_task
def deliver_pending_notifications() -> int:
    return notifications.deliver_pending(now=timezone.now())
