from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConductConfig(AppConfig):
    name = "conduct"
    verbose_name = _("Conduct and complaints")

    role_permissions = {
        "administrator": {
            "conduct.view_rule",
            "conduct.view_complaint",
            "conduct.view_deduction",
            "conduct.view_appeal",
            "conduct.view_patrol",
            "conduct.view_complaintmessage",
        },
        "center_manager": {
            "conduct.view_complaint",
            "conduct.view_deduction",
            "conduct.view_appeal",
            "conduct.view_patrol",
        },
    }

    def seed_demo(self, *, today) -> list[str]:
        from .demo import seed_demo_conduct

        return seed_demo_conduct(today=today)

    # Hooks (approval_center/hooks.py).

    def assessment_deductions(self, start, end) -> list:
        """The standing deductions of the days start..end, per window and person:
        (window id, staff id or None, points, count) (supervision/assessment.py)."""
        from .deductions import totals

        return totals(start, end)

    def dashboard_panels(self, user, today) -> list:
        """Today's patrol on the supervision dashboard."""
        from .views import patrol_panel

        return patrol_panel(user, today)
