"""Redis down: a page that queues work answers at once and keeps its change; the periodic run
sends what could not be queued. Against a redis-server the test starts, stops and hangs itself."""

import datetime as dt
import logging
import threading
import time

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Notification
from applications.notifications import deliver_pending

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
    from approval_center.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        conn.default_channel.client.ping()
    redis_server.stop() if outage == "stopped" else redis_server.pause()

    with caplog.at_level(logging.WARNING, logger="applications.notifications"):
        seconds, response = accept(client, center, ready_draft)

    assert seconds < 2
    assert response.status_code == 302
    ready_draft.refresh_from_db()
    assert ready_draft.state == Application.State.IN_REVIEW
    assert ready_draft.receipt_number
    unsent = Notification.objects.filter(application=ready_draft, sent_at__isnull=True)
    assert unsent.count() == 2
    assert "could not queue notification" in caplog.text

    # Redis comes back; the next periodic run sends what the page could not queue, once.
    if outage == "hanging":
        redis_server.resume()
    else:
        redis_server.start()
    later = timezone.now() + dt.timedelta(minutes=5)
    assert deliver_pending(now=later) == 2
    assert deliver_pending(now=later) == 0
    assert not unsent.exists()


def test_the_periodic_run_leaves_fresh_and_old_rows_alone(accepted):
    rows = Notification.objects.filter(application=accepted)
    assert rows.count() == 2
    rows.update(sent_at=None, created_at=timezone.now())
    assert deliver_pending(now=timezone.now()) == 0  # its own task may still be on the way
    assert deliver_pending(now=timezone.now() + dt.timedelta(days=3)) == 0  # news no longer
    assert deliver_pending(now=timezone.now() + dt.timedelta(minutes=3)) == 2


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
