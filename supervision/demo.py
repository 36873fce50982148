"""Demo supervision: the cards the sweep would have written over the demo's past weeks, a few
urge notices (some answered), notes of help and a coordination meeting, made through the real
services. Runs once: when cards exist it adds nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from applications.models import Application, DepartmentReview, Notification
from windows.models import Department, Staff
from windows.roles import Role
from windows.workdays import WorkCalendar

from . import actions
from .models import Card, UrgeNotice
from .sweep import sweep

MARGIN = 2


def _at(day: dt.date, hour: int = 0, minute: int = 5) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _first_warning_day(calendar: WorkCalendar, deadline: dt.date) -> dt.date:
    """The first day on which the sweep's margin reaches `deadline`."""
    day = deadline
    while calendar.add_working_days(day - dt.timedelta(days=1), MARGIN).end >= deadline:
        day -= dt.timedelta(days=1)
    return day


def _backfill_cards(today: dt.date) -> int:
    """The cards of past days: the demo's reviews were made with past clocks, after the fact,
    so the sweep did not run while they were open. For every review that was or is late (or
    came within the margin) the card is dated on the day the sweep would have written it."""
    calendar = WorkCalendar.load()
    cards = []
    for review in DepartmentReview.objects.filter(
        deadline__gte=today - dt.timedelta(days=60), deadline__lt=today + dt.timedelta(days=5)
    ).exclude(state=DepartmentReview.State.SUSPENDED):
        decided = timezone.localdate(review.decided_at) if review.decided_at else None
        open_now = review.state in DepartmentReview.RUNNING_STATES
        warn_on = _first_warning_day(calendar, review.deadline)
        if warn_on <= today and (open_now or (decided and decided >= warn_on)):
            cards.append(
                Card(
                    application_id=review.application_id,
                    review=review,
                    level=Card.Level.YELLOW,
                    deadline=review.deadline,
                    issued_at=_at(max(warn_on, review.started_on)),
                )
            )
        red_on = review.deadline + dt.timedelta(days=1)
        if red_on <= today and (open_now or (decided and decided >= red_on)):
            cards.append(
                Card(
                    application_id=review.application_id,
                    review=review,
                    level=Card.Level.RED,
                    deadline=review.deadline,
                    issued_at=_at(red_on),
                )
            )
    Card.objects.bulk_create(cards, ignore_conflicts=True)
    return len(cards)


def seed_demo_supervision(*, today: dt.date) -> list[str]:
    if Card.objects.exists():
        return ["cards already present; none added"]
    rng = random.Random(7)
    with transaction.atomic():
        backfilled = _backfill_cards(today)
    now = timezone.now()
    written = sweep(now=now).written
    manager = Staff.objects.filter(groups__name=Role.CENTER_MANAGER).order_by("username").first()
    if manager is None:
        return [f"{backfilled} past cards, {written} cards now"]
    late = list(
        DepartmentReview.objects.filter(
            state__in=DepartmentReview.RUNNING_STATES, deadline__lt=today
        )
        # One open notice per review (actions.urge_issue): not those urged already.
        .exclude(pk__in=UrgeNotice.objects.open().values("review_id"))
        .select_related("application", "item", "window")
        .order_by("deadline", "id")[:6]
    )
    calendar = WorkCalendar.load()
    urged = 0
    for i, review in enumerate(late):
        issued = now - dt.timedelta(days=3 - i % 3, hours=rng.randint(1, 5))
        urge = actions.urge_issue(
            review=review,
            by=manager,
            now=issued,
            text=f"“{review.item.name}”已超过承诺办结期限，请说明原因，提出办结时间并抓紧办理。",
            reply_due=calendar.add_working_days(timezone.localdate(issued), 2).end,
        )
        urged += 1
        replier = review.officer or review.window.staff.filter(is_active=True).first()
        if i % 2 == 0 and replier is not None:
            actions.urge_reply(
                urge=urge,
                by=replier,
                now=issued + dt.timedelta(hours=20),
                reply="已联系申请人补充现场核查资料，预计两个工作日内办结。",
            )
    helped = 0
    for review in late[:2]:
        actions.help_note_add(
            application=review.application,
            review=review,
            by=manager,
            now=now - dt.timedelta(days=1),
            text="中心协调部门业务骨干到窗口指导，当场明确了审查要点。",
        )
        helped += 1
    meetings = 0
    several = (
        DepartmentReview.objects.filter(state__in=DepartmentReview.RUNNING_STATES)
        .values("application_id")
        .order_by("application_id")
    )
    candidate = several.annotate(n=Count("department", distinct=True)).filter(n__gte=2).first()
    if candidate is not None:
        application = Application.objects.get(pk=candidate["application_id"])
        departments = Department.objects.filter(
            pk__in=application.reviews.open().values("department_id")
        )
        meeting = actions.meeting_convene(
            application=application,
            by=manager,
            now=now - dt.timedelta(days=2),
            held_at=_at(today - dt.timedelta(days=1), 14, 30),
            place="中心三楼协调会议室",
            departments=departments,
            agenda="梳理各部门审查意见，明确前置条件与办结时间。",
        )
        actions.meeting_record(
            meeting=meeting,
            by=manager,
            now=now - dt.timedelta(days=1),
            minutes="各部门通报审查进展，申请人当场说明项目选址与用地情况。",
            decisions="各部门在三个工作日内出具审查意见，中心跟踪督办。",
        )
        for department in departments:
            actions.follow_up_add(
                meeting=meeting,
                by=manager,
                now=now - dt.timedelta(days=1),
                department=department,
                action="出具审查意见",
                due=calendar.add_working_days(today, 3).end,
            )
        meetings += 1
    # The demo's past happened in the past (the assessment's month included): its messages
    # to applicants count as sent when written, so `make run`'s worker does not send them now.
    Notification.objects.filter(sent_at__isnull=True).update(sent_at=F("created_at"))
    return [
        f"{backfilled} past cards, {written} cards now, {urged} urge notices, "
        f"{helped} notes of help, {meetings} coordination meeting"
    ]
