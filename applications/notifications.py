"""Telling the applicant (SMS and e-mail) through a pluggable sender.

1. `applicant_event` renders the event's templates in the applicant's language and writes one
   Notification row per channel inside the caller's transaction, at most one per event and
   channel (a unique key), and queues its delivery for after the commit: a change that rolls
   back sends nothing.
2. A Celery task calls `deliver`, which claims the row, hands it to the sender and marks it
   sent. A task delivered twice finds the row claimed or sent and sends nothing; a sender that
   fails releases the claim and the task is retried.
3. `queue_pending` (beat) queues again what could not be queued (the broker was down) or ran
   out of retries, up to `NOTIFICATION_MAX_ATTEMPTS`.

The texts are templates, per event and language:
`templates/applications/notifications/<language>/<event>.{subject,sms,email}.txt`, and one
`email.html` per language that lays out the e-mail's text. The sender is
`settings.NOTIFICATION_SENDER`: `ChannelSender` (the default) sends e-mail through Django's mail
(`EMAIL_BACKEND`: the console by default, SMTP in production) and SMS through the gateway in
`settings.SMS_GATEWAY` (the log by default); the Notification row is the record either way.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from contextlib import contextmanager
from functools import partial
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string

from approval_center.celery import delay_or_log
from approval_center.together import bulk_create_together

from . import access
from .models import (
    Application,
    ClockEvent,
    DepartmentReview,
    Document,
    ExtensionRequest,
    Notification,
)

log = logging.getLogger(__name__)

TEMPLATE = "applications/notifications/{language}/{event}.{part}.txt"
EMAIL_LAYOUT = "applications/notifications/{language}/email.html"
Event = Notification.Event


# --- what is said ---------------------------------------------------------------------------


def applicant_event(
    application: Application,
    event: str,
    *,
    review: DepartmentReview | None = None,
    clock_event: ClockEvent | None = None,
    reviews: list[DepartmentReview] | None = None,
    extension: ExtensionRequest | None = None,
    at: dt.datetime | None = None,
    rate_url: str = "",
    occasion: str = "",
    document: Document | None = None,
    together: Document | None = None,
) -> list[Notification]:
    """Write this event's messages to the applicant (once per event and channel) and queue
    them for after the commit. Call inside the transaction of the change itself, holding the
    lock of what the event is about (the application or the review).

    `reviews`: for an acceptance, the reviews just created (else they are read again).
    `extension`: for an extension, the approved request (days and reason; a joint one has no
    review and no clock ledger line).
    `rate_url`: for a hand-over, the applicant's one-time link to rate the service.
    `together`: a document not written yet (the decision's), written in the same statement as
    the messages (`approval_center.together`)."""
    key = event_key(
        event, review=review, clock_event=clock_event, extension=extension, occasion=occasion
    )
    applicant = application.applicant
    language = _language(applicant.language)
    context = _context(application, event, review, clock_event, reviews)
    context["extension"] = extension
    context["rate_url"] = rate_url
    context["document"] = document
    context["portal_page"] = portal_page()
    with translation.override(language):
        channels = [
            (
                Notification.Channel.SMS,
                applicant.mobile,
                "",
                _render(language, event, "sms", context),
            )
        ]
        if applicant.email:  # the e-mail only to those who gave an address
            subject = " ".join(_render(language, event, "subject", context).split())
            body = _render(language, event, "email", context)
            channels.append((Notification.Channel.EMAIL, applicant.email, subject, body))
    rows = [
        Notification(
            application=application,
            event=event,
            key=key,
            channel=channel,
            recipient=recipient,
            language=language,
            subject=title[:200],
            text=text,
            created_at=at or timezone.now(),
        )
        for channel, recipient, title, text in channels
    ]
    # One statement. A message this event already wrote stays as it was (the conflict leaves
    # its text alone) and its id comes back like the others'; queuing it again sends nothing,
    # since a delivery claims a row before sending it (`deliver`).
    bulk_create_together(
        ([together] if together is not None else [], {}),
        (
            rows,
            {
                "update_conflicts": True,
                "unique_fields": ["application", "key", "channel"],
                "update_fields": ["key"],
            },
        ),
    )
    transaction.on_commit(partial(_queue_all, [row.pk for row in rows]))
    return rows


def event_key(
    event: str,
    *,
    review: DepartmentReview | None = None,
    clock_event: ClockEvent | None = None,
    extension: ExtensionRequest | None = None,
    occasion: str = "",
) -> str:
    """What makes an event itself: the application's own events happen once, a review's
    decision once per review, a stop or an extension once per line of the clock ledger, a
    joint extension once per request; an event of a submission (`occasion`: a one-time notice
    or an invitation to the counter, online) once per submission."""
    if occasion:
        return f"{event}:{occasion}"
    if clock_event is not None:
        return f"{event}:{clock_event.pk}"
    if extension is not None and review is None:
        return f"{event}:joint:{extension.pk}"
    if review is not None:
        return f"{event}:{review.pk}"
    return event


def portal_page() -> str:
    """The applicant's own side, as messages name it."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/my/"


def _language(code: str) -> str:
    known = {code for code, _name in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def _render(language: str, event: str, part: str, context: dict[str, Any]) -> str:
    names = [
        TEMPLATE.format(language=language, event=event, part=part),
        TEMPLATE.format(language=settings.LANGUAGE_CODE, event=event, part=part),
    ]
    text = select_template(names).render(context)
    # Templates are laid out for reading; a message has no blank runs or trailing spaces.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    cleaned: list[str] = []
    for line in lines:
        if line or (cleaned and cleaned[-1]):
            cleaned.append(line)
    return "\n".join(cleaned)


def track_page() -> str:
    """The public status page, without number or code (those are on the slip)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("applications:track")


def _context(
    application: Application,
    event: str,
    review: DepartmentReview | None,
    clock_event: ClockEvent | None,
    reviews: list[DepartmentReview] | None = None,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "center": settings.CENTER_NAME,
        "phone": settings.CENTER_COMPLAINT_PHONE,
        "application": application,
        "number": application.receipt_number,
        "applicant": application.applicant,
        "project": application.project,
        "review": review,
        "clock_event": clock_event,
        "track_page": track_page(),
        # Read only by the messages that name it (results ready), once.
        "intake_window": SimpleLazyObject(application.intake_window),
    }
    if event == Event.ACCEPTED:
        if reviews is None:
            reviews = application.reviews.select_related("item", "department")
        context["reviews"] = sorted(reviews, key=lambda r: (r.deadline, r.pk))
        context["code"] = application.access_code
    return context


# --- how it is sent -------------------------------------------------------------------------


class Message(Protocol):
    """What a sender reads: a Notification, or any row with these (supervision's StaffNotice)."""

    pk: int
    channel: str
    recipient: str
    text: str


class SmsGateway(Protocol):
    """An SMS provider. `reference` is unique per message: give it to providers that accept a
    client message id, so a message handed over twice is delivered once."""

    def send_sms(self, phone: str, text: str, *, reference: str) -> None: ...


# What an access code looks like (services.ACCESS_CODE_ALPHABET, eight characters standing
# alone): the log gateway masks anything of that shape, since it is not told whose message it is.
_CODE_SHAPE = re.compile(r"(?<![A-Za-z0-9])[A-HJ-NP-Z2-9]{8}(?![A-Za-z0-9])")


def for_log(text: str, code: str = "") -> str:
    """A message as the log may keep it: the access code and a rating link's key masked (the
    log is read by more people than the applicant's phone is)."""
    return _CODE_SHAPE.sub(access.CODE_MASK, access.masked(text, code))


# A sign-in code of the applicant's side (portal/signin.py): six digits standing alone.
_ONE_TIME_CODE = re.compile(r"(?<![0-9])[0-9]{6}(?![0-9])")


def _one_time_codes_masked(text: str) -> str:
    """Development (DEBUG) is the one place a log shows a sign-in code: the demo signs in with
    the code the terminal shows. Anywhere else six digits standing alone are masked."""
    return text if settings.DEBUG else _ONE_TIME_CODE.sub("******", text)


class LogSmsGateway:
    """The default gateway: the message goes to the log, its code and rating key masked (the
    database row keeps the text as sent); a sign-in code shows only in development."""

    def send_sms(self, phone: str, text: str, *, reference: str) -> None:
        log.info("notify sms %s [%s]: %s", phone, reference, _one_time_codes_masked(for_log(text)))


class LogSender:
    """Every channel to the log, codes and rating keys masked; the Notification row is the
    record."""

    def send(self, message: Message) -> None:
        application = getattr(message, "application", None)
        code = getattr(application, "access_code", "") or ""
        log.info(
            "notify %s %s: %s",
            message.channel,
            message.recipient,
            _one_time_codes_masked(for_log(message.text, code)),
        )


class ChannelSender:
    """E-mail through Django's mail (`EMAIL_BACKEND`), SMS through `settings.SMS_GATEWAY`."""

    def send(self, message: Message) -> None:
        reference = f"{type(message).__name__.lower()}-{message.pk}"
        if message.channel == Notification.Channel.EMAIL:
            _send_email(message, reference)
        else:
            gateway: SmsGateway = import_string(settings.SMS_GATEWAY)()
            gateway.send_sms(message.recipient, message.text, reference=reference)


def _send_email(message: Message, reference: str) -> None:
    language = _language(getattr(message, "language", settings.LANGUAGE_CODE))
    subject = getattr(message, "subject", "") or settings.CENTER_NAME
    with translation.override(language):
        html = render_to_string(
            EMAIL_LAYOUT.format(language=language),
            {
                "subject": subject,
                "paragraphs": [p for p in message.text.split("\n\n") if p.strip()],
                "center": settings.CENTER_NAME,
                "phone": settings.CENTER_COMPLAINT_PHONE,
            },
        )
    domain = settings.PUBLIC_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    email = EmailMultiAlternatives(
        subject=subject,
        body=message.text,
        to=[message.recipient],
        # The same message id whenever this row is handed over: mail systems drop a repeat.
        headers={"Message-ID": f"<{reference}@{domain or 'localhost'}>"},
    )
    email.attach_alternative(html, "text/html")
    email.send()


# --- delivery -------------------------------------------------------------------------------


def _queue(pk: int) -> None:
    from .tasks import deliver_notification

    # The broker down: the row stays pending for queue_pending.
    delay_or_log(deliver_notification, pk, what=f"notification {pk}")


# Set while the demo writes its past (`demo_past`): its messages are not queued.
_past = threading.local()


@contextmanager
def demo_past():
    """Messages written inside are the demo's past: nothing is queued for delivery (a new
    install's worker would otherwise spend its first minutes on a thousand stale tasks, with
    beat's heartbeat queued behind them), and they count as sent when they were written."""
    _past.on = True
    try:
        yield
    finally:
        _past.on = False
    Notification.objects.filter(sent_at__isnull=True).update(sent_at=F("created_at"))


def writing_demo_past() -> bool:
    """Whether the demo is writing its past (`demo_past`): what it writes is not queued."""
    return getattr(_past, "on", False)


def _queue_all(pks: list[int]) -> None:
    if writing_demo_past():
        return
    for pk in pks:
        _queue(pk)


def deliver(pk: int, *, now: dt.datetime | None = None) -> bool:
    """Send one notification once.

    1. Claim it: only a row neither sent nor claimed, with attempts left, can be claimed, so of
       two deliveries of the same task (or a retry and the sweep) one sends and the others
       return False. A row claimed by a worker that died while sending stays claimed: it is
       shown to staff as not confirmed and never sent again by itself, since it may have gone.
    2. Send it through the configured sender.
    3. Mark it sent. If the sender failed, release the claim with the error and raise, so the
       task is retried.
    """
    return send_once(Notification, pk, now=now or timezone.now())


def send_once(model, pk: int, *, now: dt.datetime) -> bool:
    """`deliver` for any row a sender reads (a Notification, the hall's AppointmentMessage):
    one with `sent_at`, `claimed_at`, `attempts` and `last_error`."""
    claimed = model.objects.filter(
        pk=pk,
        sent_at__isnull=True,
        claimed_at__isnull=True,
        attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
    ).update(claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return False
    message = model.objects.get(pk=pk)
    sender = import_string(settings.NOTIFICATION_SENDER)()
    try:
        sender.send(message)
    except Exception as error:
        model.objects.filter(pk=pk).update(
            claimed_at=None, last_error=f"{type(error).__name__}: {error}"[:300]
        )
        raise
    model.objects.filter(pk=pk).update(sent_at=timezone.now(), last_error="")
    return True


def queue_pending(*, now: dt.datetime) -> int:
    """Queue again the messages that are neither sent nor being sent, a few minutes old (so the
    task queued at commit has had its chance), with attempts left. Returns how many."""
    pks = list(
        Notification.objects.pending()
        .filter(
            created_at__lt=now - dt.timedelta(seconds=settings.NOTIFICATION_RETRY_AFTER_SECONDS),
            attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        _queue(pk)
    return len(pks)
