from django.urls import path

from . import action_views, assessment_views, statistics_views, views

app_name = "supervision"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("live/", views.live_fragment, name="live"),
    path("notices/", views.notices, name="notices"),
    path("departments/<slug:code>/", views.department_page, name="department"),
    path("windows/<str:number>/", views.window_page, name="window"),
    # Acting on lateness.
    path("reviews/<int:pk>/urge/", action_views.urge_new, name="urge_new"),
    path("urges/", action_views.urge_list, name="urges"),
    path("urges/<int:pk>/", action_views.urge_detail, name="urge"),
    path("urges/<int:pk>.pdf", action_views.urge_pdf, name="urge_pdf"),
    path("applications/<int:pk>/help/", action_views.help_new, name="help_new"),
    path("applications/<int:pk>/meetings/new/", action_views.meeting_new, name="meeting_new"),
    path(
        "projects/<int:pk>/meetings/new/",
        action_views.project_meeting_new,
        name="project_meeting_new",
    ),
    path("meetings/", action_views.meeting_list, name="meetings"),
    path("meetings/<int:pk>/", action_views.meeting_detail, name="meeting"),
    path(
        "meetings/<int:pk>/follow-ups/<int:follow_up>/done/",
        action_views.follow_up_done,
        name="follow_up_done",
    ),
]

# --- Efficiency assessment (效能考核): supervision/assessment.py, assessment_views.py ---------
urlpatterns += [
    path("assessment/", assessment_views.assessment, name="assessment"),
    path("assessment/export.csv", assessment_views.assessment_csv, name="assessment_csv"),
    path("assessment/print.pdf", assessment_views.assessment_pdf, name="assessment_pdf"),
    # Per person (before the units' patterns, which would take "people" for a kind of unit).
    path("assessment/people/", assessment_views.assessment_people, name="assessment_people"),
    path(
        "assessment/people/<int:pk>/",
        assessment_views.assessment_person,
        name="assessment_person",
    ),
    path(
        "assessment/people/<int:pk>/<str:figure>/",
        assessment_views.assessment_person,
        name="assessment_person_events",
    ),
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

# --- Statistics of cases (办件统计表): supervision/statistics.py, statistics_views.py ----------
urlpatterns += [
    path("statistics/", statistics_views.statistics, name="statistics"),
    path("statistics/export.xlsx", statistics_views.statistics_xlsx, name="statistics_xlsx"),
    path("statistics/print.pdf", statistics_views.statistics_pdf, name="statistics_pdf"),
]
