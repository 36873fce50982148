"""Ratings from the provincial platform (POST /api/v1/ratings/): once per delivered
application, idempotent under the platform's id."""

from __future__ import annotations

import pytest

from applications.models import Rating, RatingToken

from .api_fixtures import caller, make_client

RATINGS = "/api/v1/ratings/"


def _rate(api, **body):
    return api.post(RATINGS, body, content_type="application/json")


def test_a_rating_is_recorded_once_and_the_same_id_gives_the_same_answer(api_data):
    _, token = make_client(api_data.center, scopes=["write:ratings"])
    api = caller(token)
    number = api_data.delivered.receipt_number
    first = _rate(api, rating_id="P-1", receipt_number=number, level=2, comment="排队太久")
    assert first.status_code == 201, first.content
    rating = Rating.objects.get(application=api_data.delivered)
    assert (rating.level, rating.comment) == (2, "排队太久")
    assert rating.history.first().history_change_reason == "province"
    assert rating.followups.exists() if hasattr(rating, "followups") else True
    again = _rate(api, rating_id="P-1", receipt_number=number, level=5, comment="")
    assert again.status_code == 201 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Rating.objects.filter(application=api_data.delivered).count() == 1
    other = _rate(api, rating_id="P-2", receipt_number=number, level=5)
    assert other.status_code == 409
    assert other.json()["detail"]
    # The key of the DELIVERED message is used up with it.
    assert RatingToken.objects.get(application=api_data.delivered).used_at is not None
    assert api.get(f"{RATINGS}P-1/").json() == first.json()


def test_an_id_used_for_another_application_is_409(api_data):
    _, token = make_client(api_data.center, scopes=["write:ratings"])
    api = caller(token)
    assert (
        _rate(
            api, rating_id="P-1", receipt_number=api_data.delivered.receipt_number, level=4
        ).status_code
        == 201
    )
    answer = _rate(api, rating_id="P-1", receipt_number=api_data.in_review.receipt_number, level=4)
    assert answer.status_code == 409


def test_an_application_not_delivered_is_refused(api_data):
    _, token = make_client(api_data.center, scopes=["write:ratings"])
    answer = _rate(
        caller(token), rating_id="P-9", receipt_number=api_data.in_review.receipt_number, level=5
    )
    assert answer.status_code == 409
    assert not Rating.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"rating_id": "P-1", "receipt_number": "X", "level": 6},
        {"rating_id": "P-1", "receipt_number": "X", "level": 0},
        {"rating_id": "", "receipt_number": "X", "level": 3},
        {"rating_id": "a b", "receipt_number": "X", "level": 3},
        {"receipt_number": "X", "level": 3},
        {"rating_id": "P-1", "receipt_number": "X", "level": 3, "comment": "长" * 501},
    ],
)
def test_bad_bodies_get_400_and_rate_nothing(api_data, body):
    _, token = make_client(api_data.center, scopes=["write:ratings"])
    answer = _rate(caller(token), **body)
    assert answer.status_code == 400
    assert answer.json()["detail"]
    assert not Rating.objects.exists()


def test_an_unknown_receipt_number_or_one_outside_the_departments_is_404(api_data):
    center = api_data.center
    _, token = make_client(center, scopes=["write:ratings"])
    assert _rate(caller(token), rating_id="P-1", receipt_number="nope", level=3).status_code == 404
    api_data.delivered.items.remove(center.planning_item)
    number = api_data.delivered.receipt_number
    # Received first from a client that reads every department, with a comment.
    first = _rate(caller(token), rating_id="P-1", receipt_number=number, level=2, comment="秘密")
    assert first.status_code == 201
    _, planning = make_client(
        center, scopes=["write:ratings"], departments=[center.planning], name="发改"
    )
    # A client limited to another department learns nothing of it: not by reading it, not by
    # sending the same id again (which would answer with what was recorded), not by its 409.
    for answer in (
        _rate(caller(planning), rating_id="P-1", receipt_number=number, level=3),
        _rate(caller(planning), rating_id="P-1", receipt_number="nope", level=3),
        caller(planning).get(f"{RATINGS}P-1/"),
    ):
        assert answer.status_code == 404
        assert "秘密" not in answer.content.decode()


def test_a_rating_through_the_api_is_not_a_second_rating_after_the_link(api_data):
    from django.utils import timezone

    from applications.ratings import rating_submit_signed_in

    rating_submit_signed_in(application=api_data.delivered, level=5, comment="", now=timezone.now())
    _, token = make_client(api_data.center, scopes=["write:ratings"])
    answer = _rate(
        caller(token), rating_id="P-1", receipt_number=api_data.delivered.receipt_number, level=1
    )
    assert answer.status_code == 409
    assert Rating.objects.get().level == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_id_twice_at_once_rates_once(
    center, calendar, materials, applicant, project, seals
):
    import threading

    from django.db import connection

    from .api_fixtures import build_api_data

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    data = build_api_data(center, applicant, project)
    _, token = make_client(center, scopes=["write:ratings"])
    answers, barrier = [], threading.Barrier(2)

    def call():
        barrier.wait()
        try:
            answers.append(
                _rate(
                    caller(token),
                    rating_id="P-1",
                    receipt_number=data.delivered.receipt_number,
                    level=4,
                ).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 201]
    assert Rating.objects.count() == 1
