"""The administrators' pages of the hall's devices: the list, registering a device, its
one-time enrolment link (shown once, with a QR code), enrolling it again, taking it out of use
and back (docs/access.md). The steps are hall.devices' services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from windows.roles import Role, require_role

from .devices import ENROL_HOURS, device_reenrol, device_register, device_set_active
from .kiosk_forms import DeviceForm
from .kiosk_views import qr_code
from .models import Device

# The enrolment key waits in the session between the POST that made it and the one page that
# shows it: a reload of that page does not show it again, nor register a second device.
LINK_SESSION_KEY = "hall_device_link"


def _get_device(request: HttpRequest, pk: int) -> Device:
    require_role(request.user, Role.ADMINISTRATOR)
    return get_object_or_404(Device, pk=pk)


def _list_page(request: HttpRequest, form: DeviceForm) -> HttpResponse:
    devices = Device.objects.select_related("window", "registered_by").order_by("kind", "name")
    return render(
        request,
        "hall/devices.html",
        {"devices": devices, "form": form, "now": timezone.now(), "enrol_hours": ENROL_HOURS},
    )


def _show_link(request: HttpRequest, device: Device, key: str) -> HttpResponse:
    request.session[LINK_SESSION_KEY] = {"pk": device.pk, "key": key}
    return redirect("hall:device_link", device.pk)


@login_required
@require_GET
def devices(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    return _list_page(request, DeviceForm())


@login_required
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    form = DeviceForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form)
    device, key = device_register(
        name=form.cleaned_data["name"],
        kind=form.cleaned_data["kind"],
        window=form.cleaned_data["window"],
        by=request.user,
        now=timezone.now(),
    )
    return _show_link(request, device, key)


@login_required
@require_GET
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """The enrolment link of a device just registered or enrolled again, once."""
    device = _get_device(request, pk)
    held = request.session.get(LINK_SESSION_KEY) or {}
    link = None
    if held.get("pk") == device.pk:
        del request.session[LINK_SESSION_KEY]
        link = request.build_absolute_uri(reverse("hall:enrol", args=[held["key"]]))
    return render(
        request,
        "hall/device_link.html",
        {
            "device": device,
            "link": link,
            "qr": qr_code(link) if link else None,
            "enrol_hours": ENROL_HOURS,
        },
    )


@login_required
@require_POST
def reenrol(request: HttpRequest, pk: int) -> HttpResponse:
    device = _get_device(request, pk)
    if not device.is_active:
        messages.error(request, _("Put the device back in use before enrolling it again."))
        return redirect("hall:devices")
    key = device_reenrol(device=device, by=request.user, now=timezone.now())
    return _show_link(request, device, key)


@login_required
@require_POST
def retire(request: HttpRequest, pk: int) -> HttpResponse:
    device = _get_device(request, pk)
    device_set_active(device=device, active=False, by=request.user, now=timezone.now())
    messages.success(
        request, _("%(device)s is out of use: it is refused from now on.") % {"device": device}
    )
    return redirect("hall:devices")


@login_required
@require_POST
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    device = _get_device(request, pk)
    device_set_active(device=device, active=True, by=request.user, now=timezone.now())
    messages.success(request, _("%(device)s is in use again.") % {"device": device})
    return redirect("hall:devices")
