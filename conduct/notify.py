"""Messages to the complainant through the applicant's channel: SMS to the mobile given, and
e-mail when one was given. Written in the transaction of the change (once per complaint, kind
and channel), delivered after the commit by the applicant's notifications' `send_once` and the
configured sender (`NOTIFICATION_SENDER`, `SMS_GATEWAY`), retried by beat like them."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import Notification
from applications.notifications import send_once
from approval_center.celery import delay_or_log

from .models import Complaint, ComplaintMessage

RECEIVED = ComplaintMessage.Kind.RECEIVED
ANSWERED = ComplaintMessage.Kind.ANSWERED


def language_of(code: str) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def text_of(complaint: Complaint, kind: str) -> tuple[str, str]:
    """The subject and text, in the complainant's language."""
    with translation.override(language_of(complaint.language)):
        values = {
            "center": settings.CENTER_NAME,
            "number": complaint.number,
            "due": date_format(complaint.due, "DATE_FORMAT"),
            "reply": complaint.reply,
            "phone": settings.CENTER_COMPLAINT_PHONE,
        }
        if kind == RECEIVED:
            return (
                _("Your complaint %(number)s was received") % values,
                _(
                    "[%(center)s] Your complaint %(number)s was received. We will answer by "
                    "%(due)s. Complaints telephone: %(phone)s."
                )
                % values,
            )
        return (
            _("The answer to your complaint %(number)s") % values,
            _("[%(center)s] The answer to your complaint %(number)s: %(reply)s") % values,
        )


def write(complaint: Complaint, kind: str, *, now: dt.datetime) -> list[ComplaintMessage]:
    """One message per channel, inside the caller's transaction; delivery after the commit."""
    subject, text = text_of(complaint, kind)
    channels = [(Notification.Channel.SMS, complaint.phone)]
    if complaint.email:
        channels.append((Notification.Channel.EMAIL, complaint.email))
    ComplaintMessage.objects.bulk_create(
        [
            ComplaintMessage(
                complaint=complaint,
                kind=kind,
                channel=channel,
                recipient=recipient,
                language=language_of(complaint.language),
                subject=subject,
                text=text,
                created_at=now,
            )
            for channel, recipient in channels
        ],
        ignore_conflicts=True,
    )
    written = list(ComplaintMessage.objects.filter(complaint=complaint, kind=kind))
    for message in written:
        transaction.on_commit(partial(_queue, message.pk))
    return written


def _queue(pk: int) -> None:
    from .tasks import deliver_complaint_message

    # The broker down: queue_pending sends it later.
    delay_or_log(deliver_complaint_message, pk, what=f"complaint message {pk}")


def deliver(pk: int, *, now: dt.datetime | None = None) -> bool:
    return send_once(ComplaintMessage, pk, now=now or timezone.now())


def queue_pending(*, now: dt.datetime) -> int:
    pks = list(
        ComplaintMessage.objects.filter(
            sent_at__isnull=True,
            claimed_at__isnull=True,
            created_at__lt=now - dt.timedelta(seconds=settings.NOTIFICATION_RETRY_AFTER_SECONDS),
            attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
        ).values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        _queue(pk)
    return len(pks)
