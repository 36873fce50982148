"""Working-day arithmetic (工作日, Administrative Licensing Law Art. 82).

A day is a working day when it is a weekday that is not a holiday, or a weekend day the State
Council declared a working day (调休). Periods follow the law's reckoning: the day an act happens
is not counted, so "5 working days from Monday 3 March" ends on the fifth working day after it.

In a year the calendar has no data for, weekdays are taken as working days and the answer is
marked provisional, naming the years that lack data.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """A run of days and what was crossed on the way: the answer and the reason for it."""

    start: dt.date
    end: dt.date
    working_days: int
    holidays: tuple[dt.date, ...] = ()
    adjusted_workdays: tuple[dt.date, ...] = ()
    missing_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.missing_years)

    def explain(self) -> str:
        """One sentence, in the active language, that says why `end` is what it is."""
        parts = [
            ngettext(
                "%(count)d working day after %(start)s ends on %(end)s",
                "%(count)d working days after %(start)s end on %(end)s",
                self.working_days,
            )
            % {
                "count": self.working_days,
                "start": date_format(self.start, "DATE_FORMAT"),
                "end": date_format(self.end, "DATE_FORMAT"),
            }
        ]
        if self.holidays:
            parts.append(
                ngettext(
                    "%(count)d holiday not counted",
                    "%(count)d holidays not counted",
                    len(self.holidays),
                )
                % {"count": len(self.holidays)}
            )
        if self.adjusted_workdays:
            parts.append(
                ngettext(
                    "%(count)d adjusted working weekend day counted",
                    "%(count)d adjusted working weekend days counted",
                    len(self.adjusted_workdays),
                )
                % {"count": len(self.adjusted_workdays)}
            )
        if self.missing_years:
            parts.append(
                _("provisional: no holiday calendar for %(years)s yet, weekdays assumed")
                % {"years": ", ".join(str(y) for y in self.missing_years)}
            )
        return _("; ").join(parts) + _(".")


# The shared cache's key for the calendar's version, and this process's last calendar read.
CALENDAR_VERSION_KEY = "workdays:calendar-version"
_memo: dict[str, tuple[str, WorkCalendar]] = {}


def _new_version() -> str:
    import uuid

    return uuid.uuid4().hex


@dataclass
class WorkCalendar:
    holidays: dict[dt.date, str] = field(default_factory=dict)
    workdays: dict[dt.date, str] = field(default_factory=dict)
    known_years: frozenset[int] = frozenset()

    @classmethod
    def load(cls) -> WorkCalendar:
        """The calendar as the database holds it. Every operation that counts working days
        reads it, and it changes a few times a year: each process keeps the last one read,
        with the version it was read under, and reads the database again when the shared
        cache holds another version (`changed` sets a new one as the change is made and again
        once it commits, so a process that read between the two reads again). Without the
        cache's answer (Redis down), the database is read every time. The result is shared:
        treat it as read-only."""
        from django.core.cache import cache

        try:
            version = cache.get(CALENDAR_VERSION_KEY)
            if version is None:
                version = _new_version()
                cache.add(CALENDAR_VERSION_KEY, version, timeout=None)
                version = cache.get(CALENDAR_VERSION_KEY, version)
        except Exception:  # any cache failure: read the database
            return cls.read()
        held = _memo.get("calendar")
        if held is not None and held[0] == version:
            return held[1]
        calendar = cls.read()
        _memo["calendar"] = (version, calendar)
        return calendar

    @classmethod
    def changed(cls) -> None:
        """The calendar changed (or is changing in the transaction under way): every process
        reads it again, now and after the commit."""
        from django.core.cache import cache
        from django.db import transaction

        def bump() -> None:
            _memo.pop("calendar", None)
            try:
                cache.set(CALENDAR_VERSION_KEY, _new_version(), timeout=None)
            except Exception:  # noqa: S110 - without the cache every load reads anyway
                pass

        bump()
        transaction.on_commit(bump)

    @classmethod
    def read(cls) -> WorkCalendar:
        """Read the calendar from the database: one query, a few hundred rows at most (the
        days, then the years the calendar holds as rows with only a year). Written out rather
        than built by the ORM."""
        from django.db import connection

        from .models import CalendarDay, CalendarYear

        holidays: dict[dt.date, str] = {}
        workdays: dict[dt.date, str] = {}
        known: set[int] = set()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT date, kind, name, NULL FROM {CalendarDay._meta.db_table}"  # noqa: S608
                f" UNION ALL SELECT NULL, NULL, NULL, year FROM {CalendarYear._meta.db_table}"
            )
            for date, kind, name, year in cursor.fetchall():
                if year is not None:
                    known.add(year)
                    continue
                if isinstance(date, str):  # SQLite returns dates as text
                    date = dt.date.fromisoformat(date)
                (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays)[date] = name
        return cls(holidays, workdays, frozenset(known))

    def has_data(self, day: dt.date) -> bool:
        return day.year in self.known_years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, count: int) -> Span:
        """The `count`-th working day after `start` (start itself not counted)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day, left = start, count
        crossed = _Crossing(self)
        while left:
            day += ONE_DAY
            crossed.see(day)
            if self.is_working_day(day):
                left -= 1
        return crossed.span(start, day, count)

    def count_working_days(self, start: dt.date, end: dt.date) -> Span:
        """Working days in (start, end]: 0 when end is not after start. The same answer as
        walking the days one by one and asking `is_working_day` of each (as `_Crossing` sees
        them), counted instead: the weekdays of the range by arithmetic, then the calendar's
        listed days within it found by bisection. A review a year late costs no more than
        one a day late (the supervision lists count hundreds a page)."""
        if end <= start:
            return Span(start=start, end=start, working_days=0)
        workdays, holidays = self._sorted_workdays, self._sorted_holidays
        listed_workdays = workdays[bisect_right(workdays, start) : bisect_right(workdays, end)]
        listed_holidays = holidays[bisect_right(holidays, start) : bisect_right(holidays, end)]
        # A listed working day on a weekend adds a day; a listed holiday on a weekday that is
        # not also listed as a working day takes one away.
        days_off = [d for d in listed_holidays if d.weekday() < 5 and d not in self.workdays]
        first = start + ONE_DAY
        return Span(
            start=start,
            end=end,
            working_days=_weekdays_through(end)
            - _weekdays_through(start)
            + sum(1 for day in listed_workdays if day.weekday() >= 5)
            - len(days_off),
            holidays=tuple(day for day in days_off if self.has_data(day)),
            adjusted_workdays=tuple(day for day in listed_workdays if self.has_data(day)),
            missing_years=tuple(
                year for year in range(first.year, end.year + 1) if year not in self.known_years
            ),
        )

    # The listed days in order, for `count_working_days`: kept with the calendar, which is
    # read-only once read.
    @cached_property
    def _sorted_workdays(self) -> list[dt.date]:
        return sorted(self.workdays)

    @cached_property
    def _sorted_holidays(self) -> list[dt.date]:
        return sorted(self.holidays)


def _weekdays_through(day: dt.date) -> int:
    """Monday to Friday days from 1 January of year 1 (a Monday) through `day`."""
    weeks, days = divmod(day.toordinal(), 7)
    return weeks * 5 + min(days, 5)


class _Crossing:
    """Collects the holidays, adjusted days and data-less years met while walking days."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar
        self.holidays: list[dt.date] = []
        self.adjusted: list[dt.date] = []
        self.missing: set[int] = set()

    def see(self, day: dt.date) -> None:
        if not self.calendar.has_data(day):
            self.missing.add(day.year)
        elif day in self.calendar.workdays:
            self.adjusted.append(day)
        elif day in self.calendar.holidays and day.weekday() < 5:
            # Only holidays that would otherwise be working days lengthen a period.
            self.holidays.append(day)

    def span(self, start: dt.date, end: dt.date, count: int) -> Span:
        return Span(
            start=start,
            end=end,
            working_days=count,
            holidays=tuple(self.holidays),
            adjusted_workdays=tuple(self.adjusted),
            missing_years=tuple(sorted(self.missing)),
        )


def add_working_days(start: dt.date, count: int) -> Span:
    return WorkCalendar.load().add_working_days(start, count)


def count_working_days(start: dt.date, end: dt.date) -> Span:
    return WorkCalendar.load().count_working_days(start, end)


def calendar_changed(years, *, by, now: dt.datetime) -> int:
    """Tell the apps built on the calendar that the holidays or adjusted working days of these
    years changed, in the transaction of the change: open deadlines move with the calendar
    (applications' `calendar_changed` hook). Returns how many deadlines moved."""
    from approval_center import hooks

    WorkCalendar.changed()
    return sum(hooks.collect("calendar_changed", set(years), by, now))
