from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _

VIEW = (
    "view_department",
    "view_window",
    "view_item",
    "view_material",
    "view_itemmaterial",
    "view_package",
)
ORGANISATION = (
    "department",
    "window",
    "staff",
    "post",
    "absence",
    "item",
    "material",
    "itemmaterial",
    "package",
    "stationeddeputy",
    "authorizationletter",
    "seal",
    "calendaryear",
    "calendarday",
    "centerinfo",
)


def _all(model_names: tuple[str, ...]) -> set[str]:
    return {
        f"windows.{verb}_{name}"
        for name in model_names
        for verb in ("add", "change", "delete", "view")
    }


class WindowsConfig(AppConfig):
    name = "windows"
    verbose_name = _("Organisation and catalog")

    # What each role may do with this app's models (see windows.roles.ensure_role_groups).
    role_permissions = {
        "administrator": _all(ORGANISATION),
        "center_manager": {f"windows.{v}" for v in VIEW}
        | {
            "windows.view_staff",
            "windows.view_post",
            "windows.view_absence",
            "windows.view_stationeddeputy",
            "windows.view_authorizationletter",
            "windows.view_seal",
            "windows.view_calendarday",
            "windows.view_calendaryear",
        },
        "department_leader": {f"windows.{v}" for v in VIEW} | {"windows.view_authorizationletter"},
        "stationed_deputy": {f"windows.{v}" for v in VIEW} | {"windows.add_absence"},
        "window_head": {f"windows.{v}" for v in VIEW} | {"windows.add_absence"},
        "window_officer": {f"windows.{v}" for v in VIEW},
        "intake_clerk": {f"windows.{v}" for v in VIEW},
    }

    def seed_demo(self, *, today) -> list[str]:
        from .demo import build_demo_center

        return build_demo_center(today=today).lines

    def ready(self) -> None:
        post_migrate.connect(_ensure_groups, dispatch_uid="windows.ensure_role_groups")
        # Whatever changes the calendar's rows, every process reads the calendar again.
        for model in ("CalendarDay", "CalendarYear"):
            for signal in (post_save, post_delete):
                signal.connect(
                    _calendar_changed,
                    sender=f"windows.{model}",
                    dispatch_uid=f"windows.calendar_changed.{signal is post_save}.{model}",
                )
        post_migrate.connect(_calendar_migrated, dispatch_uid="windows.calendar_migrated")


def _calendar_changed(**kwargs) -> None:
    from .workdays import WorkCalendar

    WorkCalendar.changed()


def _calendar_migrated(app_config=None, **kwargs) -> None:
    # Once per migrate or flush, not once per app: each time is a write to the cache.
    from approval_center.hooks import last_app_migrated

    if app_config is None or last_app_migrated(app_config):
        _calendar_changed()


def _ensure_groups(app_config=None, **kwargs) -> None:
    # Once every app has migrated: each app's permissions exist by then (its own post_migrate
    # made them).
    from approval_center.hooks import last_app_migrated

    from .roles import ensure_role_groups

    if app_config is not None and not last_app_migrated(app_config):
        return

    ensure_role_groups()
