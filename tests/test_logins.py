"""Sign-in: throttled per username and address with a cool-off, idle sessions end, every sign-in,
sign-out and failure is logged without the password, and passwords are checked."""

import datetime as dt
import logging

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

from .conftest import PASSWORD

WRONG = "not-the-password-Xq7"
START = dt.datetime(2026, 9, 28, 9, 0, tzinfo=dt.UTC)


def sign_in(client, username, password, address="10.0.0.1", language="en"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE=language,
    )


def test_five_failures_lock_that_username_at_that_address(client, center, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert sign_in(client, "alice", WRONG).status_code == 200  # the form again
    response = sign_in(client, "alice", WRONG)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in paused" in page and "Try again in 15 minutes" in page
    # Now even the right password is refused from there, with the same page.
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address, or another username from the same address, is not held back.
    assert sign_in(client, "alice", PASSWORD, address="10.0.0.2").status_code == 302
    client.logout()
    assert sign_in(client, "bob", PASSWORD).status_code == 302


def test_the_lockout_page_speaks_chinese(client, center):
    for _ in range(5):
        response = sign_in(client, "alice", WRONG, language="zh-hans")
    assert response.status_code == 429
    page = response.content.decode()
    assert "暂停登录" in page and "15 分钟后再试" in page


def test_the_lock_ends_after_the_cool_off(client, center):
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(5):
            sign_in(client, "alice", WRONG)
        assert sign_in(client, "alice", PASSWORD).status_code == 429
        clock.shift(dt.timedelta(minutes=16))
        assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_a_success_clears_the_count(client, center):
    for _ in range(4):
        sign_in(client, "alice", WRONG)
    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "alice", WRONG).status_code == 200


def test_every_sign_in_out_and_failure_is_logged_without_the_password(client, center, caplog):
    caplog.set_level(logging.INFO)
    sign_in(client, "alice", WRONG, address="10.0.0.9")
    sign_in(client, "alice", PASSWORD, address="10.0.0.9")
    client.post(reverse("logout"), REMOTE_ADDR="10.0.0.9")
    lines = [r.getMessage() for r in caplog.records if r.name == "audit.auth"]
    assert lines == [
        "login failed username=alice address=10.0.0.9",
        "login user=alice address=10.0.0.9",
        "logout user=alice address=10.0.0.9",
    ]
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert WRONG not in everything and PASSWORD not in everything
    # axes keeps them in the database too, for the admin.
    assert AccessFailureLog.objects.filter(username="alice", ip_address="10.0.0.9").count() == 1
    assert AccessLog.objects.filter(username="alice", logout_time__isnull=False).count() == 1
    assert not AccessAttempt.objects.exists()  # cleared by the success


def login_at(client, user, when):
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        assert client.get(reverse("windows:catalog")).status_code == 200


def get_at(client, when, url=None, **headers):
    with time_machine.travel(when, tick=False):
        return client.get(url or reverse("windows:catalog"), **headers)


def test_an_idle_session_ends_after_thirty_minutes(client, center, settings):
    assert settings.SESSION_IDLE_SECONDS == 1800
    login_at(client, center.alice, START)
    # Activity keeps it alive: each request starts the thirty minutes again.
    assert get_at(client, START + dt.timedelta(minutes=29)).status_code == 200
    assert get_at(client, START + dt.timedelta(minutes=58)).status_code == 200
    response = get_at(client, START + dt.timedelta(minutes=89), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_a_page_refreshing_itself_is_not_activity(client, center, caplog):
    caplog.set_level(logging.INFO)
    live = reverse("supervision:live")
    login_at(client, center.erin, START)
    for minutes in (10, 20, 29):
        response = get_at(
            client, START + dt.timedelta(minutes=minutes), live, HTTP_X_AUTO_REFRESH="1"
        )
        assert response.status_code == 200
    # Thirty-one minutes after her last own request: the refresh is told to reload...
    response = get_at(
        client,
        START + dt.timedelta(minutes=31),
        live,
        HTTP_X_AUTO_REFRESH="1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 401
    assert "logout user=erin address=127.0.0.1 reason=idle" in caplog.text
    # ...and the reload lands on the sign-in form with a word of why.
    response = get_at(client, START + dt.timedelta(minutes=31), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You were signed out after 30 minutes without activity." in page


def test_the_idle_limit_is_configurable(client, center, settings):
    settings.SESSION_IDLE_SECONDS = 300
    login_at(client, center.alice, START)
    assert get_at(client, START + dt.timedelta(minutes=4)).status_code == 200
    assert get_at(client, START + dt.timedelta(minutes=10)).status_code == 302


@pytest.mark.parametrize("weak", ["12345678", "password", "alice2026", "short"])
def test_weak_passwords_are_refused(center, weak):
    with pytest.raises(ValidationError):
        password_validation.validate_password(weak, user=center.alice)
    password_validation.validate_password("Qingshan-lake 2026 permit", user=center.alice)


# --- password spraying: many usernames from one address ------------------------------------------


def test_many_usernames_from_one_address_stop_that_address(client, center, settings):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 20
    statuses = [
        sign_in(client, f"guess{n}", WRONG, address="10.0.0.9").status_code for n in range(25)
    ]
    # Each username fails once only (axes' own limit never bites); the address stops at 20.
    assert statuses[:20] == [200] * 20
    assert statuses[20:] == [429] * 5
    # Even a right password is refused from there, with the translated page.
    response = sign_in(client, "alice", PASSWORD, address="10.0.0.9", language="zh-hans")
    assert response.status_code == 429
    assert "暂停登录" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address signs in.
    assert sign_in(client, "alice", PASSWORD, address="10.0.0.10").status_code == 302


def test_the_address_limit_ends_after_the_cool_off(client, center, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    with time_machine.travel(START, tick=False) as clock:
        for n in range(3):
            sign_in(client, f"guess{n}", WRONG)
        assert sign_in(client, "alice", PASSWORD).status_code == 429
        clock.shift(dt.timedelta(minutes=16))
        assert sign_in(client, "alice", PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_change_the_address(client, center, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(3):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": WRONG},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",  # a new address each time, says the attacker
        )
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {"10.0.0.1"}
    response = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.77",
    )
    assert response.status_code == 429


def test_behind_the_proxy_the_address_is_the_one_it_recorded(client, center, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(3):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": WRONG},
            REMOTE_ADDR="10.0.0.254",  # the proxy
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, 198.51.100.{n % 1 + 7}",
        )
    # The client 198.51.100.7 is stopped; another client behind the same proxy is not.
    stopped = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert stopped.status_code == 429
    other = client.post(
        reverse("login"),
        {"username": "alice", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.254",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.8",
    )
    assert other.status_code == 302


def test_the_admin_sign_in_is_held_to_the_address_limit_too(client, center, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        sign_in(client, f"guess{n}", WRONG)
    response = client.post(
        reverse("admin:login"),
        {"username": "root", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 429
