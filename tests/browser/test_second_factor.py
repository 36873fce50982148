"""The second factor in a browser: a center manager enrols an authenticator at the first sign-in,
keeps the recovery codes, and signs in the next time with one of them; with the setting off, the
header says so."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from .test_sign_in import sign_in


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED = True


def test_a_manager_enrols_and_signs_in_again_with_a_recovery_code(
    live_server, transactional_db, center, calendar, page, shot, otp_on
):
    sign_in(page, live_server, "erin")
    expect(page).to_have_url(f"{live_server.url}/second-factor/enrol/?next=%2F")
    expect(page.get_by_role("heading", name="设置双因素认证")).to_be_visible()
    expect(page.get_by_test_id("qr")).to_be_visible()
    expect(page.locator("nav.mainnav")).to_have_count(0)  # no menu before the step
    shot("second-factor-enrol-zh")
    secret = page.get_by_test_id("secret").inner_text().replace(" ", "")
    page.get_by_label("验证码").fill(f"{totp(b32decode(secret)):06d}")
    page.get_by_role("button", name="确认").click()
    codes = page.get_by_test_id("recovery-codes").locator("li")
    expect(codes).to_have_count(10)
    shot("second-factor-recovery-codes-zh")
    first = codes.first.inner_text()
    page.get_by_role("link", name="已妥善保存，继续").click()
    expect(page).to_have_url(f"{live_server.url}/supervision/")
    expect(page.get_by_test_id("second-factor")).to_have_text("双因素认证")

    page.get_by_role("button", name="退出").click()
    page.wait_for_url(lambda url: "/accounts/login/" in url)  # signed out before signing in
    sign_in(page, live_server, "erin")
    expect(page).to_have_url(f"{live_server.url}/second-factor/verify/?next=%2F")
    page.get_by_label("验证码").fill("000000")
    page.get_by_role("button", name="继续").click()
    expect(page.get_by_role("alert")).to_contain_text("验证码不正确")
    shot("second-factor-verify-zh")
    page.wait_for_timeout(1100)  # the wait after one wrong code: a second
    page.get_by_label("验证码").fill(first)
    page.get_by_role("button", name="继续").click()
    expect(page).to_have_url(f"{live_server.url}/supervision/")
    expect(page.locator(".messages")).to_contain_text("还剩 9 个")
    page.goto(f"{live_server.url}/second-factor/")
    expect(page.get_by_test_id("codes-left")).to_have_text("9")
    shot("second-factor-mine-zh")


def test_with_the_setting_off_the_header_says_so(
    live_server, transactional_db, center, calendar, page, shot
):
    sign_in(page, live_server, "root")
    expect(page).to_have_url(f"{live_server.url}/administration/")
    expect(page.get_by_test_id("second-factor-off")).to_have_text("本系统未启用双因素认证")
    page.goto(f"{live_server.url}/second-factor/staff/")
    expect(page.get_by_test_id("second-factors")).to_contain_text("erin")
    shot("second-factor-staff-off-zh")
