from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running the center in production: the health report, beat's heartbeat, structured logs,
    backups. Knows nothing of the business apps but the roles (for the backups page) and is read
    by none of them."""

    name = "operations"
    verbose_name = _("Operations")
