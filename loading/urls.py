from django.urls import path

from . import views

app_name = "loading"
urlpatterns = [
    path("", views.imports, name="imports"),
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/", views.import_detail, name="import"),
    path("<int:pk>/commit/", views.commit, name="commit"),
    path("<int:pk>/file/", views.kept_file, name="file"),
    path("templates/<slug:kind>.xlsx", views.template, name="template"),
    path("export/<slug:kind>/", views.export, name="export"),
]
