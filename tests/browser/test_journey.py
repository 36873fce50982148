"""One application from intake through three departments to delivery, in the browser, as the
clerk, the officers, the heads, the deputy and the leader do it. Screenshots of each step go to
test-artifacts/screenshots/journey-*.png."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Application
from windows import authority
from windows.models import AuthorizationLetter, Department, Item, ItemMaterial, Seal, Window
from windows.roles import Role

from ..conftest import PASSWORD, make_staff


@pytest.fixture
def environment(center, materials):
    """A third department with its window, item, head and letter."""
    department = Department.objects.create(
        code="hbj", name="临安市环境保护局", short_name="环保局", leader_name="周明（局长）"
    )
    window = Window.objects.create(number="A10", name="环保局窗口", department=department)
    item = Item.objects.create(
        code="XK-HBJ-001",
        name="建设项目环境影响报告表审批",
        department=department,
        window=window,
        legal_basis="《环境影响评价法》",
        statutory_days=20,
        promised_days=8,
        fixed_asset_parallel=True,
    )
    ItemMaterial.objects.create(item=item, material=materials["licence"], form="copy")
    head = make_staff("grace", Role.WINDOW_HEAD, department=department, window=window)
    letter = AuthorizationLetter.objects.create(
        number="临环委〔2026〕1号",
        department=department,
        delegating_official="周明（局长）",
        window_head=head,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    letter.items.set([item])
    for w in (center.intake_window, center.construction_window, center.planning_window, window):
        Seal.objects.get_or_create(
            window=w,
            defaults={
                "number": f"33{w.number}",
                "inscription": f"{w.name}专用章",
                "issued_on": dt.date(2024, 1, 1),
            },
        )
    authority.sync_signing_authority(at=timezone.now())
    return item


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in once the browser has left the sign-in page: the next goto would cancel the POST.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def open_review(page, live_server, item_name):
    page.goto(f"{live_server.url}/reviews/")
    # Open reviews are rows of the queue; decided ones are listed under it.
    page.locator("main tr, main li").filter(has_text=item_name).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(item_name)


def press(page, name):
    """Press the one button of that name and wait for the page that follows, where it is gone:
    the next step's goto or press would otherwise cancel the request still under way, and two
    requests at once share the test's in-memory SQLite connection."""
    button = page.get_by_role("button", name=name, exact=True)
    button.click()
    expect(button).to_have_count(0)


def confirm_receipts(page, count):
    """The clerk confirms the returned results one at a time, each after the list has reloaded."""
    receipts = page.get_by_role("button", name="确认签收", exact=True)
    for left in range(count - 1, -1, -1):
        receipts.first.click()
        expect(receipts).to_have_count(left)


def decide_and_return(page, live_server, username, item_name, shot, step):
    sign_in(page, live_server, username)
    open_review(page, live_server, item_name)
    page.get_by_label("准予许可").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="签批决定").click()
    expect(page.get_by_role("main")).to_contain_text("许字〔")
    shot(f"journey-{step}-decided-{username}")


@pytest.mark.usefixtures("transactional_db")
def test_one_application_through_three_departments(
    live_server, center, calendar, environment, applicant, project, page, shot
):
    # 1. The clerk finds the applicant by typing, takes three items, checks the materials.
    sign_in(page, live_server, "dave")
    page.get_by_label("名称、统一社会信用代码").fill("青山")
    page.locator("#search-results a").first.click()
    page.get_by_role("link", name="新建申请").click()
    page.get_by_label("项目", exact=True).select_option(str(project.pk))
    finder = page.get_by_label("查找事项")
    finder.fill("环保局")
    expect(page.get_by_label("建设项目环境影响报告表审批", exact=True)).to_be_visible()
    expect(page.get_by_label("建筑工程施工许可证核发", exact=True)).to_be_hidden()
    finder.fill("")
    for item in ("建筑工程施工许可证核发", "企业投资项目核准", "建设项目环境影响报告表审批"):
        page.get_by_label(item, exact=True).check()
    shot("journey-1-items")
    page.get_by_role("button", name="登记申请").click()
    # Every line received at one press, and accepted without saving first: one form.
    page.get_by_role("button", name="全部已收", exact=True).click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="受理并打印受理通知书（承诺件）").click()
    expect(page.get_by_role("main")).to_contain_text("受理编号")
    shot("journey-2-accepted")
    application = Application.objects.get()
    assert application.state == "in_review" and application.reviews.count() == 3
    slip = page.request.get(f"{live_server.url}/documents/{application.documents.get().pk}.pdf")
    assert slip.body().startswith(b"%PDF")

    # 2. Construction: the officer takes it, the head signs under the letter and returns it.
    sign_in(page, live_server, "alice")
    open_review(page, live_server, "建筑工程施工许可证核发")
    press(page, "领办")
    shot("journey-3-claimed-alice")
    decide_and_return(page, live_server, "bob", "建筑工程施工许可证核发", shot, 4)
    press(page, "办结并送回综合窗口")

    # 3. Planning: the deputy signs, the leader countersigns, the deputy returns it.
    decide_and_return(page, live_server, "carol", "企业投资项目核准", shot, 5)
    sign_in(page, live_server, "frank")
    page.goto(f"{live_server.url}/reviews/countersign/")
    press(page, "会签")
    shot("journey-6-countersigned")
    sign_in(page, live_server, "carol")
    open_review(page, live_server, "企业投资项目核准")
    press(page, "办结并送回综合窗口")

    # 4. Environment: the head signs and returns.
    decide_and_return(page, live_server, "grace", "建设项目环境影响报告表审批", shot, 7)
    press(page, "办结并送回综合窗口")

    # 5. The clerk confirms the three documents, hands over the results, reads the timeline.
    sign_in(page, live_server, "dave")
    confirm_receipts(page, 3)
    page.get_by_role("link", name=application.receipt_number).first.click()
    page.get_by_role("button", name="交付办理结果（办结）").click()
    expect(page.get_by_role("main")).to_contain_text("已办结")
    shot("journey-8-delivered")
    page.get_by_role("link", name="办理轨迹").click()
    expect(page.get_by_role("main")).to_contain_text("临环委〔2026〕1号")
    shot("journey-9-timeline")
    application.refresh_from_db()
    assert application.state == "delivered"
