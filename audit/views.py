from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from approval_center import fields
from windows.roles import Role, require_role

from . import history

KINDS = [("", _("Any change")), ("+", _("Created")), ("~", _("Changed")), ("-", _("Deleted"))]


class AuditSearchForm(forms.Form):
    who = forms.CharField(label=_("Who"), required=False, max_length=150)
    # A member of staff whose account, roles, permissions or signing authority changed.
    person = forms.CharField(label=_("About whom"), required=False, max_length=150)
    model = forms.ChoiceField(label=_("Record"), required=False)
    object_id = forms.CharField(label=_("Record number"), required=False, max_length=40)
    kind = forms.ChoiceField(label=_("Change"), required=False, choices=KINDS)
    since = forms.DateField(label=_("From"), required=False, widget=fields.DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=fields.DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("Every kind of record"))] + [
            (label, model.instance_type._meta.verbose_name.capitalize())
            for label, model in history.history_models().items()
        ]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the period is before its start."))
        return data


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Administrators search the history of every record: who changed what, and when."""
    require_role(request.user, Role.ADMINISTRATOR)
    form = AuditSearchForm(request.GET or None)
    query = history.Search()
    if form.is_valid():
        query = history.Search(**form.cleaned_data)
    page = Paginator(history.search(query) if not form.errors else [], 50).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/trail.html",
        {
            "form": form,
            "page": page,
            "entries": history.entries(list(page)),
            "query": params.urlencode(),
        },
    )
