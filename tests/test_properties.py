"""Properties that must hold for every input, checked with Hypothesis.

- Check characters (applications/validators.py): every single-character mistake and every swap of
  two neighbouring characters in a credit code or an ID number is caught; case does not matter;
  no input whatever makes a validator fail other than with a ValidationError.
- Working days (windows/workdays.py), on the State Council's calendar of 2025 and 2026 with the
  years around them computed on weekdays: adding n working days and counting them back gives n;
  the day reached is a working day, never a holiday or a weekend day off; adding is monotonic and
  additive; a span is provisional exactly when it reaches a year without data.
"""

import datetime as dt

import pytest
from chinese_calendar import constants as cc
from django.core.exceptions import ValidationError
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from applications.validators import (
    USCC_ALPHABET,
    id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)
from windows.workdays import WorkCalendar

properties = settings(deadline=None, max_examples=300)
DIGITS = "0123456789"

# --- check characters ---------------------------------------------------------------------------

uscc_prefixes = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)
id_prefixes = st.builds(
    lambda area, born, serial: f"{area}{born:%Y%m%d}{serial}",
    st.text(alphabet=DIGITS, min_size=6, max_size=6),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.text(alphabet=DIGITS, min_size=3, max_size=3),
)


def is_valid(validator, value: str) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


@properties
@given(uscc_prefixes, st.integers(0, 16), st.sampled_from(USCC_ALPHABET))
def test_a_credit_code_with_one_character_mistyped_is_refused(prefix, position, char):
    code = prefix + uscc_check_char(prefix)
    assume(code[position] != char)
    wrong = code[:position] + char + code[position + 1 :]
    assert is_valid(validate_uscc, code)
    assert not is_valid(validate_uscc, wrong)


@properties
@given(uscc_prefixes, st.integers(0, 16))
def test_a_credit_code_with_two_neighbours_swapped_is_refused(prefix, position):
    code = prefix + uscc_check_char(prefix)
    assume(code[position] != code[position + 1])
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not is_valid(validate_uscc, swapped)


@properties
@given(id_prefixes, st.integers(0, 16), st.sampled_from(DIGITS))
def test_an_id_number_with_one_digit_mistyped_is_refused(prefix, position, digit):
    number = prefix + id_check_char(prefix)
    assume(number[position] != digit)
    wrong = number[:position] + digit + number[position + 1 :]
    assert is_valid(validate_resident_id, number)
    assert not is_valid(validate_resident_id, wrong)


@properties
@given(id_prefixes, st.integers(0, 16))
def test_an_id_number_with_two_neighbours_swapped_is_refused(prefix, position):
    number = prefix + id_check_char(prefix)
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
    assert not is_valid(validate_resident_id, swapped)


@properties
@given(uscc_prefixes, id_prefixes)
def test_case_does_not_matter(uscc_prefix, id_prefix):
    code = uscc_prefix + uscc_check_char(uscc_prefix)
    number = id_prefix + id_check_char(id_prefix)
    assert is_valid(validate_uscc, code.lower())
    assert is_valid(validate_resident_id, number.lower())


@properties
@given(st.one_of(st.text(), st.text(alphabet=USCC_ALPHABET + "xX" + DIGITS + " -")))
def test_any_input_is_either_valid_or_refused_with_a_message(value):
    for validator in (validate_uscc, validate_resident_id):
        try:
            validator(value)
        except ValidationError as error:
            assert error.messages and error.code


# --- working days -----------------------------------------------------------------------------


def state_council_calendar(years=(2025, 2026)) -> WorkCalendar:
    """The calendar the center seeds (windows/calendar_seed.py), built without a database."""
    return WorkCalendar(
        holidays={d: str(n) for d, n in cc.holidays.items() if d.year in years},
        workdays={d: str(n) for d, n in cc.workdays.items() if d.year in years},
        known_years=frozenset(years),
    )


CALENDAR = state_council_calendar()
starts = st.dates(min_value=dt.date(2024, 10, 1), max_value=dt.date(2027, 3, 31))
counts = st.integers(min_value=0, max_value=260)


@properties
@given(starts, counts)
def test_adding_n_working_days_then_counting_back_gives_n(start, n):
    end = CALENDAR.add_working_days(start, n).end
    assert CALENDAR.count_working_days(start, end).working_days == n


@properties
@given(starts, st.integers(min_value=1, max_value=260))
def test_the_day_reached_is_a_working_day_never_a_holiday(start, n):
    end = CALENDAR.add_working_days(start, n).end
    assert end > start
    assert end not in CALENDAR.holidays
    assert CALENDAR.is_working_day(end)
    assert end.weekday() < 5 or end in CALENDAR.workdays  # a weekend day only when adjusted
    # And it is the first day that makes n: the day before it counts one fewer.
    assert CALENDAR.count_working_days(start, end - dt.timedelta(days=1)).working_days == n - 1


@properties
@given(starts, counts, counts)
def test_adding_is_monotonic_and_additive(start, a, b):
    after_a = CALENDAR.add_working_days(start, a).end
    assert CALENDAR.add_working_days(start, a + 1).end > after_a
    assert CALENDAR.add_working_days(after_a, b).end == CALENDAR.add_working_days(start, a + b).end


@properties
@given(starts, starts)
def test_counting_then_adding_never_passes_the_end(start, end):
    counted = CALENDAR.count_working_days(start, end).working_days
    assert counted >= 0
    if end > start:
        assert CALENDAR.add_working_days(start, counted).end <= end
        assert CALENDAR.add_working_days(start, counted + 1).end > end


@properties
@given(starts, counts)
def test_a_span_is_provisional_exactly_when_it_reaches_a_year_without_data(start, n):
    span = CALENDAR.add_working_days(start, n)
    first = start + dt.timedelta(days=1)  # the start itself is not counted
    crossed = set(range(first.year, span.end.year + 1)) if n else set()
    assert span.missing_years == tuple(sorted(crossed - CALENDAR.known_years))
    assert span.provisional == bool(crossed - CALENDAR.known_years)


@pytest.mark.django_db
def test_the_seeded_table_gives_the_same_calendar(calendar):
    loaded = WorkCalendar.load()
    assert loaded.known_years == CALENDAR.known_years
    assert {d for d in loaded.holidays} == set(CALENDAR.holidays)
    assert {d for d in loaded.workdays} == set(CALENDAR.workdays)
