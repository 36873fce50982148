from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from approval_center import fields
from windows.models import Item

from . import validators
from .models import (
    Applicant,
    ApplicationMaterial,
    ClockEvent,
    DepartmentReview,
    Project,
    Rating,
)
from .ratings import COMMENT_MAX_LENGTH
from .services import MAX_STOP_DAYS
from .track import code_is_well_formed, normalize_code, normalize_number

DATE = fields.DateInput()


class ApplicantForm(forms.ModelForm):
    class Meta:
        model = Applicant
        fields = [
            "kind",
            "name",
            "id_number",
            "contact_name",
            "mobile",
            "email",
            "address",
            "language",
        ]
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = Applicant.Kind.choices  # no empty radio button
        self.fields["language"].required = False

    def clean_language(self) -> str:
        return self.cleaned_data.get("language") or settings.LANGUAGE_CODE

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        kind = self.cleaned_data.get("kind")
        if kind == Applicant.Kind.ENTERPRISE:
            validators.validate_uscc(value)
        elif kind == Applicant.Kind.PERSON:
            validators.validate_resident_id(value)
        return value

    def clean_mobile(self) -> str:
        return self.cleaned_data["mobile"].strip()


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["code", "name", "location", "total_investment", "land_area", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class ApplyForm(forms.Form):
    project = fields.ModelChoiceField(
        label=_("Project"),
        queryset=Project.objects.none(),
        required=False,
        empty_label=_("No project (a person's or a single item's application)"),
    )
    items = fields.ModelMultipleChoiceField(
        label=_("Items applied for"),
        queryset=Item.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, applicant: Applicant, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = applicant.projects.all()
        self.fields["items"].queryset = (
            Item.objects.active()
            .filter(handled_in_center=True)
            .select_related("department", "window")
            .order_by("department__sort_order", "code")
        )

    def clean(self) -> dict:
        data = super().clean()
        if "package" in self.data:
            data["items"] = list(self.fields["items"].queryset.filter(fixed_asset_parallel=True))
        if not data.get("items"):
            raise ValidationError(_("Choose at least one item, or take the whole package."))
        if any(item.fixed_asset_parallel for item in data["items"]) and not data.get("project"):
            self.add_error("project", _("Items of the investment package need a project."))
        return data


class ChecklistLineForm(forms.ModelForm):
    class Meta:
        model = ApplicationMaterial
        fields = ["status", "copies", "promised_by", "note"]
        widgets = {
            "status": forms.RadioSelect,
            "promised_by": DATE,
            "copies": forms.NumberInput(attrs={"min": 0, "max": 99}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A line of the checklist's table: each field is named by its column and the line's
        # material (the row header, `<prefix>-name`; applications/application.html).
        for name, column in (
            ("copies", "checklist-copies"),
            ("promised_by", "checklist-promised"),
            ("note", "checklist-note"),
        ):
            self.fields[name].widget.attrs["aria-labelledby"] = f"{column} {self.prefix}-name"
        self.fields["status"].choices = ApplicationMaterial.Status.choices  # no empty choice
        # The model's help text is for the admin; on the page the column header says it.
        self.fields["promised_by"].help_text = ""

    def clean(self) -> dict:
        data = super().clean()
        if data.get("status") == ApplicationMaterial.Status.TO_FOLLOW and not data.get(
            "promised_by"
        ):
            self.add_error("promised_by", _("Enter the date the applicant promises it by."))
        return data


ChecklistFormSet = forms.modelformset_factory(ApplicationMaterial, form=ChecklistLineForm, extra=0)


class ReasonsForm(forms.Form):
    reasons = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class PrerequisiteOverrideForm(forms.Form):
    """A center manager's override of one missing prerequisite: which, and why."""

    prerequisite = fields.ModelChoiceField(
        label=_("Prerequisite item"), queryset=Item.objects.all(), widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label=_("Reason for accepting without it"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class InviteForm(forms.Form):
    note = forms.CharField(
        label=_("What to bring, and why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        help_text=_("The applicant reads this in the SMS and on their side of the site."),
    )


class StopForm(forms.Form):
    cause = forms.ChoiceField(label=_("Cause"), choices=ClockEvent.Cause.choices)
    days_needed = forms.IntegerField(
        label=_("Working days needed"),
        min_value=1,
        max_value=MAX_STOP_DAYS,
        initial=5,
        help_text=_(
            "The time the applicant is told it will take (Art. 45), or the time given for the "
            "supplements; a stop that outlasts it is flagged to the center."
        ),
    )
    reason = forms.CharField(
        label=_("What is needed and why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExtensionRequestForm(forms.Form):
    """Ask for more time: 1 to the days still available (10 in all for a review, 15 for joint
    handling)."""

    # On the review page beside the stop form, whose fields share these names.
    prefix = "extension"

    days = forms.IntegerField(label=_("Working days"), min_value=1)
    reason = forms.CharField(
        label=_("Reason, as told to the applicant"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, remaining: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].max_value = remaining
        self.fields["days"].validators.append(MaxValueValidator(remaining))
        self.fields["days"].widget.attrs.update({"min": 1, "max": remaining})
        self.fields["days"].help_text = ngettext(
            "At most %(count)d working day is left to ask for.",
            "At most %(count)d working days are left to ask for.",
            remaining,
        ) % {"count": remaining}


class RefuseExtensionForm(forms.Form):
    note = forms.CharField(
        label=_("Why it is refused"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecideForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=DepartmentReview.Outcome.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required for a refusal; printed on the decision."),
    )


class SendForSignatureForm(forms.Form):
    """The officer's opinion and draft decision, sent to the signers (承办)."""

    prefix = "draft"  # beside the direct decision's form on the same page

    outcome = forms.ChoiceField(
        label=_("Proposed decision"),
        choices=[
            (DepartmentReview.Outcome.GRANTED, _("Propose to grant")),
            (DepartmentReview.Outcome.REFUSED, _("Propose to refuse")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose grant or refuse.")},
    )
    text = forms.CharField(
        label=_("Draft decision text / reasons"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required for a refusal; printed on the decision as signed."),
    )
    opinion = forms.CharField(
        label=_("Review opinion"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was checked and found, for the signer; not printed."),
        error_messages={"required": _("Write the review opinion for the signer.")},
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome") == DepartmentReview.Outcome.REFUSED
            and not (data.get("text") or "").strip()
        ):
            self.add_error("text", _("A refusal must give its reasons."))
        return data


class SendBackForm(forms.Form):
    prefix = "back"

    note = forms.CharField(
        label=_("Why it goes back"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why it goes back, for the officer.")},
    )


class ScanForm(forms.Form):
    file = forms.FileField(label=_("Scan (PDF, JPEG or PNG)"))
    line = fields.ModelChoiceField(
        label=_("Material"),
        queryset=ApplicationMaterial.objects.none(),
        required=False,
        empty_label=_("(not one material of the checklist)"),
    )

    def __init__(self, *args, application, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = application.materials.select_related("material")
        self.fields["line"].label_from_instance = lambda line: str(line.material)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validators.scan_type(upload, settings.SCAN_MAX_BYTES)
        return upload


class TrackForm(forms.Form):
    """The status page's lookup: the receipt number and access code printed on the slip."""

    number = forms.CharField(
        label=_("Receipt number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "2026000123"}
        ),
    )
    code = forms.CharField(
        label=_("Access code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD2345",
            }
        ),
    )

    def clean_number(self) -> str:
        number = normalize_number(self.cleaned_data["number"])
        if not (len(number) == 10 and number.isdigit()):
            raise ValidationError(_("The receipt number is the 10 digits printed on your slip."))
        return number

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if not code_is_well_formed(code):
            raise ValidationError(
                _("The access code is the 8 letters and digits printed next to the QR code.")
            )
        return code


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("How satisfied are you with our service?"),
        choices=Rating.Level.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the five levels.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )


class CloseFollowUpForm(forms.Form):
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who was contacted, what was found, what was put right."),
    )
