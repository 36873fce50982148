"""The second factor's rules and acts, in one place (docs/access.md, "The second factor").

Who is asked: `needs_second_factor`; whether it is asked in this installation: `required_for`.
The acts each run in one transaction with their history (`SecondFactor`): enrol (confirm the
authenticator with its first code), verify a code after the password, renew the recovery codes,
reset. A wrong code counts towards django-otp's wait (1, 2, 4, 8... seconds per device), and that
count is committed even though the act then raises `SecondFactorError`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from windows.models import Staff
from windows.roles import Role

from .models import SecondFactor

# Administrators and center managers; superusers pass every role check, and anyone who may
# enter the Django admin (is_staff) is asked too: the admin is the most privileged page there is.
PRIVILEGED_ROLES = (Role.ADMINISTRATOR, Role.CENTER_MANAGER)
RECOVERY_CODES = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"
# What an authenticator app shows: six digits. Anything else is taken for a recovery code.
TOTP_CODE = re.compile(r"\d{6}")


class SecondFactorError(Exception):
    """An act refused, with the message to show (in the person's language)."""


def needs_second_factor(user) -> bool:
    """Whether this person signs in with a second factor (when the installation requires it)."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff or user.has_role(*PRIVILEGED_ROLES)


def privileged_staff() -> QuerySet[Staff]:
    """The people `needs_second_factor` names, as a query (tests/test_otp.py holds the two
    together)."""
    roles = [role.value for role in PRIVILEGED_ROLES]
    return Staff.objects.filter(
        Q(is_superuser=True) | Q(is_staff=True) | Q(groups__name__in=roles)
    ).distinct()


def required_for(user) -> bool:
    return settings.OTP_REQUIRED and needs_second_factor(user)


def normalized(code: str) -> str:
    """A code as typed, without spaces or dashes, in lower case (recovery codes are printed in
    groups of four)."""
    return re.sub(r"[\s-]", "", code or "").lower()


def authenticator(staff: Staff) -> TOTPDevice | None:
    """The person's enrolled (confirmed) authenticator, if any."""
    return TOTPDevice.objects.filter(user=staff, confirmed=True).order_by("pk").first()


def pending_authenticator(staff: Staff) -> TOTPDevice:
    """The authenticator being enrolled: the same key until its first code confirms it, so a
    page reloaded shows the QR code already scanned."""
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def recovery_codes_left(staff: Staff) -> int:
    return StaticToken.objects.filter(device__user=staff, device__confirmed=True).count()


def record_of(staff: Staff) -> SecondFactor | None:
    return SecondFactor.objects.filter(staff=staff).select_related("reset_by").first()


@dataclass(frozen=True)
class State:
    person: Staff
    device: TOTPDevice | None
    codes_left: int
    record: SecondFactor | None


def privileged_staff_states() -> list[State]:
    """Each active person asked for a second factor, with their authenticator, recovery codes
    left and record (four queries whatever their number)."""
    people = list(privileged_staff().filter(is_active=True).order_by("username"))
    devices = {d.user_id: d for d in TOTPDevice.objects.filter(user__in=people, confirmed=True)}
    left = dict(
        StaticToken.objects.filter(device__user__in=people, device__confirmed=True)
        .values_list("device__user")
        .annotate(n=Count("pk"))
        .values_list("device__user", "n")
    )
    records = {
        r.staff_id: r
        for r in SecondFactor.objects.filter(staff__in=people).select_related("reset_by")
    }
    return [State(p, devices.get(p.pk), left.get(p.pk, 0), records.get(p.pk)) for p in people]


def _wait_message(device: Device, now: dt.datetime) -> str | None:
    """The throttle's answer, or None when the device may be tried now."""
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    seconds = max(1, math.ceil((data["locked_until"] - now).total_seconds()))
    return ngettext(
        "Too many wrong codes: wait %(seconds)d second before the next try.",
        "Too many wrong codes: wait %(seconds)d seconds before the next try.",
        seconds,
    ) % {"seconds": seconds}


def _attempt(device: Device | None, code: str) -> str | None:
    """Try `code` on a device locked for update; the message of a refusal, or None."""
    if device is None:
        return _("That code is not right.")
    waiting = _wait_message(device, timezone.now())
    if waiting:
        return waiting
    if device.verify_token(code):
        return None
    return _("That code is not right.")


def _new_recovery_codes(staff: Staff) -> list[str]:
    """Replace the person's recovery codes with RECOVERY_CODES new ones, returned to be shown
    once."""
    StaticDevice.objects.filter(user=staff).delete()
    device = StaticDevice.objects.create(user=staff, name=RECOVERY_NAME, confirmed=True)
    codes: set[str] = set()
    while len(codes) < RECOVERY_CODES:
        codes.add(StaticToken.random_token())
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return sorted(codes)


def _record(staff: Staff, *, by: Staff | None, now: dt.datetime, **fields) -> SecondFactor:
    """Write the person's second factor as the audit reads it, with who and when."""
    record = SecondFactor.objects.filter(staff=staff).first()
    if record is None:
        # Created empty first, so that the change below is a row the trail can show field by
        # field (a created row shows no changes).
        record = SecondFactor(staff=staff)
        record._history_user, record._history_date = by, now
        record.save()
    for name, value in fields.items():
        setattr(record, name, value)
    record._history_user, record._history_date = by, now
    record.save(update_fields=list(fields))
    return record


def _lock(staff: Staff) -> Staff:
    # One act at a time per person: two enrolments or a reset during an enrolment queue here.
    return Staff.objects.select_for_update().get(pk=staff.pk)


def second_factor_enrol(*, staff: Staff, code: str, now: dt.datetime) -> tuple[Device, list[str]]:
    """Confirm the pending authenticator with its first code and issue the recovery codes.

    1. Refuse when the person already has an authenticator (a second one only after a reset:
       someone holding the password alone must not add their own).
    2. Check the code against the pending authenticator (a wrong one counts towards the wait).
    3. Confirm it, drop any other pending one, issue new recovery codes, write the record.
    """
    code = normalized(code)
    with transaction.atomic():
        _lock(staff)
        if authenticator(staff) is not None:
            raise SecondFactorError(_("You already have an authenticator."))
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=staff, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise SecondFactorError(_("Scan the code on this page again and enter the new code."))
        refused = _attempt(device, code)
        if refused is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=staff, confirmed=False).delete()
            codes = _new_recovery_codes(staff)
            _record(staff, by=staff, now=now, enrolled_at=now, codes_issued_at=now)
    if refused:
        raise SecondFactorError(refused)
    return device, codes


def second_factor_verify(*, staff: Staff, code: str) -> Device:
    """The device that accepts `code` for `staff` after the password: six digits are a code of
    their authenticator (each accepted once), anything else one of their recovery codes (used
    up). Another person's code, an old one or a used one is refused."""
    code = normalized(code)
    model = TOTPDevice if TOTP_CODE.fullmatch(code) else StaticDevice
    with transaction.atomic():
        device = (
            model.objects.select_for_update()
            .filter(user=staff, confirmed=True)
            .order_by("pk")
            .first()
        )
        refused = _attempt(device, code)
    if refused:
        raise SecondFactorError(refused)
    return device


def recovery_codes_renew(*, staff: Staff, code: str, now: dt.datetime) -> list[str]:
    """New recovery codes in place of the old ones, for the current code of the authenticator
    (not a recovery code: whoever has only those must not make more)."""
    code = normalized(code)
    if not TOTP_CODE.fullmatch(code):
        raise SecondFactorError(_("Enter the six digits your authenticator app shows now."))
    with transaction.atomic():
        _lock(staff)
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=staff, confirmed=True)
            .order_by("pk")
            .first()
        )
        refused = _attempt(device, code)
        if refused is None:
            codes = _new_recovery_codes(staff)
            _record(staff, by=staff, now=now, codes_issued_at=now)
    if refused:
        raise SecondFactorError(refused)
    return codes


def second_factor_reset(
    *, staff: Staff, by: Staff | None, reason: str, now: dt.datetime
) -> SecondFactor:
    """Take away a person's authenticator and recovery codes (a lost phone): at their next
    sign-in, or their next request, they enrol again. `by` None is the server's operator
    (`manage.py reset_second_factor`)."""
    reason = (reason or "").strip()
    if not reason:
        raise SecondFactorError(_("Say why the second factor is reset."))
    if by is not None and by.pk == staff.pk:
        raise SecondFactorError(
            _("Nobody resets their own second factor: ask another administrator.")
        )
    with transaction.atomic():
        _lock(staff)
        had = TOTPDevice.objects.filter(user=staff).exists() or (
            StaticDevice.objects.filter(user=staff).exists()
        )
        if not had:
            raise SecondFactorError(
                _("%(person)s has no second factor to reset.") % {"person": staff}
            )
        TOTPDevice.objects.filter(user=staff).delete()
        StaticDevice.objects.filter(user=staff).delete()
        return _record(
            staff,
            by=by,
            now=now,
            enrolled_at=None,
            codes_issued_at=None,
            reset_at=now,
            reset_by=by,
            reset_reason=reason[:200],
        )
