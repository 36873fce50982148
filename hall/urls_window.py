"""The hall's window pages (included by hall/urls.py under the "hall" namespace): the window's
panel (one view per step) and the rating pad facing the visitor."""

from django.urls import path

from . import pad_views, window_views

urlpatterns: list = [
    path("window/", window_views.panel, name="panel"),
    path("window/call/", window_views.call_next, name="panel_call_next"),
    path("window/<int:pk>/again/", window_views.call_again, name="panel_call_again"),
    path("window/<int:pk>/start/", window_views.start_service, name="panel_start"),
    path("window/<int:pk>/no-show/", window_views.no_show, name="panel_no_show"),
    path("window/<int:pk>/transfer/", window_views.transfer, name="panel_transfer"),
    path("window/<int:pk>/finish/", window_views.finish_service, name="panel_finish"),
    path("window/<int:pk>/intake/", window_views.start_intake, name="panel_intake"),
    path("pad/", pad_views.pad, name="pad"),
    path("pad/state/", pad_views.pad_state, name="pad_state"),
    path("pad/rate/", pad_views.pad_rate, name="pad_rate"),
]
