import datetime as dt

import pytest
from django.utils import timezone, translation

from applications import services
from applications.models import (
    Application,
    ClockEvent,
    Document,
    Notification,
)

from .conftest import NOW, receive_all


@pytest.fixture(autouse=True)
def english():
    # The services speak the user's language; these tests read their messages in English.
    with translation.override("en"):
        yield


def test_the_checklist_lists_shared_materials_once(draft, materials):
    names = [line.material.name for line in draft.materials.select_related("material")]
    assert sorted(names) == sorted(["申请表", "环境影响评价批复文件", "营业执照（副本）"])


def test_the_one_time_notice_is_due_five_working_days_after_receipt(draft):
    # 29, 30 September, then 8, 9 October and Saturday 10 October (worked).
    assert draft.notice_due == dt.date(2026, 10, 10)


def test_acceptance_fans_out_one_review_per_item_with_its_deadline(draft, center):
    receive_all(draft, center.dave)
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert application.state == Application.State.IN_REVIEW
    assert application.receipt_number == "2026000001"
    assert len(application.access_code) == 8
    reviews = {r.item_id: r for r in application.reviews.all()}
    # Permit: 7 promised days from 28 September: 29, 30 Sep, 8, 9, 10 (Sat), 12, 13 October.
    assert reviews[center.permit.pk].deadline == dt.date(2026, 10, 13)
    assert reviews[center.permit.pk].window == center.construction_window
    # Planning: 10 days: ... 13, 14, 15, 16 October.
    assert reviews[center.planning_item.pk].deadline == dt.date(2026, 10, 16)
    assert application.promised_date == dt.date(2026, 10, 16)
    assert "企业投资项目核准" in application.promised_reason
    assert ClockEvent.objects.filter(review__application=application, kind="start").count() == 2
    slip = Document.objects.get(application=application, kind="commitment")
    assert slip.number == "临审承〔2026〕000001号"
    assert sorted(n.channel for n in Notification.objects.filter(event="accepted")) == [
        "email",
        "sms",
    ]


def test_receipt_numbers_follow_each_other_without_gaps(draft, center, applicant, calendar):
    receive_all(draft, center.dave)
    services.application_accept(application=draft, by=center.dave, now=NOW)
    second = services.application_create(
        applicant=applicant, project=None, by=center.dave, now=NOW, items=[center.design_review]
    )
    receive_all(second, center.dave)
    second = services.application_accept(application=second, by=center.dave, now=NOW)
    assert second.receipt_number == "2026000002"


def test_it_refuses_to_accept_with_materials_missing(draft, center):
    with pytest.raises(services.TransitionError, match="营业执照"):
        services.application_accept(application=draft, by=center.dave, now=NOW)
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT and draft.receipt_number is None


def test_accept_with_gaps_needs_a_material_that_may_follow_and_a_date(draft, center):
    receive_all(draft, center.dave, **{"环境影响评价批复文件": {"status": "to_follow"}})
    with pytest.raises(services.TransitionError, match="Enter the date"):
        services.application_accept(application=draft, by=center.dave, now=NOW)
    receive_all(
        draft,
        center.dave,
        **{"环境影响评价批复文件": {"status": "to_follow", "promised_by": dt.date(2026, 10, 30)}},
    )
    with pytest.raises(services.TransitionError, match="within the time limit"):
        services.application_accept(application=draft, by=center.dave, now=NOW)
    receive_all(
        draft,
        center.dave,
        **{"环境影响评价批复文件": {"status": "to_follow", "promised_by": dt.date(2026, 10, 9)}},
    )
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert application.with_gaps


def test_a_material_no_item_lets_follow_cannot_follow(draft, center):
    receive_all(
        draft,
        center.dave,
        **{"申请表": {"status": "to_follow", "promised_by": dt.date(2026, 10, 9)}},
    )
    with pytest.raises(services.TransitionError, match="may not follow later"):
        services.application_accept(application=draft, by=center.dave, now=NOW)


def test_the_one_time_notice_lists_everything_missing_at_once(draft, center):
    document = services.application_notify_missing(application=draft, by=center.dave, now=NOW)
    draft.refresh_from_db()
    assert draft.state == Application.State.AWAITING_MATERIALS
    assert document.text.count("\n") == 2  # three lines
    assert document.number == "临审告〔2026〕1号"
    services.application_reopen(application=draft, by=center.dave, now=NOW)
    receive_all(draft, center.dave)
    assert services.application_accept(application=draft, by=center.dave, now=NOW).receipt_number


def test_not_accepted_needs_reasons(draft, center):
    with pytest.raises(services.TransitionError):
        services.application_refuse(application=draft, by=center.dave, now=NOW, reasons=" ")
    services.application_refuse(
        application=draft, by=center.dave, now=NOW, reasons="不属于本中心受理范围"
    )
    draft.refresh_from_db()
    assert draft.state == Application.State.NOT_ACCEPTED
    with pytest.raises(services.TransitionError, match="out of date"):
        services.application_accept(application=draft, by=center.dave, now=NOW)


def test_a_second_click_on_accept_changes_nothing(draft, center):
    receive_all(draft, center.dave)
    services.application_accept(application=draft, by=center.dave, now=NOW)
    with pytest.raises(services.TransitionError, match="out of date"):
        services.application_accept(application=draft, by=center.dave, now=NOW)
    assert draft.reviews.count() == 2


def test_acceptance_writes_history_with_the_clerk(draft, center):
    receive_all(draft, center.dave)
    services.application_accept(application=draft, by=center.dave, now=NOW)
    latest = Application.history.filter(id=draft.pk).first()
    assert latest.state == "in_review" and latest.history_user == center.dave


def test_notifications_go_out_after_commit_once(
    draft, center, django_capture_on_commit_callbacks, caplog
):
    from applications import notifications

    receive_all(draft, center.dave)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.application_accept(application=draft, by=center.dave, now=NOW)
    assert callbacks and Notification.objects.count() == 2  # queued for after the commit
    sms = Notification.objects.get(channel="sms")
    assert sms.sent_at is None
    assert notifications.deliver(sms.pk) is True
    assert notifications.deliver(sms.pk) is False  # delivered twice: sent once
    assert "2026000001" in sms.text
    assert timezone.now() >= Notification.objects.get(pk=sms.pk).sent_at
