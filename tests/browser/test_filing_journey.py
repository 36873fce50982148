"""Issue 15's "Must show" in one piece, clicked through like a person: a company's agent on a
phone (390×844) binds the company by its credit code, files three items online and uploads the
materials; the clerk at a desk pre-reviews it from the intake desk's online list, marks a line
not conforming and issues the one-time notice; the agent sees everything to correct at once,
uploads the correction and sends it; the clerk accepts; three departments decide and return
their results; the clerk hands them over; the agent downloads the decision from "My
applications" and rates. axe-core checks every page (tests/browser/conftest.py); screenshots go
to test-artifacts/screenshots/online-*.png."""

import pytest
from playwright.sync_api import expect

from applications.models import Application, Rating

from ..portal_helpers import SENT, last_code
from .test_journey import (  # noqa: F401 (environment is a fixture)
    confirm_receipts,
    environment,
    open_review,
    press,
    sign_in,
)
from .test_track_phone import PHONE, fits_the_screen, shot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTE = "营业执照副本模糊不清，请上传清晰的彩色扫描件"


def attach(page, field, name: str) -> None:
    field.set_input_files({"name": name, "mimeType": "application/pdf", "buffer": PDF})


def decide(desk, live_server, username: str, item_name: str, step: str) -> None:
    """The head (or deputy) signs the decision to grant, as test_journey does."""
    sign_in(desk, live_server, username)
    open_review(desk, live_server, item_name)
    desk.get_by_label("准予许可").check()
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="签批决定").click()
    expect(desk.get_by_role("main")).to_contain_text("许字〔")
    shot(desk, f"online-{step}-decided-{username}")


@pytest.mark.usefixtures("transactional_db", "environment")
def test_a_company_files_three_items_online_to_the_decision_and_a_rating(
    live_server, center, calendar, materials, applicant, project, browser, settings, tmp_path
):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    mobile = applicant.mobile  # the comprehensive window registered it as the company's contact
    items = ("建筑工程施工许可证核发", "企业投资项目核准", "建设项目环境影响报告表审批")

    # 1. The agent on a phone: the one typed address, then signing in with the SMS code.
    phone = browser.new_context(**PHONE)
    # The longest walk of the suite (two people, forty-odd pages): a page that waits on a
    # machine busy with the rest of the suite is given a minute, not Playwright's 30 seconds.
    phone.set_default_timeout(60_000)
    page = phone.new_page()
    page.goto(f"{live_server.url}/my/")
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/")
    page.locator("input[name=mobile]").fill(mobile)
    page.locator("main button.primary").click()
    # On the code's page before typing (the number's POST must have landed).
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/code/")
    page.locator("input[name=code]").fill(last_code(mobile))
    page.locator("main button.primary").click()
    expect(page).to_have_url(f"{live_server.url}/my/")

    # 2. "My companies": the company by its unified social credit code.
    page.locator("nav.portal-nav a[href='/my/companies/']").click()
    page.locator("input[name=credit_code]").fill(applicant.id_number)
    page.locator("form button.primary").click()
    expect(page.get_by_role("main")).to_contain_text(applicant.name)
    assert fits_the_screen(page)
    shot(page, "online-01-company-zh")

    # 3. Start: in the company's name, its project, three items of three departments.
    page.locator("nav.portal-nav a[href='/my/']").click()
    page.locator("main a.button.primary[href='/my/file/']").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text(applicant.name)
    page.locator("select[name=project]").select_option(str(project.pk))
    for name in items:
        page.get_by_label(name, exact=False).check()
    assert fits_the_screen(page)
    shot(page, "online-02-start-zh")
    page.locator("main form[method=post] button.primary").click()

    # 4. The draft: one file per material, then submit (the receipt under Art. 32).
    rows = page.locator("li.item[id^=material-]")
    expect(rows).to_have_count(3)
    for n in range(3):
        row = page.locator("li.item[id^=material-]").nth(n)
        attach(page, row.locator("input[type=file]"), f"material-{n + 1}.pdf")
        row.locator("form.upload button").click()
        expect(page.locator("li.item[id^=material-]").nth(n).locator(".tag.ok")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "online-03-draft-zh")
    page.locator("main form[action$='/submit/'] button").click()
    application = Application.objects.get()
    expect(page).to_have_url(f"{live_server.url}/my/applications/{application.pk}/")
    assert application.channel == "online" and application.received_at is not None
    assert application.scans.count() == 3
    assert fits_the_screen(page)
    shot(page, "online-04-submitted-zh")

    # 5. The clerk at a desk: the online list, the pre-review, a line not conforming, the notice.
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    desk.set_default_timeout(60_000)
    clerk = desk.new_page()
    sign_in(clerk, live_server, "dave")
    online = clerk.locator("#online")
    expect(online).to_contain_text(applicant.name)
    shot(clerk, "online-05-desk-zh")
    online.get_by_role("link", name=applicant.name).click()
    line = clerk.locator("tr[data-line]").filter(has_text="营业执照")
    expect(line.locator("a").first).to_be_visible()  # the agent's file on its line
    shot(clerk, "online-06-prereview-zh")
    clerk.get_by_role("button", name="全部已收", exact=True).click()  # the other two conform
    line.locator("input[value=missing]").check()
    line.locator("input[name$='-note']").fill(NOTE)
    clerk.locator("button[formaction$='/notify/']").click()
    expect(clerk.get_by_role("main")).to_contain_text("一次性告知")
    application.refresh_from_db()
    assert application.state == "awaiting_materials"
    shot(clerk, "online-07-notice-issued-zh")

    # 6. The agent: everything to correct at once, the correction uploaded and sent.
    page.locator("nav.portal-nav a[href='/my/']").click()
    page.locator(f"main a[href='/my/applications/{application.pk}/']").click()
    section = page.locator("#supplements")
    expect(section).to_contain_text(NOTE)
    expect(section.locator("li.item")).to_have_count(1)
    assert fits_the_screen(page)
    shot(page, "online-08-notice-zh")
    attach(page, section.locator("input[type=file]"), "licence-clear.pdf")
    section.locator("form.upload button").click()
    expect(page.locator("#supplements")).to_be_visible()
    page.locator("form[action$='/supplements/send/'] button").click()
    expect(page.get_by_role("main")).to_contain_text("5个工作日")
    application.refresh_from_db()
    assert application.state == "draft"
    shot(page, "online-09-sent-zh")

    # 7. The clerk: back on the online list, every line received, accepted.
    clerk.locator("a[href='/intake/']").first.click()
    clerk.locator("#online").get_by_role("link", name=applicant.name).click()
    clerk.get_by_role("button", name="全部已收", exact=True).click()
    clerk.once("dialog", lambda dialog: dialog.accept())
    clerk.get_by_role("button", name="受理并打印受理通知书（承诺件）").click()
    expect(clerk.get_by_role("main")).to_contain_text("受理编号")
    shot(clerk, "online-10-accepted-zh")
    application.refresh_from_db()
    assert application.state == "in_review" and application.reviews.count() == 3

    # 8. The departments decide and return their results, as at the counter (test_journey).
    sign_in(clerk, live_server, "alice")
    open_review(clerk, live_server, items[0])
    press(clerk, "领办")
    decide(clerk, live_server, "bob", items[0], "11")
    press(clerk, "办结并送回综合窗口")
    decide(clerk, live_server, "carol", items[1], "12")
    sign_in(clerk, live_server, "frank")
    clerk.locator("a[href='/reviews/countersign/']").first.click()
    press(clerk, "会签")
    sign_in(clerk, live_server, "carol")
    open_review(clerk, live_server, items[1])
    press(clerk, "办结并送回综合窗口")
    decide(clerk, live_server, "grace", items[2], "13")
    press(clerk, "办结并送回综合窗口")

    # 9. The clerk confirms the three results and hands them over.
    sign_in(clerk, live_server, "dave")
    confirm_receipts(clerk, 3)
    clerk.get_by_role("link", name=application.receipt_number).first.click()
    clerk.get_by_role("button", name="交付办理结果（办结）").click()
    expect(clerk.get_by_role("main")).to_contain_text("已办结")
    application.refresh_from_db()
    assert application.state == "delivered"

    # 10. The agent: the decision downloaded from "My applications", then the rating.
    page.locator("nav.portal-nav a[href='/my/']").click()
    page.get_by_role("link", name=application.receipt_number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已办结：办理结果已交付")
    decisions = page.locator("a[download]").filter(has_text="准予")
    expect(decisions).to_have_count(3)
    with page.expect_download() as caught:
        decisions.first.click()
    assert open(caught.value.path(), "rb").read().startswith(b"%PDF")
    assert fits_the_screen(page)
    shot(page, "online-14-delivered-zh")
    page.get_by_label("满意", exact=True).check()
    page.locator("#rate button[type=submit]").click()
    expect(page.get_by_role("main")).to_contain_text("感谢您的评价。")
    assert Rating.objects.get(application=application).level == 4
    shot(page, "online-15-rated-zh")
