"""The signer's desk in the browser, by clicking: the officer opens the review from her queue,
records the opinion and the draft and sends it for signature; the window head opens the
signature list from the navigation, opens the review and signs. Screenshots go to
test-artifacts/screenshots/signing-*.png."""

import pytest
from playwright.sync_api import expect

from applications.models import DepartmentReview

from ..conftest import PASSWORD

ITEM = "建筑工程施工许可证核发"
OPINION = "经审查，申报材料齐全，施工图已审查合格，建议准予许可。"


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Signed in once the browser has left the sign-in page: the next goto would cancel the POST.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.usefixtures("transactional_db")
def test_the_officer_sends_for_signature_and_the_head_signs(
    live_server, center, accepted, page, shot
):
    # 1. The officer lands on her queue and opens the review from it.
    sign_in(page, live_server, "alice")
    expect(page.get_by_role("heading", level=1)).to_contain_text("A05")
    page.locator("main tr").filter(has_text=ITEM).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)
    signers = page.get_by_test_id("signers")
    expect(signers).to_contain_text("Bob")
    shot("signing-1-officer-review")

    # 2. She records the opinion and the draft and sends it for signature.
    page.get_by_label("拟准予").check()
    page.get_by_label("承办意见").fill(OPINION)
    page.get_by_role("button", name="送签", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("已送签。")
    expect(page.get_by_test_id("draft")).to_contain_text(OPINION)
    expect(page.get_by_role("button", name="签发", exact=True)).to_have_count(0)
    shot("signing-2-sent")
    review = DepartmentReview.objects.get(item=center.permit)
    assert review.state == "signature"

    # 3. The head opens his list of drafts awaiting signature from the navigation.
    sign_in(page, live_server, "bob")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待我签发").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待我签发")
    row = page.locator("main tr").filter(has_text=ITEM)
    # Accepted in September: long overdue, and past the 20 working days of the law too.
    expect(row).to_have_class("light-law")
    expect(row).to_contain_text("Alice")
    shot("signing-3-signature-list")

    # 4. He opens the review, reads the opinion and the draft, and signs.
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ITEM)
    expect(page.get_by_test_id("draft")).to_contain_text(OPINION)
    shot("signing-4-signer-review")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="签发", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("建设局许字〔")
    steps = page.get_by_test_id("signing-steps")
    expect(steps).to_contain_text("送签")
    expect(steps).to_contain_text("签发")
    shot("signing-5-signed")
    review.refresh_from_db()
    assert review.state == "decided" and review.outcome == "granted"
    assert review.signed_by == center.bob and review.officer == center.alice

    # 5. The list is empty now.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="待我签发").click()
    expect(page.get_by_role("main")).to_contain_text("暂无待你签发的草稿。")


@pytest.mark.usefixtures("transactional_db")
def test_the_leader_lands_on_pending_countersigns_with_their_lights(
    live_server, center, accepted, page, shot
):
    from django.utils import timezone

    from applications import services

    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(
        review=planning, by=center.carol, now=timezone.now(), outcome="granted", reasons=""
    )
    sign_in(page, live_server, "frank")
    waiting = page.get_by_test_id("waiting-for-you")
    expect(waiting).to_contain_text("企业投资项目核准")
    expect(waiting.locator(".dot.law")).to_have_count(1)  # due in October: beyond the law
    shot("signing-6-leader-home")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="会签").click()
    expect(page.locator("main tr.light-law")).to_have_count(1)
    shot("signing-7-countersign-list")
    waiting_link = page.locator("main tr.light-law").get_by_role("link").first
    waiting_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("企业投资项目核准")
