from django.urls import path

from . import public_views

app_name = "complaint"
urlpatterns = [path("", public_views.complain, name="new")]
