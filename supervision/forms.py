from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import DATE
from approval_center import fields
from windows.models import Department

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
