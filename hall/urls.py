"""The hall: each part keeps its own list of addresses; they share the "hall" namespace."""

from django.urls import path

from . import urls_appointments, urls_figures, urls_kiosk, urls_window, views

app_name = "hall"

urlpatterns = [
    path("device/<str:key>/", views.enrol, name="enrol"),
    *urls_kiosk.urlpatterns,
    *urls_window.urlpatterns,
    *urls_appointments.urlpatterns,
    *urls_figures.urlpatterns,
]
