from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """Who did what: sign-in records, idle sessions, append-only history and the audit page.

    It reads the history of every app and is read by none but `twofactor`, the sign-in's second
    step, which logs to the same sign-in log and knows a page refreshing itself the same way.
    """

    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from . import logins  # noqa: F401  (connects the sign-in receivers)

        post_migrate.connect(_append_only, dispatch_uid="audit.append_only")


def _append_only(using: str = "default", app_config=None, **kwargs) -> None:
    # History tables of models added after the audit migration get their trigger here too; once
    # every app has migrated.
    from django.db import connections

    from approval_center.hooks import last_app_migrated

    from .append_only import install

    if app_config is not None and not last_app_migrated(app_config):
        return

    install(connections[using])
