"""The applicant's side under concurrent requests, on PostgreSQL: a code signs in once however
many requests carry it, wrong guesses are all counted, one number has one live code, and a
rating through the portal and one through the link at the same moment make one rating."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from applications import ratings, services
from applications.models import Rating
from portal import signin
from portal.models import Session, SignInCode

from .applicant_helpers import rating_key, take_to_delivery
from .conftest import NOW
from .portal_helpers import SENT, last_code

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency on PostgreSQL (CI)"),
    pytest.mark.django_db(transaction=True),
]
MOBILE = "13800000000"


@pytest.fixture(autouse=True)
def gateway(settings):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"


def together(*calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call):
        try:
            barrier.wait()
            call()
            outcomes.append("done")
        except (signin.SignInError, services.TransitionError):
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_a_code_signs_in_once_however_many_requests_carry_it(db):
    signin.code_send(mobile=MOBILE, address="-", language="zh-hans", now=NOW)
    code = last_code(MOBILE)
    check = lambda: signin.code_check(mobile=MOBILE, code=code, address="-", now=NOW)  # noqa: E731
    assert together(check, check, check) == ["done", "refused", "refused"]
    assert SignInCode.objects.get().used_at is not None
    assert Session.objects.count() == 0  # (sessions are opened by the view, after the check)


def test_wrong_guesses_at_once_are_all_counted(db):
    signin.code_send(mobile=MOBILE, address="-", language="zh-hans", now=NOW)
    wrong = "000000" if last_code(MOBILE) != "000000" else "111111"
    guess = lambda: signin.code_check(mobile=MOBILE, code=wrong, address="-", now=NOW)  # noqa: E731
    assert together(guess, guess, guess, guess) == ["refused"] * 4
    assert SignInCode.objects.get().attempts == 4


def test_one_number_has_one_live_code(db):
    send = lambda: signin.code_send(mobile=MOBILE, address="-", language="zh-hans", now=NOW)  # noqa: E731
    outcomes = together(send, send)
    assert "done" in outcomes
    assert SignInCode.objects.live().filter(mobile=MOBILE).count() == 1


def test_a_rating_through_the_portal_and_the_link_at_once_make_one(accepted, center):
    delivered = take_to_delivery(accepted, center)
    key = rating_key(delivered)
    outcomes = together(
        lambda: ratings.rating_submit(token=key, level=5, comment="", now=NOW),
        lambda: ratings.rating_submit_signed_in(
            application=delivered, level=1, comment="", now=NOW
        ),
    )
    assert outcomes == ["done", "refused"]
    assert Rating.objects.count() == 1 and Rating.history.count() == 1
