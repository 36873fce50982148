"""The forms of the kiosk part: the kiosk's ticket and the administrator's device register."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from applications.validators import ID_LENGTH, validate_mobile, validate_resident_id
from windows.models import Window

from .models import Business, Device

MOBILE_LENGTH = 11


class TicketForm(forms.Form):
    """A touch on a business's button, with the visitor's mobile or ID number if they typed
    one (optional: most visitors type nothing)."""

    business = forms.ModelChoiceField(queryset=Business.objects.offered())
    contact = forms.CharField(
        label=_("Your mobile or ID number (optional)"),
        required=False,
        max_length=30,
        help_text=_("We send no message: the number only helps the window find your papers."),
    )

    def clean_contact(self) -> str:
        # Spaces and dashes come from people copying a number; the pad types none.
        value = "".join(c for c in self.cleaned_data["contact"] if c not in " -").upper()
        if not value:
            return ""
        if len(value) == MOBILE_LENGTH and value.startswith("1"):
            validate_mobile(value)
        elif len(value) == ID_LENGTH:
            validate_resident_id(value)
        else:
            raise ValidationError(
                _(
                    "Type an 11-digit mobile number or an 18-character ID number, or leave "
                    "the field empty."
                ),
                code="contact",
            )
        return value

    def ticket_fields(self) -> dict[str, str]:
        """The keyword arguments of `ticket_take` for the number typed."""
        value = self.cleaned_data["contact"]
        if len(value) == MOBILE_LENGTH:
            return {"mobile": value}
        return {"id_number": value} if value else {}


class DeviceForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("Where it stands, so that people find it: “Hall kiosk by the door”."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Device.Kind.choices)
    window = forms.ModelChoiceField(
        label=_("Window (rating pads)"),
        queryset=Window.objects.filter(is_active=True).order_by("number"),
        required=False,
        help_text=_("The window whose visitors the rating pad faces."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Device.Kind.PAD and not data.get("window"):
            self.add_error("window", _("A rating pad faces one window: choose it."))
        if data.get("kind") != Device.Kind.PAD:
            data["window"] = None
        return data
