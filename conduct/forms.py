from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.track import normalize_number
from applications.validators import scan_type, validate_mobile
from approval_center import fields
from windows.models import Staff, Window
from windows.roles import Role

from .models import Appeal, Complaint, PatrolEntry, Rule


def _windows():
    return Window.objects.filter(is_active=True).order_by("number")


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ["code", "title", "points", "description", "is_active", "position"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ComplaintForm(forms.Form):
    """The public form, phone first: the mobile the answer goes to, then what happened."""

    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=11,
        validators=[validate_mobile],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=_("We send the receipt and the answer to this number by SMS."),
    )
    text = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Where and when, who served you, and what you expected."),
    )
    window = fields.ModelChoiceField(
        label=_("Window"), queryset=None, required=False, empty_label=_("Not sure")
    )
    receipt_number = forms.CharField(
        label=_("Receipt number (if you have one)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("The answer is also sent here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args, with_receipt: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = _windows()
        self.fields["window"].label_from_instance = lambda w: f"{w.number} {w.name}"
        if not with_receipt:
            del self.fields["receipt_number"]

    def clean_receipt_number(self) -> str:
        number = normalize_number(self.cleaned_data["receipt_number"])
        if number and not (len(number) == 10 and number.isdigit()):
            raise ValidationError(_("The receipt number is the 10 digits printed on your slip."))
        return number


class PhoneComplaintForm(ComplaintForm):
    """A complaint taken by telephone and entered by staff."""

    phone = forms.CharField(
        label=_("Caller's mobile number"), max_length=11, validators=[validate_mobile]
    )


class AssignForm(forms.Form):
    assignee = fields.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = Staff.objects.filter(
            groups__name=Role.CENTER_MANAGER, is_active=True
        ).order_by("username")


class InvestigationForm(forms.Form):
    record = forms.CharField(
        label=_("Investigation record"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done, who was heard, what the records show; added with the date."),
    )


class FindingForm(forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"), choices=Complaint.Finding.choices, widget=forms.RadioSelect
    )
    rule = fields.ModelChoiceField(
        label=_("Rule broken"), queryset=Rule.objects.filter(is_active=True), required=False
    )
    window = fields.ModelChoiceField(label=_("Window"), queryset=None, required=False)
    staff = fields.ModelChoiceField(
        label=pgettext_lazy("assessment", "Person"), queryset=None, required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = _windows()
        self.fields["window"].label_from_instance = lambda w: f"{w.number} {w.name}"
        self.fields["staff"].queryset = (
            Staff.objects.filter(window__isnull=False, is_active=True)
            .select_related("window")
            .order_by("window__number", "username")
        )
        self.fields["staff"].label_from_instance = lambda s: f"{s.window.number} {s}"

    def clean(self):
        data = super().clean()
        if data.get("finding") == Complaint.Finding.SUBSTANTIATED:
            if not data.get("rule"):
                self.add_error("rule", _("A substantiated complaint names the rule broken."))
            if not data.get("window"):
                self.add_error("window", _("A substantiated complaint names the window."))
        return data


class AnswerForm(forms.Form):
    reply = forms.CharField(
        label=_("Reply to the complainant"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent by SMS (and e-mail when given): what was found and what was done."),
    )


class PatrolEntryForm(forms.Form):
    window = fields.ModelChoiceField(label=_("Window"), queryset=None)
    status = forms.ChoiceField(
        label=_("Found"), choices=PatrolEntry.Status.choices, widget=forms.RadioSelect
    )
    staff = fields.ModelChoiceField(
        label=pgettext_lazy("assessment", "Person"), queryset=None, required=False
    )
    rule = fields.ModelChoiceField(
        label=_("Rule broken"),
        queryset=Rule.objects.filter(is_active=True),
        required=False,
        help_text=_(
            "Only for a violation: its points are deducted from the window and the person."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png", "capture": "environment"}
        ),
    )

    def __init__(self, *args, windows=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = windows if windows is not None else _windows()
        self.fields["window"].label_from_instance = lambda w: f"{w.number} {w.name}"
        self.fields["staff"].queryset = (
            Staff.objects.filter(window__isnull=False, is_active=True)
            .select_related("window")
            .order_by("window__number", "username")
        )
        self.fields["staff"].label_from_instance = lambda s: f"{s.window.number} {s}"

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            content_type, _ext = scan_type(photo, settings.SCAN_MAX_BYTES)
            if not content_type.startswith("image/"):
                raise ValidationError(_("A photo is a JPEG or PNG picture."))
        return photo


class AppealForm(forms.Form):
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A deduction may be appealed once: give every reason now."),
    )


class AppealDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Appeal.Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Grounds of the decision"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
