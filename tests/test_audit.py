"""The audit trail: every change writes its history row with who and when (bulk writes too), the
history and card tables refuse UPDATE and DELETE on PostgreSQL, and administrators search it."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse
from django_otp.oath import totp

from applications import services
from applications.models import (
    ApplicationMaterial,
    ClockEvent,
    DepartmentReview,
    Document,
    PrerequisiteOverride,
    Rating,
    RatingToken,
)
from audit.append_only import TRIGGER, audited_tables
from audit.history import history_models
from hall import services as services_hall
from hall.models import Appointment, Business
from supervision import actions
from supervision.models import Card
from twofactor import services as second_factor
from windows.models import AuthorizationLetter, Item

from .conftest import NOW
from .test_access import private_media, samples  # noqa: F401  (one object of every kind)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's (CI runs it)"
)
# Rows that are records of events themselves, written once and never changed (and, on
# PostgreSQL, held to it by the same trigger): they need no history of their own. Counter is the
# locked row that numbers receipts and documents; the numbers are in the history of their rows.
EVENT_ROWS = {
    "ClockEvent",
    "Document",
    "PrintedDocument",
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


def touch(obj, by) -> None:
    """Write a second history row for any tracked object: one text field changed, and each
    many-to-many field with history given one more member and one fewer."""
    meta = type(obj)._meta
    for field in meta.concrete_fields:
        if (
            isinstance(field, models.CharField | models.TextField)
            and field.editable
            and not field.choices
            and not field.primary_key
        ):
            value = getattr(obj, field.attname) or ""
            limit = field.max_length or 1000
            setattr(obj, field.attname, (value[: limit - 1] + "改") if value else "改")
            break
    obj._history_user = by
    obj.save()
    tracked = getattr(type(obj), "history", None)
    m2m_names = {f.name for f in tracked.model._history_m2m_fields} if tracked else set()
    for field in meta.many_to_many:
        if field.name not in m2m_names:
            continue
        manager = getattr(obj, field.name)
        now_in = list(manager.all())
        other = field.related_model._default_manager.exclude(pk__in=[o.pk for o in now_in])
        if isinstance(obj, AuthorizationLetter):  # a letter covers its department's items only
            other = other.filter(department_id=obj.department_id)
        obj._history_user = by
        manager.add(*other.order_by("pk")[:2])
        if now_in:
            manager.remove(now_in[0])


def test_the_trail_opens_for_every_model_with_history(client, samples, center):  # noqa: F811
    """Every kind of record, each with at least two history rows (many-to-many changes too):
    the whole trail, each model's list and each object's rows answer, and say what changed."""
    actions.meeting_record(
        meeting=samples["meeting"], by=center.erin, now=NOW, minutes="议定", decisions="发证"
    )
    actions.help_note_add(application=samples["application"], by=center.erin, now=NOW, text="代办")
    # A rating link, as the hand-over makes one.
    RatingToken.objects.create(
        application=samples["application"], digest="0" * 64, created_at=NOW, expires_at=NOW
    )
    # A second factor enrolled, as its page does it (the record the audit reads).
    pending = second_factor.pending_authenticator(center.erin)
    second_factor.second_factor_enrol(
        staff=center.erin, code=f"{totp(pending.bin_key):06d}", now=NOW
    )
    # The hall: a ticket taken, an appointment booked.
    construction = Business.objects.get(letter="C")
    services_hall.ticket_take(business=construction, now=NOW)
    Appointment.objects.create(
        business=construction,
        day=NOW.date(),
        starts=dt.time(9),
        ends=dt.time(9, 30),
        name="张三",
        mobile="13800000000",
        code="K7Q2M9",
        key_digest="1" * 64,
        booked_at=NOW,
    )
    # A prerequisite overridden by a manager (applications/projects.py), as its form records it.
    PrerequisiteOverride.objects.create(
        application=samples["application"],
        prerequisite=center.design_review,
        reason="先行受理",
        by=center.erin,
        at=NOW,
    )
    # A case event retried by hand by an administrator (outbox/: its first history row; the
    # event itself is written without one).
    from outbox import push
    from outbox.models import OutboxEvent

    push.retry_now(OutboxEvent.objects.order_by("pk").first(), by=center.admin, now=NOW)
    # A rating received from the provincial platform under its own id (api/ratings.py).
    from api.models import ProvincialRating

    ProvincialRating.objects.create(
        platform_id="HCP-2026-0001",
        rating=Rating.objects.order_by("pk").first(),
        client=samples["api_client"],
        received_at=NOW,
    )
    touched = {}
    for label, model in history_models().items():
        obj = model.instance_type._default_manager.order_by("pk").first()
        assert obj is not None, f"no {label} to open the trail of: add one to `samples`"
        touch(obj, center.admin)
        touched[label] = obj
        assert model.objects.filter(**{obj._meta.pk.attname: obj.pk}).count() >= 2, label
    client.force_login(center.admin)
    first = trail(client)
    assert first.status_code == 200
    pages = first.context["page"].paginator.num_pages
    for number in range(2, pages + 1):
        assert trail(client, page=number).status_code == 200
    for label, obj in touched.items():
        response = trail(client, model=label)
        assert response.status_code == 200, label
        response = trail(client, model=label, object_id=str(obj.pk))
        assert response.status_code == 200, label
        assert response.context["page"].paginator.count >= 2, label
    # Many-to-many changes read as names: a letter's items, a meeting's departments.
    letter = touched["windows.authorizationletter"]
    rows = rows_of(trail(client, model="windows.authorizationletter", object_id=letter.pk))
    assert "Items covered:" in rows
    assert all(item.name in rows for item in letter.items.all())
    meeting = samples["meeting"]
    rows = rows_of(trail(client, model="supervision.meeting", object_id=meeting.pk))
    assert "Departments invited:" in rows and center.planning.name in rows
    assert "Minutes:" in rows and "议定" in rows
