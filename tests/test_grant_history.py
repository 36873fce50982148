"""Grants leave history (DESIGN.md sections 3 and 11): roles and permissions given or taken away
on a person, signing authority granted and withdrawn, the items of an application; each change a
history row with who and when, and "who made this person an administrator, and when" is one
search of the audit trail."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from applications import services
from applications.models import Application
from windows import authority
from windows.models import ItemUserObjectPermission, Staff
from windows.roles import Role

from .conftest import NOW, aware

AT = aware(2026, 9, 28, 15)


def staff_form(client, staff: Staff) -> dict:
    """The admin's change form of `staff` as it stands, as the browser would post it back."""
    form = (
        client.get(reverse("admin:windows_staff_change", args=[staff.pk])).context["adminform"].form
    )
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "date_joined":
            local = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
            data["date_joined_0"], data["date_joined_1"] = str(local.date()), str(local.time())
        elif name in ("groups", "user_permissions"):
            data[name] = [getattr(v, "pk", v) for v in value or []]
        elif name in ("password", "last_login"):
            continue
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    return data


def change_staff(client, staff: Staff, **changes):
    data = staff_form(client, staff) | changes
    return client.post(reverse("admin:windows_staff_change", args=[staff.pk]), data)


def trail(client, **params):
    return client.get(reverse("audit:trail"), params, HTTP_ACCEPT_LANGUAGE="en")


def rows_of(response) -> str:
    page = response.content.decode()
    return page[page.index('data-testid="audit"') : page.index("</table>")]


def test_making_someone_an_administrator_in_the_admin_is_one_search_away(client, center):
    administrators = Group.objects.get(name=Role.ADMINISTRATOR)
    client.force_login(center.admin)
    groups = [administrators.pk, *center.bob.groups.values_list("pk", flat=True)]
    with time_machine.travel(AT, tick=False):
        response = change_staff(client, center.bob, groups=groups)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert center.bob.groups.filter(pk=administrators.pk).exists()
    record = Staff.history.filter(id=center.bob.pk).latest("history_id")
    assert record.history_user == center.admin
    assert record.history_date == AT
    assert administrators.pk in record.groups.values_list("group_id", flat=True)
    # One search by the person's name: the change, who made it, and what it was.
    client.force_login(center.admin)  # (the idle limit ended the session of the trip in time)
    rows = rows_of(trail(client, person="bob"))
    assert "Root" in rows and "28 Sep 2026 15:00" in rows
    # What was given, not the whole list of what the person now holds.
    assert "Groups: <del>—</del> → <ins>Administrator</ins>" in rows
    # Searching by someone else finds none of it.
    assert "Administrator" not in rows_of(trail(client, person="alice"))


def test_user_permissions_given_and_taken_in_the_admin_leave_history(client, center):
    permission = Permission.objects.get(codename="change_item")
    mark = Staff.history.latest("history_id").history_id
    client.force_login(center.admin)
    assert change_staff(client, center.alice, user_permissions=[permission.pk]).status_code == 302
    assert change_staff(client, center.alice, user_permissions=[]).status_code == 302
    assert not center.alice.user_permissions.exists()
    records = list(Staff.history.filter(id=center.alice.pk).order_by("history_id"))
    held = [set(r.user_permissions.values_list("permission_id", flat=True)) for r in records]
    assert {permission.pk} in held and held[-1] == set()
    changed = [r for r in records if r.history_id > mark]
    assert changed and {r.history_user for r in changed} == {center.admin}
    rows = rows_of(trail(client, person="alice"))
    assert "User permissions:" in rows and "Can change catalog item</ins>" in rows
    assert "Can change catalog item</del>" in rows


def test_someone_not_allowed_in_the_admin_cannot_grant_a_role_and_leaves_no_history(client, center):
    before = Staff.history.filter(id=center.alice.pk).count()
    client.force_login(center.admin)
    data = staff_form(client, center.alice)
    administrators = Group.objects.get(name=Role.ADMINISTRATOR)
    data["groups"] = [administrators.pk]
    client.force_login(center.erin)  # a center manager: staff of the admin, not of accounts
    response = client.post(reverse("admin:windows_staff_change", args=[center.alice.pk]), data)
    assert response.status_code in (302, 403)
    assert not center.alice.groups.filter(pk=administrators.pk).exists()
    assert Staff.history.filter(id=center.alice.pk).count() == before


def grants_of(staff: Staff):
    return ItemUserObjectPermission.history.filter(user_id=staff.pk).order_by("history_id")


def test_signing_authority_granted_and_withdrawn_leaves_history(client, center):
    # The nightly sync grants what the letter carries: rows with no author (the system).
    authority.sync_signing_authority(at=NOW)
    granted = list(grants_of(center.bob))
    assert {r.content_object_id for r in granted} == {center.permit.pk, center.design_review.pk}
    assert {(r.history_type, r.history_user, r.history_date) for r in granted} == {("+", None, NOW)}
    # Revoking the letter withdraws them at once, in the revoker's name.
    authority.letter_revoke(letter=center.letter, by=center.admin, reason="调岗", at=AT)
    withdrawn = list(grants_of(center.bob).filter(history_type="-"))
    assert len(withdrawn) == 2
    assert {(r.history_user, r.history_date) for r in withdrawn} == {(center.admin, AT)}
    assert not ItemUserObjectPermission.objects.filter(user=center.bob).exists()
    # A sync with nothing to change writes nothing.
    count = ItemUserObjectPermission.history.count()
    authority.sync_signing_authority(at=AT)
    assert ItemUserObjectPermission.history.count() == count
    client.force_login(center.admin)
    rows = rows_of(trail(client, person="bob", model="windows.itemuserobjectpermission"))
    assert rows.count("<tr>") == 5  # the head, two grants and two withdrawals
    assert "Root" in rows and "the system" in rows


def test_the_items_of_an_application_changed_leave_history_with_who(client, draft, center):
    before = set(draft.items.values_list("pk", flat=True))
    with time_machine.travel(AT, tick=False):
        services.application_set_items(
            application=draft, items=[center.planning_item], by=center.dave
        )
    records = Application.history.filter(id=draft.pk, history_date=AT)
    assert records.exists()
    assert {r.history_user for r in records} == {center.dave}
    latest = Application.history.filter(id=draft.pk).latest("history_id")
    assert set(latest.items.values_list("item_id", flat=True)) == {center.planning_item.pk}
    assert before != {center.planning_item.pk}
    client.force_login(center.admin)
    rows = rows_of(trail(client, model="applications.application", object_id=draft.pk))
    assert "Items applied for:" in rows and center.planning_item.name in rows
    assert "Dave" in rows


@pytest.mark.parametrize("person", ["", "nobody-at-all"])
def test_a_search_about_nobody_answers(client, center, person):
    client.force_login(center.admin)
    response = trail(client, person=person, model="windows.department")
    assert response.status_code == 200


def test_who_gave_a_role_group_a_permission_and_when_is_one_search_away(client, center):
    """A role's own permissions (Group.permissions) given and taken away in the admin: history
    rows with who and when, and the audit trail of the group names the permission."""
    managers = Group.objects.get(name=Role.CENTER_MANAGER)
    permission = Permission.objects.get(codename="change_item")
    held = list(managers.permissions.values_list("pk", flat=True))
    assert permission.pk not in held and len(held) > 10
    url = reverse("admin:auth_group_change", args=[managers.pk])
    client.force_login(center.admin)
    with time_machine.travel(AT, tick=False):
        response = client.post(url, {"name": managers.name, "permissions": [*held, permission.pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert managers.permissions.filter(pk=permission.pk).exists()
    given = Group.history.filter(id=managers.pk).latest("history_id")
    assert (given.history_user, given.history_date) == (center.admin, AT)
    assert permission.pk in given.permissions.values_list("permission_id", flat=True)
    later = AT + dt.timedelta(minutes=5)
    client.force_login(center.admin)
    with time_machine.travel(later, tick=False):
        assert client.post(url, {"name": managers.name, "permissions": held}).status_code == 302
    taken = Group.history.filter(id=managers.pk).latest("history_id")
    assert (taken.history_user, taken.history_date) == (center.admin, later)
    assert permission.pk not in taken.permissions.values_list("permission_id", flat=True)
    # "Who gave the center managers' group the right to change catalog items, and when?"
    client.force_login(center.admin)
    rows = rows_of(trail(client, model="auth.group", object_id=managers.pk))
    assert rows.count("Can change catalog item</ins>") == 1
    assert rows.count("Can change catalog item</del>") == 1
    assert "28 Sep 2026 15:00" in rows and "28 Sep 2026 15:05" in rows and "Root" in rows
    # The permissions the group kept are not listed as given or taken.
    assert "Can view catalog item" not in rows


def test_role_groups_set_again_at_migrate_write_no_history(db):
    from windows.roles import ensure_role_groups

    count = Group.history.count()
    ensure_role_groups()
    assert Group.history.count() == count
