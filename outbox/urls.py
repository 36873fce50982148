from django.urls import path

from . import receiver, views

app_name = "outbox"
urlpatterns = [
    path("", views.events, name="events"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("received/", views.received, name="received"),
    path("receiver/", receiver.receive, name="receiver"),
]
