from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from windows.models import Department

from .models import Client, Scope

MAX_RATE_LIMIT = 6000


class ClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("The system that calls: “Provincial government-service platform”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments"),
        queryset=Department.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only these departments' records; none chosen: every department."),
    )
    rate_limit = forms.IntegerField(
        label=_("Calls per minute"), min_value=1, max_value=MAX_RATE_LIMIT
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("rate_limit", settings.API_DEFAULT_RATE_LIMIT)
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Client.objects.filter(name=name).exists():
            raise forms.ValidationError(_("A client of this name is registered already."))
        return name


class CallFilterForm(forms.Form):
    STATUSES = [
        ("", _("Any answer")),
        ("ok", _("Answered (2xx)")),
        ("refused", _("Refused (4xx)")),
        ("failed", _("Failed (5xx)")),
    ]
    client = forms.ModelChoiceField(
        label=_("Client"), queryset=Client.objects.order_by("name"), required=False
    )
    status = forms.ChoiceField(label=_("Answer"), choices=STATUSES, required=False)
    day = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
