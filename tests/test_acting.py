"""Acting on lateness: urge notices, notes of help, coordination meetings (issue 4)."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from applications.services import TransitionError
from supervision import actions
from supervision.models import FollowUp, Meeting, UrgeNotice

from .conftest import aware, seen

LATE = aware(2026, 10, 15, 9)  # the permit review was due on 13 October


@pytest.fixture
def permit(accepted, center):
    return accepted.reviews.get(item=center.permit)


@pytest.fixture
def urge(permit, center):
    return actions.urge_issue(
        review=permit,
        by=center.erin,
        now=LATE,
        text="请说明超期原因并于本周内办结。",
        reply_due=dt.date(2026, 10, 19),
    )


def test_a_manager_urges_from_the_dashboard_and_the_window_sees_it_on_its_queue(
    client, permit, center, time_machine
):
    time_machine.move_to(LATE, tick=False)
    client.force_login(center.erin)
    dashboard = client.get(reverse("supervision:dashboard")).content.decode()
    url = reverse("supervision:urge_new", args=[permit.pk])
    assert url in dashboard  # the overdue row carries the action
    page = client.get(url)
    assert page.context["form"].initial["reply_due"] == dt.date(2026, 10, 19)  # 2 working days
    response = client.post(url, {"text": "请说明超期原因。", "reply_due": "2026-10-19"})
    urge = UrgeNotice.objects.get()
    assert response.url == reverse("supervision:urge", args=[urge.pk])
    assert urge.number == "督办〔2026〕1号" and urge.window == center.construction_window
    assert urge.history.get().history_user == center.erin

    client.force_login(center.alice)
    queue = client.get(reverse("applications:queue"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "督办〔2026〕1号" in queue and "reply due" in queue
    # Not on another window's queue.
    client.force_login(center.mallory)
    assert "督办〔2026〕1号" not in client.get(reverse("applications:queue")).content.decode()


def test_the_window_replies_once_and_the_notice_leaves_the_queue(client, urge, center):
    client.force_login(center.alice)
    url = reverse("supervision:urge", args=[urge.pk])
    bad = client.post(url, {"reply": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    client.post(url, {"reply": "已补充核查，10月16日办结。"})
    urge.refresh_from_db()
    assert urge.replied_by == center.alice and urge.reply.startswith("已补充核查")
    assert "督办〔2026〕1号" not in client.get(reverse("applications:queue")).content.decode()
    with pytest.raises(TransitionError):
        actions.urge_reply(urge=urge, by=center.bob, now=LATE, reply="再次回复")
    assert urge.history.count() == 2


def test_only_the_urged_window_replies_and_other_departments_see_nothing(client, urge, center):
    client.force_login(center.mallory)  # planning window: another department
    url = reverse("supervision:urge", args=[urge.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reply": "越权回复"}).status_code == 404
    assert client.get(reverse("supervision:urge_pdf", args=[urge.pk])).status_code == 404
    client.force_login(center.dave)  # a clerk does not urge
    assert client.get(reverse("supervision:urge_new", args=[urge.review_id])).status_code == 403
    urge.refresh_from_db()
    assert urge.replied_at is None


def test_urging_needs_a_text_an_open_review_and_a_reply_date_not_past(permit, center):
    with pytest.raises(TransitionError):
        actions.urge_issue(
            review=permit, by=center.erin, now=LATE, text=" ", reply_due=dt.date(2026, 10, 19)
        )
    with pytest.raises(TransitionError):
        actions.urge_issue(
            review=permit, by=center.erin, now=LATE, text="催办", reply_due=dt.date(2026, 10, 14)
        )
    from applications import services

    services.review_decide(review=permit, by=center.bob, now=LATE, outcome="granted", reasons="")
    with pytest.raises(TransitionError):
        actions.urge_issue(
            review=permit, by=center.erin, now=LATE, text="催办", reply_due=dt.date(2026, 10, 19)
        )
    assert not UrgeNotice.objects.exists()


def test_the_urge_notice_prints(client, urge, center):
    client.force_login(center.bob)
    response = client.get(reverse("supervision:urge_pdf", args=[urge.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_help_and_urges_show_on_the_timeline(client, urge, accepted, permit, center):
    client.force_login(center.erin)
    timeline = reverse("applications:timeline", args=[accepted.pk])
    page = client.get(timeline).content.decode()
    assert reverse("supervision:help_new", args=[accepted.pk]) in page
    client.post(
        reverse("supervision:help_new", args=[accepted.pk]),
        {"review": permit.pk, "text": "中心协调专家于10月16日到场核查。"},
    )
    page = client.get(timeline, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "中心协调专家" in page and "Help given on 建筑工程施工许可证核发" in seen(page)
    assert "Urge notice 督办〔2026〕1号 to window A05" in seen(page)
    # The window sees the same timeline, without the managers' actions.
    client.force_login(center.alice)
    page = client.get(timeline).content.decode()
    assert "中心协调专家" in page
    assert reverse("supervision:help_new", args=[accepted.pk]) not in page


def test_a_coordination_meeting_with_minutes_and_follow_ups(client, accepted, center):
    client.force_login(center.erin)
    url = reverse("supervision:meeting_new", args=[accepted.pk])
    form = client.get(url).context["form"]
    assert sorted(form.initial["departments"]) == sorted(
        [center.construction.pk, center.planning.pk]
    )
    response = client.post(
        url,
        {
            "held_at": "2026-10-16T14:30",
            "place": "中心三楼会议室",
            "departments": [center.construction.pk, center.planning.pk],
            "agenda": "施工许可与项目核准的前置条件",
        },
    )
    meeting = Meeting.objects.get()
    assert response.url == reverse("supervision:meeting", args=[meeting.pk])
    detail = reverse("supervision:meeting", args=[meeting.pk])
    client.post(detail, {"minutes": "双方确认材料齐全。", "decisions": "建设局10月20日前发证。"})
    client.post(
        detail,
        {"department": center.construction.pk, "action": "发放施工许可证", "due": "2026-10-20"},
    )
    meeting.refresh_from_db()
    assert meeting.decisions == "建设局10月20日前发证。"
    follow_up = FollowUp.objects.get()
    # The invited department's own staff mark it done; another department cannot.
    client.force_login(center.frank)  # planning's leader
    done = reverse("supervision:follow_up_done", args=[meeting.pk, follow_up.pk])
    assert client.post(done).status_code == 403
    client.force_login(center.bob)
    client.post(done)
    follow_up.refresh_from_db()
    assert follow_up.done_by == center.bob
    assert client.get(reverse("supervision:meetings")).status_code == 200
    # Only managers record minutes.
    assert client.post(detail, {"minutes": "改写", "decisions": ""}).status_code == 403
    meeting.refresh_from_db()
    assert meeting.minutes == "双方确认材料齐全。"


def test_a_meeting_needs_departments_and_an_agenda(client, accepted, center):
    client.force_login(center.erin)
    response = client.post(
        reverse("supervision:meeting_new", args=[accepted.pk]),
        {"held_at": "2026-10-16T14:30", "place": "会议室", "agenda": ""},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    # "This field is required." in Chinese (Django's or, since the API, DRF's wording).
    assert response.status_code == 200 and "字段是必填项" in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_second_urge_while_one_is_open_is_refused_with_a_link_to_it(
    client, urge, permit, center, time_machine
):
    time_machine.move_to(LATE, tick=False)
    client.force_login(center.erin)
    url = reverse("supervision:urge_new", args=[permit.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    notice_url = reverse("supervision:urge", args=[urge.pk])
    assert page.context["open_urge"] == urge
    assert notice_url in page.content.decode()
    assert 'name="escalate"' in page.content.decode()
    # Sent without saying it is an escalation (as from a page opened before the first one).
    response = client.post(
        url, {"text": "再次催办。", "reply_due": "2026-10-19"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Urge notice 督办〔2026〕1号 about this review still waits" in seen(page)
    assert notice_url in page
    assert UrgeNotice.objects.count() == 1


def test_a_deliberate_escalation_is_marked_as_such(client, urge, permit, center, time_machine):
    time_machine.move_to(LATE, tick=False)
    client.force_login(center.erin)
    response = client.post(
        reverse("supervision:urge_new", args=[permit.pk]),
        {"text": "升级督办。", "reply_due": "2026-10-19", "escalate": "1"},
    )
    second = UrgeNotice.objects.exclude(pk=urge.pk).get()
    assert response.url == reverse("supervision:urge", args=[second.pk])
    assert second.escalates == urge
    detail = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "escalation" in detail and "of 督办〔2026〕1号" in seen(detail)
    listing = client.get(reverse("supervision:urges"), HTTP_ACCEPT_LANGUAGE="en")
    assert "escalation" in listing.content.decode()


def test_once_answered_a_new_urge_is_an_ordinary_one(urge, permit, center):
    actions.urge_reply(urge=urge, by=center.alice, now=LATE, reply="明日办结。")
    again = actions.urge_issue(
        review=permit, by=center.erin, now=LATE, text="仍未办结。", reply_due=dt.date(2026, 10, 19)
    )
    assert again.escalates is None
    with pytest.raises(actions.UrgeOpen) as refusal:
        actions.urge_issue(
            review=permit, by=center.erin, now=LATE, text="再催。", reply_due=dt.date(2026, 10, 19)
        )
    assert refusal.value.urge == again


def test_the_dashboard_shows_which_overdue_reviews_are_urged(
    client, urge, permit, center, time_machine
):
    time_machine.move_to(LATE, tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    row = next(r for r in response.context["late"] if r.pk == permit.pk)
    assert row.open_urge == urge
    page = response.content.decode()
    assert reverse("supervision:urge", args=[urge.pk]) in page and "urged" in page
    live = client.get(reverse("supervision:live"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("supervision:urge", args=[urge.pk]) in live
    # Answered, the row offers to urge again.
    actions.urge_reply(urge=urge, by=center.alice, now=LATE, reply="明日办结。")
    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert reverse("supervision:urge_new", args=[permit.pk]) in page


def test_the_urge_form_uses_the_shared_form_layout(client, permit, center, time_machine):
    time_machine.move_to(LATE, tick=False)
    client.force_login(center.erin)
    page = client.get(reverse("supervision:urge_new", args=[permit.pk])).content.decode()
    assert '<div class="fields">' in page and 'class="field' in page
    assert "escalate" not in page  # nothing open to escalate


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_managers_urging_at_once_issue_one_notice(
    center, calendar, materials, applicant, seals
):
    from applications import services

    from .conftest import NOW, receive_all

    draft = services.application_create(
        applicant=applicant, project=None, by=center.dave, now=NOW, items=[center.design_review]
    )
    receive_all(draft, center.dave)
    review = services.application_accept(application=draft, by=center.dave, now=NOW).reviews.get()
    barrier = threading.Barrier(2)
    refused = []

    def issue():
        try:
            barrier.wait()
            actions.urge_issue(
                review=review,
                by=center.erin,
                now=LATE,
                text="催办",
                reply_due=dt.date(2026, 10, 19),
            )
        except actions.UrgeOpen as error:
            refused.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(refused) == 1
    assert UrgeNotice.objects.filter(review=review).count() == 1
