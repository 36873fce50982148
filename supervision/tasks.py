from celery import shared_task
from django.utils import timezone

from . import sweep


@shared_task
def sweep_deadlines() -> int:
    return sweep.sweep(now=timezone.now()).written
