from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("applications/", views.ApplicationList.as_view(), name="applications"),
    path("reviews/", views.ReviewList.as_view(), name="reviews"),
    path("decisions/", views.DecisionList.as_view(), name="decisions"),
    path("licences/", views.LicenceList.as_view(), name="licences"),
    path("ratings/", views.RatingCreate.as_view(), name="ratings"),
    path("ratings/<str:rating_id>/", views.RatingDetail.as_view(), name="rating"),
    path("schema/", views.Schema.as_view(), name="schema"),
    path("docs/", views.Docs.as_view(url_name="api:schema"), name="docs"),
]
