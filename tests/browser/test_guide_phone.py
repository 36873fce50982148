"""The public service guide on a phone (390×844): from the sign-in page's link, a search by a
material, an item's guide with its downloads, a package, and the item's page as it prints on A4.
Every page passes the accessibility check (conftest.py). Screenshots go to
test-artifacts/screenshots/guide-*.png."""

import re

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from windows import demo
from windows.models import CenterInfo, Material, Package

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


@pytest.fixture
def demo_guide(transactional_db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    departments = demo._departments()
    windows = demo._windows(departments)
    demo._catalog(departments, windows)
    demo._packages()
    CenterInfo.objects.create(**demo.demo_data.GUIDE_CENTER)
    # One material with a drawn blank form and sample, as the demo has for six (drawing all
    # would only slow the test).
    material = Material.objects.get(name="建筑工程施工许可证申请表")
    title, rows = demo.demo_data.GUIDE_FORMS[material.name]
    material.blank_form.save(
        "blank_form.pdf", ContentFile(demo.draw_form(title, rows, sample=False))
    )
    material.sample.save("sample.pdf", ContentFile(demo.draw_form(title, rows, sample=True)))
    return material


def test_the_guide_on_a_phone_and_on_paper(live_server, browser, demo_guide):
    context = browser.new_context(**PHONE, accept_downloads=True)
    page = context.new_page()

    # 1. From the public home page (the sign-in page) to the guide.
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("a[href='/guide/']").first.click()
    expect(page).to_have_url(f"{live_server.url}/guide/")
    expect(page.get_by_role("link", name="企业投资项目开工前审批一件事")).to_be_visible()
    expect(page.get_by_role("link", name="临安市建设局")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "guide-1-phone-index")

    # 2. A search by a material finds the items that need it.
    page.get_by_role("searchbox").fill("施工图设计文件审查合格书")
    page.locator("form.guide-search button[type=submit]").click()
    results = page.locator("ol.guide-list > li")
    expect(results.first).to_be_visible()
    expect(page.get_by_role("link", name="建筑工程施工许可证核发")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "guide-2-phone-search")

    # 3. The item's guide: window, limits, conditions, materials with the downloads.
    page.get_by_role("link", name="建筑工程施工许可证核发").click()
    expect(page).to_have_url(f"{live_server.url}/guide/items/XK-JSJ-007/")
    expect(page.get_by_role("heading", level=1)).to_have_text("建筑工程施工许可证核发")
    main = page.get_by_role("main")
    for text in ("A08", "0571-6370", "施工图设计文件已按规定审查合格", "《中华人民共和国建筑法》"):
        expect(main).to_contain_text(text)
    assert fits_the_screen(page)
    shot(page, "guide-3-phone-item")
    links = page.locator(f"a[href='/guide/materials/{demo_guide.pk}/blank/']")
    expect(links).to_have_count(1)
    with page.expect_download() as download:
        links.click()
    assert download.value.suggested_filename.startswith("建筑工程施工许可证申请表")
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"

    # 4. As it prints: no navigation, search, buttons or downloads; the content stays.
    page.emulate_media(media="print")
    for hidden in ("nav.crumbs", ".guide-tools", ".downloads", "footer.foot", ".lang"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.locator(".print-only").last).to_be_visible()
    expect(main).to_contain_text("授权委托书及受托人身份证")
    shot(page, "guide-4-print-item")
    page.emulate_media(media="screen")

    # 5. A package: its items and each material once.
    package = Package.objects.get(name="企业投资项目开工前审批一件事")
    page.goto(f"{live_server.url}/guide/packages/{package.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(package.name)
    shared = page.locator("ol.materials > li > strong", has_text="授权委托书及受托人身份证")
    expect(shared).to_have_count(1)
    assert fits_the_screen(page)
    shot(page, "guide-5-phone-package")

    # 6. In English, the same item.
    page.goto(f"{live_server.url}/guide/items/XK-JSJ-007/")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Conditions for acceptance")).to_be_visible()
    assert fits_the_screen(page)
    shot(page, "guide-6-phone-item-en")
    # The index, a search and the package in English too (each checked by axe on arrival).
    page.goto(f"{live_server.url}/guide/?q=营业执照&department=jsj")
    expect(page.get_by_role("heading", name=re.compile(r"^\d+ items? found$"))).to_be_visible()
    page.goto(f"{live_server.url}/guide/packages/{package.pk}/")
    expect(page.get_by_role("heading", name="Materials for the whole package")).to_be_visible()
    context.close()


def test_the_item_prints_on_a4(live_server, browser, demo_guide):
    """The item's page as Chromium prints it on A4 (test-artifacts/screenshots/guide-7-print.pdf,
    for a person to read)."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/guide/items/XK-JSJ-007/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / "guide-7-print.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    context.close()
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    # A4 in points: 595 × 842.
    assert b"/MediaBox [0 0 595" in data or b"/MediaBox [ 0 0 595" in data
