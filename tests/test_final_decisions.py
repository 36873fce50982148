"""A decided review's decision is final (DESIGN.md sections 3 and 11): on PostgreSQL a trigger
refuses, even to direct SQL as the application's own role, any change of what was decided, who
signed, under which letter or posting, with which seal and when, and the countersign once given;
the review's later states go on as ever."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from applications import services
from applications.models import DepartmentReview, Seal

from .conftest import NOW

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (CI runs it)"
)
LATER = NOW + dt.timedelta(hours=2)


def refused(sql: str, params=()) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as error:
        assert "final decision" in str(error)
        return True
    return False


def update(review, column: str, value) -> bool:
    return refused(
        f"UPDATE applications_departmentreview SET {column} = %s WHERE id = %s",  # noqa: S608
        [value, review.pk],
    )


@pytest.fixture
def decided(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    services.review_decide(review=review, by=center.bob, now=NOW, outcome="granted", reasons="齐全")
    review.refresh_from_db()
    return review


def test_a_decided_reviews_decision_cannot_be_changed_by_sql(decided, center):
    other_seal = Seal.objects.exclude(pk=decided.seal_id).first()
    assert update(decided, "decision_number", "建设局许字〔2026〕第99号")
    assert update(decided, "outcome", "refused")
    assert update(decided, "reasons", "不符合条件")
    assert update(decided, "signed_by_id", center.alice.pk)
    assert update(decided, "signed_by_id", None)
    assert update(decided, "signed_under_letter_id", None)
    assert update(decided, "signed_under_posting_id", center.posting.pk)
    assert update(decided, "seal_id", other_seal.pk)
    assert update(decided, "decided_at", LATER)
    assert update(decided, "decided_at", None)
    assert refused("DELETE FROM applications_departmentreview WHERE id = %s", [decided.pk])
    # Through the ORM too (the admin, a console): the same refusal.
    with pytest.raises(DatabaseError), transaction.atomic():
        DepartmentReview.objects.filter(pk=decided.pk).update(outcome="refused")
    fresh = DepartmentReview.objects.get(pk=decided.pk)
    assert (fresh.outcome, fresh.signed_by, fresh.decision_number) == (
        "granted",
        center.bob,
        decided.decision_number,
    )


def test_the_later_states_of_a_decided_review_still_work(decided, center):
    services.review_return(review=decided, by=center.bob, now=LATER)
    services.review_receive(review=decided, by=center.dave, now=LATER)
    decided.refresh_from_db()
    assert decided.state == "received" and decided.outcome == "granted"
    # And writing a decision column with the value it has changes nothing, so it passes.
    assert not update(decided, "outcome", "granted")


def test_an_undecided_review_changes_freely_and_is_decided_once(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    assert not update(review, "reasons", "草稿")
    assert not update(review, "reasons", "")
    services.review_decide(review=review, by=center.bob, now=NOW, outcome="granted", reasons="")
    with pytest.raises(services.TransitionError):
        services.review_decide(
            review=review, by=center.bob, now=LATER, outcome="refused", reasons="x"
        )


def test_a_countersign_once_given_cannot_be_changed(accepted, center):
    review = accepted.reviews.get(item=center.planning_item)
    services.review_decide(
        review=review, by=center.carol, now=NOW, outcome="granted", reasons="同意"
    )
    services.review_countersign(review=review, by=center.frank, now=NOW)
    assert update(review, "countersigned_by_id", center.carol.pk)
    assert update(review, "countersigned_at", None)
    review.refresh_from_db()
    assert review.countersigned_by == center.frank
