from django.urls import path

from . import guide_views

app_name = "guide"
urlpatterns = [
    path("", guide_views.index, name="index"),
    path("items/<str:code>/", guide_views.item_detail, name="item"),
    path("packages/<int:pk>/", guide_views.package_detail, name="package"),
    path("materials/<int:pk>/<str:kind>/", guide_views.material_file, name="material_file"),
]
