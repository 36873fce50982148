"""An appointment from a phone to the window: booked on a phone by clicking (390×844), checked in
at the kiosk with the code typed on its on-screen pad, and called before a walk-in who took a
number earlier in the same slot. Screenshots go to test-artifacts/screenshots/appt-*.png.

The clock is Monday 28 September 2026 from 08:00, center time (time-machine, ticking): the
live server runs in this process, so its pages see the same day."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from hall import services
from hall.models import Appointment, AppointmentMessage, SlotRule

from ..conftest import PASSWORD
from .conftest import SCREENSHOTS

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
KIOSK = {"viewport": {"width": 1080, "height": 1400}, "has_touch": True, "locale": "zh-CN"}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 9, 28, hour, minute))


@pytest.mark.usefixtures("transactional_db")
def test_booked_on_a_phone_checked_in_at_the_kiosk_called_first(
    live_server, center, hall, calendar, browser, time_machine
):
    time_machine.move_to(at(8), tick=True)
    for opens, closes in ((dt.time(9), dt.time(11, 30)), (dt.time(14), dt.time(17))):
        SlotRule.objects.create(
            business=hall.construction,
            window=center.construction_window,
            opens=opens,
            closes=closes,
            slot_minutes=30,
            capacity=2,
        )
    SlotRule.objects.create(
        business=hall.intake,
        window=center.intake_window,
        opens=dt.time(9),
        closes=dt.time(11, 30),
    )
    # Someone booked the 09:30 slot full already: the page shows it as full.
    for mobile in ("13900000011", "13900000012"):
        Appointment.objects.create(
            business=hall.construction,
            day=dt.date(2026, 9, 28),
            starts=dt.time(9, 30),
            ends=dt.time(10),
            name="预约人",
            mobile=mobile,
            code=f"FULL{mobile[-2:]}",
            booked_at=at(7),
        )

    # 1. The phone: business, day, time, details, confirm.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}/hall/appointments/")
    expect(page.locator("a.appt-choice")).to_have_count(2)
    assert fits_the_screen(page)
    shot(page, "appt-1-phone-business")
    page.locator("a.appt-choice", has_text="建设局").click()
    expect(page.locator("a.appt-day.chosen")).to_have_count(1)
    full = page.locator(".appt-slot.full")
    expect(full).to_have_count(1)
    expect(full).to_contain_text("09:30")
    assert fits_the_screen(page)
    shot(page, "appt-2-phone-day-and-time")
    page.locator("a.appt-slot", has_text="09:00").click()
    expect(page.locator("#id_name")).to_be_visible()
    page.locator("#id_name").fill("张三")
    page.locator("#id_mobile").fill("13900000001")
    assert fits_the_screen(page)
    shot(page, "appt-3-phone-details")
    page.locator("main button.primary").click()
    code = page.locator("#appt-code")
    expect(code).to_be_visible()
    appointment = Appointment.objects.get(mobile="13900000001")
    expect(code).to_have_text(appointment.code)
    assert (appointment.starts, appointment.status) == (dt.time(9), "booked")
    assert AppointmentMessage.objects.get(appointment=appointment).kind == "confirmation"
    assert fits_the_screen(page)
    shot(page, "appt-4-phone-booked")
    phone.close()

    # 2. A walk-in takes a number at 09:02, in the slot, before the booker arrives at 09:10.
    time_machine.move_to(at(9, 2), tick=True)
    walk_in = services.ticket_take(business=hall.construction, now=timezone.now())
    time_machine.move_to(at(9, 10), tick=True)

    # 3. The kiosk: the code on the on-screen pad, a mistake taken back, then check in.
    kiosk = browser.new_context(**KIOSK)
    kiosk.add_cookies(
        [
            {
                "name": settings.HALL_DEVICE_COOKIE,
                "value": hall.keys[hall.kiosk.pk],
                "url": live_server.url,
            }
        ]
    )
    page = kiosk.new_page()
    page.goto(f"{live_server.url}/hall/kiosk/appointment/")
    shot(page, "appt-5-kiosk-check-in")
    page.locator('.checkin-pad button[data-key="Z"]').click()
    page.locator('.checkin-pad button[data-action="back"]').click()
    for character in appointment.code:
        page.locator(f'.checkin-pad button[data-key="{character}"]').click()
    expect(page.locator("#id_code")).to_have_value(appointment.code)
    shot(page, "appt-6-kiosk-code-typed")
    page.locator(".checkin-submit").click()
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
    expect(page).to_have_url(f"{live_server.url}/hall/kiosk/ticket/{appointment.ticket_id}/")
    shot(page, "appt-7-kiosk-ticket")

    # The same code again: already checked in, no second ticket.
    page.goto(f"{live_server.url}/hall/kiosk/appointment/")
    page.locator("#id_code").fill(appointment.code)
    page.locator(".checkin-submit").click()
    expect(page.locator(".checkin-error")).to_contain_text(appointment.ticket.number)
    shot(page, "appt-8-kiosk-already-checked-in")
    kiosk.close()

    # 4. The window calls: the appointment first, then the walk-in who came earlier.
    first = services.call_next(staff=center.alice, now=timezone.now())
    assert first == appointment.ticket
    assert services.call_next(staff=center.bob, now=timezone.now()) == walk_in

    # 5. The window's officer sees the day's appointments: the phone's checked in with its
    # number, the two of 09:30 still booked.
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = desk.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)  # before the goto cancels it
    page.goto(f"{live_server.url}/hall/appointments/today/")
    table = page.locator("table.dense")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table).to_contain_text(appointment.ticket.number)
    expect(table).to_contain_text("139****0001")
    shot(page, "appt-9-staff-today")
    desk.close()
