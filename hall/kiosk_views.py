"""The kiosk, the ticket it prints, the visitor's follow page and the hall display."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .devices import device_required
from .models import Device, Ticket


@device_required(Device.Kind.KIOSK)
def ticket_print(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_object_or_404(Ticket, pk=pk, device=request.device)
    return render(request, "hall/ticket.html", {"ticket": ticket})
