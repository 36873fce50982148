from celery import shared_task
from django.utils import timezone

from . import notifications


# Retried with backoff when the sender fails; delivering twice sends once (notifications.deliver).
@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_notification(pk: int) -> bool:
    return notifications.deliver(pk)


@shared_task
def queue_pending_notifications() -> int:
    return notifications.queue_pending(now=timezone.now())
