from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from applications.track import normalize_number

from .verification import code_is_well_formed, normalize_code


class VerifyForm(forms.Form):
    """The verification page's lookup: the number and the code printed on the document."""

    number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("16 letters and digits under the QR code at the foot of the document."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "ABCD-EFGH-JKLM-NPQR",
            }
        ),
    )

    def clean_number(self) -> str:
        return normalize_number(self.cleaned_data["number"])

    def clean_code(self) -> str:
        code = normalize_code(self.cleaned_data["code"])
        if not code_is_well_formed(code):
            raise forms.ValidationError(
                _("A verification code has 16 letters and digits, as printed on the document.")
            )
        return code


class UploadForm(forms.Form):
    pdf = forms.FileField(
        label=_("The PDF you received"),
        help_text=_("It is compared with the issued file and its signature is checked."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def clean_pdf(self):
        upload = self.cleaned_data["pdf"]
        if upload.size > settings.VERIFY_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB.")
                % {"size": settings.VERIFY_UPLOAD_MAX_BYTES // (1024 * 1024)}
            )
        data = upload.read()
        if not data.startswith(b"%PDF-"):
            raise forms.ValidationError(_("This file is not a PDF."))
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LicenceFilterForm(forms.Form):
    q = forms.CharField(label=_("Number or holder"), required=False, max_length=100)
