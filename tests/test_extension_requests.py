"""Extensions by the approver's own act (Art. 42): an officer asks, a person who may sign the item
approves; the government's head approves the extension of a joint handling. The clock moves only
on approval; nobody approves their own request, nor without the authority to."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from applications import clock, services
from applications.models import (
    Application,
    ClockEvent,
    Document,
    ExtensionRequest,
    Notification,
)
from windows import authority
from windows.roles import Role
from windows.workdays import WorkCalendar

from .conftest import NOW, aware, make_staff, receive_all

D = dt.date


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the pages read in English here
    return client


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def permit(center, accepted):
    return accepted.reviews.get(item=center.permit)


@pytest.fixture
def planning(center, accepted):
    return accepted.reviews.get(item=center.planning_item)


def snapshot(review):
    review.refresh_from_db()
    application = Application.objects.get(pk=review.application_id)
    return (
        review.deadline,
        review.statutory_deadline,
        application.due_date,
        application.joint_deadline,
        ClockEvent.objects.filter(kind=ClockEvent.Kind.EXTEND).count(),
        Document.objects.filter(kind=Document.Kind.EXTENSION).count(),
        Notification.objects.filter(event=Notification.Event.EXTENDED).count(),
    )


def ask(review, by, days=5, reason="需现场核查", now=NOW):
    return services.extension_request(review=review, by=by, now=now, days=days, reason=reason)


# --- a review's extension (Art. 42 para 1) ----------------------------------------------------


def test_the_clock_does_not_move_on_the_request_only_on_approval(center, accepted, permit):
    before = snapshot(permit)
    extension = ask(permit, center.alice)
    assert extension.state == ExtensionRequest.State.PENDING
    assert snapshot(permit) == before  # nothing moved: no line, no notice, no message

    later = aware(2026, 9, 29, 9)
    document = services.extension_approve(extension=extension, by=center.bob, now=later)
    permit.refresh_from_db()
    assert permit.deadline == D(2026, 10, 20)  # 13 October plus 5 working days
    line = permit.clock.get(kind=ClockEvent.Kind.EXTEND)
    assert (line.days, line.approved_by, line.by, line.at) == (5, center.bob, center.bob, later)
    assert document.kind == Document.Kind.EXTENSION and document.clock_event == line
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.APPROVED
    assert (extension.decided_by, extension.decided_at) == (center.bob, later)
    assert extension.clock_event == line and extension.document == document
    accepted.refresh_from_db()
    assert accepted.due_date == D(2026, 10, 20)  # moved with the review
    assert [h.state for h in extension.history.order_by("history_id")] == ["pending", "approved"]


def test_a_request_approved_twice_extends_once(center, permit):
    extension = ask(permit, center.alice)
    services.extension_approve(extension=extension, by=center.bob, now=NOW)
    with pytest.raises(services.TransitionError, match="already “Approved”"):
        services.extension_approve(extension=extension, by=center.bob, now=NOW)
    with pytest.raises(services.TransitionError, match="already"):
        services.extension_refuse(extension=extension, by=center.bob, now=NOW, note="不")
    assert permit.clock.filter(kind=ClockEvent.Kind.EXTEND).count() == 1


def test_a_refused_request_moves_nothing_and_the_officer_sees_why(client, center, permit):
    extension = ask(permit, center.alice)
    before = snapshot(permit)
    with pytest.raises(services.TransitionError, match="Say why"):
        services.extension_refuse(extension=extension, by=center.bob, now=NOW, note="  ")
    services.extension_refuse(
        extension=extension, by=center.bob, now=NOW, note="材料齐全，应按时办结。"
    )
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.REFUSED
    assert snapshot(permit) == before
    client.force_login(center.alice)
    page = client.get(reverse("applications:review", args=[permit.pk])).content.decode()
    assert "材料齐全，应按时办结。" in page and "Refused" in page
    # Refused, the officer may ask again.
    assert ask(permit, center.alice, days=2).state == ExtensionRequest.State.PENDING


def test_a_refusal_without_a_note_is_refused_by_the_database_too(center, permit):
    extension = ask(permit, center.alice)
    ExtensionRequest.objects.filter(pk=extension.pk).update(decided_by=center.bob, decided_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.filter(pk=extension.pk).update(state="refused")


def test_the_requester_cannot_approve_their_own(client, center, permit):
    # bob is the window's head: he may ask, and he may sign the item; not both for one request.
    extension = ask(permit, center.bob)
    before = snapshot(permit)
    with pytest.raises(services.TransitionError, match="four eyes"):
        services.extension_approve(extension=extension, by=center.bob, now=NOW)
    client.force_login(center.bob)
    response = client.post(
        reverse("applications:extension_approve", args=[extension.pk]), follow=True
    )
    assert "another person must approve it (four eyes)" in response.content.decode()
    assert snapshot(permit) == before
    # Nor is it on his list of requests to decide.
    assert list(ExtensionRequest.objects.awaiting(center.bob, at=NOW)) == []


def test_nobody_without_signing_authority_approves_even_by_a_forged_post(client, center, permit):
    extension = ask(permit, center.alice)
    before = snapshot(permit)
    officer = make_staff(
        "amy",
        Role.WINDOW_OFFICER,
        department=center.construction,
        window=center.construction_window,
    )
    # carol signs planning's items, not construction's; frank leads planning; erin manages the
    # center; amy is an officer at the window; gwen heads the government (joint handling only).
    for person in (center.carol, center.frank, center.erin, officer, center.gwen, center.dave):
        with pytest.raises(services.TransitionError):
            services.extension_approve(extension=extension, by=person, now=NOW)
        client.force_login(person)
        response = client.post(reverse("applications:extension_approve", args=[extension.pk]))
        assert response.status_code in (302, 404), person
        response = client.post(
            reverse("applications:extension_refuse", args=[extension.pk]), {"note": "不同意"}
        )
        assert response.status_code in (302, 404), person
        assert list(ExtensionRequest.objects.awaiting(person, at=NOW)) == []
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.PENDING
    assert snapshot(permit) == before


def test_a_letter_that_has_expired_approves_nothing(center, permit):
    extension = ask(permit, center.alice)
    after_the_letter = aware(2027, 1, 4, 10)
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.extension_approve(extension=extension, by=center.bob, now=after_the_letter)


def test_more_than_ten_days_in_all_is_refused(center, permit):
    services.extension_approve(extension=ask(permit, center.alice, days=6), by=center.bob, now=NOW)
    with pytest.raises(services.TransitionError, match="1 to 10 working days in all; 6 are used"):
        ask(permit, center.alice, days=5)
    with pytest.raises(services.TransitionError, match="1 to 10"):
        ask(permit, center.alice, days=0)
    assert ask(permit, center.alice, days=4).days == 4


def test_a_second_pending_request_is_refused(center, permit):
    ask(permit, center.alice, days=3)
    with pytest.raises(services.TransitionError, match="already waiting"):
        ask(permit, center.bob, days=2)
    # The database holds the same rule, whoever writes.
    with pytest.raises(IntegrityError), transaction.atomic():
        ExtensionRequest.objects.create(
            application_id=permit.application_id,
            review=permit,
            days=1,
            reason="x",
            requested_by=center.bob,
            requested_at=NOW,
        )


def test_only_the_windows_staff_ask_and_with_a_reason(client, center, permit, planning):
    with pytest.raises(services.TransitionError, match="Only the staff"):
        ask(planning, center.alice)  # another window's review
    with pytest.raises(services.TransitionError, match="Give the reason"):
        ask(permit, center.alice, reason=" ")
    client.force_login(center.dave)  # a clerk sees the review, but does not work it
    response = client.post(
        reverse("applications:extension_request", args=[permit.pk]),
        {"extension-days": 3, "extension-reason": "x"},
    )
    assert response.status_code == 403
    client.force_login(center.alice)
    response = client.post(
        reverse("applications:extension_request", args=[permit.pk]),
        {"extension-days": 12, "extension-reason": "需现场核查"},
        follow=True,
    )
    assert not permit.extension_requests.exists()
    assert "Working days" in response.content.decode()
    client.post(
        reverse("applications:extension_request", args=[permit.pk]),
        {"extension-days": 4, "extension-reason": "需现场核查"},
    )
    assert permit.extension_requests.get().days == 4


def test_a_decided_review_is_no_longer_extended(center, permit):
    extension = ask(permit, center.alice)
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    with pytest.raises(services.TransitionError, match="out of date"):
        services.extension_approve(extension=extension, by=center.bob, now=NOW)
    assert list(ExtensionRequest.objects.awaiting(center.bob, at=NOW)) == []
    services.extension_withdraw(extension=extension, by=center.alice, now=NOW)
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.WITHDRAWN


def test_only_the_requester_withdraws(center, permit):
    extension = ask(permit, center.alice)
    with pytest.raises(services.TransitionError, match="Only the person who asked"):
        services.extension_withdraw(extension=extension, by=center.bob, now=NOW)


def test_the_applicant_is_told_the_days_and_the_reason(center, accepted, permit):
    services.extension_approve(
        extension=ask(permit, center.alice, days=4, reason="需会同消防部门现场踏勘"),
        by=center.bob,
        now=NOW,
    )
    line = permit.clock.get(kind=ClockEvent.Kind.EXTEND)
    messages = Notification.objects.filter(event=Notification.Event.EXTENDED)
    assert {m.key for m in messages} == {f"extended:{line.pk}"}
    sms = messages.get(channel="sms").text
    assert "延长4个工作日" in sms and "需会同消防部门现场踏勘" in sms


# --- the pages ---------------------------------------------------------------------------------


def test_the_signer_finds_the_request_from_the_nav_and_approves_it(client, center, permit, frozen):
    extension = ask(permit, center.alice)
    client.force_login(center.alice)
    page = client.get(reverse("applications:queue")).content.decode()
    assert reverse("applications:extensions") not in page  # nothing for her to approve
    client.force_login(center.bob)
    page = client.get(reverse("applications:queue")).content.decode()
    assert reverse("applications:extensions") in page
    response = client.get(reverse("applications:extensions"))
    assert [x.pk for x in response.context["waiting"]] == [extension.pk]
    assert response.context["waiting"][0].age == 0
    assert (
        client.get(reverse("applications:extension_approve", args=[extension.pk])).status_code
        == 405
    )
    client.post(reverse("applications:extension_approve", args=[extension.pk]))
    permit.refresh_from_db()
    assert permit.deadline == D(2026, 10, 20)


def test_the_list_is_oldest_first_with_its_age_in_working_days(client, center, accepted, frozen):
    design = services.application_create(
        applicant=accepted.applicant,
        project=accepted.project,
        by=center.dave,
        now=NOW,
        items=[center.design_review],
    )
    receive_all(design, center.dave)
    design = services.application_accept(application=design, by=center.dave, now=NOW)
    newer = ask(design.reviews.get(), center.alice, now=aware(2026, 9, 30, 9))
    older = ask(accepted.reviews.get(item=center.permit), center.alice, now=aware(2026, 9, 29, 9))
    frozen.move_to(aware(2026, 10, 9, 9))  # the National Day break is not counted
    client.force_login(center.bob)
    waiting = client.get(reverse("applications:extensions")).context["waiting"]
    assert [(x.pk, x.age) for x in waiting] == [(older.pk, 3), (newer.pk, 2)]


def test_managers_watch_the_open_requests_on_the_dashboard(client, center, permit, frozen):
    client.force_login(center.erin)
    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert "No extension request waits." in page
    ask(permit, center.alice)
    response = client.get(reverse("supervision:dashboard"))
    watch = response.context["open_extensions"]
    assert watch["total"] == 1 and watch["oldest"].review == permit


def test_the_timeline_tells_who_asked_refused_and_approved(client, center, accepted, permit):
    refused = ask(permit, center.alice, days=3, reason="第一次申请")
    services.extension_refuse(extension=refused, by=center.bob, now=NOW, note="理由不充分")
    approved = ask(permit, center.alice, days=2, reason="第二次申请")
    services.extension_approve(extension=approved, by=center.bob, now=aware(2026, 9, 29))
    client.force_login(center.erin)
    events = client.get(reverse("applications:timeline", args=[accepted.pk])).context["events"]
    lines = [(e.what, str(e.who), e.detail) for e in events if e.kind == "clock"]
    name = center.permit.name
    assert (f"{name}: extension of 3 working days asked for", "Alice", "第一次申请") in lines
    assert (f"{name}: extension Refused", "Bob", "理由不充分") in lines
    assert (
        f"{name}: Time limit extended",
        "Bob",
        "2 working days, approved by Bob: 第二次申请",
    ) in lines


# --- joint handling (Art. 42 para 2) ------------------------------------------------------------


def test_the_joint_deadline_is_45_working_days_across_national_day(
    client, center, accepted, frozen
):
    # Two departments (construction and planning). From 28 September 2026: the National Day
    # break (1–7 October, five weekdays) is not counted, Saturday 10 October is: 4 December.
    assert accepted.joint_deadline == D(2026, 12, 4)
    client.force_login(center.dave)
    response = client.get(reverse("applications:detail", args=[accepted.pk]))
    joint = response.context["joint"]
    assert joint.deadline == D(2026, 12, 4)
    assert "5 holidays not counted" in joint.explain()
    assert "1 adjusted working weekend day counted" in joint.explain()
    assert "4 Dec 2026" in response.content.decode()
    timeline = client.get(reverse("applications:timeline", args=[accepted.pk]))
    assert "Joint handling deadline" in timeline.content.decode()


def test_one_department_has_no_joint_deadline(center, calendar, materials, applicant, seals):
    authority.sync_signing_authority(at=NOW)
    draft = services.application_create(
        applicant=applicant, project=None, by=center.dave, now=NOW, items=[center.design_review]
    )
    receive_all(draft, center.dave)
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert application.joint_deadline is None
    with pytest.raises(services.TransitionError, match="not handled jointly"):
        services.joint_extension_request(
            application=application, by=center.dave, now=NOW, days=5, reason="x"
        )


def test_stopped_time_of_any_review_is_left_out_of_the_joint_deadline(
    center, accepted, permit, planning
):
    def joint():
        accepted.refresh_from_db()
        return accepted.joint_deadline

    # Permit stopped on Friday 9 October: while stopped, the date is the one if it resumed today.
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 9, 15),
        cause="expert_review",
        days_needed=5,
        reason="专家评审",
    )
    assert joint() == D(2026, 12, 4)
    # Planning stopped too on Monday 12 October, resumed on Friday 16 October; permit resumed on
    # Wednesday 14 October. Stopped on at least one: 10 (adjusted Saturday), 12–16 October.
    services.review_stop(
        review=planning,
        by=center.mallory,
        now=aware(2026, 10, 12, 10),
        cause="supplements",
        days_needed=5,
        reason="补正",
    )
    services.review_resume(review=permit, by=center.alice, now=aware(2026, 10, 14, 9))
    assert joint() == D(2026, 12, 10)  # still stopped: 10, 12, 13, 14 so far (4 days)
    services.review_resume(review=planning, by=center.mallory, now=aware(2026, 10, 16, 9))
    assert joint() == D(2026, 12, 14)  # 6 working days left out, not 4 + 4 counted twice
    history = accepted.history.order_by("history_id").values_list("joint_deadline", flat=True)
    assert list(history)[-1] == D(2026, 12, 14)


def test_a_joint_extension_is_approved_only_by_the_government_head_and_capped(
    client, center, accepted, frozen
):
    extension = services.joint_extension_request(
        application=accepted, by=center.dave, now=NOW, days=10, reason="需召开并联审批协调会"
    )
    accepted.refresh_from_db()
    assert accepted.joint_deadline == D(2026, 12, 4)  # nothing moves on the request
    # A superuser passes role checks elsewhere, but the law names the government's head.
    for person in (center.bob, center.carol, center.erin, center.admin, center.dave):
        with pytest.raises(services.TransitionError):
            services.extension_approve(extension=extension, by=person, now=NOW)
    client.force_login(center.bob)
    client.post(reverse("applications:extension_approve", args=[extension.pk]))
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.PENDING

    client.force_login(center.gwen)
    assert client.get(reverse("home"))["Location"] == reverse("applications:extensions")
    waiting = client.get(reverse("applications:extensions")).context["waiting"]
    assert [x.pk for x in waiting] == [extension.pk]
    client.post(reverse("applications:extension_approve", args=[extension.pk]))
    extension.refresh_from_db()
    accepted.refresh_from_db()
    assert extension.state == ExtensionRequest.State.APPROVED
    assert extension.decided_by == center.gwen and extension.clock_event is None
    assert (accepted.joint_extension_days, accepted.joint_deadline) == (10, D(2026, 12, 18))
    notice = extension.document
    assert notice.kind == Document.Kind.EXTENSION and notice.review is None
    sms = Notification.objects.get(key=f"extended:joint:{extension.pk}", channel="sms").text
    assert "延长10个工作日" in sms and "需召开并联审批协调会" in sms and "2026年12月18日" in sms
    assert accepted.history.filter(joint_extension_days=10, history_user=center.gwen).count() == 1

    # 15 working days in all.
    with pytest.raises(services.TransitionError, match="1 to 15 working days in all; 10 are used"):
        services.joint_extension_request(
            application=accepted, by=center.erin, now=NOW, days=6, reason="再延"
        )
    more = services.joint_extension_request(
        application=accepted, by=center.erin, now=NOW, days=5, reason="再延"
    )
    with pytest.raises(services.TransitionError, match="already waiting"):
        services.joint_extension_request(
            application=accepted, by=center.dave, now=NOW, days=1, reason="又延"
        )
    services.extension_approve(extension=more, by=center.gwen, now=NOW)
    accepted.refresh_from_db()
    assert accepted.joint_deadline == D(2026, 12, 25)  # 60 working days


def test_a_joint_extension_is_asked_only_at_the_comprehensive_window(client, center, accepted):
    for person in (center.alice, center.bob, center.gwen):
        with pytest.raises(services.TransitionError, match="comprehensive window"):
            services.joint_extension_request(
                application=accepted, by=person, now=NOW, days=5, reason="x"
            )
    client.force_login(center.bob)
    response = client.post(
        reverse("applications:joint_extension_request", args=[accepted.pk]),
        {"extension-days": 5, "extension-reason": "x"},
    )
    assert response.status_code == 403
    assert not ExtensionRequest.objects.exists()


def test_the_joint_notice_prints(center, accepted):
    from applications import documents

    extension = services.joint_extension_request(
        application=accepted, by=center.dave, now=NOW, days=5, reason="需召开协调会"
    )
    document = services.extension_approve(extension=extension, by=center.gwen, now=NOW)
    html = documents.render_html(document)
    assert "第四十二条第二款" in html and "5 个工作日" in html and "需召开协调会" in html
    assert "2026年12月11日" in html


# --- the computation itself ---------------------------------------------------------------------


class Line:
    def __init__(self, kind: str, on: dt.date) -> None:
        self.kind, self.on, self.days = kind, on, 0


def test_compute_joint_walks_the_union_of_stopped_time(calendar):
    cal = WorkCalendar.load()
    start = D(2026, 9, 28)
    plain = clock.compute_joint(
        start=start, ledgers=[], extension_days=0, calendar=cal, today=start
    )
    assert plain.deadline == D(2026, 12, 4) and plain.running
    one = [Line("stop", D(2026, 10, 9)), Line("resume", D(2026, 10, 14))]
    two = [Line("stop", D(2026, 10, 12)), Line("resume", D(2026, 10, 16))]
    both = clock.compute_joint(
        start=start, ledgers=[one, two], extension_days=0, calendar=cal, today=start
    )
    assert (both.deadline, both.stopped_days) == (D(2026, 12, 14), 6)
    assert "6 working days on which a review was stopped" in both.explain()
    extended = clock.compute_joint(
        start=start, ledgers=[one, two], extension_days=5, calendar=cal, today=start
    )
    assert extended.deadline == D(2026, 12, 21)  # 50 working days and the 6 stopped
    # Still stopped: due as if it resumed today.
    open_stop = [Line("stop", D(2026, 10, 9))]
    stopped = clock.compute_joint(
        start=start, ledgers=[open_stop], extension_days=0, calendar=cal, today=D(2026, 10, 14)
    )
    assert not stopped.running and stopped.deadline == D(2026, 12, 10)
    # A deadline that ran out before a stop stays where it ran out.
    late = [Line("stop", D(2026, 12, 10)), Line("resume", D(2026, 12, 20))]
    assert clock.compute_joint(
        start=start, ledgers=[late], extension_days=0, calendar=cal, today=start
    ).deadline == D(2026, 12, 4)
