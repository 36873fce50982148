"""Races on PostgreSQL with real threads: each state change happens once."""

import threading

import pytest
from django.db import connection, connections

from applications import services
from applications.models import Application, DepartmentReview
from windows import authority

from .conftest import NOW, receive_all

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


def race(workers, count):
    """Run `workers(i)` in `count` threads released together; return the errors."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i):
        try:
            barrier.wait()
            workers(i)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_fifty_concurrent_intakes_get_fifty_numbers_without_gaps(
    center, calendar, materials, applicant
):
    drafts = []
    for _ in range(50):
        draft = services.application_create(
            applicant=applicant, project=None, by=center.dave, now=NOW, items=[center.design_review]
        )
        receive_all(draft, center.dave)
        drafts.append(draft)
    errors = race(
        lambda i: services.application_accept(application=drafts[i], by=center.dave, now=NOW), 50
    )
    assert errors == []
    numbers = sorted(Application.objects.values_list("receipt_number", flat=True))
    assert numbers == [f"2026{n:06d}" for n in range(1, 51)]


def test_two_officers_deciding_one_review_give_one_decision(center, accepted):
    review = accepted.reviews.get(item=center.permit)
    errors = race(
        lambda i: services.review_decide(
            review=review, by=center.bob, now=NOW, outcome="granted", reasons=""
        ),
        2,
    )
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionError)
    assert review.documents.count() == 1
    assert DepartmentReview.history.filter(id=review.pk, state="decided").count() == 1


def test_the_last_two_reviews_received_together_make_it_ready_once(center, accepted):
    authority.sync_signing_authority(at=NOW)
    reviews = list(accepted.reviews.all())
    signer = {center.permit.pk: center.bob, center.planning_item.pk: center.carol}
    for review in reviews:
        services.review_decide(
            review=review, by=signer[review.item_id], now=NOW, outcome="granted", reasons=""
        )
        if review.item_id == center.planning_item.pk:
            services.review_countersign(review=review, by=center.frank, now=NOW)
        services.review_return(review=review, by=center.alice, now=NOW)
    errors = race(lambda i: services.review_receive(review=reviews[i], by=center.dave, now=NOW), 2)
    assert errors == []
    assert Application.history.filter(id=accepted.pk, state="ready").count() == 1
    assert accepted.notifications.filter(event="ready").count() == 2  # one SMS, one e-mail
