from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.live_fragment, name="live"),
    path("notices/", views.notices, name="notices"),
]
