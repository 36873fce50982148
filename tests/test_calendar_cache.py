"""The calendar is read once per process and version (windows.workdays.WorkCalendar.load), and
the person with their roles in one query per request (windows.backends.StaffBackend)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache, caches

from windows.backends import StaffBackend
from windows.models import CalendarDay
from windows.roles import Role
from windows.workdays import CALENDAR_VERSION_KEY, WorkCalendar

from .conftest import make_staff

pytestmark = pytest.mark.django_db

SATURDAY = dt.date(2026, 10, 10)


def test_a_second_load_reads_nothing(calendar, django_assert_max_num_queries):
    first = WorkCalendar.load()
    with django_assert_max_num_queries(1):  # the cache's version (a query on the database cache)
        again = WorkCalendar.load()
    assert again is first


def test_a_change_of_a_day_is_read_at_once(calendar):
    assert not WorkCalendar.load().is_working_day(dt.date(2026, 10, 17))
    CalendarDay.objects.create(date=dt.date(2026, 10, 17), kind="workday", name="调休")
    assert WorkCalendar.load().is_working_day(dt.date(2026, 10, 17))
    CalendarDay.objects.filter(date=dt.date(2026, 10, 17)).get().delete()
    assert not WorkCalendar.load().is_working_day(dt.date(2026, 10, 17))


def test_another_process_change_is_read_by_its_version(calendar):
    held = WorkCalendar.load()
    # Another process changed the calendar behind this one's back (a row written without this
    # process's signals) and set a new version, as `WorkCalendar.changed` does there.
    CalendarDay.objects.bulk_create([CalendarDay(date=dt.date(2026, 10, 24), kind="workday")])
    assert WorkCalendar.load() is held  # same version: the process keeps what it read
    cache.set(CALENDAR_VERSION_KEY, "another", timeout=None)
    fresh = WorkCalendar.load()
    assert fresh is not held and fresh.is_working_day(dt.date(2026, 10, 24))


def test_without_the_cache_the_database_is_read(calendar, monkeypatch):
    WorkCalendar.load()

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(caches["default"], "get", down)
    CalendarDay.objects.bulk_create([CalendarDay(date=dt.date(2026, 10, 31), kind="workday")])
    assert WorkCalendar.load().is_working_day(dt.date(2026, 10, 31))


def test_the_adjusted_working_saturday_is_known(calendar):
    assert WorkCalendar.load().is_working_day(SATURDAY)


def test_the_person_and_roles_in_one_query(django_assert_num_queries):
    user = make_staff("ivy", Role.WINDOW_HEAD)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=Role.INTAKE_CLERK.value))
    with django_assert_num_queries(1):
        read = StaffBackend().get_user(user.pk)
        assert set(read.roles) == {Role.WINDOW_HEAD, Role.INTAKE_CLERK}
        assert read.has_role(Role.INTAKE_CLERK)


def test_a_person_without_roles_or_gone():
    user = make_staff("jay", None)
    assert StaffBackend().get_user(user.pk).roles == []
    user.is_active = False
    user.save()
    assert StaffBackend().get_user(user.pk) is None
    assert StaffBackend().get_user(99999) is None


def test_a_signed_in_page_uses_it(client, django_assert_num_queries):
    user = make_staff("kim", Role.CENTER_MANAGER)
    client.force_login(user, backend="windows.backends.StaffBackend")
    response = client.get("/")
    person = response.wsgi_request.user  # the session's user, read by the backend
    with django_assert_num_queries(0):  # the roles came with the person
        assert person.roles == [Role.CENTER_MANAGER]
