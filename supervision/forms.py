from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from applications.forms import DATE
from approval_center import fields
from windows.models import Department

from .assessment import Period

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UrgeForm(forms.Form):
    text = forms.CharField(
        label=_("What the center asks"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("The situation, what the window must do, and by when the review must end."),
    )
    reply_due = fields.DateField(label=_("Reply expected by"), widget=DATE)


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=_("Reply"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("What was done, and when the review will end."),
    )


class HelpNoteForm(forms.Form):
    review = fields.ModelChoiceField(
        label=_("For the review of"),
        queryset=None,
        required=False,
        empty_label=_("the whole application"),
    )
    text = forms.CharField(
        label=_("Help given"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )

    def __init__(self, *args, application, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["review"].queryset = application.reviews.select_related("item", "department")
        self.fields["review"].label_from_instance = lambda r: (
            f"{r.item.name}（{r.department.short_name}）"
        )


class MeetingForm(forms.Form):
    held_at = fields.DateTimeField(label=_("Date and time"), widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=100)
    departments = fields.ModelMultipleChoiceField(
        label=_("Departments invited"),
        queryset=Department.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    agenda = forms.CharField(
        label=_("Agenda"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )


class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("Minutes"), widget=forms.Textarea(attrs={"rows": 6}), required=False
    )
    decisions = forms.CharField(
        label=_("Decisions"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class FollowUpForm(forms.Form):
    department = fields.ModelChoiceField(label=_("Department"), queryset=None)
    action = forms.CharField(label=_("What is to be done"), max_length=300)
    due = fields.DateField(label=_("Due"), widget=DATE)

    def __init__(self, *args, meeting, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = meeting.departments.all()


class StatisticsForm(forms.Form):
    """The period of the statistics of cases: a year, and a month of it or the whole year; and
    a department, for those who may choose one."""

    year = forms.IntegerField(
        label=_("Year"),
        min_value=2000,
        max_value=9999,
        error_messages={
            "required": _("Give the year."),
            "invalid": _("The year is a number such as 2026."),
            "min_value": _("There are no figures before 2000: choose a year from 2000 on."),
            "max_value": _("The year is a number such as 2026."),
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "year"}),
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Whole year")), *((m, m) for m in range(1, 13))],
        error_messages={"invalid_choice": _("Choose a month from 1 to 12, or the whole year.")},
    )
    department = fields.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(items__isnull=False).distinct(),
        required=False,
        to_field_name="code",
        empty_label=_("All departments"),
        error_messages={"invalid_choice": _("There is no such department.")},
    )

    def __init__(self, *args, today, departments: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["month"].choices = [
            ("", _("Whole year")),
            *((m, date_format(dt.date(2000, m, 1), "F")) for m in range(1, 13)),
        ]
        if not departments:
            del self.fields["department"]

    def clean(self) -> dict:
        data = super().clean()
        year, month = data.get("year"), data.get("month")
        if year is None or "month" in self.errors:
            return data
        period = Period("month", year, month) if month else Period("year", year)
        if period.start > self.today:
            self.add_error(
                "month" if month else "year",
                _("%(period)s has not begun yet: choose a period up to today (%(today)s).")
                % {"period": period.label, "today": date_format(self.today, "DATE_FORMAT")},
            )
            return data
        data["period"] = period
        return data
