from django.urls import path

from . import views

app_name = "twofactor"
urlpatterns = [
    path("", views.device, name="device"),
    path("enrol/", views.enrol, name="enrol"),
    path("verify/", views.verify, name="verify"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/reset/", views.reset, name="reset"),
]
