"""The applicant's own side, `/my/` (docs/portal.md): sign in with a mobile number and an SMS
code, then their applications, each as the status page shows it, their documents and their
rating. Every page but the sign-in is `applicant_required` (sessions.py); every object is
found through access.py."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import documents as printing
from applications import notifications, ratings, track
from applications.forms import RatingForm
from applications.models import Document
from applications.services import TransitionError

from . import access, services, sessions, signin
from .forms import CodeForm, CompanyForm, MobileForm
from .sessions import applicant_required

audit_documents = logging.getLogger("audit.documents")

PENDING_COOKIE = "portal_pending"
PENDING_SALT = "portal.pending"
PAGE_SIZE = 20


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context = {"complaint_phone": settings.CENTER_COMPLAINT_PHONE, **context}
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
    return response


def _pending_mobile(request: HttpRequest) -> str | None:
    return request.get_signed_cookie(
        PENDING_COOKIE, default=None, salt=PENDING_SALT, max_age=settings.PORTAL_CODE_SECONDS
    )


# --- signing in -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Step 1: the mobile number. Any well-formed number gets a code (signin.code_send); the
    answer is the same whether or not the center knows it."""
    if request.user.is_authenticated:
        return sessions.staff_refused(request)
    if sessions.current(request, timezone.now())[0] is not None:
        return redirect("portal:applications")
    form = MobileForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        mobile = form.cleaned_data["mobile"]
        address = track.client_address(request)
        now = timezone.now()
        try:
            signin.send_allowed(mobile, address)
            signin.code_send(
                mobile=mobile, address=address, language=translation.get_language(), now=now
            )
        except signin.SignInError as error:
            form.add_error(None, str(error))
            status = 429 if error.retry_after else 200
        else:
            response = redirect("portal:code")
            response.set_signed_cookie(
                PENDING_COOKIE,
                mobile,
                salt=PENDING_SALT,
                max_age=settings.PORTAL_CODE_SECONDS,
                path=sessions.PATH,
                secure=settings.PORTAL_SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
            return response
    response = _page(request, "portal/sign_in.html", {"form": form}, status=status)
    return response


@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the SMS. Right: a session of the applicant's own opens."""
    if request.user.is_authenticated:
        return sessions.staff_refused(request)
    mobile = _pending_mobile(request)
    if mobile is None:
        messages.info(request, _("Enter your mobile number to get a code."))
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        now = timezone.now()
        try:
            account = signin.code_check(
                mobile=mobile,
                code=form.cleaned_data["code"],
                address=track.client_address(request),
                now=now,
            )
        except signin.SignInError as error:
            form.add_error("code", str(error))
        else:
            response = redirect("portal:applications")
            response.delete_cookie(PENDING_COOKIE, path=sessions.PATH, samesite="Lax")
            sessions.session_open(request, response, account, now)
            return response
    return _page(
        request,
        "portal/code.html",
        {
            "form": form,
            "mobile": signin.masked_mobile(mobile),
            "minutes": settings.PORTAL_CODE_SECONDS // 60,
            "log_gateway": settings.SMS_GATEWAY.endswith(".LogSmsGateway") and settings.DEBUG,
        },
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    sessions.session_end(request, timezone.now())
    response = redirect("portal:sign_in")
    sessions.forget_cookie(response)
    messages.info(request, _("You have signed out."))
    return response


# --- the applicant's pages ------------------------------------------------------------------


@require_GET
@applicant_required
def applications(request: HttpRequest) -> HttpResponse:
    """Every application of the person and of the companies whose contact they are, newest
    first, a page at a time: a fixed number of queries whatever the page holds."""
    found = (
        access.applications_of(request.account)
        .select_related("applicant")
        .prefetch_related("items")
        .order_by("-received_at", "-id")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(
        request,
        "portal/applications.html",
        {
            "page": page,
            "account": request.account,
            "mobile": signin.masked_mobile(request.account.mobile),
            "today": timezone.localdate(),
            "companies": list(access.companies_of(request.account)),
            "drafts": list(
                request.account.filings.filter(
                    submitted_at__isnull=True,
                    applicant__in=access.filing_applicants(request.account).values("pk"),
                )
                .select_related("applicant")
                .prefetch_related("items")
            ),
        },
    )


@require_GET
@applicant_required
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """One application as the status page shows it, with its documents and the rating."""
    found = access.get_application(request.account, pk)
    now = timezone.now()
    status = track.status_of(found, timezone.localdate(now))
    can_rate = ratings.rating_open(found, now)
    status.can_rate = can_rate
    return _page(
        request,
        "portal/application.html",
        {
            "application": found,
            "status": status,
            "rate_here": can_rate,
            "form": RatingForm(),
            "documents": access.documents_of(request.account)
            .filter(application=found)
            .order_by("issued_at", "id"),
            "track_page": notifications.track_page(),
            "mobile": signin.masked_mobile(request.account.mobile),
            "scans": list(found.scans.select_related("line__material")),
            "supplements": services.supplement_allowed(found),
            "notice_lines": services.notice_lines(found)
            if found.state == found.State.AWAITING_MATERIALS
            else [],
            "lines": list(found.materials.select_related("material")),
            "appointments_url": _appointments_url() if found.invited_at else "",
        },
    )


def _appointments_url() -> str:
    """The hall's appointment booking, where the hall is installed (hall/appointments.py)."""
    try:
        return reverse("hall:appointments")
    except NoReverseMatch:
        return ""


@require_POST
@applicant_required
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant rates their own delivered application, once (ratings.py, channel 4)."""
    found = access.get_application(request.account, pk)
    form = RatingForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse("portal:application", args=[found.pk]) + "#rate")
    try:
        ratings.rating_submit_signed_in(
            application=found,
            level=form.cleaned_data["level"],
            comment=form.cleaned_data["comment"],
            now=timezone.now(),
        )
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("portal:application", found.pk)


@require_GET
@applicant_required
def document(request: HttpRequest, pk: int) -> HttpResponse:
    """A document issued to the applicant, as issued (the bytes fixed at its first print)."""
    found = access.get_document(request.account, pk)
    pdf, record = printing.printed(found, now=timezone.now())
    if found.kind == Document.Kind.COMMITMENT_SLIP:
        # The slip carries the access code: every copy is on record, the counter's and these.
        audit_documents.info(
            "commitment slip downloaded by the applicant document=%s number=%s application=%s "
            "sha256=%s mobile=%s address=%s",
            found.pk,
            found.number,
            found.application_id,
            record.sha256 if record else "-",
            signin.masked_mobile(request.account.mobile),
            track.client_address(request),
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.kind}-{found.pk}.pdf"'
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    if record is not None:
        response["X-Document-SHA256"] = record.sha256
    return response


@require_http_methods(["GET", "POST"])
@applicant_required
def companies(request: HttpRequest) -> HttpResponse:
    """The companies the person acts for, and binding one by its credit code."""
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_bind(
                account=request.account,
                credit_code=form.cleaned_data["credit_code"],
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error("credit_code", error)
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("You now act for %(company)s here.") % {"company": company.name},
            )
            return redirect("portal:companies")
    return _page(
        request,
        "portal/companies.html",
        {
            "form": form,
            "companies": list(access.companies_of(request.account)),
            "mobile": signin.masked_mobile(request.account.mobile),
        },
    )
