"""Signing in to the applicant's side with a mobile number and an SMS code (portal/signin.py):
the code is single-use, expires, has a few tries, is sent at a limited rate per number and per
address, is never stored or logged, and the answer does not tell who has applied."""

from __future__ import annotations

import copy
import datetime as dt
import logging

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Account, Session, SignInCode, SignInMessage

from .conftest import NOW
from .portal_helpers import SENT, ask_code, last_code, sign_in

KNOWN = "13800000000"  # the `applicant` fixture's mobile
UNKNOWN = "13912345678"
# The refusals are read in English (the Chinese catalog gets the new texts when merged).
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def gateway(settings, time_machine):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    time_machine.move_to(NOW, tick=False)
    return SENT


def code_page(client, code, address="203.0.113.7"):
    return client.post(reverse("portal:code"), {"code": code}, REMOTE_ADDR=address)


def test_a_code_signs_in_once(db, applicant):
    client = Client(**EN)
    assert ask_code(client, KNOWN).status_code == 302
    code = last_code(KNOWN)
    thief = Client(**EN)
    thief.cookies = copy.deepcopy(client.cookies)  # the same pending number, another browser
    response = code_page(client, code)
    assert response.status_code == 302
    assert client.get(reverse("portal:applications")).status_code == 200
    # The same code again, from the browser that holds the pending number: void.
    again = code_page(thief, code)
    assert again.status_code == 200
    assert "no longer valid" in again.content.decode()
    assert Session.objects.count() == 1


def test_the_session_cookie_is_the_applicants_own(db, applicant, settings):
    client = Client(**EN)
    ask_code(client, KNOWN)
    response = code_page(client, last_code(KNOWN))
    cookie = response.cookies[settings.PORTAL_SESSION_COOKIE]
    assert cookie["path"] == "/my/"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == settings.PORTAL_SESSION_MAX_SECONDS
    assert settings.SESSION_COOKIE_NAME not in response.cookies  # no staff session made
    # Stored hashed: the key in the cookie is not in the database.
    session = Session.objects.get()
    assert cookie.value not in session.digest and len(session.digest) == 64


def test_a_code_expires(db, applicant, time_machine):
    client = Client(**EN)
    ask_code(client, KNOWN)
    code = last_code(KNOWN)
    time_machine.move_to(NOW + dt.timedelta(seconds=301), tick=False)
    # The pending cookie lasts as long as the code: the browser is sent back to ask again.
    assert code_page(client, code)["Location"] == reverse("portal:sign_in")


def test_an_expired_code_is_refused_even_with_the_pending_number(
    db, applicant, settings, time_machine
):
    settings.PORTAL_CODE_SECONDS = 300
    client = Client(**EN)
    ask_code(client, KNOWN)
    code = last_code(KNOWN)
    row = SignInCode.objects.get()
    SignInCode.objects.filter(pk=row.pk).update(expires_at=NOW - dt.timedelta(seconds=1))
    response = code_page(client, code)
    assert response.status_code == 200 and "expired" in response.content.decode()
    assert not Session.objects.exists()


def test_five_wrong_codes_void_the_code(db, applicant):
    client = Client(**EN)
    ask_code(client, KNOWN)
    code = last_code(KNOWN)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        page = code_page(client, wrong).content.decode()
        assert f"{left} attempt" in page
    assert "too many times" in code_page(client, wrong).content.decode()
    # The right code now signs in no one.
    assert "no longer valid" in code_page(client, code).content.decode()
    assert not Session.objects.exists()
    assert SignInCode.objects.get().attempts == 5


def test_a_malformed_code_costs_no_attempt(db, applicant):
    client = Client(**EN)
    ask_code(client, KNOWN)
    page = code_page(client, "12ab").content.decode()
    assert "six digits" in page
    assert SignInCode.objects.get().attempts == 0


def test_a_new_code_voids_the_one_before(db, applicant, time_machine):
    client = Client(**EN)
    ask_code(client, KNOWN)
    first = last_code(KNOWN)
    time_machine.move_to(NOW + dt.timedelta(seconds=61), tick=False)
    ask_code(client, KNOWN)
    second = last_code(KNOWN)
    if first != second:  # the first is now a wrong code like any other
        assert "Wrong code" in code_page(client, first).content.decode()
    assert code_page(client, second).status_code == 302


def test_one_code_a_minute_per_number(db, applicant, time_machine):
    client = Client(**EN)
    assert ask_code(client, KNOWN).status_code == 302
    response = ask_code(Client(**EN), KNOWN, address="198.51.100.1")
    assert response.status_code == 429
    assert "Wait a minute" in response.content.decode()
    assert len(SENT) == 1


def test_codes_per_number_are_limited(db, applicant, settings, time_machine):
    settings.PORTAL_SEND_LIMIT_PER_MOBILE = 3
    for i in range(3):
        time_machine.move_to(NOW + dt.timedelta(minutes=2 * i + 1), tick=False)
        assert ask_code(Client(**EN), KNOWN, address=f"198.51.100.{i}").status_code == 302
    time_machine.move_to(NOW + dt.timedelta(minutes=9), tick=False)
    response = ask_code(Client(**EN), KNOWN, address="198.51.100.99")
    assert response.status_code == 429
    assert "Too many codes have been asked for this number" in response.content.decode()
    assert int(response.status_code) == 429 and len(SENT) == 3


def test_codes_per_address_are_limited(db, settings):
    settings.PORTAL_SEND_LIMIT_PER_ADDRESS = 3
    for i in range(3):
        assert ask_code(Client(**EN), f"1391234000{i}").status_code == 302
    response = ask_code(Client(**EN), "13912340009")
    assert response.status_code == 429
    assert "from your network" in response.content.decode()
    assert len(SENT) == 3
    # Another address is not held back.
    assert ask_code(Client(**EN), "13912340008", address="192.0.2.5").status_code == 302


def test_a_cache_that_does_not_answer_sends_nothing(db, applicant, monkeypatch):
    from portal import signin

    def down(window):
        raise ConnectionError("redis down")

    monkeypatch.setattr(signin, "window_hit", down)
    response = ask_code(Client(**EN), KNOWN)
    assert response.status_code == 200 and "cannot be sent just now" in response.content.decode()
    assert SENT == [] and not SignInCode.objects.exists()


def test_a_gateway_that_fails_leaves_no_live_code(db, applicant, settings):
    settings.SMS_GATEWAY = "tests.portal_helpers.BrokenGateway"
    response = ask_code(Client(**EN), KNOWN)
    assert "could not be sent" in response.content.decode()
    assert not SignInCode.objects.live().exists()


def test_known_and_unknown_numbers_get_the_same_answer(db, applicant):
    known, unknown = Client(**EN), Client(**EN)
    a = ask_code(known, KNOWN)
    b = ask_code(unknown, UNKNOWN, address="192.0.2.9")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a = known.get(reverse("portal:code")).content.decode()
    page_b = unknown.get(reverse("portal:code")).content.decode()
    strip = lambda page: page.replace("138****0000", "N").replace("139****5678", "N")  # noqa: E731
    assert _without_tokens(strip(page_a)) == _without_tokens(strip(page_b))
    assert [phone for phone, _text in SENT] == [KNOWN, UNKNOWN]
    # The unknown number signs in and sees nothing (online filing will start from here).
    response = code_page(unknown, last_code(UNKNOWN), address="192.0.2.9")
    assert response.status_code == 302
    assert Account.objects.filter(mobile=UNKNOWN).exists()


def _without_tokens(page: str) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_the_code_is_neither_stored_nor_logged(db, applicant, caplog):
    with caplog.at_level(logging.DEBUG):
        client = Client(**EN)
        ask_code(client, KNOWN)
        code = last_code(KNOWN)
        code_page(client, "000000" if code != "000000" else "111111")
        code_page(client, code)
    assert code not in "\n".join(r.getMessage() for r in caplog.records)
    assert (
        code not in SignInMessage.objects.get().text
        and "******" in SignInMessage.objects.get().text
    )
    row = SignInCode.objects.get()
    assert code not in row.digest and len(row.digest) == 64
    assert SignInMessage.objects.get().sent_at is not None


def test_the_log_gateway_shows_the_code_in_development_only(db, applicant, settings, caplog):
    settings.SMS_GATEWAY = "applications.notifications.LogSmsGateway"
    from portal import signin

    with caplog.at_level(logging.INFO, logger="applications.notifications"):
        signin.code_send(mobile=KNOWN, address="-", language="zh-hans", now=NOW)
    production_log = "\n".join(r.getMessage() for r in caplog.records)
    assert "******" in production_log  # DEBUG is off in the tests, as in production
    caplog.clear()
    settings.DEBUG = True
    SignInCode.objects.update(voided_at=NOW)
    with caplog.at_level(logging.INFO, logger="applications.notifications"):
        signin.code_send(mobile=KNOWN, address="-", language="zh-hans", now=NOW)
    import re

    assert re.search(
        r"(?<![0-9])[0-9]{6}(?![0-9])", "\n".join(r.getMessage() for r in caplog.records)
    )


def test_a_bad_number_gets_a_clear_message_and_sends_nothing(db):
    response = Client(**EN).post(reverse("portal:sign_in"), {"mobile": "12345"})
    assert "11-digit mainland mobile number" in response.content.decode()
    assert SENT == [] and not SignInCode.objects.exists()


def test_the_code_page_without_a_pending_number_goes_back(db):
    response = Client(**EN).get(reverse("portal:code"))
    assert response["Location"] == reverse("portal:sign_in")


def test_sign_out_ends_the_session(db, applicant):
    client = sign_in(KNOWN)
    response = client.post(reverse("portal:sign_out"))
    assert response["Location"] == reverse("portal:sign_in")
    assert Session.objects.get().ended_at is not None
    # The old cookie, kept by someone: it opens nothing.
    stale = Client(**EN)
    stale.cookies["portal_session"] = "x"
    assert client.get(reverse("portal:applications"))["Location"] == reverse("portal:sign_in")


def test_a_stolen_cookie_of_an_ended_session_opens_nothing(db, applicant, settings):
    client = sign_in(KNOWN)
    key = client.cookies[settings.PORTAL_SESSION_COOKIE].value
    client.post(reverse("portal:sign_out"))
    thief = Client(**EN)
    thief.cookies[settings.PORTAL_SESSION_COOKIE] = key
    assert thief.get(reverse("portal:applications"))["Location"] == reverse("portal:sign_in")


def test_the_session_ends_when_idle_and_at_its_end(db, applicant, settings, time_machine):
    client = sign_in(KNOWN)
    time_machine.move_to(
        NOW + dt.timedelta(seconds=settings.PORTAL_SESSION_IDLE_SECONDS - 5), tick=False
    )
    assert client.get(reverse("portal:applications")).status_code == 200
    time_machine.move_to(
        NOW + dt.timedelta(seconds=2 * settings.PORTAL_SESSION_IDLE_SECONDS), tick=False
    )
    assert client.get(reverse("portal:applications"))["Location"] == reverse("portal:sign_in")
    # Active all along, it still ends after PORTAL_SESSION_MAX_SECONDS.
    client = sign_in(KNOWN)
    start = NOW + dt.timedelta(seconds=2 * settings.PORTAL_SESSION_IDLE_SECONDS)
    step = dt.timedelta(seconds=settings.PORTAL_SESSION_IDLE_SECONDS // 2)
    moment = start
    while moment < start + dt.timedelta(seconds=settings.PORTAL_SESSION_MAX_SECONDS - 60):
        moment += step
        time_machine.move_to(moment, tick=False)
        response = client.get(reverse("portal:applications"))
    assert response.status_code == 302


def test_old_sign_in_records_are_forgotten(db, applicant, settings, time_machine):
    from portal.tasks import forget_old_sign_ins

    client = sign_in(KNOWN)
    client.post(reverse("portal:sign_out"))
    assert (
        SignInCode.objects.count() == SignInMessage.objects.count() == Session.objects.count() == 1
    )
    time_machine.move_to(NOW + dt.timedelta(days=settings.PORTAL_RECORD_DAYS - 1), tick=False)
    forget_old_sign_ins()
    assert Session.objects.count() == 1
    time_machine.move_to(NOW + dt.timedelta(days=settings.PORTAL_RECORD_DAYS + 1), tick=False)
    forget_old_sign_ins()
    assert not (
        SignInCode.objects.exists() or SignInMessage.objects.exists() or Session.objects.exists()
    )
