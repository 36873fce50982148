"""The hall's kiosk pages (included by hall/urls.py under the "hall" namespace): the devices'
administration, the kiosk, its ticket, the visitor's follow page and the hall display."""

from django.urls import path

from . import device_views, kiosk_views

urlpatterns: list = [
    path("devices/", device_views.devices, name="devices"),
    path("devices/register/", device_views.register, name="device_register"),
    path("devices/<int:pk>/link/", device_views.link, name="device_link"),
    path("devices/<int:pk>/reenrol/", device_views.reenrol, name="device_reenrol"),
    path("devices/<int:pk>/out-of-use/", device_views.retire, name="device_retire"),
    path("devices/<int:pk>/in-use/", device_views.restore, name="device_restore"),
    path("kiosk/", kiosk_views.kiosk, name="kiosk"),
    path("kiosk/ticket/<int:pk>/", kiosk_views.ticket_print, name="ticket_print"),
    path("t/<str:key>/", kiosk_views.follow_ticket, name="follow"),
    path("display/", kiosk_views.display, name="display"),
    path("display/state/", kiosk_views.display_state, name="display_state"),
]
