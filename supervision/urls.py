from django.urls import path

from . import assessment_views, views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.live_fragment, name="live"),
    path("notices/", views.notices, name="notices"),
]

# --- Efficiency assessment (效能考核): supervision/assessment.py, assessment_views.py ---------
urlpatterns += [
    path("assessment/", assessment_views.assessment, name="assessment"),
    path("assessment/export.csv", assessment_views.assessment_csv, name="assessment_csv"),
    path("assessment/print.pdf", assessment_views.assessment_pdf, name="assessment_pdf"),
    path(
        "assessment/<str:kind>/<str:key>/",
        assessment_views.assessment_unit,
        name="assessment_unit",
    ),
    path(
        "assessment/<str:kind>/<str:key>/<str:figure>/",
        assessment_views.assessment_unit,
        name="assessment_events",
    ),
]
