"""The public service guide (办事指南, docs/guide.md): no login, for anyone who wants to know what
an item needs before coming to the center. Read-only pages of the catalog, phone-first and
printable; the samples and blank forms are served here, as downloads, never from a media address.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approval_center import fields, hooks, uploads

from . import guide
from .models import CenterInfo, Department, Item, Material, Package, Window

UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f"/\\]+')


class GuideSearch(forms.Form):
    q = forms.CharField(
        label=_("Item, code, department or material"), required=False, max_length=100
    )
    department = fields.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.all(),
        to_field_name="code",
        empty_label=_("All departments"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Item.Kind.choices]
    )


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(
        request,
        template,
        {
            "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
            "center_info": CenterInfo.current(),
            **context,
        },
    )


def index(request: HttpRequest) -> HttpResponse:
    """Search the guide; without a search, the packages and the departments to browse."""
    form = GuideSearch(request.GET or None)
    context: dict = {"form": form, "searched": False}
    if form.is_bound and form.is_valid() and any(form.cleaned_data.values()):
        data = form.cleaned_data
        found = guide.search(data["q"], department=data["department"], kind=data["kind"])
        page = Paginator(found, 30).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context.update(searched=True, page=page, query=query.urlencode(), data=data)
    else:
        context.update(packages=guide.packages(), departments=guide.departments())
    return _render(request, "windows/guide/index.html", context)


def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = guide.item(code)
    if item is None:
        raise Http404(_("No item of the guide has this code."))
    return _render(
        request,
        "windows/guide/item.html",
        {
            "item": item,
            "requirements": list(item.requirements.all()),
            "intake_window": Window.intake(),
            "today": timezone.localdate(),
            "page_url": request.build_absolute_uri(request.path),
            # What the apps built on the catalog offer from here (filing online, later).
            "actions": hooks.collect("guide_item_actions", item, request),
        },
    )


def package_detail(request: HttpRequest, pk: int) -> HttpResponse:
    package = get_object_or_404(Package, pk=pk, is_active=True)
    items, needs = guide.package_needs(package)
    if not items:
        raise Http404(_("This package has no item in force."))
    return _render(
        request,
        "windows/guide/package.html",
        {
            "package": package,
            "items": items,
            "needs": needs,
            "actions": hooks.collect("guide_package_actions", package, request),
            "today": timezone.localdate(),
            "page_url": request.build_absolute_uri(request.path),
        },
    )


def material_file(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    """A material's sample or blank form, as a download with a content type of our choosing:
    only of a material the guide shows, only a file that is there."""
    if kind not in Material.File.values:
        raise Http404
    material = get_object_or_404(Material, pk=pk)
    stored = material.file_of(kind)
    if stored is None or not guide.offers_file(material):
        raise Http404
    extension = PurePosixPath(stored.name).suffix.lstrip(".").lower()
    content_type = uploads.CONTENT_TYPES.get(extension)
    if content_type is None or not stored.storage.exists(stored.name):
        raise Http404
    label = Material.File(kind).label
    # The material's name as the file's: without control characters, quotes or slashes, which
    # a header cannot carry or a browser would take for folders.
    name = UNSAFE_IN_FILENAME.sub(" ", f"{material.name}-{label}").strip() or kind
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=f"{name}.{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
