"""Appointments: booking from the public site (no sign-in, phone first), the booker's link to
view or cancel, checking in at the kiosk, and the staff's list of the day's appointments.
The rules are in appointments.py; these views only ask and show."""

from __future__ import annotations

import datetime as dt
import math

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.services import ACCESS_CODE_ALPHABET, TransitionError
from applications.track import client_address
from applications.validators import validate_mobile
from windows.roles import WINDOW_ROLES, Role, require_role

from . import appointment_sms, appointments
from .devices import device_required
from .models import Appointment, Business, Device

BOOKED_SESSION_KEY = "hall_appointment_booked"


class BookingForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    mobile = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=20,
        help_text=gettext_lazy("The confirmation and the reminder come by SMS to this number."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "tel", "placeholder": "13800000000"}
        ),
    )

    def clean_mobile(self) -> str:
        mobile = "".join(self.cleaned_data["mobile"].replace("-", " ").split())
        validate_mobile(mobile)
        return mobile


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Check-in code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "checkin-code",
            }
        ),
    )


def _public(request: HttpRequest, template: str, context: dict, status: int = 200):
    context = {"complaint_phone": settings.CENTER_COMPLAINT_PHONE, **context}
    response = render(request, template, context, status=status)
    response["X-Robots-Tag"] = "noindex"
    return response


def _business(letter: str) -> Business:
    return get_object_or_404(appointments.businesses_with_slots(), letter=letter[:1])


def _day(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _slot_time(value: str | None) -> dt.time | None:
    value = value or ""
    if len(value) != 4 or not value.isdigit():
        return None
    try:
        return dt.time(int(value[:2]), int(value[2:]))
    except ValueError:
        return None


# --- the public pages --------------------------------------------------------------------------


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """Step 1: the business."""
    return _public(
        request,
        "hall/appointments/start.html",
        {"businesses": appointments.businesses_with_slots()},
    )


@never_cache
@require_GET
def day_and_slot(request: HttpRequest, letter: str) -> HttpResponse:
    """Steps 2 and 3: the day, then the time (places left; full times shown as full)."""
    business = _business(letter)
    now = timezone.now()
    days = appointments.bookable_days(business, now)
    day = _day(request.GET.get("day"))
    if day not in days:
        day = days[0] if days else None
    slots = appointments.bookable_slots(business, day, now) if day else []
    return _public(
        request,
        "hall/appointments/slots.html",
        {"business": business, "days": days, "day": day, "slots": slots, "today": now.date()},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, letter: str) -> HttpResponse:
    """Step 4: name and mobile, then confirm. The attempt is counted per mobile and per client
    address before anything else (HTTP 429 past the limit)."""
    business = _business(letter)
    now = timezone.now()
    day = _day(request.GET.get("day"))
    starts = _slot_time(request.GET.get("slot"))
    slot = (
        next(
            (s for s in appointments.bookable_slots(business, day, now) if s.starts == starts), None
        )
        if day and starts
        else None
    )
    form = BookingForm(request.POST or None)
    context = {"business": business, "slot": slot, "form": form}
    if request.method == "POST":
        limited = _rate_limited(request, request.POST.get("mobile", ""))
        if limited:
            context["limited_minutes"] = math.ceil(limited / 60)
            response = _public(request, "hall/appointments/book.html", context, status=429)
            response["Retry-After"] = str(limited)
            return response
    if slot is None or slot.full:
        messages.error(request, _("This time can no longer be booked. Please choose another."))
        return redirect("hall:appointment_slots", business.letter)
    if request.method == "POST":
        if form.is_valid():
            try:
                appointment, key = appointments.appointment_book(
                    business=business,
                    day=slot.day,
                    starts=slot.starts,
                    name=form.cleaned_data["name"],
                    mobile=form.cleaned_data["mobile"],
                    now=now,
                    language=translation.get_language() or "",
                )
            except TransitionError as error:
                form.add_error(None, str(error))
            else:
                request.session[BOOKED_SESSION_KEY] = [appointment.pk, key]
                return redirect("hall:appointment_booked")
    return _public(request, "hall/appointments/book.html", context)


def _rate_limited(request: HttpRequest, mobile: str) -> int:
    """Seconds to wait when this attempt is one too many, else 0."""
    waits = []
    address = appointments.count_booking("address", client_address(request))
    if not address.allowed:
        waits.append(address.retry_after)
    mobile = "".join(mobile.split())[:20]
    if mobile:
        by_mobile = appointments.count_booking("mobile", mobile)
        if not by_mobile.allowed:
            waits.append(by_mobile.retry_after)
    return max(waits, default=0)


@never_cache
@require_GET
def booked(request: HttpRequest) -> HttpResponse:
    """Step 5: the check-in code and the details (this browser only, from its session)."""
    pk, key = request.session.get(BOOKED_SESSION_KEY) or (None, "")
    appointment = (
        Appointment.objects.select_related("business").filter(pk=pk).first() if pk else None
    )
    if appointment is None:
        return redirect("hall:appointments")
    return _public(
        request,
        "hall/appointments/booked.html",
        {"appointment": appointment, "manage_url": appointment_sms.manage_url(key), "key": key},
    )


@never_cache
@require_GET
def manage(request: HttpRequest, key: str) -> HttpResponse:
    """The SMS's link: the booking, and a button to cancel it while that is possible."""
    appointment = appointments.appointment_find(key)
    if appointment is None:
        return _public(request, "hall/appointments/manage.html", {"unknown": True}, status=404)
    return _public(
        request,
        "hall/appointments/manage.html",
        {
            "appointment": appointment,
            "key": key,
            "may_cancel": appointments.may_cancel(appointment, timezone.now()),
        },
    )


@require_POST
def cancel(request: HttpRequest, key: str) -> HttpResponse:
    appointment = appointments.appointment_find(key)
    if appointment is None:
        return _public(request, "hall/appointments/manage.html", {"unknown": True}, status=404)
    try:
        appointments.appointment_cancel(appointment=appointment, now=timezone.now())
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your appointment is cancelled; the place is free for others."))
    return redirect("hall:appointment_manage", key)


# --- the kiosk ----------------------------------------------------------------------------------


@device_required(Device.Kind.KIOSK)
@require_http_methods(["GET", "POST"])
def kiosk_check_in(request: HttpRequest) -> HttpResponse:
    """The visitor types the code from the SMS on the on-screen pad; a good code prints the
    ticket, anything else says why and changes nothing."""
    form = CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = appointments.appointment_check_in(
                code=form.cleaned_data["code"], device=request.device, now=timezone.now()
            )
        except TransitionError as error:
            form.add_error("code", str(error))
        else:
            return redirect("hall:ticket_print", appointment.ticket_id)
    return render(
        request,
        "hall/check_in.html",
        {"form": form, "keys": ACCESS_CODE_ALPHABET, "code_length": appointments.CODE_LENGTH},
    )


# --- the staff's list ---------------------------------------------------------------------------


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    """The day's appointments by business and slot, with their states and the no-shows."""
    user = request.user
    require_role(user, Role.ADMINISTRATOR, Role.CENTER_MANAGER, Role.INTAKE_CLERK, *WINDOW_ROLES)
    now = timezone.now()
    today_ = timezone.localdate(now)
    day = _day(request.GET.get("day")) or today_
    if abs((day - today_).days) > 366:  # a year back or ahead at most (and no date overflow)
        day = today_
    businesses = appointments.businesses_seen_by(user, day)
    listing = appointments.day_list(day, businesses)
    return render(
        request,
        "hall/appointments/today.html",
        {
            "listing": listing,
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "is_today": day == today_,
        },
    )
