"""The rating pad (评价器): the tablet facing the visitor at a window. Idle it greets; while a
ticket is served at its window it shows who serves (name, title, staff number) and the number;
when the service has ended it asks the visitor to rate it. The page asks `pad_state` every two
seconds what to show (an ETag of the state: unchanged, a 304 with no body)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from applications.services import TransitionError

from . import services
from .devices import device_required
from .models import Device, Ticket

# The five levels as the visitor reads them (the national 好差评 wording).
LEVELS = [
    (5, gettext_lazy("Very satisfied")),
    (4, gettext_lazy("Satisfied")),
    (3, gettext_lazy("Fairly satisfied")),
    (2, gettext_lazy("Dissatisfied")),
    (1, gettext_lazy("Very dissatisfied")),
]
# How long the thanks stay before the pad greets the next visitor (milliseconds).
THANKS_MS = 5000
POLL_MS = 2000


class RateForm(forms.Form):
    ticket = forms.IntegerField(min_value=1)
    level = forms.TypedChoiceField(choices=[(n, n) for n, _label in LEVELS], coerce=int)


def _state(device: Device) -> tuple[str, Ticket | None]:
    """What the pad shows now, and its key (the ETag): idle, serving-<id> or rate-<id>."""
    ticket = services.pad_ticket(device, timezone.now())
    if ticket is None:
        return "idle", None
    if ticket.status == Ticket.Status.SERVING:
        return f"serving-{ticket.pk}", ticket
    return f"rate-{ticket.pk}", ticket


def _context(request: HttpRequest, key: str, ticket: Ticket | None) -> dict:
    return {
        "device": request.device,
        "window": request.device.window,
        "state": key.split("-")[0],
        "state_key": key,
        "ticket": ticket,
        "levels": LEVELS,
    }


@never_cache
@require_GET
@device_required(Device.Kind.PAD)
def pad(request: HttpRequest) -> HttpResponse:
    key, ticket = _state(request.device)
    return render(
        request,
        "hall/pad.html",
        {**_context(request, key, ticket), "poll_ms": POLL_MS, "thanks_ms": THANKS_MS},
    )


@never_cache
@require_GET
@device_required(Device.Kind.PAD)
def pad_state(request: HttpRequest) -> HttpResponse:
    """The pad's screen as an HTML fragment; 304 when it has not changed since the last ask."""
    key, ticket = _state(request.device)
    etag = f'"{key}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        html = render_to_string("hall/_pad_screen.html", _context(request, key, ticket), request)
        response = HttpResponse(html)
    response["ETag"] = etag
    return response


@never_cache
@require_POST
@device_required(Device.Kind.PAD)
def pad_rate(request: HttpRequest) -> HttpResponse:
    """The visitor's rating. Only the visitor rates: a browser signed in as staff is refused,
    and only the ticket this pad shows for rating now may be rated (the service refuses
    another window's ticket, a second rating and a late one)."""
    if request.user.is_authenticated:
        return render(
            request, "hall/pad_refused.html", {"window": request.device.window}, status=403
        )
    form = RateForm(request.POST)
    key, shown = _state(request.device)
    if not form.is_valid() or shown is None or key != f"rate-{form.cleaned_data['ticket']}":
        messages.error(request, _("This service cannot be rated on this pad now."))
        return redirect("hall:pad")
    try:
        services.rate(
            ticket=shown,
            device=request.device,
            level=form.cleaned_data["level"],
            now=timezone.now(),
        )
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("hall:pad")
