"""The audit trail: every change writes its history row with who and when (bulk writes too), the
history and card tables refuse UPDATE and DELETE on PostgreSQL, and administrators search it."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from applications import services
from applications.models import ApplicationMaterial, ClockEvent, DepartmentReview, Document
from audit.append_only import TRIGGER, audited_tables
from supervision.models import Card
from windows.models import Item

from .conftest import NOW

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's (CI runs it)"
)
# Rows that are records of events themselves, written once and never changed (and, on
# PostgreSQL, held to it by the same trigger): they need no history of their own. Counter is the
# locked row that numbers receipts and documents; the numbers are in the history of their rows.
EVENT_ROWS = {
    "ClockEvent",
    "Document",
    "Notification",
    "Counter",
    "Card",
    "StaffNotice",
    "SigningStep",
}
# The sweep's own bookmark (where the last deadline sweep stopped): machinery, not a record of
# the center's work; every card it leads to is an event row above.
BOOKKEEPING = {"SweepMark"}


def test_every_business_model_keeps_history_or_is_an_event_row():
    without = [
        f"{config.label}.{model.__name__}"
        for config in apps.get_app_configs()
        if config.label in ("windows", "applications", "supervision")
        for model in config.get_models()
        if not model.__name__.startswith("Historical")
        and not model.__name__.endswith("ObjectPermission")
        and not hasattr(model, "history")
        and model.__name__ not in EVENT_ROWS | BOOKKEEPING
    ]
    assert without == []


def test_the_checklist_lines_of_a_new_application_have_history_with_who(draft, center):
    lines = list(draft.materials.all())
    assert lines
    for line in lines:
        record = line.history.get()
        assert record.history_type == "+"
        assert record.history_user == center.dave and record.history_date == NOW


def test_lines_removed_with_an_item_have_history_with_who(draft, center):
    before = set(draft.materials.values_list("material__name", flat=True))
    services.application_set_items(application=draft, items=[center.planning_item], by=center.dave)
    after = set(draft.materials.values_list("material__name", flat=True))
    removed = ApplicationMaterial.history.filter(history_type="-")
    assert before - after and removed.count() == len(before - after)
    assert {r.history_user for r in removed} == {center.dave}


# --- append-only on PostgreSQL ----------------------------------------------------------------


@on_postgresql
def test_every_history_table_and_the_cards_have_the_trigger(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT event_object_table FROM information_schema.triggers "
            "WHERE trigger_name = %s",
            [TRIGGER],
        )
        have = {row[0] for row in cursor.fetchall()}
    tables = audited_tables()
    assert "supervision_card" in tables and "applications_historicalapplication" in tables
    assert set(tables) <= have


def refused(action) -> bool:
    try:
        with transaction.atomic():
            action()
    except DatabaseError as error:
        assert "append-only" in str(error)
        return True
    return False


@on_postgresql
def test_history_rows_cannot_be_changed_or_deleted(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    record = DepartmentReview.history.filter(id=review.pk).first()
    history = DepartmentReview.history.model.objects
    assert refused(lambda: history.filter(pk=record.pk).update(state="decided"))
    assert refused(lambda: history.filter(pk=record.pk).delete())
    assert refused(lambda: Item.history.all().update(name="x"))

    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE applications_historicalapplication SET history_user_id = NULL")

    assert refused(raw_update)
    # Adding rows goes on as ever: the next change writes its history row.
    services.review_claim(review=review, by=center.alice, now=NOW)
    assert DepartmentReview.history.filter(id=review.pk).count() == 2


@on_postgresql
def test_cards_clock_events_and_documents_cannot_be_changed_or_deleted(accepted):
    card = Card.objects.create(
        application=accepted, level="red", deadline=dt.date(2026, 10, 16), issued_at=NOW
    )
    assert refused(lambda: Card.objects.filter(pk=card.pk).update(level="yellow"))
    assert refused(lambda: Card.objects.filter(pk=card.pk).delete())
    assert refused(lambda: ClockEvent.objects.all().update(days=99))
    assert refused(lambda: Document.objects.all().delete())
    assert Card.objects.get(pk=card.pk).level == "red"


# --- the audit page ---------------------------------------------------------------------------


def trail(client, **params):
    return client.get(reverse("audit:trail"), params, HTTP_ACCEPT_LANGUAGE="en")


def rows_of(response) -> str:
    page = response.content.decode()
    return page[page.index('data-testid="audit"') : page.index("</table>")]


def test_administrators_search_the_trail(client, accepted, center):
    review = accepted.reviews.get(item=center.permit)
    services.review_claim(review=review, by=center.alice, now=NOW)
    client.force_login(center.admin)
    page = trail(client).content.decode()
    assert "Audit trail" in page
    # Who: alice claimed the review; the change shows its fields, old and new.
    response = trail(client, who="alice")
    assert "1 change" in response.content.decode()
    rows = rows_of(response)
    assert "Department review" in rows and "Alice" in rows
    assert "State: <del>Queued</del> → <ins>In progress</ins>" in rows
    # What: one model, one object.
    rows = rows_of(trail(client, model="applications.application", object_id=accepted.pk))
    assert "Application" in rows and f"#{accepted.pk}" in rows
    assert "Department review" not in rows
    # When: a period with nothing in it.
    assert (
        "No change matches."
        in trail(client, since="2026-01-01", until="2026-01-31").content.decode()
    )
    response = trail(client, since="2026-02-01", until="2026-01-01")
    assert "The end of the period is before its start." in response.content.decode()
    assert trail(client, kind="-").status_code == 200


def test_the_trail_is_paginated_and_its_queries_do_not_grow_with_the_table(
    client, center, django_assert_max_num_queries
):
    for n in range(120):
        Item.objects.filter(pk=center.permit.pk).update(promised_days=1 + n % 7)
        item = Item.objects.get(pk=center.permit.pk)
        item._history_user = center.admin
        item.save(update_fields=["promised_days"])
    client.force_login(center.admin)
    response = trail(client, model="windows.item")
    page = response.content.decode()
    assert "Page 1 of 3" in page
    assert page.count("<tr>") == 51  # the head and fifty rows
    with django_assert_max_num_queries(70):
        trail(client, model="windows.item", page=3)


def test_the_trail_is_for_administrators_only(client, center):
    client.force_login(center.erin)
    assert trail(client).status_code == 403
