from django import forms
from django.utils.translation import gettext_lazy as _

from applications.forms import ApplicantForm
from applications.validators import validate_mobile, validate_resident_id

from .signin import normalize_mobile


class MobileForm(forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "tel-national",
                "placeholder": "13800000000",
            }
        ),
    )

    def clean_mobile(self) -> str:
        mobile = normalize_mobile(self.cleaned_data["mobile"])
        validate_mobile(mobile)
        return mobile


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "placeholder": "123456",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            raise forms.ValidationError(_("The code has six digits."))
        return code


class CompanyForm(forms.Form):
    credit_code = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "spellcheck": "false", "autocomplete": "off"}
        ),
    )


class PersonForm(ApplicantForm):
    """Registering oneself as a person to file online: the counter's applicant form, with the
    kind, the contact and the mobile fixed (the signed-in number)."""

    class Meta(ApplicantForm.Meta):
        fields = ["name", "id_number", "email", "address"]

    def __init__(self, *args, **kwargs) -> None:
        forms.ModelForm.__init__(self, *args, **kwargs)
        self.fields["id_number"].label = _("Resident ID number")
        self.fields["id_number"].help_text = ""

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"].strip().upper()
        validate_resident_id(value)
        return value

    def _get_validation_exclusions(self) -> set[str]:
        # Whether the number is registered already is the service's answer (portal/services.
        # person_register), not the model's uniqueness message.
        return {*super()._get_validation_exclusions(), "id_number"}
