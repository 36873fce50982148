"""The outbox on PostgreSQL, with real threads, a real HTTP receiver and a broker that is down:
each event reaches the platform once and in order, whatever is delivered twice or fails."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.utils import timezone

from outbox import push
from outbox.models import OutboxEvent
from outbox.tasks import push_application_task, sweep_outbox

from .servers import PlatformStub, free_port
from .test_intake_concurrency import race
from .test_outbox import SECRET, kinds, the_whole_way

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def stub(settings):
    """The platform's stand-in, not connected yet: the steps that build the case push nothing."""
    server = PlatformStub(SECRET).start()
    settings.OUTBOX_SHARED_SECRET = SECRET
    settings.OUTBOX_TIMEOUT_SECONDS = 1
    yield server
    server.stop()


def connect(settings, stub) -> None:
    settings.OUTBOX_PLATFORM_URL = stub.url


def test_a_task_delivered_twice_pushes_each_event_once(settings, stub, center, accepted):
    the_whole_way(accepted, center)
    assert OutboxEvent.objects.unpushed().count() == 10
    connect(settings, stub)
    stub.delay = 0.05  # each answer takes a while: the workers overlap
    # Four deliveries of the same task at once (a redelivery, the sweep, the task after the
    # commit...), each pushing the application's events until none is left.
    errors = race(lambda i: push_application_task(accepted.pk), 4)
    assert errors == []
    assert stub.requests == 10 and set(stub.deliveries.values()) == {1}
    assert [e["kind"] for e in stub.events] == kinds(accepted)
    assert [e["sequence"] for e in stub.events] == list(range(1, 11))
    events = OutboxEvent.objects.filter(application=accepted)
    assert all(e.pushed_at is not None and e.attempts == 1 for e in events)


def test_a_receiver_that_fails_then_recovers_gets_everything_in_order(
    settings, stub, center, accepted
):
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS = 60, 150
    the_whole_way(accepted, center)
    connect(settings, stub)
    # A 500; no answer in time; the event stored but the answer lost; then it recovers.
    stub.script(500, 0, -1, hang_seconds=1.5)
    first = OutboxEvent.objects.filter(application=accepted).order_by("id").first()
    for attempt, expected in ((1, 60), (2, 120), (3, 150)):
        before = timezone.now()
        assert push_application_task(accepted.pk) == 0
        first.refresh_from_db()
        assert first.attempts == attempt and first.pushed_at is None and first.last_error
        waited = (first.next_attempt_at - before).total_seconds()
        assert expected <= waited <= expected + 3, (attempt, waited)  # the back-off, capped
        # Before its time nothing is sent: neither it nor the events behind it.
        requests = stub.requests
        early = first.next_attempt_at - dt.timedelta(seconds=1)
        assert push.push_one(accepted.pk, now=early) is False
        assert stub.requests == requests
        # Its time come (the clock moved on), the next attempt.
        OutboxEvent.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    assert push_application_task(accepted.pk) == 10
    first.refresh_from_db()
    assert first.attempts == 4 and first.last_error == "" and first.pushed_at is not None
    assert [e["kind"] for e in stub.events] == kinds(accepted)
    assert [e["sequence"] for e in stub.events] == list(range(1, 11))
    # The one whose answer was lost came twice, with its key: stored once.
    assert stub.deliveries[str(first.key)] == 2
    assert [n for key, n in stub.deliveries.items() if key != str(first.key)] == [1] * 9


def test_with_the_broker_down_at_commit_the_sweep_pushes_later(
    settings, stub, center, accepted, real_broker, caplog
):
    from approval_center.celery import app, breaker

    connect(settings, stub)
    real_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    permit = accepted.reviews.get(item=center.permit)
    from applications import services

    with caplog.at_level(logging.ERROR, logger="approval_center.celery"):
        services.review_decide(review=permit, by=center.bob, now=timezone.now(), outcome="granted")
    assert "could not queue the outbox push" in caplog.text
    assert stub.requests == 0
    assert OutboxEvent.objects.unpushed().filter(application=accepted).count() == 3
    # The broker back (here: eager again), beat's sweep finds the application and pushes it.
    app.conf.task_always_eager = True
    breaker.reset()
    assert sweep_outbox() == 1
    assert [e["kind"] for e in stub.events] == ["received", "accepted", "decided"]
    assert not OutboxEvent.objects.unpushed().exists()
