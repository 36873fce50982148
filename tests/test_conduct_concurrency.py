"""Races in conduct/ on PostgreSQL with real threads: two findings at once deduct once, two
appeals at once file one, two decisions at once decide once, complaints filed at once get
distinct gapless numbers, two sweeps at once card once."""

import datetime as dt

import pytest
from django.db import connection

from conduct import services, sweep
from conduct.demo import seed_rules
from conduct.models import Appeal, Complaint, ComplaintCard, Deduction

from .conftest import NOW, aware
from .test_intake_concurrency import race
from .test_review_concurrency import only_transition_errors

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def rule(db):
    return {r.code: r for r in seed_rules()}["complaint"]


def _complaint(center):
    complaint = services.complaint_file(
        source="phone",
        phone="13912345678",
        text="态度差",
        window=center.construction_window,
        by=center.erin,
        now=NOW,
    )
    services.complaint_investigate(complaint=complaint, record="属实", by=center.erin, now=NOW)
    return complaint


def _find(complaint, center, rule):
    return services.complaint_find(
        complaint=complaint,
        finding="substantiated",
        rule=rule,
        window=center.construction_window,
        staff=center.alice,
        by=center.erin,
        now=NOW,
    )


def test_two_findings_at_once_deduct_once(center, calendar, rule):
    complaint = _complaint(center)
    errors = race(lambda i: _find(complaint, center, rule), 2)
    only_transition_errors(errors, 1)
    assert Deduction.objects.filter(complaint=complaint).count() == 1
    assert complaint.history.filter(history_change_reason="finding").count() == 1


def test_two_appeals_at_once_file_one_and_two_decisions_decide_once(center, calendar, rule):
    complaint = _complaint(center)
    _find(complaint, center, rule)
    deduction = Deduction.objects.get(complaint=complaint)
    errors = race(
        lambda i: services.appeal_file(
            deduction=deduction, reasons=f"理由{i}", by=center.bob, now=NOW
        ),
        2,
    )
    only_transition_errors(errors, 1)
    appeal = Appeal.objects.get()
    decisions = ["upheld", "rejected"]
    errors = race(
        lambda i: services.appeal_decide(
            appeal=appeal, decision=decisions[i], note="理由", by=center.erin, now=NOW
        ),
        2,
    )
    only_transition_errors(errors, 1)
    appeal.refresh_from_db()
    deduction.refresh_from_db()
    assert (appeal.decision == "upheld") == (deduction.restored_at is not None)


def test_complaints_filed_at_once_get_distinct_gapless_numbers(center, calendar):
    errors = race(
        lambda i: services.complaint_file(
            source="web", phone="13912345678", text=f"投诉{i}", now=NOW
        ),
        8,
    )
    assert errors == []
    numbers = sorted(Complaint.objects.values_list("number", flat=True))
    assert numbers == [f"TS2026{n:05d}" for n in range(1, 9)]


def test_two_sweeps_at_once_card_once(center, calendar):
    complaint = _complaint(center)
    after = complaint.due + dt.timedelta(days=1)
    later = aware(after.year, after.month, after.day, 9)
    errors = race(lambda i: sweep.sweep_complaints(now=later), 2)
    assert errors == []
    assert ComplaintCard.objects.filter(complaint=complaint, level="red").count() == 1
