"""An extension by clicking: the officer asks on the review page, the window's head (who holds
the letter of authorization) finds it from the nav, approves, and the review shows the new
deadline. Screenshots: test-artifacts/screenshots/extension-*.png."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from applications.models import ClockEvent, ExtensionRequest

from ..conftest import PASSWORD


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in once the browser has left the sign-in page: the next goto would cancel the POST.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.usefixtures("transactional_db")
def test_the_officer_asks_and_the_head_approves(live_server, center, accepted, page, shot):
    permit = accepted.reviews.get(item=center.permit)
    assert permit.deadline == dt.date(2026, 10, 13)

    # 1. The officer asks for 5 working days, with the reason the applicant will read.
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("navigation", name="主导航").get_by_text("延期申请")).to_have_count(0)
    page.goto(f"{live_server.url}/reviews/{permit.pk}/")
    page.get_by_text("申请延期", exact=True).click()
    page.get_by_role("spinbutton", name="工作日数", exact=True).fill("5")
    page.get_by_label("延期理由（将告知申请人）").fill("需会同消防部门现场踏勘。")
    page.get_by_role("button", name="提请批准").click()
    expect(page.get_by_role("main")).to_contain_text("已提出申请")
    expect(page.locator("#extensions")).to_contain_text("待批准")
    expect(page.get_by_role("main")).to_contain_text("2026年10月13日")  # nothing moved yet
    shot("extension-1-asked")
    assert not permit.clock.filter(kind=ClockEvent.Kind.EXTEND).exists()

    # 2. The head signs in: the nav shows one request waiting; he opens it and approves.
    sign_in(page, live_server, "bob")
    link = page.get_by_test_id("nav-extensions")
    expect(link).to_contain_text("1")
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("延期申请")
    row = page.locator("tr", has_text="需会同消防部门现场踏勘。")
    expect(row).to_contain_text("建筑工程施工许可证核发")
    expect(row).to_contain_text("Alice")
    shot("extension-2-waiting")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="批准").click()
    expect(page.get_by_role("main")).to_contain_text("已批准：期限已延长")
    expect(page.get_by_role("main")).to_contain_text("没有等待您批准的延期申请。")
    shot("extension-3-approved")

    # 3. The review shows the new deadline, the ledger line and the notice.
    page.goto(f"{live_server.url}/reviews/{permit.pk}/")
    expect(page.get_by_role("main")).to_contain_text("2026年10月20日")
    expect(page.locator("#extensions")).to_contain_text("已批准")
    expect(page.get_by_role("main")).to_contain_text("延长审批期限告知书")
    shot("extension-4-review")
    extension = ExtensionRequest.objects.get()
    assert (extension.state, extension.decided_by) == ("approved", center.bob)
    assert permit.clock.get(kind=ClockEvent.Kind.EXTEND).approved_by == center.bob
