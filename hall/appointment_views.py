"""Appointments: booking from the public site, and checking in at the kiosk."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .devices import device_required
from .models import Device


@device_required(Device.Kind.KIOSK)
def kiosk_check_in(request: HttpRequest) -> HttpResponse:
    return render(request, "hall/check_in.html")
