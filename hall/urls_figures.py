"""The hall's figures and replay (included by hall/urls.py under the "hall" namespace)."""

from django.urls import path

from . import figures_views

urlpatterns: list = [
    path("figures/", figures_views.figures, name="figures"),
    path("replay/", figures_views.replay, name="replay"),
]
