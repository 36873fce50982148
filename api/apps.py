from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The integration API (/api/v1/, docs/api.md): reads the other apps, read by none."""

    name = "api"
    verbose_name = _("Integration API")
