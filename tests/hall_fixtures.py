"""The hall of the small test center (tests/conftest.py `center`): its businesses, devices and
enrolled device clients. Imported by tests/conftest.py, so every test module may ask for them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from hall.devices import device_enrol, device_register
from hall.models import Business, Device

from .conftest import NOW


@dataclass
class Hall:
    intake: Business  # A: intake at the comprehensive window A01 (dave)
    pickup: Business  # B: pick-up of results at A01
    construction: Business  # C: the construction bureau's window A05 (alice, bob)
    planning: Business  # D: the planning bureau's window A02 (carol, mallory)
    kiosk: Device
    display: Device
    pad: Device  # faces A05
    intake_pad: Device  # faces A01
    keys: dict  # device pk -> its cookie key


def _business(letter, name, kind, windows, department=None, minutes=10) -> Business:
    business = Business.objects.create(
        letter=letter, name=name, kind=kind, department=department, service_minutes=minutes
    )
    business.windows.set(windows)
    return business


def build_hall(center) -> Hall:
    intake = _business("A", "综合受理", Business.Kind.INTAKE, [center.intake_window], minutes=12)
    pickup = _business("B", "领取结果", Business.Kind.PICKUP, [center.intake_window], minutes=4)
    construction = _business(
        "C", "建设局", Business.Kind.DEPARTMENT, [center.construction_window], center.construction
    )
    planning = _business(
        "D", "发改局", Business.Kind.DEPARTMENT, [center.planning_window], center.planning
    )
    keys = {}
    devices = []
    for name, kind, window in [
        ("大厅一号机", Device.Kind.KIOSK, None),
        ("大厅屏", Device.Kind.DISPLAY, None),
        ("A05 评价器", Device.Kind.PAD, center.construction_window),
        ("A01 评价器", Device.Kind.PAD, center.intake_window),
    ]:
        device, enrol_key = device_register(
            name=name, kind=kind, window=window, by=center.admin, now=NOW
        )
        device, key = device_enrol(enrol_key, NOW)
        keys[device.pk] = key
        devices.append(device)
    return Hall(intake, pickup, construction, planning, *devices, keys=keys)


@pytest.fixture
def hall(center) -> Hall:
    return build_hall(center)


def device_client(hall: Hall, device: Device) -> Client:
    """A browser that is this enrolled device (its cookie), signed in as nobody."""
    from django.conf import settings

    client = Client()
    client.cookies[settings.HALL_DEVICE_COOKIE] = hall.keys[device.pk]
    return client
