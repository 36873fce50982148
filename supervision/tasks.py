from celery import shared_task
from django.db import transaction
from django.utils import timezone

from . import notices, sweep


@shared_task
def sweep_deadlines() -> int:
    with transaction.atomic():
        result = sweep.sweep(now=timezone.now())
        notices.queue_red_cards(result.review_red)
    return result.written


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def notify_red_cards(card_ids: list[int]) -> int:
    return notices.notify_red_cards(card_ids, now=timezone.now())
