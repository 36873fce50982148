"""A new install's first minutes: the demo's past messages are written as sent and nothing is
queued for them, so the worker that `make run` starts is free for beat's heartbeat."""

from unittest import mock

from applications import notifications, services
from applications.models import Notification

from .conftest import NOW, receive_all


def test_messages_written_as_the_demos_past_are_not_queued_and_count_as_sent(
    draft, center, seals, django_capture_on_commit_callbacks
):
    receive_all(draft, center.dave)
    with mock.patch.object(notifications, "_queue") as queue:
        # Outside a test each service commits inside `demo_past`, and its callbacks run then.
        with notifications.demo_past(), django_capture_on_commit_callbacks(execute=True):
            services.application_accept(application=draft, by=center.dave, now=NOW)
        assert queue.call_count == 0
    rows = Notification.objects.filter(application=draft)
    assert rows.count() == 2 and all(n.sent_at == n.created_at for n in rows)


def test_outside_the_demo_messages_are_queued(
    draft, center, seals, django_capture_on_commit_callbacks
):
    receive_all(draft, center.dave)
    with mock.patch.object(notifications, "_queue") as queue:
        with django_capture_on_commit_callbacks(execute=True):
            services.application_accept(application=draft, by=center.dave, now=NOW)
        assert queue.call_count == 2
