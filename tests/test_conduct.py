"""Conduct and complaints (issue 18, conduct/): the rules as data, a complaint's clock and
card, a substantiated complaint's deduction in the period of the finding, appeals, who sees the
complainant's contact details, the public form's rate limit and its one answer whatever the
receipt number, patrols and their sheet."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from applications.services import TransitionError
from conduct import services, sweep
from conduct.demo import seed_rules
from conduct.models import Appeal, Complaint, ComplaintCard, ComplaintMessage, Deduction, Rule
from supervision import assessment as a
from supervision.models import Card
from windows.workdays import WorkCalendar

from .conftest import NOW, aware, seen

COMPLAIN = reverse("complaint:new")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def rules(db):
    return {rule.code: rule for rule in seed_rules()}


def file(center, *, now=NOW, **extra):
    fields = {
        "source": Complaint.Source.PHONE,
        "phone": "13912345678",
        "name": "张女士",
        "text": "窗口工作人员态度恶劣。",
        "window": center.construction_window,
        "by": center.erin,
    }
    fields.update(extra)
    return services.complaint_file(now=now, **fields)


def substantiate(complaint, center, rule, *, now):
    services.complaint_investigate(
        complaint=complaint, record="调取录像，属实。", by=center.erin, now=now
    )
    return services.complaint_find(
        complaint=complaint,
        finding=Complaint.Finding.SUBSTANTIATED,
        rule=rule,
        window=center.construction_window,
        staff=center.alice,
        by=center.erin,
        now=now,
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the clock and the card -----------------------------------------------------------------


def test_a_complaint_is_due_in_working_days_of_the_project_calendar(
    center, calendar, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = file(center)  # Monday 28 September 2026, the National Day break ahead
    expected = WorkCalendar.load().add_working_days(dt.date(2026, 9, 28), 15).end
    assert complaint.due == expected
    # Fifteen working days, not fifteen weekdays: the break (1–7 October) does not count, the
    # adjusted working days around it do.
    assert complaint.due > dt.date(2026, 9, 28) + dt.timedelta(days=21)
    assert complaint.number.startswith("TS2026")
    settings.COMPLAINT_WORKING_DAYS = 5
    shorter = file(center)
    assert shorter.due == WorkCalendar.load().add_working_days(dt.date(2026, 9, 28), 5).end
    assert shorter.number != complaint.number
    # The complainant is told its number and due date by SMS (the applicant's channel).
    message = ComplaintMessage.objects.get(complaint=complaint, kind="received")
    assert message.channel == "sms" and message.recipient == "13912345678"
    assert complaint.number in message.text
    assert message.sent_at is not None  # delivered by the eager task through send_once


def test_an_unanswered_complaint_is_carded_yellow_then_red_once(center, calendar):
    complaint = file(center)
    answered = file(center)
    substantiate(answered, center, Rule.objects.create(code="x", title="X", points=1), now=NOW)
    services.complaint_answer(complaint=answered, reply="已处理。", by=center.erin, now=NOW)
    due = complaint.due
    # Within the warning margin (2 working days before the due date): yellow.
    calendar_ = WorkCalendar.load()
    before = due - dt.timedelta(days=1)
    while not calendar_.is_working_day(before):
        before -= dt.timedelta(days=1)
    written = sweep.sweep_complaints(now=aware(before.year, before.month, before.day, 9))
    assert [c.level for c in ComplaintCard.objects.filter(pk__in=written)] == [Card.Level.YELLOW]
    # The due date itself is still not late; the day after it is red.
    assert sweep.sweep_complaints(now=aware(due.year, due.month, due.day, 17)) == []
    after = due + dt.timedelta(days=1)
    written = sweep.sweep_complaints(now=aware(after.year, after.month, after.day, 9))
    cards = ComplaintCard.objects.filter(pk__in=written)
    assert [(c.complaint_id, c.level, c.deadline) for c in cards] == [
        (complaint.pk, Card.Level.RED, due)
    ]
    # Once: a second sweep writes nothing; the answered complaint was never carded.
    assert sweep.sweep_complaints(now=aware(after.year, after.month, after.day, 10)) == []
    assert not ComplaintCard.objects.filter(complaint=answered).exists()
    # The list shows it red.
    page = signed_in(center.erin).get(reverse("conduct:complaints"))
    assert "light-red" in page.content.decode()


# --- deductions in the period ---------------------------------------------------------------


def test_a_substantiated_complaint_deducts_exactly_the_rules_points_in_its_period(
    center, calendar, rules, assessment_weights
):
    complaint = file(center)
    found_on = aware(2026, 10, 30, 15)
    substantiate(complaint, center, rules["complaint"], now=found_on)
    deduction = Deduction.objects.get(complaint=complaint)
    assert (deduction.points, deduction.on) == (rules["complaint"].points, dt.date(2026, 10, 30))
    # Changing the table later does not change a deduction already made.
    Rule.objects.filter(pk=rules["complaint"].pk).update(points=50)

    october = a.assess(a.Period.parse("2026-10"), a.Scope(True), today=dt.date(2026, 11, 5))
    september = a.assess(a.Period.parse("2026-09"), a.Scope(True), today=dt.date(2026, 11, 5))
    november = a.assess(a.Period.parse("2026-11"), a.Scope(True), today=dt.date(2026, 11, 5))
    a05 = october.find(a.WINDOW, "A05")
    assert (a05.figures.deductions, a05.figures.deduction_count) == (2, 1)
    assert october.find(a.DEPARTMENT, "jsj").figures.deductions == 2
    assert october.find(a.WINDOW, "A02").figures.deductions == 0
    assert september.find(a.WINDOW, "A05").figures.deductions == 0
    assert november.find(a.WINDOW, "A05").figures.deductions == 0
    people = a.assess_people(
        a.Period.parse("2026-10"), center.alice.__class__.objects.all(), today=dt.date(2026, 11, 5)
    )
    by_name = {p.staff.username: p.figures.deductions for p in people}
    assert by_name["alice"] == 2 and by_name["bob"] == 0
    # The score loses exactly the points, and the 5-point share follows.
    figures = a.Figures(handled=10, on_time=10, days_promised=50)
    clean = a.score(figures, assessment_weights)
    figures.deductions = 2
    docked = a.score(figures, assessment_weights)
    assert clean.score - docked.score == 2
    assert docked.share == pytest.approx(docked.score / 100 * 5)
    # Deductions alone give no score: nothing judged, nothing scored.
    assert a.score(a.Figures(deductions=5), assessment_weights).score is None


def test_a_finding_is_recorded_once_and_needs_the_investigation(center, calendar, rules):
    complaint = file(center)
    with pytest.raises(TransitionError):  # no investigation yet
        services.complaint_find(
            complaint=complaint,
            finding="substantiated",
            rule=rules["complaint"],
            window=center.construction_window,
            by=center.erin,
            now=NOW,
        )
    with pytest.raises(TransitionError):  # the person does not work at that window
        services.complaint_investigate(complaint=complaint, record="查", by=center.erin, now=NOW)
        services.complaint_find(
            complaint=complaint,
            finding="substantiated",
            rule=rules["complaint"],
            window=center.construction_window,
            staff=center.mallory,
            by=center.erin,
            now=NOW,
        )
    substantiate(complaint, center, rules["complaint"], now=NOW)
    with pytest.raises(TransitionError):  # a second finding: refused, one deduction only
        substantiate(complaint, center, rules["integrity"], now=NOW)
    assert Deduction.objects.filter(complaint=complaint).count() == 1
    with pytest.raises(TransitionError):  # an empty reply
        services.complaint_answer(complaint=complaint, reply=" ", by=center.erin, now=NOW)


# --- appeals --------------------------------------------------------------------------------


def test_an_appeal_that_succeeds_restores_the_points(center, calendar, rules):
    complaint = file(center)
    substantiate(complaint, center, rules["complaint"], now=aware(2026, 10, 30))
    deduction = Deduction.objects.get(complaint=complaint)
    october = a.Period.parse("2026-10")

    def points():
        return (
            a.assess(october, a.Scope(True), today=dt.date(2026, 11, 5))
            .find(a.WINDOW, "A05")
            .figures.deductions
        )

    assert points() == 2
    # The officer is not the window's head: refused, through the page too.
    with pytest.raises(TransitionError):
        services.appeal_file(deduction=deduction, reasons="不服", by=center.alice, now=NOW)
    officer = signed_in(center.alice)
    url = reverse("conduct:deduction", args=[deduction.pk])
    assert officer.post(url, {"reasons": "不服"}).status_code == 403
    head = signed_in(center.bob)
    response = head.post(url, {"reasons": "当日系系统故障，非工作人员责任。"})
    assert response.status_code == 302
    appeal = Appeal.objects.get(deduction=deduction)
    # Once: a second appeal is refused and changes nothing.
    with pytest.raises(TransitionError):
        services.appeal_file(deduction=deduction, reasons="再议", by=center.bob, now=NOW)
    assert head.post(url, {"reasons": "再议"}).status_code == 403
    # The head cannot decide it; a manager does, with grounds.
    assert head.post(url, {"decision": "upheld", "note": "x"}).status_code == 403
    manager = signed_in(center.erin)
    assert manager.post(url, {"decision": "upheld", "note": ""}).status_code == 200  # no grounds
    assert Appeal.objects.get(pk=appeal.pk).decision == ""
    manager.post(url, {"decision": "upheld", "note": "经核查，系统故障属实。"})
    appeal.refresh_from_db()
    deduction.refresh_from_db()
    assert appeal.decision == "upheld" and deduction.restored_at is not None
    assert points() == 0
    # Both on the record.
    page = seen(manager.get(url).content.decode())
    assert "当日系系统故障" in page and "经核查，系统故障属实。" in page
    assert deduction.history.filter(history_change_reason="appeal upheld").exists()
    with pytest.raises(TransitionError):  # decided once
        services.appeal_decide(
            appeal=appeal, decision="rejected", note="x", by=center.erin, now=NOW
        )


# --- who sees what --------------------------------------------------------------------------


def test_the_staff_concerned_see_the_complaint_but_not_the_complainants_contact(center, calendar):
    complaint = file(center, email="zhang@example.com")
    url = reverse("conduct:complaint", args=[complaint.pk])
    for user in (center.alice, center.bob):  # the window's officer and head
        page = signed_in(user).get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "窗口工作人员态度恶劣" in text
        assert "13912345678" not in text and "zhang@example.com" not in text
        assert "张女士" not in text
        listing = signed_in(user).get(reverse("conduct:complaints")).content.decode()
        assert complaint.number in listing and "13912345678" not in listing
        # Nor can they act on it.
        response = signed_in(user).post(url, {"action": "investigate", "investigate-record": "x"})
        assert response.status_code == 403
    # Another window's staff: as if it did not exist.
    assert signed_in(center.mallory).get(url).status_code == 404
    assert signed_in(center.dave).get(url).status_code == 404
    # The center's manager sees who complained.
    assert "13912345678" in signed_in(center.erin).get(url).content.decode()


# --- the public form ------------------------------------------------------------------------


def _post(client, **data):
    fields = {"phone": "13812345678", "text": "等候时间过长，无人解释。", "window": "", "name": ""}
    fields.update(data)
    return client.post(COMPLAIN, fields, REMOTE_ADDR="203.0.113.9", follow=True)


def test_the_public_form_takes_a_complaint_with_or_without_a_receipt_number(accepted, calendar):
    client = Client()
    assert client.get(COMPLAIN).status_code == 200
    response = _post(client, receipt_number=accepted.receipt_number)
    assert response.status_code == 200
    complaint = Complaint.objects.get()
    assert complaint.source == "web" and complaint.application == accepted
    assert complaint.number in response.content.decode()
    response = _post(client)
    assert Complaint.objects.count() == 2
    # A reload of the receipt page files nothing again; another browser sees no receipt.
    assert client.get(COMPLAIN + "?filed=1").status_code == 200
    assert Complaint.objects.count() == 2
    assert "TS2026" not in Client().get(COMPLAIN + "?filed=1").content.decode()
    # Bad input: a message, nothing filed.
    response = _post(client, phone="12345")
    assert response.status_code == 200 and Complaint.objects.count() == 2
    assert "11-digit" in response.content.decode() or "11位" in response.content.decode()


def test_the_public_form_never_tells_whether_a_receipt_number_exists(accepted, calendar):
    def answer(number):
        client = Client()
        first = client.post(
            COMPLAIN, {"phone": "13812345678", "text": "慢", "receipt_number": number}
        )
        assert first.status_code == 302 and first["Location"] == COMPLAIN + "?filed=1"
        response = client.get(first["Location"])
        complaint = Complaint.objects.order_by("-pk").first()
        page = CSRF.sub("", response.content.decode()).replace(complaint.number, "N")
        return response.status_code, page

    known = answer(accepted.receipt_number)
    unknown = answer("2026999999")
    assert known == unknown
    assert Complaint.objects.filter(receipt_number="2026999999", application=None).exists()


def test_the_public_form_is_rate_limited_per_address(accepted, calendar, settings):
    settings.COMPLAINT_RATE_LIMIT = 2
    client = Client()
    assert _post(client).status_code == 200
    assert _post(client).status_code == 200
    limited = client.post(
        COMPLAIN, {"phone": "13812345678", "text": "x"}, REMOTE_ADDR="203.0.113.9"
    )
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert Complaint.objects.count() == 2
    # Another network is not held back.
    other = client.post(COMPLAIN, {"phone": "13812345678", "text": "x"}, REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 302 and Complaint.objects.count() == 3


def test_the_status_page_link_carries_the_looked_up_application(accepted, calendar, client):
    client.post(
        reverse("applications:track"),
        {"number": accepted.receipt_number, "code": accepted.access_code},
    )
    page = client.get(reverse("applications:track")).content.decode()
    assert 'href="/complaint/?from=track"' in page
    form = client.get(COMPLAIN + "?from=track").content.decode()
    assert accepted.receipt_number in form and 'name="receipt_number"' not in form
    client.post(COMPLAIN + "?from=track", {"from": "track", "phone": "13812345678", "text": "慢"})
    complaint = Complaint.objects.get()
    assert complaint.source == "track" and complaint.application == accepted
    # Without the session's application, the link is the ordinary form.
    assert 'name="receipt_number"' in Client().get(COMPLAIN + "?from=track").content.decode()


# --- complaint pages end to end -------------------------------------------------------------


def test_a_telephone_complaint_is_handled_through_the_pages(center, calendar, rules):
    manager = signed_in(center.erin)
    response = manager.post(
        reverse("conduct:complaint_new"),
        {
            "phone": "13700001111",
            "text": "电话投诉：窗口离岗。",
            "window": center.construction_window.pk,
        },
    )
    complaint = Complaint.objects.get()
    assert response["Location"] == reverse("conduct:complaint", args=[complaint.pk])
    assert complaint.source == "phone" and complaint.filed_by == center.erin
    url = response["Location"]
    manager.post(url, {"action": "assign", "assign-assignee": center.erin.pk})
    manager.post(url, {"action": "investigate", "investigate-record": "询问当事人，属实。"})
    manager.post(
        url,
        {
            "action": "find",
            "find-finding": "substantiated",
            "find-rule": rules["absent-no-cover"].pk,
            "find-window": center.construction_window.pk,
            "find-staff": center.alice.pk,
        },
    )
    manager.post(url, {"action": "answer", "answer-reply": "经查属实，已扣分并批评教育。"})
    complaint.refresh_from_db()
    assert complaint.assignee == center.erin and complaint.finding == "substantiated"
    assert complaint.replied_at is not None
    assert Deduction.objects.get(complaint=complaint).points == rules["absent-no-cover"].points
    answer = ComplaintMessage.objects.get(complaint=complaint, kind="answered")
    assert "经查属实" in answer.text and answer.recipient == "13700001111"
    assert complaint.history.count() >= 5
    # A clerk may not record one.
    assert signed_in(center.dave).get(reverse("conduct:complaint_new")).status_code == 403


# --- rules ----------------------------------------------------------------------------------


def test_administrators_keep_the_rules_with_history(center):
    admin = signed_in(center.admin)
    response = admin.post(
        reverse("conduct:rule_new"),
        {
            "code": "late-opening",
            "title": "窗口未按时开窗",
            "points": 1,
            "is_active": "on",
            "position": 0,
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    admin.post(
        reverse("conduct:rule_edit", args=[rule.pk]),
        {"code": "late-opening", "title": "窗口未按时开窗", "points": 2, "position": 0},
    )
    rule.refresh_from_db()
    assert rule.points == 2 and not rule.is_active
    assert [h.points for h in rule.history.order_by("history_date")] == [1, 2]
    assert rule.history.first().history_user == center.admin
    # Points out of range: refused with a message, nothing changed.
    response = admin.post(
        reverse("conduct:rule_edit", args=[rule.pk]),
        {"code": "late-opening", "title": "x", "points": 0, "position": 0},
    )
    assert response.status_code == 200
    rule.refresh_from_db()
    assert rule.points == 2
    # A manager reads the table but does not edit it.
    assert signed_in(center.erin).get(reverse("conduct:rules")).status_code == 200
    assert signed_in(center.erin).get(reverse("conduct:rule_new")).status_code == 403


# --- patrols --------------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


def test_a_patrol_records_an_absence_with_its_deduction_and_prints(
    center, calendar, rules, time_machine, media, pdf_once
):
    time_machine.move_to(aware(2026, 10, 12, 9), tick=False)
    manager = signed_in(center.erin)
    response = manager.post(reverse("conduct:patrols"))
    url = response["Location"]
    response = manager.post(
        url,
        {
            "window": center.construction_window.pk,
            "status": "absent",
            "staff": center.alice.pk,
            "rule": rules["absent-no-cover"].pk,
            "note": "9:00 未到岗",
            "photo": SimpleUploadedFile("hall.png", PNG),
        },
    )
    assert response.status_code == 302
    deduction = Deduction.objects.get()
    assert (deduction.window, deduction.staff, deduction.points, deduction.on) == (
        center.construction_window,
        center.alice,
        2,
        dt.date(2026, 10, 12),
    )
    entry = deduction.patrol_entry
    assert entry.photo.name.startswith("patrols/") and entry.photo.name.endswith(".png")
    photo = manager.get(reverse("conduct:patrol_photo", args=[entry.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert (
        signed_in(center.alice).get(reverse("conduct:patrol_photo", args=[entry.pk])).status_code
        == 403
    )
    # The same window twice on one sheet: refused. A "photo" that is not a picture: refused.
    manager.post(url, {"window": center.construction_window.pk, "status": "present"})
    response = manager.post(
        url,
        {
            "window": center.planning_window.pk,
            "status": "present",
            "photo": SimpleUploadedFile("hall.png", b"%PDF-1.4 not a picture"),
        },
    )
    assert response.status_code == 200
    assert entry.patrol.entries.count() == 1
    # The sheet prints; the dashboard shows today's patrol.
    pdf = manager.get(reverse("conduct:patrol_pdf", args=[entry.patrol_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    dashboard = manager.get(reverse("supervision:dashboard")).content.decode()
    assert 'data-testid="dashboard-patrol"' in dashboard
    assert "脱岗1个" in seen(dashboard)
    # A patrol of another day takes no more entries.
    time_machine.move_to(aware(2026, 10, 13, 9), tick=False)
    with pytest.raises(TransitionError):
        services.patrol_record(
            patrol=entry.patrol,
            window=center.planning_window,
            status="present",
            by=center.erin,
            now=aware(2026, 10, 13, 9),
        )
    # Patrols are the managers' work.
    assert signed_in(center.bob).get(reverse("conduct:patrols")).status_code == 403


def test_the_dashboard_counts_late_complaints_and_appeals_to_decide(
    center, calendar, rules, time_machine
):
    complaint = file(center)
    substantiate(complaint, center, rules["complaint"], now=NOW)
    services.appeal_file(deduction=complaint.deduction, reasons="理由", by=center.bob, now=NOW)
    late = complaint.due + dt.timedelta(days=1)
    # A second complaint, due the day the first is late: due soon; a third, as late as the
    # first but answered: in neither count.
    Complaint.objects.filter(pk=file(center, phone="13912345679").pk).update(due=late)
    Complaint.objects.filter(pk=file(center, phone="13912345670").pk).update(
        due=complaint.due, replied_at=NOW
    )
    time_machine.move_to(aware(late.year, late.month, late.day, 9), tick=False)
    page = seen(signed_in(center.erin).get(reverse("supervision:dashboard")).content.decode())
    assert "1 overdue" in page or "1件已超期" in page
    assert "1 due soon" in page or "1件即将到期" in page
    assert "1 appeal to decide" in page or "1项申诉待决定" in page
    waiting = signed_in(center.erin).get(reverse("conduct:deductions") + "?appeal=waiting")
    assert complaint.number in waiting.content.decode()
