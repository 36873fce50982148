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
            "applications.view_rating",
            "applications.view_followup",
            "applications.view_extensionrequest",
        },
        "center_manager": {
            "applications.view_application",
            "applications.view_departmentreview",
            "applications.view_applicant",
            "applications.view_project",
            "applications.view_document",
            "applications.view_notification",
            "applications.view_rating",
            "applications.view_followup",
            "applications.view_extensionrequest",
        },
    }

    def seed_demo(self, *, today) -> list[str]:
        from .demo import seed_demo_applications, seed_demo_ratings
        from .notifications import demo_past

        with demo_past():
            return [*seed_demo_applications(today=today), *seed_demo_ratings()]

    def calendar_changed(self, years, by, now) -> list:
        """The working-day calendar of `years` changed: open reviews' deadlines move with it."""
        from .services import deadlines_recompute

        return [deadlines_recompute(years=years, by=by, now=now)]

    # Hooks (approval_center/hooks.py): what this app adds to the pages of `windows`.

    def department_notices(self, department, user) -> list:
        from .views import pending_countersigns

        return pending_countersigns(department, user)
