"""Online filing end to end through the pages (docs/filing.md): the applicant on a phone
(390×844) from the guide's "File online" to a submission, the clerk at a desk pre-reviewing it
from the intake desk's online list and issuing the one-time notice, the applicant answering it
with a file. axe-core checks every page (tests/browser/conftest.py); screenshots go to
test-artifacts/screenshots/filing-*.png."""

import pytest
from playwright.sync_api import expect

from applications.models import Application

from ..portal_helpers import SENT, last_code, person
from .test_counter import sign_in_by_keyboard
from .test_track_phone import PHONE, fits_the_screen, shot

MOBILE = "13911110001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(page, selector: str, name: str = "licence.pdf") -> None:
    page.locator(selector).set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": PDF}
    )


@pytest.mark.usefixtures("transactional_db")
def test_an_applicant_files_online_and_the_window_pre_reviews(
    live_server, center, calendar, materials, seals, browser, settings, tmp_path
):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    me = person(MOBILE, 1)
    # In English: the new strings' Chinese reaches the catalogs when the lead merges them.
    phone = browser.new_context(**{**PHONE, "locale": "en-US"})
    page = phone.new_page()

    # 1. The guide's item page offers filing online; it asks to sign in first.
    page.goto(f"{live_server.url}/guide/items/{center.design_review.code}/")
    page.locator(".guide-actions a").click()
    expect(page).to_have_url(f"{live_server.url}/my/sign-in/")
    page.locator("input[name=mobile]").fill(MOBILE)
    page.locator("main button.primary").click()
    page.locator("input[name=code]").fill(last_code(MOBILE))
    page.locator("main button.primary").click()
    expect(page).to_have_url(f"{live_server.url}/my/")
    shot(page, "filing-1-list-en")

    # 2. Start: the item chosen from the guide, in the person's own name.
    page.goto(f"{live_server.url}/my/file/?item={center.design_review.code}")
    expect(page.locator(f"input[name=items][value='{center.design_review.pk}']")).to_be_checked()
    assert fits_the_screen(page)
    shot(page, "filing-2-start-en")
    page.locator("main button.primary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Online application (draft)")

    # 3. A PNG named .pdf is refused with a clear message; the right file is taken.
    page.locator("input[type=file]").first.set_input_files(
        {
            "name": "photo.pdf",
            "mimeType": "application/pdf",
            "buffer": b"\x89PNG\r\n\x1a\n" + b"0" * 40,
        }
    )
    page.locator("form.upload button").first.click()
    expect(page.get_by_role("main")).to_contain_text("PNG")
    upload(page, "input[type=file] >> nth=0")
    page.locator("form.upload button").first.click()
    expect(page.get_by_role("main")).to_contain_text("is uploaded")
    assert fits_the_screen(page)
    shot(page, "filing-3-draft-en")

    # 4. Submit: the receipt under Art. 32.
    page.locator("main form[action$='/submit/'] button").click()
    application = Application.objects.get()
    expect(page).to_have_url(f"{live_server.url}/my/applications/{application.pk}/")
    assert fits_the_screen(page)
    shot(page, "filing-4-submitted-en")

    # 5. The clerk at a desk: the online list, the pre-review, the one-time notice.
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US")
    clerk = desk.new_page()
    sign_in_by_keyboard(clerk, live_server, "dave")
    clerk.goto(f"{live_server.url}/intake/")
    online = clerk.locator("#online")
    expect(online).to_contain_text(me.name)
    shot(clerk, "filing-5-desk-en")
    online.get_by_role("link", name=me.name).click()
    expect(clerk.locator(".pagehead")).to_contain_text("Filed online")
    shot(clerk, "filing-6-prereview-en")
    line = clerk.locator("tr[data-line]").first
    line.locator("input[value=missing]").check()
    line.locator("input[name$='-note']").fill("营业执照副本不清晰，请重新扫描")
    clerk.locator("button[formaction$='/notify/']").click()
    expect(clerk.get_by_role("main")).to_contain_text("One-time notice")
    application.refresh_from_db()
    assert application.state == "awaiting_materials"

    # 6. The applicant sees every line to correct and answers with a file.
    page.reload()
    section = page.locator("#supplements")
    expect(section).to_contain_text("营业执照副本不清晰，请重新扫描")
    assert fits_the_screen(page)
    shot(page, "filing-7-notice-en")
    upload(page, "#supplements input[type=file]", "licence-again.pdf")
    page.locator("#supplements form.upload button").click()
    expect(page.get_by_role("main")).to_contain_text("The file is uploaded")
    page.locator("form[action$='/supplements/send/'] button").click()
    expect(page.get_by_role("main")).to_contain_text("5 working days")
    application.refresh_from_db()
    assert application.state == "draft"
    shot(page, "filing-8-sent-en")

    # 7. Back in the clerk's online list.
    clerk.goto(f"{live_server.url}/intake/")
    expect(clerk.locator("#online")).to_contain_text(me.name)


@pytest.mark.usefixtures("transactional_db")
def test_a_newcomer_registers_and_a_project_on_a_phone(
    live_server, center, calendar, materials, browser, settings
):
    from applications.validators import id_check_char

    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    mobile = "13911110009"
    phone = browser.new_context(**{**PHONE, "locale": "en-US"})
    page = phone.new_page()
    page.goto(f"{live_server.url}/my/sign-in/")
    page.locator("input[name=mobile]").fill(mobile)
    page.locator("main button.primary").click()
    page.locator("input[name=code]").fill(last_code(mobile))
    page.locator("main button.primary").click()
    page.wait_for_url(lambda url: "/my/sign-in/" not in url)  # signed in before the goto
    page.goto(f"{live_server.url}/my/file/?item={center.permit.code}")
    expect(page.get_by_role("main")).to_contain_text("No applicant is registered")
    page.get_by_role("link", name="Register as a person").click()
    page.get_by_label("Name").fill("李四")
    page.get_by_label("Resident ID number").fill("330185198001011234")
    page.locator("main button.primary").click()
    expect(page.locator(".field.invalid")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "filing-9-register-en")
    first17 = "33018519800101555"
    page.get_by_label("Resident ID number").fill(first17 + id_check_char(first17))
    page.locator("main button.primary").click()
    expect(page.locator(f"input[name=items][value='{center.permit.pk}']")).to_be_checked()
    page.get_by_role("link", name="Register a new project").click()
    page.get_by_label("Project code").fill("2026-330185-47-01-400001")
    page.get_by_label("Project name").fill("自建厂房")
    page.get_by_label("Location").fill("临安区")
    page.get_by_label("Total investment (10,000 yuan)").fill("100")
    page.get_by_label("Land area (m²)").fill("100")
    page.get_by_label("What is to be built").fill("厂房")
    assert fits_the_screen(page)
    shot(page, "filing-10-project-en")
    page.locator("main button.primary").click()
    expect(page.locator("select[name=project] option:checked")).to_contain_text("自建厂房")
    page.locator("main form[method=post] button.primary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Online application (draft)")
    shot(page, "filing-11-draft-en")
