from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The applicant's own side (`/my/`): sign-in by SMS code, their applications, their
    documents, their rating. Builds on `applications/`; nothing below imports it."""

    name = "portal"
    verbose_name = _("The applicant's side")

    def seed_demo(self, *, today) -> list[str]:
        from .demo import seed_demo_portal

        return seed_demo_portal()
