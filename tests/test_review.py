import datetime as dt

import pytest
from django.utils import translation

from applications import services
from applications.models import Application, DepartmentReview, Document
from windows import authority

from .conftest import NOW, aware, extend


@pytest.fixture(autouse=True)
def english():
    # The services speak the user's language; these tests read their messages in English.
    with translation.override("en"):
        yield


def review_of(application, item) -> DepartmentReview:
    return application.reviews.get(item=item)


def test_claim_once(accepted, center):
    review = review_of(accepted, center.permit)
    services.review_claim(review=review, by=center.alice, now=NOW)
    with pytest.raises(services.TransitionError, match="out of date"):
        services.review_claim(review=review, by=center.bob, now=NOW)
    review.refresh_from_db()
    assert review.officer == center.alice and review.state == "in_progress"


def test_a_stop_freezes_the_clock_and_resuming_restores_the_remaining_days(accepted, center):
    review = review_of(accepted, center.permit)
    assert review.deadline == dt.date(2026, 10, 13)
    # Stopped on Wednesday 30 September after 2 working days (29, 30): 5 remain.
    services.review_stop(
        review=review,
        by=center.alice,
        now=aware(2026, 9, 30, 15),
        cause="supplements",
        days_needed=10,
        reason="请补充施工合同",
    )
    review.refresh_from_db()
    assert review.state == "suspended"
    # Resumed on Monday 12 October: 13, 14, 15, 16, 19 October.
    services.review_resume(review=review, by=center.alice, now=aware(2026, 10, 12, 9))
    review.refresh_from_db()
    assert review.state == "in_progress"
    assert review.deadline == dt.date(2026, 10, 19)
    document = Document.objects.get(review=review, kind="supplements")
    assert document.clock_event.cause == "supplements"


def test_an_extension_needs_someone_entitled_and_at_most_ten_days(accepted, center):
    review = review_of(accepted, center.permit)
    asked = services.extension_request(
        review=review, by=center.alice, now=NOW, days=5, reason="需现场核查"
    )
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.extension_approve(extension=asked, by=center.carol, now=NOW)
    services.extension_withdraw(extension=asked, by=center.alice, now=NOW)
    with pytest.raises(services.TransitionError, match="1 to 10"):
        services.extension_request(
            review=review, by=center.alice, now=NOW, days=11, reason="需现场核查"
        )
    extend(review, by=center.alice, approved_by=center.bob, now=NOW, days=5, reason="需现场核查")
    review.refresh_from_db()
    # 13 October plus 5 working days.
    assert review.deadline == dt.date(2026, 10, 20)
    with pytest.raises(services.TransitionError, match="5 are used"):
        services.extension_request(review=review, by=center.alice, now=NOW, days=6, reason="再延")


def test_only_someone_with_signing_authority_decides(accepted, center):
    review = review_of(accepted, center.permit)
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.review_decide(
            review=review, by=center.alice, now=NOW, outcome="granted", reasons=""
        )
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.review_decide(
            review=review, by=center.carol, now=NOW, outcome="granted", reasons=""
        )
    document = services.review_decide(
        review=review, by=center.bob, now=NOW, outcome="granted", reasons="材料齐全，符合条件"
    )
    review.refresh_from_db()
    assert review.state == "decided"
    assert review.signed_by == center.bob and review.signed_under_letter == center.letter
    assert review.seal.window == center.construction_window
    assert review.decision_number == "建设局许字〔2026〕第1号"
    assert document.kind == "approval" and document.number == review.decision_number


def test_a_revoked_letter_signs_nothing(accepted, center):
    authority.letter_revoke(letter=center.letter, by=center.admin, reason="调离", at=NOW)
    review = review_of(accepted, center.permit)
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.review_decide(review=review, by=center.bob, now=NOW, outcome="granted", reasons="")
    assert DepartmentReview.objects.get(pk=review.pk).decided_at is None


def test_a_refusal_gives_reasons(accepted, center):
    review = review_of(accepted, center.permit)
    with pytest.raises(services.TransitionError, match="reasons"):
        services.review_decide(review=review, by=center.bob, now=NOW, outcome="refused", reasons="")
    document = services.review_decide(
        review=review, by=center.bob, now=NOW, outcome="refused", reasons="不符合规划条件"
    )
    assert document.kind == "refusal"


def test_a_countersign_item_waits_for_the_leader(accepted, center):
    review = review_of(accepted, center.planning_item)
    services.review_decide(
        review=review, by=center.carol, now=NOW, outcome="granted", reasons="同意"
    )
    review.refresh_from_db()
    assert review.state == "countersign" and review.signed_under_posting == center.posting
    with pytest.raises(services.TransitionError, match="out of date"):
        services.review_return(review=review, by=center.carol, now=NOW)
    with pytest.raises(services.TransitionError, match="Only the leader"):
        services.review_countersign(review=review, by=center.carol, now=NOW)
    services.review_countersign(review=review, by=center.frank, now=NOW)
    review.refresh_from_db()
    assert review.state == "decided" and review.countersigned_by == center.frank


def test_the_whole_way_back_to_delivery(accepted, center):
    permit = review_of(accepted, center.permit)
    planning = review_of(accepted, center.planning_item)
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    services.review_decide(review=planning, by=center.carol, now=NOW, outcome="granted", reasons="")
    services.review_countersign(review=planning, by=center.frank, now=NOW)
    for review in (permit, planning):
        services.review_return(review=review, by=center.alice, now=NOW)
    services.review_receive(review=permit, by=center.dave, now=NOW)
    assert Application.objects.get(pk=accepted.pk).state == "in_review"
    services.review_receive(review=planning, by=center.dave, now=NOW)
    application = Application.objects.get(pk=accepted.pk)
    assert application.state == "ready"
    assert application.notifications.filter(event="ready").count() == 2
    services.application_deliver(application=application, by=center.dave, now=NOW)
    assert Application.objects.get(pk=accepted.pk).state == "delivered"


def test_withdrawal_closes_the_open_reviews(accepted, center):
    services.application_withdraw(application=accepted, by=center.dave, now=NOW, note="申请人撤回")
    assert set(accepted.reviews.values_list("state", flat=True)) == {"withdrawn"}
    with pytest.raises(services.TransitionError):
        services.application_deliver(application=accepted, by=center.dave, now=NOW)
