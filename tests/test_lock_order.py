"""One lock order: the application, then its reviews. Changing a review's clock may move the
application's due date, and withdrawing an application closes its reviews; done the other way
round, the two at once deadlocked on PostgreSQL and one of them ended in a 500."""

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from applications import services
from applications.models import Application, DepartmentReview

from .conftest import NOW, receive_all
from .test_intake_concurrency import race

ROUNDS = 6


def _in_review(center, applicant, project, *, stopped: bool):
    """A fresh application in review, its permit review stopped or running."""
    application = services.application_create(
        applicant=applicant, project=project, by=center.dave, now=NOW, items=[center.permit]
    )
    receive_all(application, center.dave)
    services.application_accept(application=application, by=center.dave, now=NOW)
    review = application.reviews.get()
    if stopped:
        services.review_stop(
            review=review,
            by=center.alice,
            now=NOW,
            cause="supplements",
            days_needed=5,
            reason="补充材料",
        )
    return application, review


def _withdraw(application, clerk):
    return lambda: services.application_withdraw(
        application=application, by=clerk, now=NOW, note="申请人撤回"
    )


def _settled(application, review, errors) -> None:
    # No deadlock and no other database error: at most the refusal of the one that came second.
    assert all(isinstance(e, services.TransitionError) for e in errors), errors
    application.refresh_from_db()
    review.refresh_from_db()
    assert application.state == Application.State.WITHDRAWN
    assert review.state == DepartmentReview.State.WITHDRAWN


def pg_race(test):
    for mark in (
        pytest.mark.skipif(
            connection.vendor != "postgresql",
            reason="concurrency is tested on PostgreSQL (CI runs it)",
        ),
        pytest.mark.django_db(transaction=True),
        pytest.mark.usefixtures("seals", "calendar", "materials"),
        pytest.mark.parametrize("round_", range(ROUNDS)),
    ):
        test = mark(test)
    return test


@pg_race
def test_resume_against_withdraw_never_deadlocks(round_, center, applicant, project):
    application, review = _in_review(center, applicant, project, stopped=True)
    actions = [
        lambda: services.review_resume(review=review, by=center.alice, now=NOW),
        _withdraw(application, center.dave),
    ]
    errors = race(lambda i: actions[i](), 2)
    _settled(application, review, errors)


@pg_race
def test_stop_against_withdraw_never_deadlocks(round_, center, applicant, project):
    application, review = _in_review(center, applicant, project, stopped=False)
    actions = [
        lambda: services.review_stop(
            review=review,
            by=center.alice,
            now=NOW,
            cause="expert_review",
            days_needed=3,
            reason="专家评审",
        ),
        _withdraw(application, center.dave),
    ]
    errors = race(lambda i: actions[i](), 2)
    _settled(application, review, errors)


def test_a_clock_change_on_a_withdrawn_application_is_refused(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    services.application_withdraw(application=accepted, by=center.dave, now=NOW, note="撤回")
    with pytest.raises(services.TransitionError):
        services.review_stop(
            review=review, by=center.alice, now=NOW, cause="other", days_needed=2, reason="x"
        )


def test_a_database_failure_in_a_service_is_a_message_not_a_500(
    accepted, center, client, monkeypatch
):
    review = accepted.reviews.get(item=center.permit)
    services.review_claim(review=review, by=center.alice, now=NOW)

    def deadlocked(**kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(services, "review_stop", deadlocked)
    client.force_login(center.alice)
    response = client.post(
        reverse("applications:review_act", args=[review.pk, "stop"]),
        {"cause": "other", "days_needed": 2, "reason": "专家评审"},
        follow=True,
    )
    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode() or "没有任何改动" in (
        response.content.decode()
    )
    review.refresh_from_db()
    assert review.state == DepartmentReview.State.IN_PROGRESS
