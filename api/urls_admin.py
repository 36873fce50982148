from django.urls import path

from . import views_admin

app_name = "api_clients"
urlpatterns = [
    path("", views_admin.clients, name="clients"),
    path("register/", views_admin.register, name="register"),
    path("calls/", views_admin.calls, name="calls"),
    path("<int:pk>/rotate/", views_admin.rotate, name="rotate"),
    path("<int:pk>/revoke/", views_admin.revoke, name="revoke"),
]
