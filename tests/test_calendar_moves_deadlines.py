"""A change to the calendar moves the open deadlines that depend on it, through the service
layer (ledger line, history, the applicant told), and the sweep judges the moved dates. The
permit review of `accepted` is due Tuesday 13 October 2026 and the application Friday 16
October; the planning review (10 working days) too."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from applications import clock, services
from applications.models import ClockEvent, DepartmentReview, Notification
from supervision.models import Card
from supervision.sweep import sweep
from windows.models import CalendarDay, CalendarYear
from windows.workdays import WorkCalendar

from .conftest import aware

EDIT = aware(2026, 10, 12, 9)


@pytest.fixture
def permit(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    assert review.deadline == dt.date(2026, 10, 13)
    return review


def add_holiday(client, admin, day: dt.date):
    client.force_login(admin)
    with time_machine.travel(EDIT, tick=False):
        return client.post(
            reverse("admin:windows_calendarday_add"),
            {"date": day.isoformat(), "kind": "holiday", "name": "临时调整"},
            follow=True,
        )


def test_a_holiday_added_in_the_admin_moves_open_deadlines(permit, center, client):
    response = add_holiday(client, center.admin, dt.date(2026, 10, 13))
    assert response.status_code == 200
    assert CalendarDay.objects.filter(date=dt.date(2026, 10, 13)).exists()
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 14)
    assert permit.statutory_deadline == dt.date(2026, 11, 2)
    line = permit.clock.get(kind=ClockEvent.Kind.CALENDAR)
    assert line.by == center.admin and "2026" in line.reason
    history = DepartmentReview.history.filter(id=permit.pk).latest("history_id")
    assert history.deadline == dt.date(2026, 10, 14) and history.history_user == center.admin
    application = permit.application
    application.refresh_from_db()
    assert application.due_date == dt.date(2026, 10, 19)
    assert application.promised_date == dt.date(2026, 10, 16)  # the slip stays as printed
    told = Notification.objects.filter(application=application, event="rescheduled")
    assert told.count() == 2  # SMS and e-mail
    assert "2026" in told.get(channel="sms").text


def test_the_stored_deadline_and_the_one_shown_agree_after_the_edit(permit, center, client):
    add_holiday(client, center.admin, dt.date(2026, 10, 13))
    permit.refresh_from_db()
    due = clock.compute(
        start=permit.started_on,
        promised_days=permit.promised_days,
        statutory_days=permit.statutory_days,
        ledger=permit.clock.order_by("at", "id"),
        calendar=WorkCalendar.load(),
        today=dt.date(2026, 10, 12),
    )
    assert (due.deadline, due.statutory_deadline) == (
        permit.deadline,
        permit.statutory_deadline,
    )


def test_the_sweep_cards_the_moved_deadline(permit, center, client):
    sweep(now=aware(2026, 10, 12, 8))  # yellow for the 13th; the mark for the next sweep
    assert Card.objects.filter(review=permit, deadline=dt.date(2026, 10, 13)).exists()
    add_holiday(client, center.admin, dt.date(2026, 10, 13))
    result = sweep(now=aware(2026, 10, 14, 9))
    assert not result.full
    levels = set(Card.objects.filter(review=permit).values_list("level", "deadline"))
    assert ("yellow", dt.date(2026, 10, 14)) in levels
    assert ("red", dt.date(2026, 10, 13)) not in levels  # no longer late on the 14th
    sweep(now=aware(2026, 10, 15, 9))
    assert Card.objects.filter(review=permit, level="red", deadline=dt.date(2026, 10, 14)).exists()


def test_a_holiday_removed_brings_deadlines_forward_and_the_sweep_sees_it(permit, center, client):
    sweep(now=aware(2026, 10, 14, 8))  # red for the 13th
    # The 1st of October is no holiday after all: every deadline comes a working day earlier.
    client.force_login(center.admin)
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 1))
    with time_machine.travel(aware(2026, 10, 14, 9), tick=False):
        client.post(reverse("admin:windows_calendarday_delete", args=[day.pk]), {"post": "yes"})
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 12)
    result = sweep(now=aware(2026, 10, 14, 10))
    assert Card.objects.filter(review=permit, level="red", deadline=dt.date(2026, 10, 12)).exists()
    assert result.reviews.get("red")


def test_a_stopped_review_keeps_its_stop_and_its_announced_end_moves(permit, center, client):
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 9),
        cause="supplements",
        days_needed=2,
        reason="补正",
    )
    permit.refresh_from_db()
    assert permit.stop_due == dt.date(2026, 10, 12)
    add_holiday(client, center.admin, dt.date(2026, 10, 12))
    permit.refresh_from_db()
    assert permit.state == "suspended" and permit.stop_due == dt.date(2026, 10, 13)


def test_decided_reviews_do_not_move(permit, center, client):
    services.review_decide(
        review=permit, by=center.bob, now=aware(2026, 10, 9), outcome="granted", reasons=""
    )
    add_holiday(client, center.admin, dt.date(2026, 10, 13))
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 13)
    assert not permit.clock.filter(kind=ClockEvent.Kind.CALENDAR).exists()


def test_a_year_published_makes_provisional_deadlines_final(accepted, center):
    """The next year's calendar is published (seed_calendar): deadlines counted on weekdays in
    it are computed again and are no longer provisional."""
    from windows.calendar_seed import seed_calendar

    review = accepted.reviews.get(item=center.permit)
    CalendarYear.objects.filter(year=2026).delete()
    CalendarDay.objects.filter(date__year=2026).delete()
    services.deadlines_recompute(years=[2026], by=None, now=aware(2026, 9, 28, 13))
    review.refresh_from_db()
    assert review.deadline_provisional and review.deadline == dt.date(2026, 10, 7)
    seed_calendar([2026])
    review.refresh_from_db()
    assert not review.deadline_provisional and review.deadline == dt.date(2026, 10, 13)
    assert review.clock.filter(kind=ClockEvent.Kind.CALENDAR, by=None).count() == 2


def test_only_an_administrator_edits_the_calendar(permit, center, client):
    client.force_login(center.alice)
    response = client.post(
        reverse("admin:windows_calendarday_add"),
        {"date": "2026-10-13", "kind": "holiday", "name": "x"},
    )
    assert response.status_code in (302, 403)
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 13)


def test_the_one_time_notice_window_of_a_draft_moves_too(draft, center, client):
    assert draft.notice_due == dt.date(2026, 10, 10)
    add_holiday(client, center.admin, dt.date(2026, 10, 9))
    draft.refresh_from_db()
    assert draft.notice_due == dt.date(2026, 10, 12)


def test_a_day_moved_to_another_date_moves_the_deadlines_of_both(permit, center, client):
    add_holiday(client, center.admin, dt.date(2026, 10, 13))
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 14)
    day = CalendarDay.objects.get(date=dt.date(2026, 10, 13))
    with time_machine.travel(EDIT, tick=False):
        client.post(
            reverse("admin:windows_calendarday_change", args=[day.pk]),
            {"date": "2026-12-01", "kind": "holiday", "name": "临时调整"},
        )
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 13)  # the 13th counts again
