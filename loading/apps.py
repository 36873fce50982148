from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoadingConfig(AppConfig):
    name = "loading"
    verbose_name = _("Loading from spreadsheets")

    # Imports are an administrator's act (docs/access.md); the pages check the role, the admin
    # shows the records read-only to administrators.
    role_permissions = {"administrator": {"loading.view_importrecord"}}
