"""The staff roles, and the groups that carry their model permissions.

A role is a Django group whose name is the role's value. Each app says what its models allow each
role to do through `role_permissions` on its AppConfig, so this module needs to know nothing of the
apps built on it.
"""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Listed from the widest view to the narrowest: a person with several roles lands on the home
    # page of the first one they hold.
    ADMINISTRATOR = "administrator", _("Administrator")
    CENTER_MANAGER = "center_manager", _("Center manager")
    # Approves the extension of a joint handling by several departments (Art. 42 para 2).
    GOVERNMENT_HEAD = "government_head", _("Head of the government")
    DEPARTMENT_LEADER = "department_leader", _("Department leader")
    STATIONED_DEPUTY = "stationed_deputy", _("Stationed deputy head")
    WINDOW_HEAD = "window_head", _("Window head")
    WINDOW_OFFICER = "window_officer", _("Window officer")
    INTAKE_CLERK = "intake_clerk", _("Intake clerk")


# Roles that work at a department window.
WINDOW_ROLES = (Role.WINDOW_OFFICER, Role.WINDOW_HEAD, Role.STATIONED_DEPUTY)
# Roles that may hold signing authority (a deputy's posting, a window head's letter); whether
# they hold it for an item at a moment is windows.authority's answer.
SIGNING_ROLES = (Role.STATIONED_DEPUTY, Role.WINDOW_HEAD)


def require_role(user, *roles: Role) -> None:
    """Refuse (403) someone who holds none of `roles`: the check of every page kept to roles."""
    if not user.has_role(*roles):
        raise PermissionDenied


def ensure_role_groups() -> None:
    """Create one group per role and give it exactly the permissions the apps declare.

    1. Collect {role: {"app_label.codename", ...}} from every app config's `role_permissions`.
    2. Create missing groups and set each group's permissions to that set (idempotent).
    """
    from django.contrib.auth.models import Group, Permission

    wanted: dict[str, set[str]] = {role.value: set() for role in Role}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            wanted[role].update(perms)

    all_codes = set().union(*wanted.values())
    by_code = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={code.split(".", 1)[1] for code in all_codes}
        )
    }
    for role, codes in wanted.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([by_code[code] for code in codes if code in by_code])
