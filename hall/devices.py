"""The hall's devices (kiosk, displays, rating pads) work without a staff sign-in.

1. An administrator registers a device (`device_register`) and gets a one-time enrolment link,
   good for `ENROL_HOURS`.
2. Opened on the device, the link (`device_enrol`) gives it a long random key in the
   `settings.HALL_DEVICE_COOKIE` cookie; only the key's SHA-256 is stored, and the link is used
   up. Enrolling again (a new link) makes the old key worthless; a device taken out of use
   (`is_active` off) is refused at once.
3. Device pages find their device with `device_from_request`; `device_required(kind)` guards
   a view and sets `request.device`.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from windows.models import Staff, Window

from .models import Device

ENROL_HOURS = 24
# A device's "last seen" is written at most this often (every poll of a display would
# otherwise write a row).
SEEN_EVERY = dt.timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def device_register(
    *, name: str, kind: str, window: Window | None, by: Staff, now: dt.datetime
) -> tuple[Device, str]:
    """A new device and its one-time enrolment key."""
    device = Device(
        name=name,
        kind=kind,
        window=window if kind == Device.Kind.PAD else None,
        key_digest=_digest(secrets.token_urlsafe(32)),  # nothing opens with it
        registered_by=by,
        registered_at=now,
    )
    device.full_clean(exclude=["key_digest", "registered_by"])
    enrol_key = _new_enrolment(device, now)
    device._history_user, device._history_date = by, now
    device.save()
    return device, enrol_key


def _new_enrolment(device: Device, now: dt.datetime) -> str:
    key = secrets.token_urlsafe(24)
    device.enrol_digest = _digest(key)
    device.enrol_expires_at = now + dt.timedelta(hours=ENROL_HOURS)
    return key


def device_reenrol(*, device: Device, by: Staff, now: dt.datetime) -> str:
    """A new enrolment link for a device (moved, reset, or its key lost): the old key stops
    working now."""
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        device.key_digest = _digest(secrets.token_urlsafe(32))
        key = _new_enrolment(device, now)
        device._history_user, device._history_date = by, now
        device._change_reason = "re-enrolled"
        device.save(update_fields=["key_digest", "enrol_digest", "enrol_expires_at"])
    return key


def device_enrol(enrol_key: str, now: dt.datetime) -> tuple[Device, str] | None:
    """Use up an enrolment key: the device and its new key, or None for a key unknown, used
    or expired."""
    if not enrol_key or len(enrol_key) > 100:
        return None
    with transaction.atomic():
        device = (
            Device.objects.select_for_update()
            .filter(enrol_digest=_digest(enrol_key), is_active=True)
            .first()
        )
        if device is None or device.enrol_expires_at is None or device.enrol_expires_at < now:
            return None
        key = secrets.token_urlsafe(32)
        device.key_digest = _digest(key)
        device.enrol_digest = ""
        device.enrol_expires_at = None
        device.last_seen_at = now
        device._history_date = now
        device._change_reason = "enrolled"
        device.save(
            update_fields=["key_digest", "enrol_digest", "enrol_expires_at", "last_seen_at"]
        )
    return device, key


def set_device_cookie(response: HttpResponse, key: str) -> None:
    response.set_cookie(
        settings.HALL_DEVICE_COOKIE,
        key,
        max_age=5 * 365 * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_from_request(request: HttpRequest, *kinds: str) -> Device | None:
    key = request.COOKIES.get(settings.HALL_DEVICE_COOKIE, "")
    if not key or len(key) > 100:
        return None
    device = (
        Device.objects.select_related("window")
        .filter(key_digest=_digest(key), is_active=True)
        .first()
    )
    if device is None or (kinds and device.kind not in kinds):
        return None
    now = timezone.now()
    if device.last_seen_at is None or now - device.last_seen_at > SEEN_EVERY:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    return device


def public_page() -> dict:
    """What the public layout (applications/public_base.html) needs beside the page's own
    context: the complaint line in its footer."""
    return {"complaint_phone": settings.CENTER_COMPLAINT_PHONE}


def device_required(*kinds: str):
    """The view runs only on a registered device of one of these kinds (`request.device`);
    anything else gets a page that says how a device is registered."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            device = device_from_request(request, *kinds)
            if device is None:
                return render(
                    request,
                    "hall/not_a_device.html",
                    public_page(),
                    status=403,
                )
            request.device = device
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def device_set_active(*, device: Device, active: bool, by: Staff, now: dt.datetime) -> Device:
    """Take a device out of use (refused at once, its key kept) or put it back in use (the same
    key works again)."""
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.is_active != active:
            device.is_active = active
            device._history_user, device._history_date = by, now
            device._change_reason = "back in use" if active else "taken out of use"
            device.save(update_fields=["is_active"])
    return device
