from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_SEE = {
    "hall.view_business",
    "hall.view_ticket",
    "hall.view_call",
    "hall.view_device",
    "hall.view_slotrule",
    "hall.view_appointment",
    "hall.view_servicerating",
}


class HallConfig(AppConfig):
    name = "hall"
    verbose_name = _("The hall")

    role_permissions = {
        "administrator": _SEE
        | {
            "hall.add_business",
            "hall.change_business",
            "hall.add_device",
            "hall.change_device",
            "hall.add_slotrule",
            "hall.change_slotrule",
            "hall.delete_slotrule",
        },
        "center_manager": _SEE,
    }

    # Hooks (approval_center/hooks.py): what the hall adds to the applications app's pages.
    def served_application(self, request, application, now) -> list:
        from .counter_link import link_served

        return link_served(request, application, now)

    def seed_demo(self, *, today) -> list[str]:
        from .demo import seed_demo_hall

        return seed_demo_hall(today=today)
