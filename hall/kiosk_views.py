"""The kiosk, the ticket it prints, the visitor's follow page and the hall display."""

from __future__ import annotations

import math

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from applications.services import TransitionError
from applications.track import client_address

from . import display as hall_display
from . import follow, services, voice
from .devices import device_required, public_page
from .kiosk_forms import TicketForm
from .models import Business, Device, Ticket


def qr_code(url: str) -> str:
    """A QR code of `url` as an SVG data URI (allowed by the CSP's img-src)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _groups(businesses) -> list[tuple[str, list[Business]]]:
    """The kiosk's sections: intake, pick-up, then each department's services, in the order
    the businesses are offered."""
    groups: dict[object, tuple[str, list[Business]]] = {}
    for business in businesses:
        if business.kind == Business.Kind.DEPARTMENT:
            key, title = business.department_id, business.department.name
        else:
            key, title = business.kind, business.get_kind_display()
        groups.setdefault(key, (title, []))[1].append(business)
    order = {Business.Kind.INTAKE: 0, Business.Kind.PICKUP: 1}
    return sorted(groups.values(), key=lambda g: order.get(g[1][0].kind, 2))


@never_cache
@require_http_methods(["GET", "POST"])
@device_required(Device.Kind.KIOSK)
def kiosk(request: HttpRequest) -> HttpResponse:
    """The touch screen: a button per business; one touch takes a number."""
    form = TicketForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                ticket = services.ticket_take(
                    business=form.cleaned_data["business"],
                    now=timezone.now(),
                    device=request.device,
                    **form.ticket_fields(),
                )
            except TransitionError as error:
                messages.error(request, str(error))
            else:
                return redirect("hall:ticket_print", ticket.pk)
    businesses = Business.objects.offered().select_related("department")
    return render(
        request,
        "hall/kiosk.html",
        {"form": form, "groups": _groups(businesses)},
    )


@never_cache
@device_required(Device.Kind.KIOSK)
def ticket_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket on the kiosk's 80 mm printer; only the kiosk that gave it opens it."""
    ticket = get_object_or_404(
        Ticket.objects.select_related("business"), pk=pk, device=request.device
    )
    follow_url = request.build_absolute_uri(reverse("hall:follow", args=[ticket.follow_key]))
    return render(
        request,
        "hall/ticket.html",
        {
            "ticket": ticket,
            "ahead": services.people_ahead(ticket),
            "wait": services.estimated_wait_minutes(ticket),
            "follow_url": follow_url,
            "qr": qr_code(follow_url),
            "return_seconds": settings.HALL_TICKET_RETURN_SECONDS,
        },
    )


@never_cache
@require_GET
def follow_ticket(request: HttpRequest, key: str) -> HttpResponse:
    """The visitor's phone, from the ticket's QR code: where their number stands. No sign-in;
    unknown keys are counted per address (hall/follow.py)."""
    address = client_address(request)
    retry_after = follow.refused(address)
    if retry_after:
        response = render(
            request,
            "hall/follow_missing.html",
            {"limited_minutes": math.ceil(retry_after / 60), **public_page()},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response
    ticket = Ticket.objects.select_related("business", "window").filter(follow_key=key[:64]).first()
    if ticket is None:
        follow.count_miss(address)
        return render(request, "hall/follow_missing.html", public_page(), status=404)
    waiting = ticket.status == Ticket.Status.WAITING
    return render(
        request,
        "hall/follow.html",
        {
            "ticket": ticket,
            "ahead": services.people_ahead(ticket) if waiting else 0,
            "wait": services.estimated_wait_minutes(ticket) if waiting else 0,
            "today": timezone.localdate(),
            "now": timezone.now(),
            **public_page(),
        },
    )


@never_cache
@device_required(Device.Kind.DISPLAY)
def display(request: HttpRequest) -> HttpResponse:
    """The hall's TV: the latest call large, the recent calls, the waiting per business. Its
    script polls `display_state` and announces each new call."""
    now = timezone.now()
    state = hall_display.state(now)
    calls = state["calls"]
    return render(
        request,
        "hall/display.html",
        {
            "state": state,
            "latest": calls[0] if calls else None,
            "recent": calls[1 : hall_display.RECENT_CALLS + 1],
            "etag": hall_display.fingerprint(now),
            "hall_voice": voice.page_data(),
        },
    )


@require_GET
@device_required(Device.Kind.DISPLAY)
def display_state(request: HttpRequest) -> HttpResponse:
    """The display's poll: 304 while nothing changed (one query), else the state as JSON."""
    now = timezone.now()
    etag = hall_display.fingerprint(now)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = JsonResponse(hall_display.state(now))
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"
    return response
