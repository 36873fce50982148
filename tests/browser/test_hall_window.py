"""The window's side of the hall in the browser (issue 14): a visitor takes a number at the
kiosk, the clerk at the comprehensive window calls it (the hall display shows and speaks the
call), serves it, starts an intake that is linked to it, finishes; the rating
pad facing the visitor shows who serves, then the rating buttons, and the rating counts for
the clerk. Screenshots: test-artifacts/screenshots/hall-panel-*.png (1366×768) and
hall-pad-*.png (1280×800)."""

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Application
from hall import services
from hall.models import ServiceRating, Ticket
from supervision.assessment import Period, assess_people
from windows.models import Staff

from .conftest import SCREENSHOTS
from .test_hall_kiosk import (
    DISPLAY,
    KIOSK,
    NO_PRINT_DIALOG,
    RECORD_ANNOUNCE,
    device_context,
    wait_until,
)
from .test_journey import sign_in

pytestmark = pytest.mark.usefixtures("transactional_db")


def pad_shot(pad, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pad.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture
def pad(browser, live_server, hall):
    """The tablet facing the visitor at A01: its device cookie, landscape."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    context.add_cookies(
        [
            {
                "name": settings.HALL_DEVICE_COOKIE,
                "value": hall.keys[hall.intake_pad.pk],
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    yield page
    context.close()


def test_call_serve_intake_finish_and_the_visitor_rates(
    live_server, browser, page, pad, shot, center, hall, calendar, materials, applicant, project
):
    # The whole hall: the visitor takes A001 at the kiosk by touch; the hall display is on.
    kiosk = device_context(browser, live_server, hall, hall.kiosk, **KIOSK)
    kiosk.add_init_script(NO_PRINT_DIALOG)
    kiosk_page = kiosk.new_page()
    kiosk_page.goto(f"{live_server.url}/hall/kiosk/")
    kiosk_page.get_by_test_id("business-A").click()
    expect(kiosk_page.get_by_test_id("ticket-number")).to_contain_text("A001")
    assert Ticket.objects.get(number="A001").device == hall.kiosk
    display = device_context(browser, live_server, hall, hall.display, **DISPLAY)
    display.add_init_script(RECORD_ANNOUNCE)
    display_page = display.new_page()
    display_page.goto(f"{live_server.url}/hall/display/")
    services.ticket_take(business=hall.pickup, now=timezone.now())
    pad.goto(f"{live_server.url}/hall/pad/")
    expect(pad.get_by_test_id("pad-idle")).to_contain_text("A01")
    pad_shot(pad, "hall-pad-0-idle")

    sign_in(page, live_server, "dave")
    page.get_by_test_id("nav-hall-panel").click()
    expect(page.get_by_test_id("waiting-count")).to_have_text("2")
    expect(page.get_by_test_id("call-next")).to_be_focused()
    shot("hall-panel-1-free")

    page.get_by_test_id("call-next").click()
    expect(page.get_by_test_id("panel-number")).to_have_text("A001")
    # the display shows the call and speaks it within two seconds
    expect(display_page.get_by_role("main")).to_contain_text("A001", timeout=2_000)
    wait_until(display_page, "window.__announced.some(a => a[0] === 'A001' && a[1] === 'A01')")
    kiosk.close()
    display.close()
    expect(page.get_by_test_id("panel-no-show")).to_be_disabled()
    expect(page.get_by_test_id("panel-start")).to_be_focused()
    shot("hall-panel-2-called")

    page.keyboard.press("Enter")  # start service, by the keyboard
    expect(page.get_by_test_id("panel-finish")).to_be_visible()
    expect(pad.get_by_test_id("pad-serving")).to_contain_text(center.dave.full_name)
    expect(pad.get_by_test_id("pad-staff-number")).to_have_text("dave")
    expect(pad.get_by_test_id("pad-serving")).to_contain_text("A001")
    pad_shot(pad, "hall-pad-1-serving")
    shot("hall-panel-3-serving")

    # the intake through the usual pages, the ticket carried along
    page.get_by_test_id("panel-intake").click()
    page.get_by_label("名称、统一社会信用代码").fill("青山")
    page.locator("#search-results a").first.click()
    page.get_by_role("link", name="新建申请").click()
    page.get_by_label("项目", exact=True).select_option(str(project.pk))
    page.get_by_label(center.permit.name, exact=True).check()
    page.get_by_role("button", name="登记申请").click()
    expect(page.get_by_role("main")).to_contain_text("A001")
    application = Application.objects.get()
    assert Ticket.objects.get(number="A001").application == application

    page.get_by_test_id("nav-hall-panel").click()
    expect(page.get_by_test_id("panel-application")).to_be_visible()
    shot("hall-panel-4-linked")
    page.get_by_test_id("panel-finish").click()
    expect(page.get_by_test_id("served-count")).to_have_text("1")
    expect(page.get_by_test_id("waiting-count")).to_have_text("1")
    shot("hall-panel-5-finished")

    expect(pad.get_by_test_id("pad-rate")).to_be_visible()
    pad_shot(pad, "hall-pad-2-rate")
    pad.locator('button[name="level"][value="5"]').click()
    expect(pad.get_by_test_id("pad-thanks")).to_be_visible()
    pad_shot(pad, "hall-pad-3-thanks")
    rating = ServiceRating.objects.get()
    assert (rating.staff, rating.level, rating.window) == (center.dave, 5, center.intake_window)
    # ... and counts in the clerk's own figures of the month, with the visitor called in time
    today = timezone.localdate()
    (dave,) = assess_people(Period.of(today), Staff.objects.filter(pk=center.dave.pk), today=today)
    assert dave.figures.ratings.count == 1 and dave.figures.ratings.average == 5
    assert (dave.figures.visitors, dave.figures.called_in_time) == (1, 1)
    expect(pad.get_by_test_id("pad-idle")).to_be_visible(timeout=12_000)
