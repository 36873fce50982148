from django.urls import path

from . import views

app_name = "windows"
urlpatterns = [
    path("window/", views.my_window, name="my_window"),
    path("windows/<str:number>/", views.window_detail, name="window"),
    path("windows/<str:number>/seal.png", views.seal_image, name="seal_image"),
    path("department/", views.my_department, name="my_department"),
    path("departments/<slug:code>/", views.department_detail, name="department"),
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/<str:code>/", views.item_detail, name="item"),
    path("calendar/", views.calendar, name="calendar"),
    path("administration/", views.admin_home, name="admin_home"),
]
