"""A decision checked by someone outside the center, on a phone: the QR code at the decision's
foot opens /verify/, which shows the issuer, the number, the masked holder, the licence's status
and the SHA-256; the visitor uploads the PDF they were given and is told it is the issued file,
validly signed; once the licence is revoked, the same QR code says so.

The QR code is followed as printed: its address is read back from the PDF's own text (the
verification code under it) and the HTML the PDF was rendered from carries segno's image of
exactly that address. The PDF is kept beside the screenshots, with its first page as PNG.
Screenshots: test-artifacts/screenshots/verify-*.png."""

import shutil
import subprocess

import pytest
import segno
from django.utils import timezone
from playwright.sync_api import expect

from applications import access, documents, services
from applications.models import Document
from licences import verification
from licences.models import Licence
from licences.services import licence_revoke

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
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.usefixtures("transactional_db")
def test_a_decisions_qr_code_on_a_phone(live_server, accepted, center, browser, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    review = accepted.reviews.get(item=center.permit)
    decision = services.review_decide(
        review=review, by=center.bob, now=timezone.now(), outcome="granted", reasons="符合要求。"
    )
    assert decision.kind == Document.Kind.APPROVAL
    pdf, record = documents.printed(decision, now=timezone.now())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "verify-decision.pdf"
    path.write_bytes(pdf)
    subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [
            shutil.which("pdftoppm") or "/usr/bin/pdftoppm",
            "-png",
            "-r",
            "60",
            "-singlefile",
            str(path),
            str(SCREENSHOTS / "verify-decision"),
        ],
        check=True,
        timeout=60,
    )
    # What the QR code holds, and that the PDF prints it: the code under it, segno's image.
    code = decision.verification.code
    url = verification.url_of(decision.number, code)
    assert url.startswith(f"{live_server.url}/verify/?number=")
    text = subprocess.run(  # noqa: S603
        ["/usr/bin/pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert verification.grouped(code) in text
    html = documents.render_html(
        decision, verify={"url": url, "code": verification.grouped(code), "page": ""}
    )
    assert segno.make(url, error="m").svg_data_uri(scale=4, border=2) in html

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(url)
    # The code leaves the address bar.
    expect(page).to_have_url(f"{live_server.url}/verify/")
    main = page.get_by_role("main")
    expect(main).to_contain_text(decision.number)
    expect(main).to_contain_text("临安市建设局")
    expect(page.get_by_test_id("sha256")).to_have_text(record.sha256)
    expect(page.get_by_test_id("licence-status")).to_have_attribute("data-status", "valid")
    expect(page.get_by_test_id("holder")).to_have_text(access.masked_name(accepted.applicant.name))
    assert accepted.applicant.name not in page.content()
    assert fits_the_screen(page)
    shot(page, "verify-1-phone-decision-zh")

    # The visitor uploads the PDF they were given: the issued file, validly signed.
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_test_id("compare").click()
    expect(page.get_by_test_id("identical")).to_be_visible()
    expect(page.get_by_test_id("signature-valid")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "verify-2-phone-compared-zh")

    # Revoked: the same QR code says so.
    licence = Licence.objects.get(decision=decision)
    licence_revoke(licence=licence, by=center.erin, reason="骗取。", now=timezone.now())
    page.goto(url)
    expect(page.get_by_test_id("licence-status")).to_have_attribute("data-status", "revoked")
    shot(page, "verify-3-phone-revoked-zh")

    # In English too.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issued by the center")
    shot(page, "verify-4-phone-revoked-en")
    context.close()


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.usefixtures("transactional_db")
def test_a_center_manager_revokes_a_licence_on_its_page(live_server, accepted, center, page, shot):
    review = accepted.reviews.get(item=center.permit)
    services.review_decide(
        review=review, by=center.bob, now=timezone.now(), outcome="granted", reasons="符合要求。"
    )
    licence = Licence.objects.get()
    # A window head sees it and has no form to revoke it.
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/licences/{licence.pk}/")
    expect(page.get_by_test_id("revoke")).to_have_count(0)
    sign_in(page, live_server, "erin")
    page.goto(f"{live_server.url}/licences/")
    page.get_by_role("link", name=licence.number).click()
    shot("licence-1-detail-valid")
    # Without a reason: the page says so, nothing changes.
    page.get_by_test_id("revoke").click()
    expect(page.locator("textarea[name=reason]")).to_be_visible()
    licence.refresh_from_db()
    assert licence.status == "valid"
    page.locator("textarea[name=reason]").fill("申请人以欺骗手段取得许可。")
    page.get_by_test_id("revoke").click()
    expect(page.get_by_test_id(f"licence-status-{licence.pk}")).to_have_attribute(
        "data-status", "revoked"
    )
    expect(page.get_by_role("main")).to_contain_text("申请人以欺骗手段取得许可。")
    shot("licence-2-detail-revoked")
    licence.refresh_from_db()
    assert licence.status == "revoked" and licence.revoked_by == center.erin
