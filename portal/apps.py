from urllib.parse import urlencode

from django.apps import AppConfig
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The applicant's own side (`/my/`): sign-in by SMS code, their applications, their
    documents, their rating. Builds on `applications/`; nothing below imports it."""

    name = "portal"
    verbose_name = _("The applicant's side")

    def seed_demo(self, *, today) -> list[str]:
        from .demo import seed_demo_portal

        return seed_demo_portal()

    def guide_item_actions(self, item, request) -> list[tuple[str, str]]:
        """File this item online (docs/filing.md): only an item the center handles."""
        if not item.handled_in_center:
            return []
        return [(_("File online"), f"{reverse('portal:file')}?{urlencode({'item': item.code})}")]

    def guide_package_actions(self, package, request) -> list[tuple[str, str]]:
        return [
            (_("File online"), f"{reverse('portal:file')}?{urlencode({'package': package.pk})}")
        ]
