"""A center manager reads the efficiency assessment of October 2026: from the dashboard to the
table, from a figure to the reviews behind it, from a review to its timeline; in both
languages, and the CSV download."""

import pytest
from playwright.sync_api import expect

from ..test_assessment import october  # noqa: F401  (the hand-made October)
from .test_sign_in import sign_in


@pytest.mark.usefixtures("transactional_db")
def test_a_manager_reads_the_assessment_and_drills_down(
    live_server,
    page,
    shot,
    center,
    october,  # noqa: F811  (the fixture imported above)
):
    sign_in(page, live_server, "erin")
    page.get_by_role("main").get_by_role("link", name="效能考核").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("效能考核")
    page.get_by_label("考核期间").select_option("2026-10")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2026年10月")
    construction = page.locator("table.assessment tr", has_text="A05")
    expect(construction).to_contain_text("53.6")
    expect(construction).to_contain_text("不合格")
    expect(page.locator("table.assessment tr", has_text="A02")).to_contain_text("优秀")
    expect(page.get_by_role("heading", name="计分办法")).to_be_visible()
    shot("assessment-zh")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出CSV").click()
    assert download.value.suggested_filename == "assessment-2026-10.csv"

    # The late count of the construction window opens the two late reviews.
    construction.locator("td").nth(4).get_by_role("link").click()
    expect(page).to_have_url(
        f"{live_server.url}/supervision/assessment/window/A05/late/?period=2026-10"
    )
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("超期")
    shot("assessment-drill-down-zh")
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(
        f"{live_server.url}/applications/{october['permit'].application_id}/timeline/"
    )

    page.go_back()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("October 2026")
    expect(page.get_by_role("link", name="Late 2")).to_have_attribute("aria-current", "page")
    shot("assessment-drill-down-en")
    page.get_by_role("link", name="Efficiency assessment · October 2026").click()
    expect(page.locator("table.assessment tr", has_text="A05")).to_contain_text("Fail")
    shot("assessment-en")


@pytest.mark.usefixtures("transactional_db")
def test_the_late_undecided_and_the_person_page(
    live_server,
    page,
    shot,
    center,
    october,  # noqa: F811  (the fixture imported above)
):
    """October's late undecided permit shows in the table and opens; bob, head of the
    construction window, opens alice's figures from the assessment page."""
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server.url}/supervision/assessment/?period=2026-10")
    construction = page.locator("table.assessment tr", has_text="A05")
    expect(construction).to_contain_text("1 件未办结")
    construction.locator("td").nth(5).get_by_role("link").click()
    expect(page).to_have_url(
        f"{live_server.url}/supervision/assessment/window/A05/overdue/?period=2026-10"
    )
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody tr").first).to_contain_text("超期未办结")
    shot("assessment-overdue-zh")
    page.goto(f"{live_server.url}/supervision/assessment/?period=2026-10")
    page.get_by_role("link", name="个人考核数据").last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("个人考核数据")
    alice = page.locator("table.assessment tr", has_text="Alice")
    expect(alice).to_be_visible()
    shot("assessment-people-zh")
    alice.get_by_role("link", name="Alice").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice")
    shot("assessment-person-zh")
