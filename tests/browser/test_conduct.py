"""Conduct and complaints in the browser (issue 18): a complaint filed on a phone, investigated
and answered at the manager's desk; a patrol on a tablet records an absence; the assessment
shows both deductions. Screenshots: test-artifacts/screenshots/conduct-*.png.

Fields are found by their names, so the journey reads the same before and after the catalogs
carry this part's Chinese."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conduct.demo import seed_rules
from conduct.models import Complaint, ComplaintMessage, Deduction

from ..conftest import PASSWORD
from .conftest import SCREENSHOTS

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
TABLET = {
    "viewport": {"width": 820, "height": 1180},
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def submit(form) -> None:
    form.locator("button[type=submit]").click()


@pytest.mark.usefixtures("transactional_db")
def test_a_complaint_and_a_patrol_reach_the_assessment(
    live_server, center, calendar, browser, assessment_weights
):
    rules = {rule.code: rule for rule in seed_rules()}
    window = center.construction_window

    # 1. A visitor complains on a phone, without a receipt number.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(f"{live_server.url}/complaint/")
    page.locator("[name=phone]").fill("13812345678")
    page.locator("[name=text]").fill("上午十点在A05窗口等了半小时，窗口无人。")
    page.locator("[name=window]").select_option(str(window.pk))
    assert fits_the_screen(page)
    shot(page, "conduct-1-phone-form")
    submit(page.locator("main form"))
    complaint = Complaint.objects.get()
    expect(page.get_by_role("main")).to_contain_text(complaint.number)
    assert fits_the_screen(page)
    shot(page, "conduct-2-phone-received")
    phone.close()
    assert ComplaintMessage.objects.filter(complaint=complaint, kind="received").exists()

    # 2. The manager investigates, finds it substantiated and answers.
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = desk.new_page()
    sign_in(page, live_server, "erin")
    page.goto(f"{live_server.url}/conduct/complaints/")
    page.get_by_role("link", name=complaint.number).click()
    expect(page.get_by_test_id("complainant-phone")).to_have_text("13812345678")
    page.locator("[name=investigate-record]").fill("调阅大厅监控，A05窗口10:00—10:30无人，属实。")
    submit(page.locator("form:has([name=investigate-record])"))
    page.locator("[name=find-finding][value=substantiated]").check()
    page.locator("[name=find-rule]").select_option(str(rules["absent-no-cover"].pk))
    page.locator("[name=find-window]").select_option(str(window.pk))
    page.locator("[name=find-staff]").select_option(str(center.alice.pk))
    submit(page.locator("form:has([name=find-finding])"))
    page.locator("[name=answer-reply]").fill("经查属实，已对该窗口扣分并责令整改。感谢监督。")
    submit(page.locator("form:has([name=answer-reply])"))
    expect(page.get_by_role("main")).to_contain_text("感谢监督")
    shot(page, "conduct-3-complaint-answered")
    complaint.refresh_from_db()
    assert complaint.replied_at is not None
    assert ComplaintMessage.objects.filter(complaint=complaint, kind="answered").exists()

    # The window's officer sees the complaint about the window, not who made it.
    officer = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    officer_page = officer.new_page()
    sign_in(officer_page, live_server, "alice")
    officer_page.goto(f"{live_server.url}/conduct/complaints/{complaint.pk}/")
    expect(officer_page.get_by_role("main")).to_contain_text("窗口无人")
    expect(officer_page.get_by_role("main")).not_to_contain_text("13812345678")
    shot(officer_page, "conduct-4-officer-view")
    officer.close()

    # 3. A patrol on a tablet: A05 absent, against alice, the rule broken.
    tablet = browser.new_context(**TABLET)
    page = tablet.new_page()
    sign_in(page, live_server, "erin")
    page.goto(f"{live_server.url}/conduct/patrols/")
    submit(page.locator("main form"))
    page.locator("[name=window]").select_option(str(window.pk))
    page.locator("[name=status][value=absent]").check()
    page.locator("[name=staff]").select_option(str(center.alice.pk))
    page.locator("[name=rule]").select_option(str(rules["absent-no-cover"].pk))
    page.locator("[name=note]").fill("14:10 巡查时窗口无人，无B岗顶岗。")
    submit(page.locator("form:has([name=status])"))
    expect(page.locator("tr.light-red")).to_contain_text("A05")
    assert fits_the_screen(page)
    shot(page, "conduct-5-tablet-patrol")
    tablet.close()
    assert Deduction.objects.filter(patrol_entry__isnull=False).count() == 1

    # 4. The assessment of the month shows both deductions, and drills down to them.
    page = desk.pages[0]
    period = timezone.localdate().strftime("%Y-%m")
    page.goto(f"{live_server.url}/supervision/assessment/?period={period}")
    cell = page.get_by_test_id("deductions-A05").first
    expect(cell).to_contain_text("−4")
    shot(page, "conduct-6-assessment")
    cell.click()
    expect(page.get_by_role("main")).to_contain_text(complaint.number)
    expect(page.get_by_role("main")).to_contain_text("−4")
    shot(page, "conduct-7-deductions")
    desk.close()
