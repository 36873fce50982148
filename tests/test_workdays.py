import datetime as dt

import chinese_calendar
import pytest
from django.utils import translation

from windows.models import CalendarDay, CalendarYear
from windows.workdays import WorkCalendar, add_working_days, count_working_days

D = dt.date


@pytest.fixture
def cal(calendar) -> WorkCalendar:
    return WorkCalendar.load()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # 2025: 1–8 October off; Sunday 28 September and Saturday 11 October worked.
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 28), 1, D(2025, 9, 29)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),
        (D(2025, 9, 30), 4, D(2025, 10, 13)),
        # 2026: Mid-autumn 25–27 September, National Day 1–7 October; Sunday 20 September and
        # Saturday 10 October worked.
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 24), 1, D(2026, 9, 28)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 9, 30), 3, D(2026, 10, 10)),
        # Twenty working days from an acceptance just before the break.
        (D(2026, 9, 21), 20, D(2026, 10, 26)),
        (D(2026, 10, 9), 0, D(2026, 10, 9)),
    ],
)
def test_it_adds_working_days_across_the_national_day_break(cal, start, days, expected):
    span = cal.add_working_days(start, days)
    assert span.end == expected
    assert not span.provisional
    assert cal.count_working_days(start, expected).working_days == days


def test_it_reports_what_was_crossed(cal):
    span = cal.add_working_days(D(2025, 9, 26), 8)
    # 28, 29, 30 September, 9, 10, 11 (a Saturday worked), 13 and 14 October.
    assert span.end == D(2025, 10, 14)
    # 1–8 October: six weekdays off (4 and 5 October fall on the weekend anyway).
    assert span.holidays == (
        D(2025, 10, 1),
        D(2025, 10, 2),
        D(2025, 10, 3),
        D(2025, 10, 6),
        D(2025, 10, 7),
        D(2025, 10, 8),
    )
    assert span.adjusted_workdays == (D(2025, 9, 28), D(2025, 10, 11))


def test_it_agrees_with_the_published_calendar_every_day_of_both_years(cal):
    for offset in range(0, 730, 3):
        start = D(2025, 1, 1) + dt.timedelta(days=offset)
        end = cal.add_working_days(start, 10).end
        if end.year > 2026:
            continue
        expected = sum(
            chinese_calendar.is_workday(start + dt.timedelta(days=n))
            for n in range(1, (end - start).days + 1)
        )
        assert expected == 10, start
        assert chinese_calendar.is_workday(end)


def test_it_never_lands_on_a_holiday(cal):
    holidays = set(CalendarDay.objects.filter(kind="holiday").values_list("date", flat=True))
    for offset in range(365):
        start = D(2026, 1, 1) + dt.timedelta(days=offset)
        for days in (1, 5, 20):
            end = cal.add_working_days(start, days).end
            if end.year == 2026:
                assert end not in holidays


def test_it_counts_nothing_backwards(cal):
    assert cal.count_working_days(D(2026, 10, 9), D(2026, 10, 1)).working_days == 0


def test_it_rejects_negative_days(cal):
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(D(2026, 1, 5), -1)


def test_it_marks_a_year_without_data_as_provisional(cal):
    span = cal.add_working_days(D(2026, 12, 28), 10)
    # 29, 30, 31 December, then 2027 on plain weekdays: 1, 4–8 and 11 January.
    assert span.end == D(2027, 1, 11)
    assert span.provisional
    assert span.missing_years == (2027,)
    assert not cal.has_data(D(2027, 1, 4))
    with translation.override("en"):
        assert "provisional: no holiday calendar for 2027" in span.explain()
    with translation.override("zh-hans"):
        assert "2027" in span.explain() and "暂定" in span.explain()


def test_it_marks_a_count_into_a_year_without_data(cal):
    span = cal.count_working_days(D(2026, 12, 30), D(2027, 1, 5))
    assert span.working_days == 4  # 31 Dec, 1 Jan (unknown, so a weekday), 4 and 5 Jan
    assert span.missing_years == (2027,)


def test_it_follows_an_administrators_edit(calendar):
    # The State Council adds a day off: the calendar table is the truth, not the package.
    CalendarDay.objects.create(date=D(2026, 11, 27), kind="holiday", name="临时休假")
    assert add_working_days(D(2026, 11, 26), 1).end == D(2026, 11, 30)
    CalendarYear.objects.create(year=2027, source="manual")
    assert not count_working_days(D(2026, 12, 30), D(2027, 1, 5)).provisional


def test_it_explains_itself_in_both_languages(cal):
    span = cal.add_working_days(D(2026, 9, 30), 3)
    with translation.override("en"):
        text = span.explain()
    assert text.startswith("3 working days after")
    assert "5 holidays not counted" in text
    assert "1 adjusted working weekend day counted" in text
    with translation.override("zh-hans"):
        text = span.explain()
    assert "3个工作日" in text and "节假日" in text


def _walked(calendar: WorkCalendar, start: dt.date, end: dt.date):
    """Working days in (start, end] as the calendar once counted them: day by day."""
    from windows.workdays import ONE_DAY, _Crossing

    crossed = _Crossing(calendar)
    day, counted = start, 0
    while day < end:
        day += ONE_DAY
        crossed.see(day)
        if calendar.is_working_day(day):
            counted += 1
    return crossed.span(start, max(start, end), counted)


def test_counting_answers_as_walking_the_days_one_by_one(cal):
    import random

    chance = random.Random(20261207)
    # The published calendar of 2025 and 2026, and one with odd entries: a weekend holiday,
    # a weekday listed both ways, a listed working Wednesday, a day listed in a year without
    # data, years before and after the data.
    odd = WorkCalendar(
        holidays={**cal.holidays, dt.date(2026, 3, 7): "周六假", dt.date(2026, 3, 11): "两者"},
        workdays={**cal.workdays, dt.date(2026, 3, 11): "两者", dt.date(2026, 3, 18): "调班"},
        known_years=cal.known_years,
    )
    odd.workdays[dt.date(2028, 1, 8)] = "无数据年份的调班"
    for calendar in (cal, odd):
        cases = [(dt.date(2024, 12, 31), dt.date(2025, 1, 1)), (dt.date(2026, 1, 1),) * 2]
        for _ in range(400):
            start = dt.date(2024, 6, 1) + dt.timedelta(days=chance.randrange(1600))
            cases.append((start, start + dt.timedelta(days=chance.randrange(-30, 900))))
        for start, end in cases:
            assert calendar.count_working_days(start, end) == _walked(calendar, start, end), (
                start,
                end,
            )
