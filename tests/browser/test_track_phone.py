"""The applicant's journey on a phone: scan the slip's QR code, follow the application, rate the
service once it is delivered; then the center manager closes the follow-up the poor rating
opened. Screenshots of each step go to test-artifacts/screenshots/track-*.png."""

import re

import pytest
import segno
from django.utils import timezone
from playwright.sync_api import expect

from applications import documents
from applications.models import Document, FollowUp

from ..applicant_helpers import take_to_delivery
from ..conftest import PASSWORD
from .conftest import SCREENSHOTS

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


def shot(page, name: str) -> None:
    # The browser contexts here are the test's own (a phone, a desk), not the `page` fixture's.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.usefixtures("transactional_db")
def test_from_the_qr_code_to_a_rating_on_a_phone(live_server, accepted, center, browser, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    # 1. What the slip's QR code holds: the status page with number and code filled in.
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    # (The slip holds the address as at its issue; this one is the live server's.)
    url = documents.snapshot(slip)["track_url"]
    assert documents.qr_code(url) == segno.make(url, error="m").svg_data_uri(scale=4, border=2)
    assert url == (
        f"{live_server.url}/track/?number={accepted.receipt_number}&code={accepted.access_code}"
    )

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(url)
    # The code leaves the address bar; the page shows the application in review.
    expect(page).to_have_url(f"{live_server.url}/track/")
    expect(page.get_by_role("heading", level=1)).to_have_text("各部门审查中")
    main = page.get_by_role("main")
    expect(main).to_contain_text(accepted.receipt_number)
    expect(main).to_contain_text("建筑工程施工许可证核发")
    expect(main).to_contain_text("暂时无需办理")
    assert fits_the_screen(page)
    shot(page, "track-1-phone-in-review-zh")

    # 2. The departments decide, the results are handed over; the applicant looks again.
    # Handed over now: the rating link the applicant opens below is good for 30 days from then.
    take_to_delivery(accepted, center, now=timezone.now())
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("已办结：办理结果已交付")
    # No form here: the rating link was sent by SMS.
    expect(page.locator("input[name=level]")).to_have_count(0)
    expect(page.get_by_role("main")).to_contain_text("短信")
    assert fits_the_screen(page)
    shot(page, "track-2-phone-delivered-zh")

    # 3. The applicant opens the SMS's link: a poor rating with a comment; the form is gone
    # afterwards.
    sms = accepted.notifications.get(event="delivered", channel="sms")
    link = re.search(r"https?://\S+/track/rate/[^/\s]+/", sms.text).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", name="评价我们的服务")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "track-2b-phone-rate-zh")
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("意见和建议（选填）").fill("取件时等了很久，窗口没有人。")
    page.get_by_role("button", name="提交评价").click()
    expect(page.get_by_role("main")).to_contain_text("感谢您的评价。")
    expect(page.get_by_role("heading", name="您的评价")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("15个工作日内与您联系")
    expect(page.locator("input[name=level]")).to_have_count(0)
    shot(page, "track-3-phone-rated-zh")
    followup = FollowUp.objects.get()
    assert followup.rating.level == 2 and followup.rating.application == accepted

    # 4. The status page in English, and as it prints (no forms).
    page.goto(f"{live_server.url}/track/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Completed: results handed over")
    expect(page.get_by_role("main")).to_contain_text("Dissatisfied")
    assert fits_the_screen(page)
    shot(page, "track-4-phone-rated-en")
    page.emulate_media(media="print")
    expect(page.locator("section.lookup")).to_be_hidden()
    expect(page.get_by_role("button", name="Close this application on this device")).to_be_hidden()
    shot(page, "track-5-print-en")
    context.close()

    # 5. The center manager sees the follow-up and closes it with a note.
    desk = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = desk.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("erin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in once the browser has left the sign-in page (and its page was checked): a click
    # before then raced the sign-in's navigation and waited 30 s.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.get_by_role("link", name="差评整改").click()
    expect(page.get_by_role("main")).to_contain_text(accepted.receipt_number)
    shot(page, "track-6-followups-zh")
    page.get_by_role("link", name=accepted.receipt_number).first.click()
    expect(page.get_by_role("main")).to_contain_text("取件时等了很久，窗口没有人。")
    shot(page, "track-7-followup-zh")
    page.get_by_label("整改及回访情况").fill("已电话回访申请人，取件窗口已安排专人值守。")
    page.get_by_role("button", name="办结整改").click()
    expect(page.get_by_role("main")).to_contain_text("差评整改已办结。")
    expect(page.get_by_role("main")).to_contain_text("没有待整改的差评。")
    shot(page, "track-8-followup-closed-zh")
    desk.close()
    followup.refresh_from_db()
    assert followup.state == "closed" and followup.closed_by == center.erin
