"""A center manager hands November's statistics of cases upward: from the navigation to the
table, the year and month chosen, the spreadsheet and the PDF downloaded; a bad month gets a
message next to the field; the page in English too."""

import pytest
from playwright.sync_api import expect

from ..test_assessment_honest import november  # noqa: F401  (the hand-made November)
from ..test_statistics import month  # noqa: F401
from .test_sign_in import sign_in


@pytest.mark.usefixtures("transactional_db", "assessment_weights")
def test_a_manager_reads_and_downloads_the_statistics(
    live_server,
    page,
    shot,
    center,
    month,  # noqa: F811  (the fixture imported above)
):
    sign_in(page, live_server, "erin")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="统计报表").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("办件统计表")
    # The first visit shows the last month that is over: October.
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年10月")
    page.get_by_label("月份").select_option("11")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年11月")
    construction = page.get_by_test_id("by-department").locator("tr", has_text="建设局")
    expect(construction.locator("td").nth(5)).to_have_text("4")  # decided
    total = page.get_by_test_id("by-department").locator("tr.total")
    expect(total).to_contain_text("合计")
    expect(page.get_by_role("heading", name="各项指标统计口径")).to_be_visible()
    shot("statistics-zh")

    with page.expect_download() as download:
        page.get_by_test_id("xlsx").click()
    assert download.value.suggested_filename == "statistics-2026-11.xlsx"
    pdf = page.request.get(live_server.url + page.get_by_test_id("pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

    # The browser itself refuses a year before 2000 in the field; an address asking for one
    # gets the server's message next to the field.
    expect(page.get_by_label("年份")).to_have_attribute("min", "2000")
    page.goto(f"{live_server.url}/supervision/statistics/?year=1900&month=11")
    expect(page.get_by_role("alert")).to_contain_text("2000年以前没有数据")
    expect(page.get_by_test_id("xlsx")).to_have_count(0)
    shot("statistics-bad-year-zh")

    page.goto(f"{live_server.url}/supervision/statistics/?year=2026&month=11")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statistics of cases")
    expect(page.get_by_test_id("by-item")).to_contain_text("XK-FGJ-001")
    shot("statistics-en")
