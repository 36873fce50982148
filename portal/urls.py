from django.urls import path

from . import filing_views, views

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
    # Online filing (docs/filing.md).
    path("file/", filing_views.file_start, name="file"),
    path("file/person/", filing_views.person_new, name="person_new"),
    path("file/project/", filing_views.project_new, name="project_new"),
    path("file/<int:pk>/", filing_views.filing, name="filing"),
    path("file/<int:pk>/upload/", filing_views.filing_upload, name="filing_upload"),
    path("file/<int:pk>/submit/", filing_views.filing_submit, name="filing_submit"),
    path("file/<int:pk>/delete/", filing_views.filing_delete, name="filing_delete"),
    path("file/<int:pk>/files/<int:file_pk>/", filing_views.filing_file, name="filing_file"),
    path(
        "file/<int:pk>/files/<int:file_pk>/remove/",
        filing_views.filing_file_remove,
        name="filing_file_remove",
    ),
    path(
        "applications/<int:pk>/supplements/",
        filing_views.supplement_upload,
        name="supplement_upload",
    ),
    path(
        "applications/<int:pk>/supplements/send/",
        filing_views.supplements_send,
        name="supplements_send",
    ),
    path("scans/<int:pk>/", filing_views.scan, name="scan"),
]
