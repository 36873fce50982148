"""Enrolling a hall device: the administrator's one-time link, opened on the device."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from .devices import device_enrol, public_page, set_device_cookie
from .models import Device

# Where an enrolled device goes: its own page.
DEVICE_HOME = {
    Device.Kind.KIOSK: "hall:kiosk",
    Device.Kind.DISPLAY: "hall:display",
    Device.Kind.PAD: "hall:pad",
}


@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest, key: str) -> HttpResponse:
    """GET shows what is about to be enrolled and a button; POST uses the link up (a link
    fetched by a preview or a scanner is not spent)."""
    if request.method == "GET":
        return render(request, "hall/enrol.html", {"key": key, **public_page()})
    enrolled = device_enrol(key, timezone.now())
    if enrolled is None:
        return render(
            request, "hall/enrol.html", {"key": key, "refused": True, **public_page()}, status=404
        )
    device, device_key = enrolled
    response = redirect(DEVICE_HOME[device.kind])
    set_device_cookie(response, device_key)
    return response
