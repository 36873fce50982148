"""The SMS to the booker of an appointment (hall/appointments.py): a confirmation at booking,
a reminder the day before.

1. `message_write` renders the text in the booker's language and writes one
   `AppointmentMessage` per appointment and kind inside the caller's transaction (a unique key:
   writing it again changes nothing), and queues its delivery for after the commit.
2. A task calls `message_deliver`, which claims the row, hands it to the project's sender
   (`settings.NOTIFICATION_SENDER`: SMS through `settings.SMS_GATEWAY`) and marks it sent. A
   delivery that runs twice finds the row claimed or sent and sends nothing; a sender that fails
   releases the claim and the task is retried.
3. Beat: `appointments_remind` (the evening before, once per appointment by `reminded_at`) and
   `messages_queue_pending` (what could not be queued, or ran out of retries).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.notifications import send_once
from approval_center.celery import delay_or_log

from .models import Appointment, AppointmentMessage

Status = Appointment.Status


def language_of(code: str) -> str:
    """A language the center speaks: the booker's, else Chinese."""
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def manage_url(key: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("hall:appointment_manage", args=[key])


def message_text(appointment: Appointment, kind: str, *, key: str = "") -> str:
    """The SMS, in the booker's language."""
    with translation.override(language_of(appointment.language)):
        values = {
            "center": settings.CENTER_NAME,
            "business": appointment.business.name,
            "date": date_format(appointment.day, "DATE_FORMAT"),
            "starts": f"{appointment.starts:%H:%M}",
            "ends": f"{appointment.ends:%H:%M}",
            "code": appointment.code,
            "link": manage_url(key) if key else "",
        }
        if kind == AppointmentMessage.Kind.CONFIRMATION:
            return (
                _(
                    "[%(center)s] Your appointment for %(business)s on %(date)s, %(starts)s–"
                    "%(ends)s is booked. Check-in code: %(code)s. Enter it at the kiosk in the "
                    "hall during your time. To view or cancel: %(link)s"
                )
                % values
            )
        return (
            _(
                "[%(center)s] Reminder: your appointment for %(business)s is tomorrow, %(date)s, "
                "%(starts)s–%(ends)s. Check-in code: %(code)s. Cannot come? Cancel with the link "
                "in the confirmation SMS."
            )
            % values
        )


def message_write(
    appointment: Appointment, kind: str, *, now: dt.datetime, key: str = ""
) -> AppointmentMessage:
    """Write the message once per appointment and kind (inside the caller's transaction) and
    queue its delivery for after the commit."""
    AppointmentMessage.objects.bulk_create(
        [
            AppointmentMessage(
                appointment=appointment,
                kind=kind,
                recipient=appointment.mobile,
                language=language_of(appointment.language),
                text=message_text(appointment, kind, key=key),
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    message = AppointmentMessage.objects.get(appointment=appointment, kind=kind)
    transaction.on_commit(partial(_queue, message.pk))
    return message


def _queue(pk: int) -> None:
    from .tasks import deliver_appointment_message

    # The broker down: messages_queue_pending sends it later.
    delay_or_log(deliver_appointment_message, pk, what=f"appointment message {pk}")


def message_deliver(pk: int, *, now: dt.datetime | None = None) -> bool:
    """Send one message once: claim it (a second delivery finds it claimed or sent and sends
    nothing), send it through the configured sender, mark it sent; a failing sender releases
    the claim and raises, so the task is retried."""
    return send_once(AppointmentMessage, pk, now=now or timezone.now())


def messages_queue_pending(*, now: dt.datetime) -> int:
    """Queue again the messages neither sent nor being sent, a few minutes old, with attempts
    left (the broker was down, or the retries ran out)."""
    pks = list(
        AppointmentMessage.objects.filter(
            sent_at__isnull=True,
            claimed_at__isnull=True,
            created_at__lt=now - dt.timedelta(seconds=settings.NOTIFICATION_RETRY_AFTER_SECONDS),
            attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        _queue(pk)
    return len(pks)


def appointments_remind(*, now: dt.datetime) -> int:
    """The reminder the day before: each appointment of tomorrow still booked, once
    (`reminded_at` is set in the transaction that writes the message). Returns how many."""
    tomorrow = timezone.localdate(now) + dt.timedelta(days=1)
    reminded = 0
    pks = Appointment.objects.filter(
        day=tomorrow, status=Status.BOOKED, reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(pks):
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update()
                .select_related("business")
                .filter(pk=pk, status=Status.BOOKED, reminded_at__isnull=True)
                .first()
            )
            if appointment is None:
                continue
            appointment.reminded_at = now
            appointment._history_date = now
            appointment.save(update_fields=["reminded_at"])
            message_write(appointment, AppointmentMessage.Kind.REMINDER, now=now)
            reminded += 1
    return reminded
