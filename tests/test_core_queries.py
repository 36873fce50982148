"""The way back at a bounded cost: each step of the core loop (decide, return, receive) sends a
fixed number of statements, whatever the data, through the pages' own views (benchmarks/ measures
the time; this guards the count, so that a change that adds a round trip to every case is seen)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications import services
from applications.models import Application
from windows import authority

from .conftest import NOW, receive_all

pytestmark = pytest.mark.django_db

# Statements of one request, besides those of the session and the person (the middleware's),
# with the most a step may send. Decide: the lock, which is also the check (among the reviews
# the person acts on at their window), with the item, window, seal and department, the signing
# basis with what the decision prints of it, and the application with the comprehensive
# window's number (all read along: `services._decision_lock`); the number; the update and its
# history; the document with the applicant's message (one statement on PostgreSQL:
# `approval_center.together`). Return: the update, whose WHERE is the check, and its history.
# Receive: the application's lock through the review (the check), with the applicant and
# project the last one's message names; the update, its history and the count of the reviews
# still out; the last one then saves the application with its history and its items' history,
# and writes the message. On PostgreSQL an update and its history rows are one statement (a
# data-modifying CTE), and so is the count beside it.
SENT: list[str] = []
# A grant also issues its licence (licences/services.licence_issue): on PostgreSQL the
# licence's number read with the item's licence term and the new row's key, then the licence
# with its history row and the holder's earlier licences of the item superseded with theirs in
# one statement; on SQLite the term, the number, the licence and its history, the superseded
# ones: LICENCE more (and the year's first licence number of a department makes its series,
# three more).
LICENCE = 2 if connection.vendor == "postgresql" else 5
# A decision, a return and an acceptance are events of the case for the provincial platform:
# each writes its outbox row (outbox/events.py), one INSERT that reads what it reports: OUTBOX
# more. (Receiving a review back is no event of its own; the last one's READY is not either.)
OUTBOX = 1
if connection.vendor == "postgresql":
    MOST = {"decide": 4 + LICENCE, "return": 1, "receive": 2, "receive (last)": 4, "accept": 11}
else:
    MOST = {"decide": 6 + LICENCE, "return": 3, "receive": 5, "receive (last)": 10, "accept": 15}
for _step in ("decide", "return", "accept"):
    MOST[_step] += OUTBOX


def _statements(client, path: str, data=None) -> int:
    # The session and the person are read by the middleware: counted once, before the view.
    client.get("/healthz")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(path, data or {})
    assert response.status_code == 302, response.status_code
    sent = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT", "PREPARE"))
        and "django_session" not in q["sql"]
        and "django_cache" not in q["sql"]  # the cache: Redis in production
        and '"windows_staff"' not in q["sql"].split("FROM", 1)[-1][:40]
    ]
    SENT[:] = sent
    return len(sent)


@pytest.fixture
def two_of_construction(center, calendar, materials, applicant, project, seals):
    authority.sync_signing_authority(at=NOW)
    application = services.application_create(
        applicant=applicant,
        project=project,
        by=center.dave,
        now=NOW,
        items=[center.permit, center.design_review],
    )
    receive_all(application, center.dave)
    return services.application_accept(application=application, by=center.dave, now=NOW)


def test_each_step_of_the_way_back_sends_a_bounded_number_of_statements(
    client, center, two_of_construction
):
    reviews = list(two_of_construction.reviews.order_by("id"))
    client.force_login(center.bob)
    for i, review in enumerate(reviews):
        sent = _statements(
            client, f"/reviews/{review.pk}/decide/", {"outcome": "granted", "reasons": ""}
        )
        # The year's first decision and licence numbers of a department make their series
        # (three more each); on SQLite, the connection's first JSON asks whether it has JSON
        # (one more).
        first = 3 + 3 + (connection.vendor == "sqlite") if i == 0 else 0
        assert sent <= MOST["decide"] + first, "\n".join(s[:90] for s in SENT)
    for review in reviews:
        assert _statements(client, f"/reviews/{review.pk}/return/") <= MOST["return"]
    client.force_login(center.dave)
    first, last = reviews
    assert _statements(client, f"/reviews/{first.pk}/receive/") <= MOST["receive"]
    sent = _statements(client, f"/reviews/{last.pk}/receive/")
    assert sent <= MOST["receive (last)"], "\n".join(s[:90] for s in SENT)
    two_of_construction.refresh_from_db()
    assert two_of_construction.state == Application.State.READY


def test_accepting_sends_a_bounded_number_of_statements(client, center, draft, seals):
    """The check; the lock with the comprehensive window's number; the checklist and items;
    the number; the reviews, their history and clocks; the application with its history; the
    intake seal, the slip (its reviews and lines from memory) with the applicant's message (one
    statement on PostgreSQL)."""
    authority.sync_signing_authority(at=NOW)
    receive_all(draft, center.dave)
    client.force_login(center.dave)
    sent = _statements(client, f"/applications/{draft.pk}/accept/")
    # The year's first receipt number makes its series (three more).
    assert sent <= MOST["accept"] + 3, "\n".join(s[:90] for s in SENT)
    draft.refresh_from_db()
    assert draft.state == Application.State.IN_REVIEW


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-statement save")
def test_the_one_statement_save_writes_the_history_row_simple_history_would(
    center, two_of_construction
):
    review = two_of_construction.reviews.order_by("id").first()
    before = review.history.count()
    services.review_claim(review=review, by=center.alice, now=NOW)
    row = review.history.order_by("-history_id").first()
    assert review.history.count() == before + 1
    assert (row.history_type, row.history_user_id, row.history_date) == ("~", center.alice.pk, NOW)
    assert row.state == "in_progress" and row.officer_id == center.alice.pk
    assert row.deadline == review.deadline and row.application_id == review.application_id
    review.refresh_from_db()
    assert review.state == "in_progress"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-statement save")
def test_the_one_statement_save_of_a_row_gone_fails_and_writes_no_history(
    center, two_of_construction
):
    from django.db import DatabaseError

    review = two_of_construction.reviews.order_by("id").first()
    review.pk = 10**9
    with pytest.raises(DatabaseError):
        services._save(review, ["state"], center.alice, at=NOW)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_the_connections_compile_no_query_just_in_time():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
