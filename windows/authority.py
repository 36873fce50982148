"""Signing authority (DESIGN.md section 3): who may sign a decision on which item, and why.

The source of truth is the letters of authorization and the deputies' postings. The permission
`windows.sign_item` on each item (a django-guardian object permission) is derived from them:
`sync_signing_authority` grants what an active letter or posting carries and withdraws the rest.
It runs when a letter or posting is saved or revoked and daily from beat, so a letter that takes
effect or expires overnight changes the permissions by the morning. `authority_drift` reports the
difference without changing anything (`manage.py authority_drift`).

A signature needs both: the object permission, and a letter or posting valid at that moment. So a
letter that expired at midnight signs nothing even before the nightly sync has run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, JSONField, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from approval_center.prepared import Prepared

from .models import (
    Absence,
    AuthorizationLetter,
    Item,
    ItemUserObjectPermission,
    Post,
    Staff,
    StationedDeputy,
)

SIGN_CODENAME = "sign_item"
SIGN_PERMISSION = f"windows.{SIGN_CODENAME}"

Grant = tuple[int, int]  # (staff id, item id)


@dataclass(frozen=True)
class SigningBasis:
    """What authorises a signature: a deputy's posting or a letter of authorization, by id
    (what a decision records); the posting or letter itself is read when shown."""

    staff: Staff
    item: Item
    posting_id: int | None = None
    letter_id: int | None = None
    # What a decision prints of its basis, read along with it (`signing_basis`).
    posting_ref: str = ""
    letter_number: str = ""
    letter_official: str = ""

    @cached_property
    def posting(self) -> StationedDeputy | None:
        return StationedDeputy.objects.get(pk=self.posting_id) if self.posting_id else None

    @cached_property
    def letter(self) -> AuthorizationLetter | None:
        return AuthorizationLetter.objects.get(pk=self.letter_id) if self.letter_id else None

    @property
    def department(self):
        return self.item.department

    def __str__(self) -> str:
        if self.letter is not None:
            return f"{self.letter.number}"
        return str(self.posting)


@dataclass(frozen=True)
class Drift:
    missing: frozenset[Grant]
    extra: frozenset[Grant]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def _sign_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="windows", codename=SIGN_CODENAME)


def letter_refusals(
    *, department, items, valid_from: dt.date | None, valid_until: dt.date | None
) -> dict[str, str]:
    """Why a letter of authorization with these terms cannot be issued, by form field (empty
    when it can):

    - it covers only items of its own delegating department: a department delegates its own
      leaders' authority, never another's (on PostgreSQL a trigger refuses it too);
    - a department with a stationed deputy head posted during the letter's term does not
      delegate by letter: the deputy signs its items in their own right (DESIGN.md section 3).
    """
    refusals: dict[str, str] = {}
    if department is None:
        return refusals
    foreign = [item for item in items if item.department_id != department.pk]
    if foreign:
        refusals["items"] = _(
            "A letter covers only items of its delegating department (%(department)s); these "
            "are not: %(items)s."
        ) % {"department": department.name, "items": "、".join(item.name for item in foreign)}
    if valid_from and valid_until:
        posted = (
            StationedDeputy.objects.filter(
                department=department, term_start__lte=valid_until, term_end__gte=valid_from
            )
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=valid_from))
            .select_related("staff")
            .first()
        )
        if posted is not None:
            refusals["department"] = _(
                "%(department)s has a stationed deputy head (%(deputy)s, %(ref)s) during this "
                "term: the deputy signs its items; it does not delegate by letter."
            ) % {
                "department": department.name,
                "deputy": posted.staff,
                "ref": posted.appointment_ref,
            }
    return refusals


def desired_grants(at: dt.datetime) -> set[Grant]:
    """Every (staff, item) pair that an active letter or posting authorises at `at`."""
    on = timezone.localdate(at)
    # A letter delegates only its own department's items (letter_refusals): an item of another
    # department on a letter, however it got there, grants nothing.
    grants: set[Grant] = set(
        AuthorizationLetter.objects.active(at)
        .filter(items__department_id=F("department_id"))
        .values_list("window_head_id", "items__id")
    )
    postings = StationedDeputy.objects.active(on).values_list("staff_id", "department_id")
    by_department: dict[int, list[int]] = {}
    for item_id, department_id in Item.objects.values_list("id", "department_id"):
        by_department.setdefault(department_id, []).append(item_id)
    for staff_id, department_id in postings:
        grants.update((staff_id, item_id) for item_id in by_department.get(department_id, []))
    return grants


def current_grants() -> set[Grant]:
    return set(
        ItemUserObjectPermission.objects.filter(permission__codename=SIGN_CODENAME).values_list(
            "user_id", "content_object_id"
        )
    )


def authority_drift(at: dt.datetime) -> Drift:
    desired, current = desired_grants(at), current_grants()
    return Drift(missing=frozenset(desired - current), extra=frozenset(current - desired))


def sync_signing_authority(*, at: dt.datetime, by: Staff | None = None) -> Drift:
    """Make the permissions match the letters and postings; return what was changed.

    Each grant and withdrawal writes its history row: who (`by`; none for the nightly sync) and
    when (`at`)."""
    with transaction.atomic():
        drift = authority_drift(at)
        if drift.missing:
            permission = _sign_permission()
            for staff_id, item_id in sorted(drift.missing):
                # One at a time, so that only a grant really made writes its history row (a
                # concurrent sync may have granted it already: the savepoint absorbs that).
                grant = ItemUserObjectPermission(
                    user_id=staff_id, content_object_id=item_id, permission=permission
                )
                grant._history_user = by
                grant._history_date = at
                try:
                    with transaction.atomic():
                        grant.save()
                except IntegrityError:
                    pass
        for staff_id, item_id in sorted(drift.extra):
            for grant in ItemUserObjectPermission.objects.filter(
                permission__codename=SIGN_CODENAME, user_id=staff_id, content_object_id=item_id
            ):
                grant._history_user = by
                grant._history_date = at
                grant.delete()
    return drift


def letter_revoke(
    *, letter: AuthorizationLetter, by: Staff, reason: str, at: dt.datetime
) -> AuthorizationLetter:
    """Revoke a letter now: it signs nothing from `at` on, and its permissions go at once."""
    with transaction.atomic():
        letter = AuthorizationLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.revoked_at is None:
            letter.revoked_at = at
            letter.revoked_by = by
            letter.revoke_reason = reason
            letter._change_reason = reason
            letter.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        sync_signing_authority(at=at, by=by)
    return letter


def _basis_parts(staff_id: int, item_id, department_id, on: dt.date, at: dt.datetime) -> dict:
    """The signing basis's three parts as expressions: whether the person holds the item's
    object permission, the posting and the letter (what a decision prints of them too).
    `item_id` and `department_id` are values, or `OuterRef`s to a row naming the item."""
    permission = ItemUserObjectPermission.objects.filter(
        user_id=staff_id, content_object_id=item_id, permission__codename=SIGN_CODENAME
    )
    posting = (
        StationedDeputy.objects.active(on)
        .filter(staff_id=staff_id, department_id=department_id)
        .order_by("pk")
        .values(found=JSONObject(pk="pk", ref="appointment_ref"))[:1]
    )
    letter = (
        AuthorizationLetter.objects.active(at, on=on)
        .filter(window_head_id=staff_id, items=item_id, department_id=department_id)
        .order_by("-valid_from", "pk")
        .values(found=JSONObject(pk="pk", number="number", official="delegating_official"))[:1]
    )
    return {
        "basis_permitted": Exists(permission),
        "basis_posting": Subquery(posting, output_field=JSONField()),
        "basis_letter": Subquery(letter, output_field=JSONField()),
    }


def _basis_query(staff_id: int, item_id: int, department_id: int, on: dt.date, at: dt.datetime):
    parts = _basis_parts(staff_id, item_id, department_id, on, at)
    return Item.objects.filter(pk=item_id).values_list(*parts.values())


# Read at every decision: built once per process (approval_center/prepared.py).
_BASIS = Prepared(_basis_query)


def signing_basis(staff: Staff, item: Item, *, at: dt.datetime) -> SigningBasis | None:
    """The posting or letter under which `staff` may sign on `item` at `at`, or None.

    The posting comes first: a department's deputy signs for the department in their own right.
    Both are read together with the object permission (a user permission: `sync_signing_authority`
    grants it to the person, never to a group), in one query.
    """
    if not staff.is_active:
        return None
    found = _BASIS.rows(
        staff_id=staff.pk,
        item_id=item.pk,
        department_id=item.department_id,
        on=timezone.localdate(at),
        at=at,
    )
    return basis_of(staff, item, *(found[0] if found else (False, None, None)))


def basis_read_along(staff_id: int, *, on: dt.date, at: dt.datetime, item: str = "item") -> dict:
    """`signing_basis` as annotations read along with a row naming the item by `item` (a
    review's lock: one statement fewer at every decision); `basis_of` makes the basis of them.
    `on` is `at`'s local date (given apart for a kept statement, approval_center/prepared.py).
    """
    return _basis_parts(
        staff_id, OuterRef(f"{item}_id"), OuterRef(f"{item}__department_id"), on, at
    )


def basis_of(
    staff: Staff, item: Item, permitted: bool, posting: dict | None, letter: dict | None
) -> SigningBasis | None:
    """The basis the three parts read (`signing_basis`, `basis_read_along`) make: none
    without the permission or an active person, else the posting first, then the letter."""
    if not (staff.is_active and permitted):
        return None
    if posting is not None:
        return SigningBasis(
            staff=staff, item=item, posting_id=posting["pk"], posting_ref=posting["ref"]
        )
    if letter is not None:
        return SigningBasis(
            staff=staff,
            item=item,
            letter_id=letter["pk"],
            letter_number=letter["number"],
            letter_official=letter["official"],
        )
    return None


def signable_items(staff: Staff, *, at: dt.datetime):
    """The items `staff` may sign on at `at` (permission and a valid basis), for display."""
    on = timezone.localdate(at)
    permitted = Item.objects.filter(
        itemuserobjectpermission__user=staff,
        itemuserobjectpermission__permission__codename=SIGN_CODENAME,
    )
    posted = StationedDeputy.objects.active(on).filter(staff=staff).values("department_id")
    lettered = AuthorizationLetter.objects.active(at).filter(window_head=staff).values("items")
    return (
        (permitted.filter(department_id__in=posted) | permitted.filter(id__in=lettered))
        .distinct()
        .select_related("department", "window")
    )


def signers(item: Item, *, at: dt.datetime):
    """Everyone who may sign on `item` at `at` (permission and a valid basis): one query."""
    on = timezone.localdate(at)
    posted = StationedDeputy.objects.active(on).filter(department_id=item.department_id)
    lettered = AuthorizationLetter.objects.active(at).filter(
        items=item, department_id=item.department_id
    )
    return (
        Staff.objects.filter(
            is_active=True,
            itemuserobjectpermission__content_object=item,
            itemuserobjectpermission__permission__codename=SIGN_CODENAME,
        )
        .filter(Q(id__in=posted.values("staff_id")) | Q(id__in=lettered.values("window_head_id")))
        .distinct()
    )


@dataclass(frozen=True)
class Backup:
    """The B of an away signer's A post: works the queue; signs only with authority of their
    own (DESIGN.md section 3)."""

    staff: Staff
    signs: bool
    away: bool


@dataclass(frozen=True)
class SignerToday:
    staff: Staff
    away: bool
    backups: tuple[Backup, ...] = ()


def signer_roster(item: Item, *, at: dt.datetime) -> list[SignerToday]:
    """Who may sign on `item` at `at`, each marked when away that day, with the B backups of
    the A posts an away signer holds. Three queries, whatever the item."""
    on = timezone.localdate(at)
    people = list(signers(item, at=at).order_by("full_name", "username"))
    # A/B cover as everywhere else (PostQuerySet.with_absence).
    posts = list(
        Post.objects.filter(holder_a__in=[p.pk for p in people])
        .with_absence(on)
        .select_related("holder_b")
    )
    away = set(
        Absence.objects.covering(on)
        .filter(staff_id__in=[p.pk for p in people])
        .values_list("staff_id", flat=True)
    )
    signing = {p.pk for p in people}
    roster = []
    for person in people:
        backups = tuple(
            Backup(post.holder_b, signs=post.holder_b_id in signing, away=post.b_away)
            for post in posts
            if post.holder_a_id == person.pk and person.pk in away
        )
        roster.append(SignerToday(person, away=person.pk in away, backups=backups))
    return roster
