"""More races on PostgreSQL with real threads: whatever two people do to one thing at the same
moment, it happens once, with one history row (the first suite is test_intake_concurrency.py)."""

import pytest
from django.db import connection

from applications import services
from applications.models import Application, ClockEvent, DepartmentReview, Document
from windows import authority
from windows.roles import Role

from .conftest import NOW, make_staff, receive_all
from .test_intake_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


def history_states(review) -> list[str]:
    return list(
        DepartmentReview.history.filter(id=review.pk)
        .order_by("history_id")
        .values_list("state", flat=True)
    )


def only_transition_errors(errors, expected: int) -> None:
    assert len(errors) == expected, errors
    assert all(isinstance(e, services.TransitionError) for e in errors), errors


@pytest.fixture
def permit(center, accepted):
    authority.sync_signing_authority(at=NOW)
    return accepted.reviews.get(item=center.permit)


def test_a_grant_and_a_refusal_at_once_give_one_decision(center, permit):
    outcomes = ["granted", "refused"]
    errors = race(
        lambda i: services.review_decide(
            review=permit, by=center.bob, now=NOW, outcome=outcomes[i], reasons="理由"
        ),
        2,
    )
    only_transition_errors(errors, 1)
    permit.refresh_from_db()
    assert permit.state == "decided" and permit.outcome in outcomes
    assert permit.documents.count() == 1
    assert history_states(permit).count("decided") == 1


def test_two_officers_claiming_at_once_give_one_officer(center, permit):
    people = [center.alice, center.bob]
    errors = race(lambda i: services.review_claim(review=permit, by=people[i], now=NOW), 2)
    only_transition_errors(errors, 1)
    permit.refresh_from_db()
    assert permit.officer in people
    assert history_states(permit).count("in_progress") == 1


def test_two_returns_at_once_return_once(center, permit):
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    people = [center.alice, center.bob]
    errors = race(lambda i: services.review_return(review=permit, by=people[i], now=NOW), 2)
    only_transition_errors(errors, 1)
    assert history_states(permit).count("returned") == 1


def test_two_clerks_confirming_one_receipt_at_once_confirm_it_once(center, permit):
    other_clerk = make_staff("dora", Role.INTAKE_CLERK, window=center.intake_window)
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    services.review_return(review=permit, by=center.alice, now=NOW)
    clerks = [center.dave, other_clerk]
    errors = race(lambda i: services.review_receive(review=permit, by=clerks[i], now=NOW), 2)
    only_transition_errors(errors, 1)
    assert history_states(permit).count("received") == 1
    # The planning review is still out: not ready yet.
    assert Application.objects.get(pk=permit.application_id).state == "in_review"


def test_two_stops_at_once_stop_the_clock_once(center, permit):
    errors = race(
        lambda i: services.review_stop(
            review=permit,
            by=center.alice,
            now=NOW,
            cause="supplements",
            days_needed=5,
            reason="补正材料",
        ),
        2,
    )
    only_transition_errors(errors, 1)
    assert permit.clock.filter(kind=ClockEvent.Kind.STOP).count() == 1
    assert Document.objects.filter(review=permit).count() == 1
    assert history_states(permit).count("suspended") == 1


def test_two_extension_requests_at_once_leave_one_waiting(center, permit):
    errors = race(
        lambda i: services.extension_request(
            review=permit, by=center.alice, now=NOW, days=6, reason="复杂"
        ),
        2,
    )
    only_transition_errors(errors, 1)
    assert permit.extension_requests.filter(state="pending").count() == 1
    assert not permit.clock.filter(kind=ClockEvent.Kind.EXTEND).exists()


def test_two_deliveries_at_once_deliver_once(center, accepted):
    authority.sync_signing_authority(at=NOW)
    signer = {center.permit.pk: center.bob, center.planning_item.pk: center.carol}
    for review in accepted.reviews.all():
        services.review_decide(
            review=review, by=signer[review.item_id], now=NOW, outcome="granted", reasons=""
        )
        if review.item_id == center.planning_item.pk:
            services.review_countersign(review=review, by=center.frank, now=NOW)
        services.review_return(review=review, by=center.alice, now=NOW)
        services.review_receive(review=review, by=center.dave, now=NOW)
    errors = race(
        lambda i: services.application_deliver(application=accepted, by=center.dave, now=NOW), 2
    )
    only_transition_errors(errors, 1)
    assert Application.history.filter(id=accepted.pk, state="delivered").count() == 1


def test_two_clerks_accepting_one_draft_at_once_number_it_once(center, draft):
    receive_all(draft, center.dave)
    other_clerk = make_staff("dora", Role.INTAKE_CLERK, window=center.intake_window)
    clerks = [center.dave, other_clerk]
    errors = race(
        lambda i: services.application_accept(application=draft, by=clerks[i], now=NOW), 2
    )
    only_transition_errors(errors, 1)
    draft.refresh_from_db()
    assert draft.receipt_number == "2026000001"
    assert draft.reviews.count() == 2
    assert Document.objects.filter(application=draft, kind="commitment").count() == 1
    assert Application.history.filter(id=draft.pk, state="in_review").count() == 1


def test_acting_on_one_review_does_not_wait_for_another_of_the_same_item(
    center, permit, applicant, project
):
    # A review's lock reads its item, window and department along; it must not lock them, or every
    # officer deciding on the same item (the same window, the same department) would wait in turn.
    import threading

    from django.db import transaction

    other = services.application_create(
        applicant=applicant, project=project, by=center.dave, now=NOW, items=[center.permit]
    )
    receive_all(other, center.dave)
    services.application_accept(application=other, by=center.dave, now=NOW)
    other_permit = other.reviews.get(item=center.permit)
    holding, release = threading.Event(), threading.Event()

    def hold_the_first() -> None:
        try:
            with transaction.atomic():
                services._lock_review(permit)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_first)
    holder.start()
    assert holding.wait(10)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            services.review_decide(
                review=other_permit, by=center.bob, now=NOW, outcome="granted", reasons=""
            )
            services.review_return(review=other_permit, by=center.bob, now=NOW)
    finally:
        release.set()
        holder.join()
    other_permit.refresh_from_db()
    assert other_permit.state == "returned"


def test_the_last_two_received_at_once_make_the_application_ready_once(center, accepted):
    """Receive reads the reviews still out in the statement that changes its own, after the
    application's lock: the second of two clerks sees the first's receipt and makes it ready."""
    authority.sync_signing_authority(at=NOW)
    other_clerk = make_staff("dora", Role.INTAKE_CLERK, window=center.intake_window)
    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    services.review_decide(review=planning, by=center.carol, now=NOW, outcome="granted", reasons="")
    services.review_countersign(review=planning, by=center.frank, now=NOW)
    for review in (permit, planning):
        services.review_return(review=review, by=center.alice, now=NOW)
    pairs = [(permit, center.dave), (planning, other_clerk)]
    errors = race(lambda i: services.review_receive(review=pairs[i][0], by=pairs[i][1], now=NOW), 2)
    assert errors == []
    application = Application.objects.get(pk=accepted.pk)
    assert application.state == "ready"
    assert application.history.filter(state="ready").count() == 1
    assert application.notifications.filter(event="ready").count() == 2  # SMS and e-mail
