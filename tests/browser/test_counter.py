"""The counter without friction (issue 21): edits are never lost, the checklist is fast, and a
clerk takes an application from the desk to acceptance with the keyboard alone. Screenshots go
to test-artifacts/screenshots/counter-*.png."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications import services
from applications.models import Application
from windows.models import Package

from ..conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def package(center):
    package = Package.objects.create(name="开工前审批一件事")
    package.items.set([center.permit, center.planning_item])
    return package


@pytest.fixture
def open_draft(center, calendar, materials, applicant, project, seals):
    # Received now: the browser's server runs on the real clock, and a draft older than 5
    # working days counts as accepted whatever is missing (Art. 32).
    return services.application_create(
        applicant=applicant,
        project=project,
        by=center.dave,
        now=timezone.now(),
        items=[center.permit, center.planning_item],
    )


def sign_in_by_keyboard(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    # The user name has the focus: Chromium may apply autofocus just after "load".
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def focused(page) -> dict:
    return page.evaluate(
        """() => {
          const e = document.activeElement;
          const label = e.labels && e.labels.length ? e.labels[0].textContent : "";
          return {tag: e.tagName.toLowerCase(), type: e.type || "", name: e.name || "",
                  text: (e.textContent || "").trim(), label: label.trim(),
                  value: e.value || "", href: e.getAttribute("href") || ""};
        }"""
    )


def tab_to(page, test, limit: int = 80) -> dict:
    """Press Tab until the focused element passes `test`; fail after `limit` presses."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if test(now):
            return now
    raise AssertionError(f"not reached by Tab: {focused(page)}")


def test_accepting_without_saving_first_keeps_every_line(
    live_server, page, shot, center, open_draft
):
    sign_in_by_keyboard(page, live_server, "dave")
    page.goto(f"{live_server.url}/applications/{open_draft.pk}/")
    rows = page.locator("tr[data-line]")
    count = rows.count()
    # Every line but the last received, with 2 copies of the first; then "accept" at once.
    for n in range(count - 1):
        rows.nth(n).get_by_label("已收").check()
    rows.nth(0).locator("input[type=number]").fill("2")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="受理并打印受理通知书（承诺件）").click()
    # Refused (the last line is missing), and nothing the clerk set is lost.
    expect(page.get_by_role("alert").first).to_contain_text("缺少材料：")
    for n in range(count - 1):
        expect(rows.nth(n).get_by_label("已收")).to_be_checked()
    expect(rows.nth(0).locator("input[type=number]")).to_have_value("2")
    expect(rows.nth(count - 1).get_by_label("缺少")).to_be_checked()
    shot("counter-accept-refused-lines-kept")
    assert open_draft.materials.filter(status="received").count() == 0  # nothing saved
    # The last line too, and accept: saved and accepted in one go.
    rows.nth(count - 1).get_by_label("已收").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="受理并打印受理通知书（承诺件）").click()
    expect(page.get_by_test_id("print-slip")).to_be_visible()
    expect(page.get_by_test_id("print-slip")).to_be_focused()
    shot("counter-accepted-print-slip")
    application = Application.objects.get(pk=open_draft.pk)
    assert application.state == "in_review"
    assert set(application.materials.values_list("status", flat=True)) == {"received"}
    assert application.materials.order_by("id").first().copies == 2


def test_all_received_per_item_and_for_the_whole_checklist(
    live_server, page, shot, center, open_draft
):
    sign_in_by_keyboard(page, live_server, "dave")
    page.goto(f"{live_server.url}/applications/{open_draft.pk}/")
    rows = page.locator("tr[data-line]")
    planning_rows = page.locator(f"tr[data-line][data-items~='{center.planning_item.pk}']")
    others = page.locator(f"tr[data-line]:not([data-items~='{center.planning_item.pk}'])")
    assert planning_rows.count() >= 1 and others.count() >= 1
    page.get_by_role("group", name="按事项标记全部已收").get_by_role(
        "button", name=center.planning_item.name
    ).click()
    for n in range(planning_rows.count()):
        expect(planning_rows.nth(n).get_by_label("已收")).to_be_checked()
        # Received: the copies the items ask for, and the copies field shows.
        expect(planning_rows.nth(n).locator("input[type=number]")).to_have_value("1")
    for n in range(others.count()):
        expect(others.nth(n).get_by_label("缺少")).to_be_checked()
    expect(page.locator("[data-checklist-status]")).to_contain_text(
        f"已标记为已收：{planning_rows.count()}项"
    )
    page.get_by_role("button", name="全部已收", exact=True).click()
    for n in range(rows.count()):
        expect(rows.nth(n).get_by_label("已收")).to_be_checked()
    shot("counter-all-received")


def test_the_keyboard_alone_takes_an_application_from_the_desk_to_acceptance(
    live_server, page, shot, center, calendar, materials, applicant, project, seals, package
):
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_by_keyboard(page, live_server, "dave")
    expect(page).to_have_url(f"{live_server.url}/intake/")
    # The desk: the search box has the focus (autofocus, which Chromium may apply just after the
    # load, as on the sign-in page); type, go down into the results, open.
    expect(page.locator("input[name=q]")).to_be_focused()
    page.keyboard.type("青山")
    expect(page.locator("#search-results a").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(applicant.name)
    # The applicant: to "new application".
    tab_to(page, lambda f: f["text"] == "新建申请")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("新建申请")
    # The project (arrow keys in the select), the package, its items ticked at one press.
    tab_to(page, lambda f: f["name"] == "project")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("项目", exact=True)).to_have_value(str(project.pk))
    tab_to(page, lambda f: f["tag"] == "select" and "一件事" in f["label"])
    page.keyboard.press("ArrowDown")
    expect(page.locator("#item-list tbody tr:visible")).to_have_count(2)
    tab_to(page, lambda f: f["text"] == "勾选列出的全部事项")
    page.keyboard.press("Space")
    expect(page.get_by_label(center.permit.name, exact=True)).to_be_checked()
    expect(page.get_by_label(center.planning_item.name, exact=True)).to_be_checked()
    shot("counter-keyboard-items")
    tab_to(page, lambda f: f["text"] == "登记申请")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="申请材料")).to_be_visible()
    # The checklist: "all received", then every line costs at most two stops of Tab.
    lines = page.locator("tr[data-line]").count()
    tab_to(page, lambda f: f["text"] == "全部已收")
    page.keyboard.press("Enter")
    stops = 0
    while True:
        page.keyboard.press("Tab")
        now = focused(page)
        if now["text"] == "保存材料清单":
            break
        if now["name"].startswith("m-"):
            stops += 1
        assert stops <= 2 * lines, now
    assert stops <= 2 * lines
    shot("counter-keyboard-checklist")
    tab_to(page, lambda f: f["text"] == "受理并打印受理通知书（承诺件）")
    page.keyboard.press("Enter")
    # Accepted; the slip's button has the focus: Enter opens it for printing.
    slip = page.get_by_test_id("print-slip")
    expect(slip).to_be_focused()
    application = Application.objects.get()
    assert application.state == "in_review" and application.reviews.count() == 2
    assert slip.get_attribute("href") == f"/documents/{application.documents.get().pk}.pdf"
    shot("counter-keyboard-accepted")
    with page.context.expect_page() as opened:
        page.keyboard.press("Enter")
    assert opened.value.url.endswith(slip.get_attribute("href"))


def test_a_project_registered_on_the_way_comes_back_chosen_with_the_items(
    live_server, page, shot, center, calendar, materials, applicant, package
):
    sign_in_by_keyboard(page, live_server, "dave")
    page.goto(f"{live_server.url}/intake/applicants/{applicant.pk}/apply/")
    page.get_by_label("部门").select_option(str(center.construction.pk))
    expect(page.locator("#item-list tbody tr:visible")).to_have_count(2)
    page.get_by_label(center.permit.name, exact=True).check()
    page.get_by_label("部门").select_option("")
    page.get_by_label(center.planning_item.name, exact=True).check()
    page.get_by_role("button", name="登记项目").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记项目")
    page.get_by_label("项目代码").fill("2026-330185-47-01-777777")
    page.get_by_label("项目名称").fill("青山湖三期")
    page.get_by_label("建设地点").fill("临安区青山湖街道")
    page.get_by_label("总投资（万元）").fill("800")
    page.get_by_label("用地面积（平方米）").fill("3000")
    page.get_by_label("建设内容").fill("研发楼")
    shot("counter-project-on-the-way")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建申请")
    expect(page.get_by_label("项目", exact=True).locator("option:checked")).to_contain_text(
        "青山湖三期"
    )
    expect(page.get_by_label(center.permit.name, exact=True)).to_be_checked()
    expect(page.get_by_label(center.planning_item.name, exact=True)).to_be_checked()
    expect(page.get_by_label(center.design_review.name, exact=True)).not_to_be_checked()
    shot("counter-project-back-chosen")
