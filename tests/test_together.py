"""Rows of several tables in one statement (`approval_center.together`): each group written as
its `bulk_create` would write it, the keys read back to the right rows, a conflict answered with
the row that stands, and nothing written when one group is refused."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from applications.models import Document, Notification
from approval_center.together import bulk_create_together

from .conftest import NOW, sent

pytestmark = pytest.mark.django_db

MESSAGES = {
    "update_conflicts": True,
    "unique_fields": ["application", "key", "channel"],
    "update_fields": ["key"],
}


def _document(application, number: str) -> Document:
    return Document(
        number=number,
        kind=Document.Kind.APPROVAL,
        application=application,
        issued_at=NOW,
        issued_by=application.received_by,
        text="",
        content={},
    )


def _message(application, key: str, channel: str, text: str) -> Notification:
    return Notification(
        application=application,
        event=Notification.Event.DECIDED,
        key=key,
        channel=channel,
        recipient="13900000000",
        text=text,
        created_at=NOW,
    )


def test_each_row_gets_its_own_key_in_one_statement(draft):
    document = _document(draft, "测试〔2026〕1号")
    messages = [
        _message(draft, f"decided:{i}", channel, f"第{i}条 {channel}")
        for i in range(4)
        for channel in (Notification.Channel.SMS, Notification.Channel.EMAIL)
    ]
    with CaptureQueriesContext(connection) as captured:
        bulk_create_together(([document], {}), (messages, MESSAGES))
    written = [sql for sql in sent(captured) if sql.startswith(("WITH", "INSERT", "EXECUTE"))]
    assert len(written) == (1 if connection.vendor == "postgresql" else 2)
    assert Document.objects.get(pk=document.pk).number == "测试〔2026〕1号"
    for message in messages:  # each key names the row made of that object
        stored = Notification.objects.get(pk=message.pk)
        assert (stored.key, stored.channel, stored.text) == (
            message.key,
            message.channel,
            message.text,
        )
        assert not message._state.adding


def test_a_message_already_written_comes_back_as_it_stands(draft):
    first = _message(draft, "decided:7", Notification.Channel.SMS, "原文")
    Notification.objects.bulk_create([first], **MESSAGES)
    again = _message(draft, "decided:7", Notification.Channel.SMS, "另一文本")
    document = _document(draft, "测试〔2026〕2号")
    bulk_create_together(([document], {}), ([again], MESSAGES))
    assert again.pk == first.pk
    assert Notification.objects.get(pk=first.pk).text == "原文"
    assert Document.objects.filter(number="测试〔2026〕2号").count() == 1


def test_a_refused_group_writes_nothing(draft):
    document = _document(draft, "测试〔2026〕3号")
    kept = _message(draft, "decided:8", Notification.Channel.SMS, "x")
    kept.save()
    with pytest.raises(ValueError), transaction.atomic():  # a row that has its key already
        bulk_create_together(([document], {}), ([kept], MESSAGES))
    assert not Document.objects.filter(number="测试〔2026〕3号").exists()
