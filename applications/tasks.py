from celery import shared_task

from . import notifications


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_notification(pk: int) -> bool:
    return notifications.deliver(pk)
