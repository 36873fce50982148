from django.urls import path

from . import views

app_name = "licences"
urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("verify/upload/", views.verify_upload, name="verify_upload"),
    path("verify/forget/", views.verify_forget, name="verify_forget"),
    path("licences/", views.licence_list, name="list"),
    path("licences/<int:pk>/", views.licence_detail, name="detail"),
    path("licences/<int:pk>/revoke/", views.licence_revoke, name="revoke"),
]
