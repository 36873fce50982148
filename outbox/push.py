"""Pushing the outbox to the platform: each event once, in order per application.

1. `push_application` takes the oldest unpushed event of an application, and only that one: if
   it is waiting for its back-off, or locked by another worker (`skip_locked`: a task delivered
   twice, or the sweep and the task after the commit, do not wait for each other and never
   both send), nothing of that application is pushed now.
2. It POSTs the event with its idempotency key, a timestamp and the HMAC signature
   (`signing`), holding the row's lock (SQLite: a claim, `push_one` says why), within
   `OUTBOX_TIMEOUT_SECONDS`.
3. A 2xx answer marks it pushed in the same transaction, and the next event of the application
   is taken. Anything else records the error and the next attempt after an exponential
   back-off, capped at `OUTBOX_BACKOFF_MAX_SECONDS`; after `OUTBOX_MAX_ATTEMPTS` the event is
   shown to administrators as failed and still tried at the cap's interval, or at once by their
   "retry now".

Exactly once, as the platform sees it: an event whose answer was lost (or whose commit failed
after a 2xx) is sent again with the same key, and the receiver stores a key once. Without
`OUTBOX_PLATFORM_URL` nothing is pushed and every event waits.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import urllib.error
import urllib.request
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.notifications import writing_demo_past
from approval_center.celery import delay_or_log

from . import signing
from .models import OutboxEvent

log = logging.getLogger(__name__)


class PushFailed(Exception):
    """The platform did not take the event (its answer, or no answer)."""


def configured() -> bool:
    return bool(settings.OUTBOX_PLATFORM_URL)


def queue_after_commit(application_id: int) -> None:
    transaction.on_commit(partial(queue, application_id))


def queue(application_id: int) -> None:
    """Queue the push of an application's events; the broker down, the sweep does it later."""
    if not configured() or writing_demo_past():
        return
    from .tasks import push_application_task

    what = f"the outbox push of application {application_id}"
    delay_or_log(push_application_task, application_id, what=what)  # else the sweep


def body_of(event: OutboxEvent, sequence: int) -> bytes:
    """What the platform receives: the event's envelope around the case as written."""
    envelope = {
        "id": str(event.key),
        "sequence": sequence,
        "kind": event.kind,
        "occurred_at": event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "application": event.application_id,
        "case": event.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def send(url: str, key: str, body: bytes, *, secret: str, timeout: float) -> int:
    """POST `body`, signed; the status of a 2xx answer, else PushFailed."""
    timestamp = int(time.time())
    request = urllib.request.Request(  # noqa: S310 (the address is the operator's setting)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            signing.KEY_HEADER: key,
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        raise PushFailed(f"HTTP {error.code}") from None
    except (OSError, ValueError) as error:  # refused, timed out, reset, a bad address
        raise PushFailed(f"{type(error).__name__}: {error}") from None


def backoff(attempts: int) -> dt.timedelta:
    """How long after the `attempts`-th failure the next attempt comes."""
    base, cap = settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _oldest_unpushed(application_id: int):
    return (
        OutboxEvent.objects.unpushed()
        .filter(application_id=application_id)
        .order_by("id")
        .values("id")[:1]
    )


def push_one(application_id: int, *, now: dt.datetime | None = None) -> bool | None:
    """Push the oldest unpushed event of the application. True: pushed; False: it failed (or
    waits for its back-off, or another worker holds it); None: nothing left to push.

    On PostgreSQL the event's row stays locked from the choice to the mark. SQLite has one
    writer for the whole database: a transaction held across the POST would hold up every
    other write, the embedded demo's own receiver's included. There the event is claimed
    instead (its next attempt moved past the push's timeout, in a short transaction), sent,
    then marked; a worker lost mid-push leaves a claim that runs out, and the event is sent
    again with its key."""
    if not configured():
        return False
    now = now or timezone.now()
    with transaction.atomic():
        event = _oldest(application_id, lock=connection.vendor == "postgresql")
        if event is None:
            pending = OutboxEvent.objects.unpushed().filter(application_id=application_id)
            return False if pending.exists() else None
        if event.next_attempt_at is not None and event.next_attempt_at > now:
            return False
        if connection.vendor == "postgresql":
            return _send_and_mark(event)
        claim = timezone.now() + dt.timedelta(seconds=settings.OUTBOX_TIMEOUT_SECONDS + 60)
        # Claimed only as it was read: a worker that read it too finds it claimed, and skips.
        claimed = OutboxEvent.objects.filter(
            pk=event.pk, pushed_at__isnull=True, next_attempt_at=event.next_attempt_at
        ).update(next_attempt_at=claim)
        if not claimed:
            return False
    return _send_and_mark(event)


def _oldest(application_id: int, *, lock: bool) -> OutboxEvent | None:
    """The application's oldest unpushed event, with its sequence read along (the events
    pushed before it, plus one); locked, skipping it if another worker holds it, if `lock`."""
    pushed = (
        OutboxEvent.objects.filter(application_id=application_id, pushed_at__isnull=False)
        .order_by()
        .values("application_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    events = OutboxEvent.objects.all()
    if lock:
        events = events.select_for_update(skip_locked=True)
    return (
        events.filter(pk=Subquery(_oldest_unpushed(application_id)), pushed_at__isnull=True)
        .annotate(sequence=Coalesce(Subquery(pushed), 0) + 1)
        .first()
    )


def _send_and_mark(event: OutboxEvent) -> bool:
    """POST the event; mark it pushed on a 2xx, else record the error and the back-off."""
    try:
        send(
            settings.OUTBOX_PLATFORM_URL,
            str(event.key),
            body_of(event, event.sequence),
            secret=settings.OUTBOX_SHARED_SECRET,
            timeout=settings.OUTBOX_TIMEOUT_SECONDS,
        )
    except PushFailed as error:
        attempts = event.attempts + 1
        OutboxEvent.objects.filter(pk=event.pk).update(
            attempts=F("attempts") + 1,
            last_error=str(error)[:300],
            next_attempt_at=timezone.now() + backoff(attempts),
        )
        log.warning("outbox event %s not pushed (attempt %s): %s", event.pk, attempts, error)
        return False
    OutboxEvent.objects.filter(pk=event.pk).update(
        pushed_at=timezone.now(), attempts=F("attempts") + 1, last_error="", next_attempt_at=None
    )
    return True


def push_application(application_id: int) -> int:
    """Push the application's events in order until one fails or none is left; how many."""
    pushed = 0
    while push_one(application_id):
        pushed += 1
    return pushed


def due_applications(*, now: dt.datetime, limit: int) -> list[int]:
    """The applications whose oldest unpushed event may be tried now, oldest first."""
    oldest = OutboxEvent.objects.unpushed().filter(
        pk=Subquery(_oldest_unpushed(OuterRef("application_id")))
    )
    return list(
        oldest.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("application_id", flat=True)[:limit]
    )


def sweep(*, now: dt.datetime) -> int:
    """Queue the push of every application with an event due (beat): what the task after the
    commit did not push (broker down, a worker lost), and the retries whose back-off is over."""
    if not configured():
        return 0
    applications = due_applications(now=now, limit=settings.OUTBOX_SWEEP_BATCH)
    for application_id in applications:
        queue(application_id)
    return len(applications)


def retry_now(event: OutboxEvent, *, by, now: dt.datetime) -> OutboxEvent:
    """An administrator's "retry now": the event's back-off is over; its history row says who
    asked and when. The push itself is queued after the commit."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().get(pk=event.pk)
        if event.pushed_at is not None:
            return event
        event.next_attempt_at = now
        event._history_user, event._history_date = by, now
        event._change_reason = "retry now"
        event.save(update_fields=["next_attempt_at"])
        queue_after_commit(event.application_id)
    return event
