"""The hall's tasks: thin wrappers around hall/appointments.py (schedules in settings)."""

from celery import shared_task
from django.utils import timezone

from . import appointment_sms, appointments


# Retried with backoff when the sender fails; delivering twice sends once (message_deliver).
@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deliver_appointment_message(pk: int) -> bool:
    return appointment_sms.message_deliver(pk)


@shared_task
def remind_appointments() -> int:
    return appointment_sms.appointments_remind(now=timezone.now())


@shared_task
def mark_appointment_no_shows() -> int:
    return appointments.appointments_mark_no_shows(now=timezone.now())


@shared_task
def queue_pending_appointment_messages() -> int:
    return appointment_sms.messages_queue_pending(now=timezone.now())
