from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A code of the authenticator app, or (where the page allows it) a recovery code."""

    code = forms.CharField(
        label=_("One-time code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("For example: phone lost, person left the post."),
    )
