"""The hall's kiosk pages (included by hall/urls.py under the "hall" namespace)."""

from django.urls import path

from . import kiosk_views

urlpatterns: list = [
    path("kiosk/ticket/<int:pk>/", kiosk_views.ticket_print, name="ticket_print"),
]
