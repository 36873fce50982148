"""The online pre-review queue clicked through as a clerk at a desk (docs/filing.md), in Chinese
and in English: from the intake desk's short online list to the whole queue, a search by the
applicant's name, the page after, and on to an application's pre-review. axe-core checks every
page (tests/browser/conftest.py); screenshots go to test-artifacts/screenshots/online-queue-*.png.
"""

import datetime as dt

import pytest
from playwright.sync_api import expect

from applications import services
from applications.models import Application
from applications.views import INTAKE_ONLINE_SIZE, ONLINE_PAGE_SIZE

from ..conftest import NOW
from ..portal_helpers import person
from .test_counter import sign_in_by_keyboard
from .test_track_phone import shot

DESK = {"viewport": {"width": 1366, "height": 900}}


def filed_online(center, count: int) -> list[Application]:
    """`count` applications filed online, one 7 hours before another, the oldest the most
    pressing; through the counter's own service, as the portal files them."""
    return [
        services.application_create(
            applicant=person(f"139{n:08d}", n),
            project=None,
            items=[center.design_review, center.planning_item][: 1 + n % 2],
            by=None,
            now=NOW - dt.timedelta(hours=7 * n),
            channel=Application.Channel.ONLINE,
            reason="Online, by the applicant",
        )
        for n in range(1, count + 1)
    ]


@pytest.mark.usefixtures("transactional_db")
@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_a_clerk_works_through_the_online_queue(
    live_server, center, calendar, materials, seals, browser, time_machine, language
):
    time_machine.move_to(NOW, tick=True)
    waiting = filed_online(center, ONLINE_PAGE_SIZE + 2)
    oldest = waiting[-1]
    suffix = "zh" if language.startswith("zh") else "en"
    context = browser.new_context(**DESK, locale=language)
    page = context.new_page()
    sign_in_by_keyboard(page, live_server, "dave")

    # 1. The desk: the few most pressing, the oldest submission first, and a link to all.
    page.goto(f"{live_server.url}/intake/")
    online = page.locator("#online")
    expect(online.locator("tbody tr")).to_have_count(INTAKE_ONLINE_SIZE)
    expect(online.locator("tbody tr").first).to_contain_text(oldest.applicant.name)
    shot(page, f"online-queue-1-desk-{suffix}")
    online.locator("a[href='/intake/online/']").click()

    # 2. The queue: a page of the most pressing, the count of all, the pager.
    expect(page).to_have_url(f"{live_server.url}/intake/online/")
    rows = page.locator("table.online-queue tbody tr")
    expect(rows).to_have_count(ONLINE_PAGE_SIZE)
    expect(rows.first).to_contain_text(oldest.applicant.name)
    expect(page.locator("h1 .count")).to_have_text(str(len(waiting)))
    shot(page, f"online-queue-2-page-{suffix}")
    page.locator("nav.pager a").last.click()
    expect(rows).to_have_count(2)
    expect(rows.last).to_contain_text(waiting[0].applicant.name)  # the newest, last

    # 3. A search by the applicant's name, then on to that application's pre-review.
    wanted = waiting[9]
    page.locator("#online-q").fill(wanted.applicant.name)
    page.locator("form[role=search] button").click()
    expect(rows).to_have_count(1)
    expect(page.locator("#online-found")).to_contain_text(wanted.applicant.name)
    shot(page, f"online-queue-3-search-{suffix}")
    rows.first.get_by_role("link", name=wanted.applicant.name).click()
    expect(page).to_have_url(f"{live_server.url}/applications/{wanted.pk}/")
    expect(page.locator("tr[data-line]").first).to_be_visible()
    context.close()
