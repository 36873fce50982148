"""The manager's journey in the browser: a late review on the dashboard, an urge notice to its
window, the officer's reply from the queue, and both on the timeline. Screenshots go to
test-artifacts/screenshots/supervision-*.png."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from supervision.sweep import sweep

from .test_journey import sign_in


@pytest.mark.usefixtures("transactional_db")
def test_a_manager_urges_a_late_review_and_the_window_replies(
    live_server, center, accepted, page, shot
):
    # The application was accepted on 28 September: its reviews are long overdue today.
    sweep(now=timezone.now())
    sign_in(page, live_server, "erin")
    page.goto(f"{live_server.url}/supervision/")
    late = page.locator("#live tr").filter(has_text="建筑工程施工许可证核发")
    expect(late).to_contain_text("建设局")
    shot("supervision-dashboard")
    late.get_by_role("link", name="督办").click()

    page.get_by_label("督办要求").fill("请说明超期原因，并于两个工作日内办结。")
    page.get_by_role("button", name="发出督办单").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("督办〔")
    expect(page.get_by_role("link", name="打印（PDF）")).to_be_visible()
    shot("supervision-urge-issued")

    # The officer sees it at the top of the queue until answered.
    sign_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/reviews/")
    banner = page.locator(".notice").filter(has_text="督办〔")
    expect(banner).to_be_visible()
    shot("supervision-queue-urged")
    banner.get_by_role("link").click()
    page.get_by_label("回复").fill("已补充现场核查，本周五前办结。")
    page.get_by_role("button", name="提交回复").click()
    expect(page.get_by_role("main")).to_contain_text("回复已报送中心。")
    page.goto(f"{live_server.url}/reviews/")
    expect(page.locator(".notice").filter(has_text="督办〔")).to_have_count(0)

    # The manager reads the reply on the application's timeline.
    sign_in(page, live_server, "erin")
    page.goto(f"{live_server.url}/applications/{accepted.pk}/timeline/")
    expect(page.locator("ol.timeline")).to_contain_text("已补充现场核查")
    shot("supervision-timeline")
