"""Form fields that answer a bad value with a message, never an error of the database."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

# The largest key a database integer holds: beyond it SQLite raises OverflowError on lookup.
MAX_KEY = 2**63 - 1


def _out_of_range(value) -> bool:
    try:
        return abs(int(str(value).strip())) > MAX_KEY
    except (TypeError, ValueError):
        return False


class ModelChoiceField(forms.ModelChoiceField):
    """A choice of one row: a number too large for a key is an invalid choice."""

    def to_python(self, value):
        if value not in self.empty_values and _out_of_range(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A choice of rows: a number too large for a key is an invalid choice."""

    def _check_values(self, value):
        for pk in value if isinstance(value, list | tuple) else [value]:
            if _out_of_range(pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


# The dates the center's work can name: the calendar, deadlines, meetings. Beyond them a date is
# a typing mistake (and year 1 or 9999 overflows once a day or a time zone is added).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def validate_sane_date(value) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            _("Enter a date between %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={
                "earliest": date_format(EARLIEST, "DATE_FORMAT"),
                "latest": date_format(LATEST, "DATE_FORMAT"),
            },
        )


class DateInput(forms.DateInput):
    """The browser's date picker. It reads and writes ISO dates whatever the page's language (a
    value in the language's own input format, 2026/09/28 in Chinese, shows an empty field)."""

    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateField(forms.DateField):
    """A date within the years the center works in."""

    default_validators = [validate_sane_date]


class DateTimeField(forms.DateTimeField):
    """A date and time within the years the center works in (a time in year 1 or 9999 has no
    UTC: it is refused before anything converts it)."""

    def to_python(self, value):
        try:
            result = super().to_python(value)
        except (OverflowError, ValueError):
            result = dt.datetime(1, 1, 1)  # out of range: the check below says so
        if result is not None:
            validate_sane_date(result.replace(tzinfo=None))
        return result
