import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import translation

from applications.clock import compute
from windows.workdays import WorkCalendar

D = dt.date


def line(kind, on, days=0):
    return SimpleNamespace(kind=kind, on=on, days=days)


@pytest.fixture
def cal(calendar):
    return WorkCalendar.load()


START = D(2026, 9, 28)


def due(cal, ledger, today=START, promised=7, statutory=20):
    return compute(
        start=START,
        promised_days=promised,
        statutory_days=statutory,
        ledger=ledger,
        calendar=cal,
        today=today,
    )


def test_a_running_clock(cal):
    result = due(cal, [])
    assert result.deadline == D(2026, 10, 13) and result.running
    assert result.statutory_deadline == D(2026, 10, 30)


def test_a_stopped_clock_shows_the_date_if_resumed_today(cal):
    result = due(cal, [line("stop", D(2026, 9, 30))], today=D(2026, 10, 12))
    assert not result.running and result.used_days == 2 and result.remaining_days == 5
    assert result.deadline == D(2026, 10, 19)


def test_stops_and_resumes_count_only_running_days(cal):
    ledger = [
        line("stop", D(2026, 9, 29)),
        line("resume", D(2026, 10, 9)),
        line("stop", D(2026, 10, 12)),
        line("resume", D(2026, 10, 14)),
    ]
    result = due(cal, ledger)
    # Used: 29 Sep (1), then 10 and 12 Oct (2) → 3; 4 remain after 14 Oct: 15, 16, 19, 20.
    assert result.used_days == 3 and result.deadline == D(2026, 10, 20)
    assert result.stopped_days == 3 + 2  # 30 Sep, 8, 9 Oct; 13, 14 Oct


def test_an_extension_moves_both_limits(cal):
    result = due(cal, [line("extend", D(2026, 10, 8), days=10)])
    assert result.deadline == D(2026, 10, 27)
    assert result.statutory_deadline == D(2026, 11, 13)


def test_a_deadline_that_ran_out_before_a_stop_stays(cal):
    result = due(cal, [line("stop", D(2026, 10, 20)), line("resume", D(2026, 10, 26))])
    assert result.deadline == D(2026, 10, 13)


def test_it_explains_itself(cal):
    result = due(
        cal,
        [
            line("stop", D(2026, 9, 30)),
            line("resume", D(2026, 10, 12)),
            line("extend", D(2026, 10, 12), days=3),
        ],
    )
    with translation.override("en"):
        text = result.explain()
    assert "7 promised working days from" in text
    assert "extended by 3 working days" in text
    # Stopped from the day after 30 September up to and including 12 October: 8, 9, 10, 12.
    assert "4 working days stopped, not counted" in text
