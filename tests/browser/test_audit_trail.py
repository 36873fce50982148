"""The administrator's audit trail in the browser: who changed what, and when."""

from playwright.sync_api import expect

from applications import services

from ..conftest import NOW
from .test_csp import sign_in


def test_the_administrator_reads_the_trail(page, live_server, center, accepted, shot):
    review = accepted.reviews.get(item=center.permit)
    services.review_claim(review=review, by=center.alice, now=NOW)
    sign_in(page, live_server, "root")
    page.get_by_role("link", name="审计记录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计记录")
    page.get_by_label("操作人").fill("alice")
    page.get_by_role("button", name="检索").click()
    rows = page.get_by_test_id("audit").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("办理中")
    shot("audit-trail")
