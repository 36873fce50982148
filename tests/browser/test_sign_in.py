import re

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD

HOMES = {
    "dave": ("/intake/", "综合窗口"),
    "alice": ("/reviews/", "A05"),
    "bob": ("/reviews/", "A05"),
    "carol": ("/reviews/", "A02"),
    "frank": ("/department/", "临安市发展计划局"),
    "erin": ("/supervision/", "AB岗"),
    "root": ("/administration/", "签批权限"),
}


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_label("密码").press("Enter")
    # Signed in once the browser has left the sign-in page: the next goto would cancel the POST.
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("username", HOMES)
def test_each_role_signs_in_and_lands_on_its_home(
    live_server, transactional_db, center, calendar, page, shot, username
):
    path, text = HOMES[username]
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    if username == "dave":
        shot("login-zh")
    sign_in(page, live_server, username)
    expect(page).to_have_url(f"{live_server.url}{path}")
    expect(page.get_by_test_id("who")).to_have_text(username.title())
    expect(page.locator("main")).to_contain_text(text)
    shot(f"home-{username}-zh")


def test_the_language_switcher_and_sign_out(live_server, transactional_db, center, page, shot):
    sign_in(page, live_server, "alice")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Queue")).to_be_visible()
    shot("home-alice-en")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    shot("login-en")


def test_a_wrong_password_shows_a_message_and_stays(live_server, transactional_db, center, page):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("alice")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("请输入一个正确的")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")


def test_the_admin_opens_in_both_languages(live_server, transactional_db, center, page, shot):
    sign_in(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/windows/item/")
    expect(page.locator("#content")).to_contain_text("XK-JSJ-001")
    shot("admin-items-zh")
    page.goto(f"{live_server.url}/administration/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", re.compile("^en"))  # switched
    page.goto(f"{live_server.url}/admin/windows/authorizationletter/")
    expect(page.locator("#content")).to_contain_text("Select letter of authorization to change")
    expect(page.locator("#result_list")).to_contain_text("临建委〔2026〕1号")
    shot("admin-letters-en")
