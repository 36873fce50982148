"""The applicant's pages: no login, the receipt number and access code from the slip.

A lookup that matches remembers the application in the (anonymous) session and redirects to
the bare /track/, so the code leaves the address bar and the page can switch language. See
track.py for the rules. Rating is not done here: only through the one-time link sent at the
hand-over (`track_rate`, ratings.py).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import notifications, ratings, services, track
from .forms import RatingForm, TrackForm
from .models import Application

SESSION_KEY = "track_application"


def _tracked(request: HttpRequest) -> Application | None:
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    return (
        Application.objects.select_related("applicant", "project")
        .exclude(receipt_number=None)
        .filter(pk=pk)
        .first()
    )


def _page(
    request: HttpRequest,
    form: TrackForm,
    *,
    status: int = 200,
    **extra,
) -> HttpResponse:
    application = _tracked(request)
    today = timezone.localdate()
    context = {
        "form": form,
        "status": track.status_of(application, today) if application else None,
        "today": today,
        "track_page": notifications.track_page(),
        "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
        **extra,
    }
    response = render(request, "applications/track.html", context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def track_page(request: HttpRequest) -> HttpResponse:
    """The status page: a lookup (the form, or the slip's QR code with number and code in the
    address), then the application's progress."""
    data = request.POST if request.method == "POST" else request.GET
    if not ("number" in data and "code" in data):
        return _page(request, TrackForm(initial={"number": data.get("number", "")}))

    form = TrackForm(data)
    address = track.client_address(request)
    number = track.normalize_number(data.get("number", ""))
    allowance = track.count_attempt(address)
    if not allowance.allowed:
        track.log_attempt(address, number, "refused: too many attempts")
        response = _page(
            request,
            TrackForm(initial={"number": number}),
            status=429,
            limited_minutes=math.ceil(allowance.retry_after / 60),
        )
        response["Retry-After"] = str(allowance.retry_after)
        return response
    if not form.is_valid():
        track.log_attempt(address, number, "malformed")
        return _page(request, form)
    application = track.find(form.cleaned_data["number"], form.cleaned_data["code"])
    if application is None:
        track.log_attempt(address, number, "no match")
        # One answer for an unknown number and a wrong code.
        form.add_error(
            None,
            _(
                "No application matches this receipt number and access code. Check both "
                "against your slip."
            ),
        )
        return _page(request, form)
    track.log_attempt(address, number, "found")
    request.session.cycle_key()
    request.session[SESSION_KEY] = application.pk
    return redirect("applications:track")


@require_POST
def track_forget(request: HttpRequest) -> HttpResponse:
    """Leave the application on this device (a shared phone or a counter terminal)."""
    request.session.pop(SESSION_KEY, None)
    return redirect("applications:track")


@never_cache
@require_http_methods(["GET", "POST"])
def track_rate(request: HttpRequest, key: str) -> HttpResponse:
    """The rating form, reached only through the one-time link of the DELIVERED message (see
    ratings.py). A signed-in staff session is refused: a rating counts only when it comes from
    the applicant."""
    if request.user.is_authenticated:
        response = render(
            request,
            "applications/rate.html",
            {"refused": True, "complaint_phone": settings.CENTER_COMPLAINT_PHONE},
            status=403,
        )
        response["X-Robots-Tag"] = "noindex"
        return response
    token = ratings.rating_token_find(key)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and token is not None and form.is_valid():
        try:
            ratings.rating_submit(
                token=key,
                level=form.cleaned_data["level"],
                comment=form.cleaned_data["comment"],
                now=timezone.now(),
            )
        except services.TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Thank you for your rating."))
        return redirect("applications:track_rate", key)
    now = timezone.now()
    application = token.application if token else None
    rating = application.rating if application and hasattr(application, "rating") else None
    response = render(
        request,
        "applications/rate.html",
        {
            "token": token,
            "application": application,
            "rating": rating,
            "expired": token is not None and rating is None and token.expires_at <= now,
            "can_rate": token is not None
            and token.used_at is None
            and token.expires_at > now
            and application.state == Application.State.DELIVERED,
            "form": form,
            "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
            "track_page": notifications.track_page(),
        },
        status=200 if token else 404,
    )
    response["X-Robots-Tag"] = "noindex"
    return response
