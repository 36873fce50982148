"""Nothing escapes the clock: besides the promise's yellow and red, the sweep watches the law's
ceiling, stops against the time announced for them, and the way back after the decision
(DESIGN.md section 5). The calendar is 2026's, with the National Day break (1-7 October off,
Saturday 10 October worked); the permit review starts Monday 28 September, promised in 7
working days (13 October) and due by law in 20 (30 October)."""

import datetime as dt

import pytest

from applications import services
from supervision.models import Card
from supervision.sweep import sweep

from .applicant_helpers import decide_all
from .conftest import NOW, aware


def levels(**filters):
    return sorted(Card.objects.filter(**filters).values_list("level", "deadline"))


@pytest.fixture
def permit(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    assert (review.deadline, review.statutory_deadline) == (
        dt.date(2026, 10, 13),
        dt.date(2026, 10, 30),
    )
    return review


def test_late_on_the_promise_is_not_yet_beyond_the_law(permit):
    sweep(now=aware(2026, 10, 29))
    assert levels(review=permit) == [("red", dt.date(2026, 10, 13))]


def test_beyond_the_law_is_a_card_of_its_own(permit):
    sweep(now=aware(2026, 11, 2))
    assert levels(review=permit) == [
        ("law", dt.date(2026, 10, 30)),
        ("red", dt.date(2026, 10, 13)),
    ]


def test_the_incremental_sweep_sees_the_law_crossed(permit):
    sweep(now=aware(2026, 10, 29))  # leaves its mark
    result = sweep(now=aware(2026, 11, 2))
    assert not result.full
    assert result.reviews.get("law") and levels(review=permit, level="law") == [
        ("law", dt.date(2026, 10, 30))
    ]


def test_a_stop_within_its_announced_time_is_not_carded(permit, center):
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 12),
        cause="expert_review",
        days_needed=3,
        reason="专家评审",
    )
    permit.refresh_from_db()
    assert permit.stop_due == dt.date(2026, 10, 15)
    sweep(now=aware(2026, 10, 15, 17))
    assert levels(review=permit) == []


def test_a_stop_that_outlasts_its_announced_time_is_carded(permit, center):
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 12),
        cause="expert_review",
        days_needed=3,
        reason="专家评审",
    )
    sweep(now=aware(2026, 10, 14))  # the mark: the next sweep is incremental
    result = sweep(now=aware(2026, 10, 16, 9))
    assert result.reviews == {"stop": [Card.objects.get(review=permit).pk]}
    assert levels(review=permit) == [("stop", dt.date(2026, 10, 15))]
    # Parked for weeks more: still one card for that stop, no promise or law cards while
    # stopped, and the application gets none either.
    sweep(now=aware(2026, 11, 20))
    assert levels(review=permit) == [("stop", dt.date(2026, 10, 15))]
    assert levels(application=permit.application, review=None) == []


def test_a_resumed_review_is_no_longer_watched_as_stopped(permit, center):
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 12),
        cause="supplements",
        days_needed=3,
        reason="补正材料",
    )
    services.review_resume(review=permit, by=center.alice, now=aware(2026, 10, 14))
    permit.refresh_from_db()
    assert permit.stop_due is None
    sweep(now=aware(2026, 10, 16, 9))
    assert "stop" not in dict(levels(review=permit))


def test_a_stop_must_say_how_long_it_needs(permit, center):
    with pytest.raises(services.TransitionError):
        services.review_stop(
            review=permit,
            by=center.alice,
            now=NOW,
            cause="hearing",
            days_needed=0,
            reason="听证",
        )
    permit.refresh_from_db()
    assert permit.state == "queued"


def test_decided_but_not_returned_is_carded(permit, center):
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    permit.refresh_from_db()
    assert permit.return_due == dt.date(2026, 10, 16)  # Art. 44: 10 working days
    sweep(now=aware(2026, 10, 16, 17))
    assert levels(review=permit) == []
    sweep(now=aware(2026, 10, 19, 9))
    assert levels(review=permit) == [("not_returned", dt.date(2026, 10, 16))]


def test_returned_but_not_received_is_carded(permit, center):
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    services.review_return(review=permit, by=center.bob, now=aware(2026, 10, 12))
    permit.refresh_from_db()
    assert permit.receive_due == dt.date(2026, 10, 14)
    sweep(now=aware(2026, 10, 15, 9))
    assert levels(review=permit) == [("not_received", dt.date(2026, 10, 14))]


def test_ready_but_not_handed_over_is_carded(accepted, center):
    decide_all(accepted, center)
    for review in accepted.reviews.all():
        services.review_return(review=review, by=center.alice, now=NOW)
        services.review_receive(review=review, by=center.dave, now=aware(2026, 9, 29))
    accepted.refresh_from_db()
    assert accepted.state == "ready" and accepted.handover_due == dt.date(2026, 10, 19)
    sweep(now=aware(2026, 10, 19, 17))
    assert levels(application=accepted, review=None) == []
    sweep(now=aware(2026, 10, 20, 9))
    assert levels(application=accepted, review=None) == [("not_delivered", dt.date(2026, 10, 19))]
    services.application_deliver(application=accepted, by=center.dave, now=aware(2026, 10, 20))
    sweep(now=aware(2026, 10, 30))
    assert Card.objects.filter(application=accepted).count() == 1  # nothing more once delivered


def test_the_timeline_names_late_and_beyond_the_law_apart(permit):
    from django.utils import translation

    from applications import timeline

    sweep(now=aware(2026, 11, 2))
    with translation.override("en"):
        whats = [e.what for e in timeline.events(permit.application) if e.kind.startswith("card")]
    assert any(w.startswith("Beyond the law: ") for w in whats)
    assert any(w.startswith("Red card (overdue)") for w in whats)


# --- joint handling (Art. 42 para 2): the permit (construction) and planning reviews of
# `accepted` make it an application of two departments, bound by 45 working days from
# 28 September: 4 December 2026.


def joint_levels(application):
    return levels(application=application, review=None, level__in=["law", "law_soon"])


def test_joint_handling_is_carded_near_and_past_its_limit(accepted):
    accepted.refresh_from_db()
    assert accepted.joint_deadline == dt.date(2026, 12, 4)
    sweep(now=aware(2026, 12, 1))
    assert joint_levels(accepted) == []
    sweep(now=aware(2026, 12, 2, 9))  # two working days ahead reach the 4th
    assert joint_levels(accepted) == [("law_soon", dt.date(2026, 12, 4))]
    result = sweep(now=aware(2026, 12, 7, 9))
    assert not result.full
    assert joint_levels(accepted) == [
        ("law", dt.date(2026, 12, 4)),
        ("law_soon", dt.date(2026, 12, 4)),
    ]


def test_the_heads_extension_moves_the_joint_limit_and_its_cards(accepted, center):
    request = services.joint_extension_request(
        application=accepted, by=center.dave, now=aware(2026, 11, 30), days=10, reason="多部门协调"
    )
    services.extension_approve(extension=request, by=center.gwen, now=aware(2026, 11, 30, 15))
    accepted.refresh_from_db()
    assert accepted.joint_deadline == dt.date(2026, 12, 18)
    sweep(now=aware(2026, 12, 7, 9))
    assert joint_levels(accepted) == []
    sweep(now=aware(2026, 12, 21, 9))
    assert ("law", dt.date(2026, 12, 18)) in joint_levels(accepted)


def test_a_one_department_application_has_no_joint_limit(draft, center, seals):
    services.application_set_items(application=draft, items=[center.permit], by=center.dave)
    from .conftest import receive_all

    receive_all(draft, center.dave)
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert application.joint_deadline is None
    sweep(now=aware(2027, 3, 1))
    assert joint_levels(application) == []


def test_the_queue_shows_beyond_the_law_and_a_stop_outlasting_its_time(
    permit, center, client, time_machine
):
    from django.urls import reverse

    client.force_login(center.alice)
    time_machine.move_to(aware(2026, 11, 2, 9), tick=False)
    page = client.get(reverse("applications:queue")).content.decode()
    assert "超法定时限 1" in page and "超期" in page  # past 30 October, the statutory deadline
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 11, 2, 10),
        cause="testing",
        days_needed=2,
        reason="检测",
    )
    time_machine.move_to(aware(2026, 11, 5, 9), tick=False)
    client.force_login(center.alice)  # a new day, a new session
    page = client.get(reverse("applications:queue")).content.decode()
    assert "超法定时限 0" in page  # the clock is stopped: watched against the stop instead
    assert "longer than announced" in page or "超过告知时间" in page


def test_the_way_back_list_shows_the_longest_late_first(accepted, center):
    from supervision import live

    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    # The permit (made after the planning review) is due back on 16 October, planning on 22
    # October: the list orders by the limit missed, not by the order the reviews were made.
    assert permit.pk > planning.pk
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    later = aware(2026, 10, 8)
    services.review_decide(
        review=planning, by=center.carol, now=later, outcome="granted", reasons=""
    )
    services.review_countersign(review=planning, by=center.frank, now=later)
    today = dt.date(2026, 11, 2)
    first = live.way_back_late(today, limit=1)[0]
    assert first.pk == permit.pk and first.late_since == dt.date(2026, 10, 16)
    assert [r.pk for r in live.way_back_late(today)] == [permit.pk, planning.pk]


def test_the_notice_of_supplements_prints_the_date_they_are_due(permit, center):
    from applications import documents

    document = services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 12),
        cause="supplements",
        days_needed=3,
        reason="补正",
    )
    assert "3 个工作日内（2026年10月15日前）补正" in documents.render_html(document)
