"""Who may see and do what in conduct/ (docs/conduct.md, docs/access.md): written once.

- Center managers handle complaints, patrol the hall and decide appeals; administrators see
  everything and keep the rules (`/conduct/rules/`).
- The staff of a window (officers, its head, the stationed deputy head) see the complaints
  about their window and the deductions of their window, never the complainant's name, mobile
  or e-mail (`sees_contact`): the page leaves them out and says so.
- A department's leader sees the complaints and deductions of the department's windows, also
  without the complainant's contact details.
- The window's head contests a deduction of the window once (`may_appeal`); a manager decides.
- Nobody else sees anything: a 404, as if it did not exist.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from windows.models import Staff
from windows.roles import WINDOW_ROLES, Role

from .models import Appeal, Complaint, Deduction

CENTER_WIDE = (Role.CENTER_MANAGER, Role.ADMINISTRATOR)


def handles(user: Staff) -> bool:
    """Handles complaints, patrols the hall, records deductions, decides appeals."""
    return user.has_role(Role.CENTER_MANAGER)


def keeps_rules(user: Staff) -> bool:
    return user.has_role(Role.ADMINISTRATOR)


def sees_contact(user: Staff) -> bool:
    """The complainant's name, mobile and e-mail: the center's managers and administrators
    only, never the staff complained about."""
    return user.has_role(*CENTER_WIDE)


def _about(user: Staff, window_field: str, other: str) -> Q | None:
    if user.has_role(Role.DEPARTMENT_LEADER) and user.department_id:
        return Q(**{f"{window_field}__department_id": user.department_id}) | Q(
            **{f"{other}__department_id": user.department_id}
        )
    if user.has_role(*WINDOW_ROLES) and user.window_id:
        return Q(**{f"{window_field}_id": user.window_id}) | Q(**{f"{other}_id": user.window_id})
    return None


def complaints_for(user: Staff) -> QuerySet[Complaint]:
    complaints = Complaint.objects.all()
    if user.has_role(*CENTER_WIDE):
        return complaints
    about = _about(user, "window", "found_window")
    return complaints.filter(about) if about is not None else complaints.none()


def get_complaint(user: Staff, pk: int) -> Complaint:
    found = (
        complaints_for(user)
        .filter(pk=pk)
        .select_related("window", "assignee", "rule", "found_window", "found_staff", "application")
    )
    complaint = found.first()
    if complaint is None:
        raise Http404
    return complaint


def deductions_for(user: Staff) -> QuerySet[Deduction]:
    deductions = Deduction.objects.all()
    if user.has_role(*CENTER_WIDE):
        return deductions
    about = _about(user, "window", "window")
    if about is None:
        return deductions.filter(staff=user)
    return deductions.filter(about | Q(staff=user))


def get_deduction(user: Staff, pk: int) -> Deduction:
    deduction = (
        deductions_for(user)
        .select_related("rule", "window", "staff", "complaint", "patrol_entry__patrol")
        .filter(pk=pk)
        .first()
    )
    if deduction is None:
        raise Http404
    return deduction


def may_appeal(user: Staff, deduction: Deduction) -> bool:
    """The head of the window the points were taken from, once."""
    return (
        user.has_role(Role.WINDOW_HEAD)
        and user.window_id is not None
        and user.window_id == deduction.window_id
        and not Appeal.objects.filter(deduction=deduction).exists()
    )
