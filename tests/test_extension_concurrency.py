"""Races around extension requests on PostgreSQL with real threads: two approvers approving one
request at once extend once, with one ledger line and one notice; an approval against the
application's withdrawal gives one outcome and no deadlock (both lock the application first)."""

import pytest
from django.db import connection

from applications import services
from applications.models import Application, ClockEvent, Document, ExtensionRequest
from windows import authority
from windows.models import StationedDeputy
from windows.roles import Role

from .conftest import NOW, make_staff
from .test_intake_concurrency import race
from .test_review_concurrency import only_transition_errors

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def permit(center, accepted):
    return accepted.reviews.get(item=center.permit)


@pytest.fixture
def second_signer(center):
    """The construction department's stationed deputy: a second person who may sign the permit."""
    deputy = make_staff(
        "dan",
        Role.STATIONED_DEPUTY,
        department=center.construction,
        window=center.construction_window,
    )
    StationedDeputy.objects.create(
        department=center.construction,
        staff=deputy,
        appointment_ref="临组干〔2026〕9号",
        term_start=NOW.date().replace(month=3, day=1),
        term_end=NOW.date().replace(year=2027, month=2, day=28),
    )
    authority.sync_signing_authority(at=NOW)
    assert authority.signing_basis(deputy, center.permit, at=NOW) is not None
    return deputy


def test_two_approvers_at_once_extend_once(center, permit, second_signer):
    extension = services.extension_request(
        review=permit, by=center.alice, now=NOW, days=4, reason="需现场核查"
    )
    approvers = [center.bob, second_signer]
    errors = race(
        lambda i: services.extension_approve(extension=extension, by=approvers[i], now=NOW), 2
    )
    only_transition_errors(errors, 1)
    assert permit.clock.filter(kind=ClockEvent.Kind.EXTEND).count() == 1
    assert Document.objects.filter(review=permit, kind=Document.Kind.EXTENSION).count() == 1
    extension.refresh_from_db()
    assert extension.state == ExtensionRequest.State.APPROVED
    assert extension.decided_by in approvers
    assert extension.history.filter(state="approved").count() == 1


def test_an_approval_and_a_refusal_at_once_give_one_decision(center, permit, second_signer):
    extension = services.extension_request(
        review=permit, by=center.alice, now=NOW, days=4, reason="需现场核查"
    )
    actions = [
        lambda: services.extension_approve(extension=extension, by=center.bob, now=NOW),
        lambda: services.extension_refuse(
            extension=extension, by=second_signer, now=NOW, note="不同意"
        ),
    ]
    errors = race(lambda i: actions[i](), 2)
    only_transition_errors(errors, 1)
    extension.refresh_from_db()
    lines = permit.clock.filter(kind=ClockEvent.Kind.EXTEND).count()
    assert (extension.state, lines) in (("approved", 1), ("refused", 0))


@pytest.mark.parametrize("joint", [False, True], ids=["review", "joint"])
def test_an_approval_against_the_withdrawal_gives_one_outcome(center, accepted, permit, joint):
    if joint:
        extension = services.joint_extension_request(
            application=accepted, by=center.dave, now=NOW, days=5, reason="协调会"
        )
        approver = center.gwen
    else:
        extension = services.extension_request(
            review=permit, by=center.alice, now=NOW, days=4, reason="需现场核查"
        )
        approver = center.bob
    actions = [
        lambda: services.extension_approve(extension=extension, by=approver, now=NOW),
        lambda: services.application_withdraw(
            application=accepted, by=center.dave, now=NOW, note="申请人撤回"
        ),
    ]
    errors = race(lambda i: actions[i](), 2)
    # No deadlock: the loser is told the state moved on; nothing else went wrong.
    assert all(isinstance(e, services.TransitionError) for e in errors), errors
    accepted.refresh_from_db()
    extension.refresh_from_db()
    notices = Document.objects.filter(kind=Document.Kind.EXTENSION).count()
    if extension.state == ExtensionRequest.State.APPROVED:
        # Approved first, then withdrawn: both happened, in that order.
        assert errors == [] and notices == 1
        assert accepted.state == Application.State.WITHDRAWN
    else:
        # Withdrawn first: the approval found the application withdrawn and changed nothing.
        assert len(errors) == 1
        assert extension.state == ExtensionRequest.State.PENDING and notices == 0
        assert not permit.clock.filter(kind=ClockEvent.Kind.EXTEND).exists()
        assert accepted.state == Application.State.WITHDRAWN


def test_a_stop_and_an_approval_at_once_do_not_deadlock(center, accepted, permit):
    """Stopping locks the application first too, so it never waits in the opposite order."""
    extension = services.extension_request(
        review=permit, by=center.alice, now=NOW, days=4, reason="需现场核查"
    )
    actions = [
        lambda: services.extension_approve(extension=extension, by=center.bob, now=NOW),
        lambda: services.review_stop(
            review=permit, by=center.alice, now=NOW, cause="hearing", days_needed=3, reason="听证"
        ),
    ]
    errors = race(lambda i: actions[i](), 2)
    assert errors == []
    assert permit.clock.filter(kind=ClockEvent.Kind.EXTEND).count() == 1
    assert permit.clock.filter(kind=ClockEvent.Kind.STOP).count() == 1
