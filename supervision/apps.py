from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("Supervision")

    role_permissions = {
        "administrator": {
            "supervision.view_card",
            # The efficiency assessment's weights and grade marks (supervision/assessment.py).
            "supervision.view_assessmentweights",
            "supervision.change_assessmentweights",
        },
        "center_manager": {"supervision.view_card"},
    }

    def seed_demo(self, *, today) -> list[str]:
        from .assessment_demo import seed_assessment_demo

        return seed_assessment_demo(today=today)
