from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = _("Applications and reviews")

    role_permissions = {
        "administrator": {
            "applications.view_application",
            "applications.view_departmentreview",
            "applications.view_applicant",
            "applications.view_project",
            "applications.view_document",
            "applications.view_notification",
        },
        "center_manager": {
            "applications.view_application",
            "applications.view_departmentreview",
            "applications.view_applicant",
            "applications.view_project",
            "applications.view_document",
            "applications.view_notification",
        },
    }

    def seed_demo(self, *, today) -> list[str]:
        from .demo import seed_demo_applications

        return seed_demo_applications(today=today)
