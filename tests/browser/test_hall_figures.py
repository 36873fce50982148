"""A center manager follows the hall: the dashboard's tiles, the waiting and service times of
the day by window, and the replay of the day a step back, by clicking."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hall import services

from .test_sign_in import sign_in


@pytest.fixture
def this_morning(center, hall):
    """Today, a few minutes before now (after midnight, whatever the clock says): C001 served
    by alice at A05 and rated 5 on its pad, C002 called, C003 waiting."""
    now = timezone.now()
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    start = max(now - dt.timedelta(minutes=40), midnight + dt.timedelta(seconds=1))

    def t(share: float) -> dt.datetime:
        return start + (now - start) * share

    c1 = services.ticket_take(business=hall.construction, now=t(0.0))
    services.ticket_take(business=hall.construction, now=t(0.1))
    services.call_next(staff=center.alice, now=t(0.2))
    services.start_service(ticket=c1, staff=center.alice, now=t(0.25))
    services.finish_service(ticket=c1, staff=center.alice, now=t(0.5))
    services.rate(ticket=c1, device=hall.pad, level=5, now=t(0.55))
    services.call_next(staff=center.bob, now=t(0.6))
    services.ticket_take(business=hall.construction, now=t(0.7))
    return now


@pytest.mark.usefixtures("transactional_db", "assessment_weights")
def test_a_manager_follows_the_hall(live_server, page, shot, center, this_morning):
    sign_in(page, live_server, "erin")
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="监督", exact=True
    ).click()
    tiles = page.get_by_role("region", name="大厅实况")
    expect(tiles).to_contain_text("等候人数")
    expect(tiles.locator(".figure").first.locator(".value")).to_have_text("1")
    shot("hall-dashboard-zh")
    tiles.get_by_role("link", name="等候与办理时长").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("等候与办理时长")
    page.get_by_label("分组方式").select_option("window")
    page.get_by_role("button", name="查看当天").click()
    row = page.locator("tbody tr", has_text="A05")
    expect(row.locator("td").nth(0)).to_have_text("2")  # numbers taken and called there
    expect(row.locator("td").nth(1)).to_have_text("2")
    waiting = page.locator("tbody tr", has_text="尚未叫号")
    expect(waiting.locator("td").nth(0)).to_have_text("1")
    expect(row).to_contain_text("5.0")  # the pad's rating
    shot("hall-figures-zh")
    page.get_by_role("link", name="回放这一天").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("大厅回放")
    windows = page.get_by_role("region", name="各窗口")
    expect(windows).to_contain_text("C002")
    shot("hall-replay-zh")
    page.get_by_role("link", name="提前 15 分钟").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("大厅回放")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Replay of the hall")
    shot("hall-replay-en")
