"""The hall's appointment pages (included by hall/urls.py under the "hall" namespace)."""

from django.urls import path

from . import appointment_views

urlpatterns: list = [
    path("kiosk/appointment/", appointment_views.kiosk_check_in, name="kiosk_check_in"),
]
