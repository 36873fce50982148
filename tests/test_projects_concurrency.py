"""Prerequisites (前置) under races on PostgreSQL: an override is recorded once, and acceptance
racing an override sees it or refuses, never half of it."""

import pytest
from django.db import connection

from applications import services
from applications.models import Application, PrerequisiteOverride
from windows import authority

from .conftest import NOW, receive_all
from .test_intake_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def blocked(center, draft, seals):
    center.permit.prerequisites.set([center.design_review])
    authority.sync_signing_authority(at=NOW)
    receive_all(draft, center.dave)
    return draft


def test_two_managers_overriding_at_once_record_one_override(center, blocked):
    errors = race(
        lambda i: services.prerequisite_override(
            application=blocked,
            prerequisite=center.design_review,
            reason=f"理由{i}",
            by=center.erin,
            now=NOW,
        ),
        2,
    )
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionError)
    assert PrerequisiteOverride.objects.count() == 1
    assert PrerequisiteOverride.history.count() == 1


def test_acceptance_racing_an_override_is_either_refused_or_after_it(center, blocked):
    def act(i):
        if i == 0:
            services.prerequisite_override(
                application=blocked,
                prerequisite=center.design_review,
                reason="重点项目",
                by=center.erin,
                now=NOW,
            )
        else:
            services.application_accept(application=blocked, by=center.dave, now=NOW)

    errors = race(act, 2)
    state = Application.objects.get(pk=blocked.pk).state
    if errors:  # the acceptance went first and was refused: nothing of it was kept
        assert len(errors) == 1 and isinstance(errors[0], services.TransitionError)
        assert state == Application.State.DRAFT
    else:  # the override went first, then the acceptance saw it
        assert state == Application.State.IN_REVIEW
    assert PrerequisiteOverride.objects.count() == 1
