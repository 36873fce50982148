"""Accessibility (issue 21: GB/T 37668, WCAG 2.1 AA) in the browser.

Every page a browser test lands on is checked by the `accessibility` fixture (conftest.py,
a11y.py). Here every role walks its pages in Chinese and in English, mostly by clicking its
navigation, so that those pages are checked; the keyboard reaches the skip link first and sees
where it is; and the checker is shown to find what is broken on purpose, and to run axe-core
again on a page whose form differs in anything but the digits of its data.
"""

import re

import pytest
from playwright.sync_api import expect

from ..applicant_helpers import rating_key
from ..conftest import PASSWORD
from . import a11y
from .a11y import check_page, script


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def click_through(page, live_server, paths):
    """Click each link of the main navigation (the admin site is Django's), then open each of
    `paths`; every page answers without an error."""
    statuses = []
    page.on(
        "response",
        lambda r: statuses.append((r.url, r.status)) if r.request.is_navigation_request() else None,
    )
    hrefs = page.locator("nav.mainnav a").evaluate_all(
        "els => els.map(a => a.getAttribute('href'))"
    )
    for href in hrefs:
        if href.startswith("/admin/"):
            continue
        page.locator(f'nav.mainnav a[href="{href}"]').click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert [(url, status) for url, status in statuses if status >= 400] == []
    return len(hrefs)


# Each role's pages beyond its navigation: where its work leads (the application, the review,
# the timeline), reached by the objects of `working_center`.
def deep_pages(role, data, center):
    a, r, u = data["application"], data["review"], data["urge"]
    application = [f"/applications/{a.pk}/", f"/applications/{a.pk}/timeline/"]
    return {
        "dave": [
            *application,
            f"/reviews/{r.pk}/",
            f"/intake/applicants/{a.applicant_id}/",
            f"/intake/applicants/{a.applicant_id}/apply/",
            "/intake/applicants/new/",
            "/intake/online/",
            f"/search/?q={a.receipt_number}",
            "/supervision/notices/",
        ],
        "alice": [
            *application,
            f"/reviews/{r.pk}/",
            f"/supervision/urges/{u.pk}/",
            "/extensions/",
            f"/windows/{center.construction_window.number}/",
        ],
        "bob": [*application, f"/reviews/{r.pk}/", "/extensions/", "/supervision/meetings/"],
        "carol": [*application, f"/departments/{center.planning.code}/"],
        "frank": [*application, f"/catalog/{center.planning_item.code}/"],
        "erin": [
            *application,
            f"/reviews/{r.pk}/",
            f"/supervision/urges/{u.pk}/",
            f"/supervision/reviews/{r.pk}/urge/",
            f"/supervision/applications/{a.pk}/help/",
            f"/supervision/applications/{a.pk}/meetings/new/",
            "/supervision/notices/",
        ],
        "gwen": [*application, "/extensions/"],
        "root": [*application, "/supervision/assessment/people/"],
    }[role]


ROLES = ["dave", "alice", "bob", "carol", "frank", "erin", "gwen", "root"]


@pytest.mark.usefixtures("transactional_db")
@pytest.mark.parametrize("username", ROLES)
def test_each_role_s_pages_in_both_languages(
    live_server, center, working_center, page, shot, accessibility, username
):
    paths = [p for p in deep_pages(username, working_center, center) if p]
    sign_in(page, live_server, username)
    shot(f"a11y-{username}-zh")
    click_through(page, live_server, paths)
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(f"a11y-{username}-en")
    click_through(page, live_server, paths)
    page.get_by_role("button", name="简体中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    # Every page was checked in both languages.
    languages = {name.rsplit("[", 1)[1] for name in accessibility.pages}
    assert languages == {"zh-hans]", "en]"}
    assert accessibility.loads >= 2 * len(paths)


@pytest.mark.usefixtures("transactional_db")
def test_the_applicant_s_pages_in_both_languages(
    live_server, center, working_center, page, shot, accessibility
):
    application, delivered = working_center["application"], working_center["delivered"]
    for language in ("简体中文", "English"):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_role("button", name=language).click()
        page.locator("#id_username").fill("nobody")
        page.locator("#id_password").fill("wrong")
        page.get_by_role("button", name=re.compile("^(登录|Sign in)$")).click()
        expect(page.get_by_role("alert").first).to_be_visible()  # the error, announced
        page.goto(f"{live_server.url}/track/")
        page.locator("main form input:visible").first.fill(application.receipt_number)
        page.locator("main form input:visible").nth(1).fill("WRONG1")
        page.locator("main form button.primary").click()
        expect(page.get_by_role("alert").first).to_be_visible()  # answered before the next goto
        page.goto(
            f"{live_server.url}/track/?number={application.receipt_number}"
            f"&code={application.access_code}"
        )
        expect(page.get_by_role("main")).to_contain_text(application.receipt_number)
        shot(f"a11y-track-{'en' if language == 'English' else 'zh'}")
        page.goto(f"{live_server.url}/track/rate/{rating_key(delivered)}/")
        expect(page.locator("input[name=level]").first).to_be_visible()
        shot(f"a11y-rate-{'en' if language == 'English' else 'zh'}")
        page.goto(f"{live_server.url}/no-such-page/")
    languages = {name.rsplit("[", 1)[1] for name in accessibility.pages}
    assert languages == {"zh-hans]", "en]"}


def focus_ring(page) -> str:
    """How the focused element shows its focus: its computed outline or box shadow."""
    return page.evaluate(
        """() => {
      const style = getComputedStyle(document.activeElement);
      const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
      if (outline) return `outline ${style.outlineWidth} ${style.outlineStyle}`;
      return style.boxShadow !== "none" ? `box-shadow ${style.boxShadow}` : "";
    }"""
    )


@pytest.mark.usefixtures("transactional_db")
@pytest.mark.parametrize("where", ["staff", "public"])
def test_the_keyboard_reaches_the_skip_link_first_and_sees_the_focus(
    live_server, center, page, shot, where
):
    if where == "staff":
        # The officer's queue (the sign-in page, the desk, the catalog and the search put the
        # focus in their search field on arrival, as the people at them want).
        sign_in(page, live_server, "alice")
    else:
        page.goto(f"{live_server.url}/track/")
    # From the top of a page just opened, the first Tab.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0  # shown when focused, not off the screen
    assert focus_ring(page)
    shot(f"a11y-skip-link-{where}")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # From the main content on, every Tab stop shows where the focus is.
    for _ in range(8):
        page.keyboard.press("Tab")
        tag = page.evaluate("document.activeElement.localName")
        if tag == "body":
            break
        assert page.evaluate("!!document.activeElement.closest('main, footer')")
        assert focus_ring(page), page.evaluate("document.activeElement.outerHTML")
    # And in the header too, on its dark bar.
    page.goto(page.url.split("#")[0])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focus_ring(page), page.evaluate("document.activeElement.outerHTML")


BROKEN = """<!DOCTYPE html><html lang="en"><head><title>Broken</title></head><body>
<button type="button">first</button>
<a class="skip" href="#main">Skip to main content</a>
<main id="main">
  <h1>Broken on purpose</h1>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
  <p id="twice">one</p><p id="twice">two</p>
  <input id="name" aria-describedby="name-help">
  <label for="nowhere">Nothing</label>
  <p>Applicant: 临安青山建设有限公司</p>
  <p lang="zh">临安青山建设有限公司</p>
  <p>Waiting <span style="color: #bbb">3</span></p>
</main></body></html>"""


def test_the_check_finds_what_is_broken(page):
    page.set_content(BROKEN)
    found = {(v.rule, v.selector) for v in check_page(page)}
    rules = {rule for rule, _ in found}
    assert {
        "image-alt",  # axe-core
        "label",  # axe-core: the input has no label
        "duplicate-id",
        "idref-missing",
        "label-for-missing",
        "skip-link-first",
        "chinese-without-lang",
        "color-contrast",  # a count of one digit, which axe leaves undecided
    } <= rules
    assert ("duplicate-id", "#main > p:nth-of-type(2)") in found
    assert ("chinese-without-lang", "#main > p:nth-of-type(3)") in found
    # The Chinese marked as Chinese is not reported.
    assert ("chinese-without-lang", "#main > p:nth-of-type(4)") not in found


@pytest.mark.usefixtures("transactional_db")
def test_a_broken_page_of_the_server_fails_the_test(live_server, center, page, accessibility):
    # A page at the server's address, as a view could answer it; the guard checks it as the
    # browser leaves it, and would fail this test at its end.
    page.route(
        f"{live_server.url}/broken/",
        lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=BROKEN
        ),
    )
    page.goto(f"{live_server.url}/broken/")
    page.goto(f"{live_server.url}/accounts/login/")
    broken = [v for v in accessibility.violations if v.url.endswith("/broken/")]
    assert {"image-alt", "duplicate-id", "skip-link-first"} <= {v.rule for v in broken}
    message = str(broken[0])
    assert f"{live_server.url}/broken/" in message and broken[0].rule in message
    assert broken[0].selector in message
    # What the guard would fail the test with, taken back so that this test passes.
    accessibility.violations[:] = [v for v in accessibility.violations if v not in broken]
    assert accessibility.failures() == []


SHAPED = """<!DOCTYPE html><html lang="en"><head><title>Case</title></head><body>
<a class="skip" href="#main">Skip to main content</a>
<main id="main"><h1>Case 2026{n}</h1>
  <label for="f-{n}">Name</label><input id="f-{n}" name="f-{n}">
  <table><tr><th colspan="{span}">Deadline</th></tr><tr><td>{n} October</td><td>x</td></tr></table>
  <img src="/media/{n}.png" alt="{alt}">
</main></body></html>"""


def shape_of(page, html: str) -> str:
    page.set_content(html)
    page.evaluate(script() + "\n;undefined")
    return page.evaluate("window.__a11yShape()")


def test_a_page_s_shape_leaves_out_the_digits_of_its_data_and_nothing_else(page):
    shape = shape_of(page, SHAPED.format(n=1, span=2, alt="Seal"))
    # Other numbers, dates, object ids: the same form, the same verdict of axe-core.
    assert shape_of(page, SHAPED.format(n=417, span=2, alt="Seal")) == shape
    # What axe-core reads differs: another shape, checked again.
    assert shape_of(page, SHAPED.format(n=1, span=3, alt="Seal")) != shape  # a header's span
    assert shape_of(page, SHAPED.format(n=1, span=2, alt="")) != shape  # an empty alt
    other_label = SHAPED.format(n=1, span=2, alt="Seal").replace('for="f-1"', 'for="main"')
    assert shape_of(page, other_label) != shape  # the label names another element
    twice = SHAPED.format(n=1, span=2, alt="Seal").replace("<h1>", '<h1 id="main">')
    assert shape_of(page, twice) != shape  # an id given twice
    chinese = SHAPED.format(n=1, span=2, alt="Seal").replace("Name", "名称")
    assert shape_of(page, chinese) != shape  # the words themselves


@pytest.mark.usefixtures("transactional_db")
def test_a_page_of_a_shape_axe_passed_gets_the_own_checks_only(
    live_server, browser, accessibility, monkeypatch
):
    monkeypatch.setattr(a11y, "PASSED", set())  # nothing passed yet in this process
    monkeypatch.setattr(a11y, "REUSE", True)  # whatever A11Y_REUSE says
    context = browser.new_context()
    shaped = context.new_page()

    def serve(route):  # /shaped/<n>/: the page of case n
        n = int(route.request.url.rstrip("/").rsplit("/", 1)[1])
        body = SHAPED.format(n=n, span=2, alt="Seal")
        route.fulfill(content_type="text/html; charset=utf-8", body=body)

    context.route(f"{live_server.url}/shaped/*/", serve)
    # (The route answers before the guard's own, which would hold the next page: settle here.)
    shaped.goto(f"{live_server.url}/shaped/1/")
    accessibility.settle([shaped])
    shaped.goto(f"{live_server.url}/shaped/2/")  # the same tab: it knows the shape passed
    context.close()
    assert accessibility.reused == 1 and len(a11y.PASSED) == 1
    later = browser.new_context()  # a new context is told the shapes passed
    later.route(f"{live_server.url}/shaped/*/", serve)
    later.new_page().goto(f"{live_server.url}/shaped/3/")
    later.close()
    assert accessibility.reused == 2
    assert accessibility.loads == 3 and accessibility.failures() == []
