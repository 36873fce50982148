"""The public complaint form (投诉): no login; phone first. Rate-limited per client address like
the status page (applications/track.py: its buckets and fixed windows), and enumeration-safe:
the answer is the same whether a receipt number given exists or not, and says nothing of it.
From the status page, the link carries the application the visitor looked up (the session's,
proved with the access code), never a number from the address."""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from applications import track
from applications.public_views import _tracked
from applications.services import TransitionError

from . import services
from .forms import ComplaintForm
from .models import Complaint

log = logging.getLogger(__name__)
# The complaint this browser filed last: the receipt page after the redirect shows it.
FILED = "complaint_filed"


def _allowed(request: HttpRequest) -> track.Allowance:
    address = track.client_address(request)
    window = track.fixed_window(
        "complaint", track.address_bucket(address), settings.COMPLAINT_RATE_WINDOW_SECONDS
    )
    try:
        count = track.window_hit(window)
    except Exception:
        log.exception("complaint form: the rate-limit cache is not answering; complaint allowed")
        return track.Allowance(True, window.retry_after)
    return track.Allowance(count <= settings.COMPLAINT_RATE_LIMIT, window.retry_after)


@never_cache
@require_http_methods(["GET", "POST"])
def complain(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.GET.get("filed"):
        filed = Complaint.objects.filter(pk=request.session.get(FILED)).first()
        if filed is not None:
            response = render(
                request,
                "conduct/complain_done.html",
                {"complaint": filed, "complaint_phone": settings.CENTER_COMPLAINT_PHONE},
            )
            response["X-Robots-Tag"] = "noindex"
            return response
    from_track = request.GET.get("from") == "track" or request.POST.get("from") == "track"
    application = _tracked(request) if from_track else None
    form = ComplaintForm(request.POST or None, with_receipt=application is None)
    context = {
        "form": form,
        "application": application,
        "from_track": from_track and application is not None,
        "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
        "days": settings.COMPLAINT_WORKING_DAYS,
    }
    if request.method == "POST":
        allowance = _allowed(request)
        if not allowance.allowed:
            context["limited_minutes"] = math.ceil(allowance.retry_after / 60)
            response = render(request, "conduct/complain.html", context, status=429)
            response["Retry-After"] = str(allowance.retry_after)
            return response
        if form.is_valid():
            data = form.cleaned_data
            try:
                complaint = services.complaint_file(
                    source=Complaint.Source.TRACK if application else Complaint.Source.WEB,
                    phone=data["phone"],
                    text=data["text"],
                    name=data["name"],
                    email=data["email"],
                    receipt_number=application.receipt_number
                    if application
                    else data.get("receipt_number", ""),
                    application=application,
                    window=data["window"],
                    language=translation.get_language() or settings.LANGUAGE_CODE,
                    now=timezone.now(),
                )
            except TransitionError as error:
                form.add_error(None, str(error))
            else:
                # The same answer whatever the receipt number: a redirect to the receipt page
                # (a reload files nothing twice), which shows the number and due date only.
                request.session[FILED] = complaint.pk
                return redirect(reverse("complaint:new") + "?filed=1")
    response = render(request, "conduct/complain.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
