from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from operations.views import backups_page, healthz

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("administration/backups/", backups_page, name="backups"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("windows.urls")),
    path("", include("applications.urls")),
    path("supervision/", include("supervision.urls")),
    path("audit/", include("audit.urls")),
    path("second-factor/", include("twofactor.urls")),
    path("administration/loading/", include("loading.urls")),
    path("hall/", include("hall.urls")),
    path("my/", include("portal.urls")),
    path("guide/", include("windows.urls_guide")),
    path("", include("licences.urls")),
    path("conduct/", include("conduct.urls")),
    path("complaint/", include("conduct.urls_public")),
    path("api/v1/", include("api.urls")),
    path("administration/api-clients/", include("api.urls_admin")),
    path("outbox/", include("outbox.urls")),
]
