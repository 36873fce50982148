"""Loads the calendar table from the chinese-calendar package (it knows the years the State
Council has published; a year it does not know stays out, so deadlines there are provisional)."""

from __future__ import annotations

from chinese_calendar import constants as cc
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from .models import CalendarDay, CalendarYear
from .workdays import calendar_changed

# The package names holidays in English; the center prints Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def package_years() -> set[int]:
    return {day.year for day in cc.holidays}


def seed_calendar(years: list[int] | None = None) -> tuple[list[int], list[int]]:
    """Load the given years (default: every year the package knows). Years already in the table
    are left as they are, so an administrator's corrections survive a re-seed."""
    known = package_years()
    wanted = sorted(set(years) if years else known)
    present = set(CalendarYear.objects.values_list("year", flat=True))
    loaded = [y for y in wanted if y in known and y not in present]
    with transaction.atomic():
        for year in loaded:
            CalendarYear.objects.create(year=year, source=CalendarYear.Source.PACKAGE)
            rows = [
                CalendarDay(date=day, kind=kind, name=HOLIDAY_NAMES.get(str(name), str(name)))
                for table, kind in ((cc.holidays, "holiday"), (cc.workdays, "workday"))
                for day, name in table.items()
                if day.year == year
            ]
            bulk_create_with_history(sorted(rows, key=lambda r: r.date), CalendarDay)
        # A year published while deadlines in it were counted on weekdays (provisional).
        calendar_changed(loaded, by=None, now=timezone.now())
    return loaded, [y for y in wanted if y not in known]
