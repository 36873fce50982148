"""Telling the applicant: one SMS and one e-mail per event, from the templates of the applicant's
language, sent by a task after the commit, retried when the sender fails, never twice for one
event, and visible to the staff."""

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from applications import notifications, services
from applications.models import Notification
from applications.tasks import deliver_notification, queue_pending_notifications

from .applicant_helpers import take_to_delivery
from .conftest import NOW, aware, extend, receive_all

SENT: list = []


class RecordingSender:
    def send(self, message) -> None:
        SENT.append((message.pk, message.channel, message.recipient))


class FailingOnceSender:
    failed: set = set()

    def send(self, message) -> None:
        if message.pk not in self.failed:
            self.failed.add(message.pk)
            raise ConnectionError("gateway timeout")
        SENT.append((message.pk, message.channel, message.recipient))


class RecordingGateway:
    def send_sms(self, phone: str, text: str, *, reference: str) -> None:
        SENT.append(("sms", phone, text, reference))


@pytest.fixture(autouse=True)
def recorded(settings):
    SENT.clear()
    FailingOnceSender.failed = set()
    settings.NOTIFICATION_SENDER = "tests.test_notifications.RecordingSender"
    return SENT


def events_of(application) -> list[tuple[str, str]]:
    return sorted(application.notifications.values_list("key", "channel"))


def test_every_event_tells_the_applicant_once_by_sms_and_email(accepted, center):
    permit = accepted.reviews.get(item=center.permit)
    services.review_claim(review=permit, by=center.alice, now=NOW)
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 9, 29),
        cause="supplements",
        days_needed=10,
        reason="请补充施工合同",
    )
    services.review_resume(review=permit, by=center.alice, now=aware(2026, 9, 30))
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 8),
        cause="expert_review",
        days_needed=5,
        reason="组织专家论证",
    )
    services.review_resume(review=permit, by=center.alice, now=aware(2026, 10, 9))
    extend(
        permit,
        by=center.alice,
        approved_by=center.bob,
        now=aware(2026, 10, 9),
        days=2,
        reason="需现场核查",
    )
    application = take_to_delivery(accepted, center, now=aware(2026, 10, 12))
    stops = list(permit.clock.filter(kind="stop").order_by("at"))
    extension = permit.clock.get(kind="extend")
    planning = application.reviews.get(item=center.planning_item)
    keys = [
        "accepted",
        f"supplements:{stops[0].pk}",
        f"stopped:{stops[1].pk}",
        f"extended:{extension.pk}",
        f"decided:{permit.pk}",
        f"decided:{planning.pk}",  # once countersigned, not at the deputy's signature
        "ready",
        "delivered",
    ]
    assert events_of(application) == sorted((k, c) for k in keys for c in ("email", "sms"))
    sms = {n.event: n for n in application.notifications.filter(channel="sms")}
    assert sms["accepted"].text.startswith(
        "【临安市行政审批中心】您的申请已受理，受理编号2026000001"
    )
    assert application.access_code in sms["accepted"].text
    assert "请补充施工合同" in sms["supplements"].text
    assert "请于2026年10月19日前" in sms["supplements"].text  # the time given, Art. 45
    assert "专家评审" in sms["stopped"].text and "5个工作日" in sms["stopped"].text
    assert "延长2个工作日" in sms["extended"].text and "需现场核查" in sms["extended"].text
    assert "准予许可" in sms["decided"].text
    assert "综合窗口（A01）" in sms["ready"].text
    assert "http://127.0.0.1:8000/track/" in sms["delivered"].text
    # Later messages do not repeat the access code; only the acceptance carries it.
    assert all(application.access_code not in n.text for n in sms.values() if n.event != "accepted")
    email = application.notifications.get(channel="email", key="accepted")
    assert email.recipient == "zhang@example.com"
    assert email.subject == "临安市行政审批中心：您的申请已受理（受理编号 2026000001）"
    assert "建筑工程施工许可证核发（临安市建设局）：2026年10月13日" in email.text


def test_an_english_speaking_applicant_gets_english_messages(draft, center, seals, applicant):
    from windows import authority

    applicant.language = "en"
    applicant.save(update_fields=["language"])
    authority.sync_signing_authority(at=NOW)
    receive_all(draft, center.dave)
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    sms = application.notifications.get(channel="sms")
    assert sms.language == "en"
    assert sms.text.startswith("[临安市行政审批中心] Your application has been accepted.")
    assert "promised date 16 Oct 2026" in sms.text
    email = application.notifications.get(channel="email")
    assert email.subject == "临安市行政审批中心: application 2026000001 accepted"
    assert email.text.startswith("Dear 张伟,")


def test_one_event_is_written_once_even_if_reported_twice(accepted):
    first = notifications.applicant_event(accepted, "ready", at=NOW)
    second = notifications.applicant_event(accepted, "ready", at=NOW)
    assert [n.pk for n in first] == [n.pk for n in second]
    assert accepted.notifications.filter(event="ready").count() == 2  # one SMS, one e-mail


def test_a_change_that_rolls_back_sends_nothing(draft, center, django_capture_on_commit_callbacks):
    receive_all(draft, center.dave)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.application_accept(application=draft, by=center.dave, now=NOW)
            raise RuntimeError("the clerk's page crashed")
    assert callbacks == []
    assert not Notification.objects.exists() and SENT == []


def test_messages_go_out_after_the_commit_and_a_redelivered_task_sends_nothing_new(
    draft, center, django_capture_on_commit_callbacks
):
    receive_all(draft, center.dave)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        application = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert SENT == [] and callbacks  # nothing before the commit
    for callback in callbacks:
        callback()  # the commit: each message's task runs (eagerly in the tests)
    assert sorted(channel for _pk, channel, _to in SENT) == ["email", "sms"]
    # The broker hands the same tasks over again (acks_late after a worker restart).
    for row in application.notifications.all():
        assert deliver_notification.apply(args=[row.pk]).get() is False
    assert len(SENT) == 2
    assert all(row.status == "sent" for row in application.notifications.all())


def test_a_failing_sender_is_retried_and_the_message_sent_once(accepted, settings):
    settings.NOTIFICATION_SENDER = "tests.test_notifications.FailingOnceSender"
    sms = accepted.notifications.get(channel="sms")
    with pytest.raises(ConnectionError):
        notifications.deliver(sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.sent_at) == ("retrying", 1, None)
    assert "gateway timeout" in sms.last_error
    assert notifications.deliver(sms.pk) is True  # the retry
    assert notifications.deliver(sms.pk) is False  # and a late duplicate of it
    sms.refresh_from_db()
    assert (sms.status, sms.attempts, sms.last_error) == ("sent", 2, "")
    assert [pk for pk, _channel, _to in SENT] == [sms.pk]


def test_the_task_retries_through_celery_until_it_is_sent(accepted, settings):
    settings.NOTIFICATION_SENDER = "tests.test_notifications.FailingOnceSender"
    sms = accepted.notifications.get(channel="sms")
    result = deliver_notification.apply(args=[sms.pk])  # fails, retries (eagerly), sends
    assert result.successful()
    sms.refresh_from_db()
    assert sms.status == "sent" and sms.attempts == 2
    assert len(SENT) == 1


def test_a_message_stops_after_its_attempts_and_shows_as_failed(accepted, settings):
    settings.NOTIFICATION_SENDER = "tests.test_notifications.FailingOnceSender"
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    sms = accepted.notifications.get(channel="sms")
    with pytest.raises(ConnectionError):
        notifications.deliver(sms.pk)
    assert notifications.deliver(sms.pk) is False
    settings.NOTIFICATION_SENDER = "tests.test_notifications.RecordingSender"
    assert notifications.queue_pending(now=NOW + dt.timedelta(hours=1)) == 1  # the e-mail only
    sms.refresh_from_db()
    assert sms.status == "failed" and SENT[0][1] == "email"


def test_messages_that_could_not_be_queued_are_sent_by_the_next_sweep(accepted):
    # The acceptance's commit never reached the broker (the test discards the callbacks).
    assert SENT == [] and accepted.notifications.pending().count() == 2
    assert notifications.queue_pending(now=NOW + dt.timedelta(seconds=30)) == 0  # too fresh
    assert queue_pending_notifications.apply().get() == 2  # the beat task, at its next run
    assert len(SENT) == 2
    assert notifications.queue_pending(now=NOW + dt.timedelta(hours=1)) == 0


def test_the_default_sender_uses_django_mail_and_the_sms_gateway(accepted, settings):
    settings.NOTIFICATION_SENDER = "applications.notifications.ChannelSender"
    settings.SMS_GATEWAY = "tests.test_notifications.RecordingGateway"
    for row in accepted.notifications.all():
        assert notifications.deliver(row.pk) is True
    sms = accepted.notifications.get(channel="sms")
    assert SENT == [("sms", "13800000000", sms.text, f"notification-{sms.pk}")]
    [message] = mail.outbox
    assert message.to == ["zhang@example.com"]
    assert message.subject == "临安市行政审批中心：您的申请已受理（受理编号 2026000001）"
    email = accepted.notifications.get(channel="email")
    assert message.extra_headers["Message-ID"] == f"<notification-{email.pk}@127.0.0.1>"
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "受理编号：2026000001<br>" in html


def test_html_in_names_stays_text_in_the_email(accepted, settings):
    settings.NOTIFICATION_SENDER = "applications.notifications.ChannelSender"
    applicant = accepted.applicant
    applicant.contact_name = "<script>alert(1)</script>"
    applicant.save(update_fields=["contact_name"])
    notifications.applicant_event(accepted, "ready", at=NOW)
    email = accepted.notifications.get(channel="email", key="ready")
    assert email.text.startswith("<script>alert(1)</script>，您好")  # plain text as typed
    notifications.deliver(email.pk)
    html = mail.outbox[0].alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_staff_see_what_was_sent_to_the_applicant_and_when(client, accepted, center):
    sms = accepted.notifications.get(channel="sms")
    notifications.deliver(sms.pk, now=NOW)
    client.force_login(center.dave)
    page = client.get(
        reverse("applications:detail", args=[accepted.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Application accepted" in page and "13800000000" in page
    assert "zhang@example.com" in page and "not sent yet" in page
    assert page.count("tag ok") >= 1  # the SMS: sent, with its time
    timeline = client.get(
        reverse("applications:timeline", args=[accepted.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Applicant told by SMS: Application accepted" in timeline
    assert "Applicant told by E-mail: Application accepted" in timeline
