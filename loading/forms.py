from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .kinds import KINDS


def kind_choices():
    return [(name, kind.label) for name, kind in KINDS.items()]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=kind_choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file (UTF-8 or GB18030)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            from .services import too_large

            raise forms.ValidationError(too_large())
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=[("xlsx", "XLSX"), ("csv", "CSV")], required=False)
