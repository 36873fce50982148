"""The public verification page and the staff's licence pages."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from applications import track
from applications.models import Document
from applications.services import TransitionError

from . import access, services, verification
from .forms import LicenceFilterForm, RevokeForm, UploadForm, VerifyForm
from .models import Licence

SESSION_KEY = "verify_document"


# --- the public page ------------------------------------------------------------------------


def _verified(request: HttpRequest) -> Document | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    return Document.objects.select_related("application__applicant").filter(pk=pk).first()


def _page(request: HttpRequest, form=None, *, status: int = 200, **extra) -> HttpResponse:
    document = _verified(request)
    found = verification.describe(document, timezone.localdate()) if document else None
    context = {
        "form": form or VerifyForm(),
        "found": found,
        "upload": UploadForm() if found else None,
        "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
        **extra,
    }
    response = render(request, "licences/verify.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _limited(request: HttpRequest, address: str, number: str) -> HttpResponse | None:
    allowance = verification.count_attempt(address)
    if allowance.allowed:
        return None
    verification.log_attempt(address, number, "refused: too many attempts")
    response = _page(
        request,
        VerifyForm(initial={"number": number}),
        status=429,
        limited_minutes=math.ceil(allowance.retry_after / 60),
    )
    response["Retry-After"] = str(allowance.retry_after)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    """A lookup (the form, or the document's QR code with number and code in the address),
    then the document as issued, with an upload to compare a copy."""
    data = request.POST if request.method == "POST" else request.GET
    if not ("number" in data and "code" in data):
        return _page(request)
    address = track.client_address(request)
    number = track.normalize_number(data.get("number", ""))
    if limited := _limited(request, address, number):
        return limited
    form = VerifyForm(data)
    if not form.is_valid():
        verification.log_attempt(address, number, "malformed")
        return _page(request, form)
    document = verification.find(form.cleaned_data["number"], form.cleaned_data["code"])
    if document is None:
        verification.log_attempt(address, number, "no match")
        form.add_error(
            None,
            _(
                "No document matches this number and verification code. Check both against "
                "the document."
            ),
        )
        return _page(request, form)
    verification.log_attempt(address, number, "found")
    request.session.cycle_key()
    request.session[SESSION_KEY] = document.pk
    return redirect("licences:verify")


@never_cache
@require_POST
def verify_upload(request: HttpRequest) -> HttpResponse:
    """Compare an uploaded PDF with the document found: same bytes, and a valid signature."""
    document = _verified(request)
    if document is None:
        return redirect("licences:verify")
    address = track.client_address(request)
    if limited := _limited(request, address, document.number):
        return limited
    upload = UploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        return _page(request, upload_errors=upload)
    found = verification.describe(document, timezone.localdate())
    comparison = verification.compare(found, upload.cleaned_data["pdf"])
    verification.log_attempt(
        address,
        document.number,
        f"upload identical={comparison.identical} signature={comparison.check.valid}",
    )
    return _page(request, comparison=comparison)


@require_POST
def verify_forget(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return redirect("licences:verify")


# --- the staff's pages ----------------------------------------------------------------------


@login_required
def licence_list(request: HttpRequest) -> HttpResponse:
    if not access.may_see_licences(request.user):
        raise PermissionDenied
    form = LicenceFilterForm(request.GET)
    licences = access.licences_for(request.user).select_related("holder", "project", "item")
    if form.is_valid() and (q := form.cleaned_data["q"].strip()):
        licences = licences.filter(
            Q(number__icontains=q) | Q(holder__name__icontains=q) | Q(project__name__icontains=q)
        )
    page = Paginator(licences, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "licences/list.html",
        {"form": form, "page": page, "today": timezone.localdate()},
    )


@login_required
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    licence = access.get_licence(request.user, pk)
    return _detail(request, licence, RevokeForm())


def _detail(request, licence: Licence, form: RevokeForm) -> HttpResponse:
    return render(
        request,
        "licences/detail.html",
        {
            "licence": licence,
            "today": timezone.localdate(),
            "uses": licence.uses.select_related(
                "line__application__applicant", "line__material"
            ).order_by("at"),
            "history": licence.history.select_related("history_user").order_by("history_date"),
            "may_revoke": access.may_revoke(request.user, licence)
            and licence.status == Licence.Status.VALID,
            "form": form,
        },
    )


@login_required
@require_POST
def licence_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    licence = access.get_licence(request.user, pk)
    if not access.may_revoke(request.user, licence):
        raise PermissionDenied
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return _detail(request, licence, form)
    try:
        services.licence_revoke(
            licence=licence, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
        )
    except TransitionError as error:  # revoked meanwhile, or the role changed: said on the page
        messages.error(request, str(error))
        return redirect("licences:detail", licence.pk)
    messages.success(request, _("Licence %(number)s revoked.") % {"number": licence.number})
    return redirect("licences:detail", licence.pk)
