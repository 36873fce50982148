"""The applicant's own side on a phone (390×844): from the public page's link to signing in with
the SMS code, the list, one application, its documents, a rating once delivered, the companies,
English, signing out. axe-core checks every page (tests/browser/conftest.py); screenshots go to
test-artifacts/screenshots/portal-*.png."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Rating

from ..applicant_helpers import take_to_delivery
from ..portal_helpers import SENT, last_code
from .test_track_phone import PHONE, fits_the_screen, shot

MOBILE = "13800000000"  # the `applicant` fixture's contact mobile


@pytest.mark.usefixtures("transactional_db")
def test_an_applicant_signs_in_and_follows_their_applications_on_a_phone(
    live_server, accepted, center, browser, settings
):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    context = browser.new_context(**PHONE)
    page = context.new_page()

    # 1. From the public status page's footer to the sign-in.
    page.goto(f"{live_server.url}/track/")
    page.locator("footer a[href='/my/']").click()
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/")
    assert fits_the_screen(page)
    shot(page, "portal-1-sign-in-zh")

    # 2. A bad number: the message next to the field, nothing sent.
    page.locator("input[name=mobile]").fill("12345")
    page.locator("main button.primary").click()
    expect(page.locator(".field.invalid")).to_be_visible()
    assert SENT == []
    shot(page, "portal-2-bad-number-zh")

    # 3. The number, then the code from the SMS.
    page.locator("input[name=mobile]").fill(MOBILE)
    page.locator("main button.primary").click()
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/code/")
    expect(page.get_by_role("main")).to_contain_text("138****0000")
    assert fits_the_screen(page)
    shot(page, "portal-3-code-zh")
    page.locator("input[name=code]").fill("000000" if last_code(MOBILE) != "000000" else "111111")
    page.locator("main button.primary").click()
    expect(page.locator(".field.invalid")).to_be_visible()
    shot(page, "portal-4-wrong-code-zh")
    page.locator("input[name=code]").fill(last_code(MOBILE))
    page.locator("main button.primary").click()
    expect(page).to_have_url(f"{live_server.url}/my/")

    # 4. The list: the company's application.
    main = page.get_by_role("main")
    expect(main).to_contain_text(accepted.receipt_number)
    expect(main).to_contain_text("建筑工程施工许可证核发")
    assert fits_the_screen(page)
    shot(page, "portal-5-list-zh")

    # 5. One application, as the status page shows it, with its documents.
    page.get_by_role("link", name=accepted.receipt_number).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("各部门审查中")
    expect(page.locator("a[download]")).to_have_count(1)  # the commitment slip
    assert fits_the_screen(page)
    shot(page, "portal-6-application-zh")

    # 6. Delivered: the rating is offered here, once.
    take_to_delivery(accepted, center, now=timezone.now())
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("已办结：办理结果已交付")
    expect(page.locator("a[download]")).to_have_count(3)  # the slip and two decisions
    assert fits_the_screen(page)
    shot(page, "portal-7-delivered-zh")
    page.get_by_label("满意", exact=True).check()
    page.locator("#rate button[type=submit]").click()
    expect(page.get_by_role("main")).to_contain_text("感谢您的评价。")
    expect(page.locator("input[name=level]")).to_have_count(0)
    assert Rating.objects.get(application=accepted).level == 4
    shot(page, "portal-8-rated-zh")

    # 7. The companies: bind the company by its credit code.
    page.locator("nav.portal-nav a[href='/my/companies/']").click()
    page.locator("input[name=credit_code]").fill(accepted.applicant.id_number)
    page.locator("form button.primary").click()
    expect(page.get_by_role("main")).to_contain_text(accepted.applicant.name)
    assert fits_the_screen(page)
    shot(page, "portal-9-companies-zh")

    # 8. In English, then signing out.
    page.locator("nav.portal-nav a[href='/my/']").click()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("My applications")
    assert fits_the_screen(page)
    shot(page, "portal-10-list-en")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/")
    page.goto(f"{live_server.url}/my/")
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/")
    shot(page, "portal-11-signed-out-en")
    context.close()
