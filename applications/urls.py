from django.urls import path

from . import public_views, views

app_name = "applications"
urlpatterns = [
    path("intake/", views.intake, name="intake"),
    path("intake/online/", views.online_queue, name="online_queue"),
    path("search/", views.search, name="search"),
    path("intake/applicants/new/", views.applicant_new, name="applicant_new"),
    path("intake/applicants/<int:pk>/", views.applicant_detail, name="applicant"),
    path("intake/applicants/<int:pk>/projects/new/", views.project_new, name="project_new"),
    path("intake/applicants/<int:pk>/apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    path("applications/<int:pk>/timeline/", views.application_timeline, name="timeline"),
    path("applications/<int:pk>/scans/", views.scan_upload, name="scan_upload"),
    path("scans/<int:pk>/", views.scan_download, name="scan"),
    path(
        "applications/<int:pk>/joint-extension/",
        views.joint_extension_request,
        name="joint_extension_request",
    ),
    path("applications/<int:pk>/invite/", views.application_invite, name="invite"),
    path(
        "applications/<int:pk>/prerequisite-override/",
        views.prerequisite_override,
        name="prerequisite_override",
    ),
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    path("applications/<int:pk>/<slug:action>/", views.application_action, name="act"),
    path("documents/<int:pk>.pdf", views.document_pdf, name="document"),
    path("reviews/", views.queue, name="queue"),
    path("reviews/countersign/", views.countersign_queue, name="countersign"),
    path("reviews/signature/", views.signature_queue, name="signature"),
    path("reviews/<int:pk>/", views.review_detail, name="review"),
    path("reviews/<int:pk>/receive/", views.review_receive, name="receive"),
    # The signer's desk (承办 → 签发); before the catch-all of the other review actions.
    path("reviews/<int:pk>/send/", views.review_send, name="review_send"),
    path("reviews/<int:pk>/sign/", views.review_sign, name="review_sign"),
    path("reviews/<int:pk>/send-back/", views.review_send_back, name="review_send_back"),
    path(
        "reviews/<int:pk>/extension/",
        views.review_extension_request,
        name="extension_request",
    ),
    path("reviews/<int:pk>/<slug:action>/", views.review_action, name="review_act"),
    path("extensions/", views.extensions, name="extensions"),
    path("extensions/<int:pk>/approve/", views.extension_approve, name="extension_approve"),
    path("extensions/<int:pk>/refuse/", views.extension_refuse, name="extension_refuse"),
    path("extensions/<int:pk>/withdraw/", views.extension_withdraw, name="extension_withdraw"),
    path("followups/", views.followups, name="followups"),
    path("followups/<int:pk>/", views.followup_detail, name="followup"),
    # The applicant's side: public, no login.
    path("track/", public_views.track_page, name="track"),
    path("track/rate/<str:key>/", public_views.track_rate, name="track_rate"),
    path("track/forget/", public_views.track_forget, name="track_forget"),
]
