"""Who may see and revoke licences: written once, used by the views and the service.

- see: the people who see every application (intake clerks, center managers, administrators)
  see every licence; a department's staff see the licences of their department's items;
  nobody else (a 404, as for applications);
- revoke: the leader of the department that issued it (the item's department) or a center
  manager (the center's supervision of every department). Checked again by the service on
  the locked row, so a page opened before a change of role revokes nothing.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from applications.access import sees_everything
from windows.models import Staff
from windows.roles import Role

from .models import Licence


def licences_for(user: Staff) -> QuerySet[Licence]:
    if sees_everything(user):
        return Licence.objects.all()
    if user.department_id is None:
        return Licence.objects.none()
    return Licence.objects.filter(item__department_id=user.department_id)


def may_see_licences(user: Staff) -> bool:
    return sees_everything(user) or user.department_id is not None


def get_licence(user: Staff, pk: int) -> Licence:
    return get_object_or_404(
        licences_for(user).select_related(
            "holder", "project", "item__department", "decision", "revoked_by", "superseded_by"
        ),
        pk=pk,
    )


def may_revoke(user: Staff, licence: Licence) -> bool:
    """The issuing department's leader, or a center manager."""
    if user.has_role(Role.CENTER_MANAGER):
        return True
    return (
        Role.DEPARTMENT_LEADER in user.roles
        and user.department_id is not None
        and user.department_id == licence.item.department_id
    )
