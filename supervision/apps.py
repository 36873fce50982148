from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    role_permissions = {
        "administrator": {"supervision.view_card"},
        "center_manager": {"supervision.view_card"},
    }
