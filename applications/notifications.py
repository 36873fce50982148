"""Telling the applicant (SMS and e-mail) through a pluggable sender.

`applicant_event` writes one Notification row per channel inside the caller's transaction and
queues its delivery for after the commit, so a change that rolls back sends nothing. The sender
is `settings.NOTIFICATION_SENDER`; the default writes to the log, the row itself being the record.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Application, DepartmentReview, Notification

log = logging.getLogger(__name__)


class LogSender:
    """The default: a line in the log per message; the Notification row is the record."""

    def send(self, notification: Notification) -> None:
        log.info(
            "notify %s %s: %s", notification.channel, notification.recipient, notification.text
        )


def _texts(application: Application, event: str, review: DepartmentReview | None) -> str:
    number = application.receipt_number
    center = settings.CENTER_NAME
    if event == "accepted":
        return _(
            "[%(center)s] Your application %(number)s has been accepted. Promised date: "
            "%(date)s. Access code: %(code)s."
        ) % {
            "center": center,
            "number": number,
            "code": application.access_code,
            "date": date_format(application.promised_date, "DATE_FORMAT"),
        }
    if event == "stopped":
        return _(
            "[%(center)s] Application %(number)s, %(item)s: the time limit is stopped. %(reason)s"
        ) % {
            "center": center,
            "number": number,
            "item": review.item.name,
            "reason": review.clock.last().reason,
        }
    if event == "extended":
        return _(
            "[%(center)s] Application %(number)s, %(item)s: the time limit is extended to "
            "%(date)s. %(reason)s"
        ) % {
            "center": center,
            "number": number,
            "item": review.item.name,
            "date": date_format(review.deadline, "DATE_FORMAT"),
            "reason": review.clock.last().reason,
        }
    if event == "ready":
        return _(
            "[%(center)s] The results of application %(number)s are ready. Please collect "
            "them at the comprehensive window with your slip."
        ) % {"center": center, "number": number}
    raise ValueError(event)


def applicant_event(
    application: Application,
    event: str,
    review: DepartmentReview | None = None,
    at=None,
) -> list[Notification]:
    applicant = application.applicant
    with translation.override(settings.LANGUAGE_CODE):
        text = _texts(application, event, review)
        subject = _("%(center)s: application %(number)s") % {
            "center": settings.CENTER_NAME,
            "number": application.receipt_number,
        }
    rows = [
        Notification(
            application=application,
            event=event,
            channel=Notification.Channel.SMS,
            recipient=applicant.mobile,
            text=text,
        )
    ]
    if applicant.email:
        rows.append(
            Notification(
                application=application,
                event=event,
                channel=Notification.Channel.EMAIL,
                recipient=applicant.email,
                subject=subject,
                text=text,
            )
        )
    for row in rows:
        row.created_at = at or timezone.now()
        row.save()
        transaction.on_commit(lambda pk=row.pk: _queue(pk))
    return rows


def _queue(pk: int) -> None:
    from .tasks import deliver_notification

    try:
        deliver_notification.delay(pk)
    except Exception:  # the broker is down: the row stays unsent for deliver_pending
        log.warning("could not queue notification %s; it waits for the next run", pk, exc_info=True)


def deliver(pk: int) -> bool:
    """Send one notification once: claim it by setting sent_at, then send."""
    claimed = Notification.objects.filter(pk=pk, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if claimed != 1:
        return False  # already sent (a task delivered twice)
    sender = import_string(settings.NOTIFICATION_SENDER)()
    try:
        sender.send(Notification.objects.get(pk=pk))
    except Exception:
        Notification.objects.filter(pk=pk).update(sent_at=None)
        raise
    return True


# A row younger than this is left to the task queued after its commit.
PENDING_GRACE = dt.timedelta(minutes=2)
# Older than this, a message is news no longer: it stays unsent, visible on the application.
PENDING_MAX_AGE = dt.timedelta(days=2)


def deliver_pending(*, now: dt.datetime) -> int:
    """Send what was written but never sent: its task could not be queued (the broker was down)
    or gave up. Runs periodically; `deliver` claims each row, so a row is sent once even when
    its own task turns up as well. Returns how many were sent."""
    pending = Notification.objects.filter(
        sent_at__isnull=True,
        created_at__lte=now - PENDING_GRACE,
        created_at__gte=now - PENDING_MAX_AGE,
    ).order_by("created_at")
    sent = 0
    for pk in pending.values_list("pk", flat=True):
        try:
            sent += deliver(pk)
        except Exception:  # one bad recipient or a sender hiccup holds up no other message
            log.warning("notification %s not sent; tried again next run", pk, exc_info=True)
    return sent
