from django.urls import path

from . import views

app_name = "conduct"
urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("deductions/", views.deductions, name="deductions"),
    path("deductions/<int:pk>/", views.deduction_detail, name="deduction"),
    path("patrols/", views.patrols, name="patrols"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol"),
    path("patrols/<int:pk>.pdf", views.patrol_pdf, name="patrol_pdf"),
    path("patrols/photos/<int:pk>/", views.patrol_photo, name="patrol_photo"),
]
