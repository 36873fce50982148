from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.applications, name="applications"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("sign-in/code/", views.code, name="code"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("applications/<int:pk>/", views.application, name="application"),
    path("applications/<int:pk>/rate/", views.rate, name="rate"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("companies/", views.companies, name="companies"),
]
