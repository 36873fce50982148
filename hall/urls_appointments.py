"""The hall's appointment pages (included by hall/urls.py under the "hall" namespace)."""

from django.urls import path

from . import appointment_views as views

urlpatterns: list = [
    path("appointments/", views.start, name="appointments"),
    path("appointments/today/", views.today, name="appointments_today"),
    path("appointments/booked/", views.booked, name="appointment_booked"),
    path("appointments/a/<str:key>/", views.manage, name="appointment_manage"),
    path("appointments/a/<str:key>/cancel/", views.cancel, name="appointment_cancel"),
    path("appointments/<str:letter>/", views.day_and_slot, name="appointment_slots"),
    path("appointments/<str:letter>/book/", views.book, name="appointment_book"),
    path("kiosk/appointment/", views.kiosk_check_in, name="kiosk_check_in"),
]
