"""Redis down: a page that queues work answers at once and keeps its change; the periodic run
sends what could not be queued. Against a redis-server the test starts, stops and hangs itself."""

import datetime as dt
import logging
import threading
import time

import pytest
from django.conf import settings
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Notification
from applications.notifications import deliver, queue_pending

from .conftest import receive_all
from .servers import RedisServer


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def ready_draft(transactional_db, draft, center, seals):
    # Committed for real (transactional_db), so the page's after-commit sends really run.
    receive_all(draft, center.dave)
    return draft


def accept(client, center, draft) -> tuple[float, object]:
    """Post the accept button; a page that hangs fails the test instead of holding it up."""
    client.force_login(center.dave)
    answer = []

    def post() -> None:
        answer.append(client.post(reverse("applications:act", args=[draft.pk, "accept"])))
        connections.close_all()

    start = time.monotonic()
    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    thread.join(timeout=15)
    assert answer, "the page did not answer within 15 s"
    return time.monotonic() - start, answer[0]


def test_with_redis_up_the_page_queues_the_notifications(
    client, center, ready_draft, redis_server, real_broker
):
    real_broker(redis_server.url)
    seconds, response = accept(client, center, ready_draft)
    assert response.status_code == 302
    assert redis_server.llen("celery") == 2  # SMS and e-mail, sent to the real broker
    assert seconds < 2


@pytest.mark.parametrize("outage", ["stopped", "hanging"])
def test_with_redis_down_the_page_answers_fast_and_commits(
    client, center, ready_draft, redis_server, real_broker, caplog, outage
):
    real_broker(redis_server.url)
    # The pool holds a live connection from before the outage, as a running server's would.
    from approval_center.celery import app, breaker

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        conn.default_channel.client.ping()
    redis_server.stop() if outage == "stopped" else redis_server.pause()

    with caplog.at_level(logging.WARNING, logger="approval_center.celery"):
        seconds, response = accept(client, center, ready_draft)

    assert seconds < 2
    assert response.status_code == 302
    ready_draft.refresh_from_db()
    assert ready_draft.state == Application.State.IN_REVIEW
    assert ready_draft.receipt_number
    unsent = Notification.objects.filter(application=ready_draft, sent_at__isnull=True)
    assert unsent.count() == 2
    assert "could not queue notification" in caplog.text

    # Redis comes back; beat's next run queues what the page could not, and a worker sends it.
    if outage == "hanging":
        redis_server.resume()
    else:
        redis_server.start()
    breaker.reset()  # what BROKER_DOWN_SECONDS of waiting would do
    later = timezone.now() + dt.timedelta(seconds=settings.NOTIFICATION_RETRY_AFTER_SECONDS + 60)
    assert queue_pending(now=later) == 2
    assert redis_server.llen("celery") == 2
    for pk in unsent.values_list("pk", flat=True):
        assert deliver(pk)
    assert not Notification.objects.filter(application=ready_draft, sent_at__isnull=True).exists()
    assert queue_pending(now=later) == 0


def test_the_configured_broker_takes_a_task(settings, real_broker):
    # The suite runs tasks eagerly; this sends one for real through the broker the settings
    # give (the SQLite file, or Redis in CI), to a queue of its own that it then empties.
    from approval_center.celery import app
    from operations.tasks import beat_heartbeat

    real_broker(settings.CELERY_BROKER_URL)
    beat_heartbeat.apply_async(queue="test-configured-broker")
    with app.connection_for_write() as conn:
        assert conn.SimpleQueue("test-configured-broker").qsize() == 1
        conn.default_channel.queue_purge("test-configured-broker")
