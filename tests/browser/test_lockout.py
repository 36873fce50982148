"""Five wrong passwords in the browser: the sign-in pauses with a clear page, in Chinese."""

from playwright.sync_api import expect


def test_the_sign_in_pauses_after_five_wrong_passwords(page, live_server, center, shot):
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(5):
        page.get_by_label("用户名").fill("alice")
        page.get_by_label("密码").fill("wrong-password")
        # The next attempt fills the page that answers this one, not this one as it goes.
        with page.expect_navigation():
            page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("locked")).to_contain_text("暂停登录")
    expect(page.get_by_test_id("locked")).to_contain_text("15 分钟后再试")
    shot("sign-in-paused")
