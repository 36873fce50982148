"""Queries built once per process (approval_center/prepared.py): the rows are the ORM's for any
values, and a build whose parameters cannot be placed is refused rather than run wrong."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from approval_center import prepared
from approval_center.prepared import Prepared
from windows import authority
from windows.models import AuthorizationLetter, Item

from .conftest import NOW

pytestmark = pytest.mark.django_db


def letters(department_id: int, on: dt.date, at: dt.datetime):
    return (
        AuthorizationLetter.objects.active(at, on=on)
        .filter(department_id=department_id)
        .order_by("pk")
        .values_list("pk", "number")
    )


def test_the_rows_are_the_orms_for_every_value(center):
    prepared = Prepared(letters)
    days = [NOW - dt.timedelta(days=400), NOW, NOW + dt.timedelta(days=4000)]
    for department in (center.construction, center.planning):
        for at in days:
            values = {"department_id": department.pk, "on": timezone.localdate(at), "at": at}
            assert prepared.rows(**values) == list(letters(**values))
    assert any(prepared.rows(department_id=center.construction.pk, on=NOW.date(), at=NOW))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_a_parameter_derived_from_a_value_is_refused(center):
    def derived(department_id: int, at: dt.datetime):
        return AuthorizationLetter.objects.active(at).filter(department_id=department_id)

    with pytest.raises(ImproperlyConfigured, match="derives"):
        Prepared(lambda **v: derived(**v).values_list("pk")).rows(
            department_id=center.construction.pk, at=NOW
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_a_value_the_query_does_not_use_is_refused(center):
    prepared = Prepared(
        lambda department_id, unused: Item.objects.filter(department_id=department_id).values_list(
            "pk"
        )
    )
    with pytest.raises(ImproperlyConfigured, match="does not use"):
        prepared.rows(department_id=center.construction.pk, unused=3)


def test_the_signing_basis_follows_the_letter_at_every_moment(center):
    authority.sync_signing_authority(at=NOW)
    basis = authority.signing_basis(center.bob, center.permit, at=NOW)
    assert basis is not None and basis.letter_id == center.letter.pk
    assert basis.letter_number == center.letter.number
    assert basis.letter_official == center.letter.delegating_official
    center.letter.revoked_at = NOW + dt.timedelta(hours=1)
    center.letter.save()
    assert authority.signing_basis(center.bob, center.permit, at=NOW) is not None
    later = NOW + dt.timedelta(hours=2)
    assert authority.signing_basis(center.bob, center.permit, at=later) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
@pytest.mark.django_db(transaction=True)  # the session is closed in the middle
def test_the_statement_is_prepared_on_the_server_once_per_session(center):
    prepared = Prepared(letters)
    values = {"department_id": center.construction.pk, "on": NOW.date(), "at": NOW}

    def on_server() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [prepared.name]
            )
            return cursor.fetchone()[0]

    expected = list(letters(**values))
    assert prepared.rows(**values) == expected and on_server() == 1
    assert prepared.rows(**values) == expected and on_server() == 1
    connection.close()  # a new session prepares it again
    assert prepared.rows(**values) == expected and on_server() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_a_statement_the_server_cannot_prepare_runs_as_plain_sql(center):
    from django.db import transaction
    from django.db.models import CharField, Value

    prepared = Prepared(
        lambda label, pk: (
            Item.objects.filter(pk=pk)
            .annotate(label=Value(label, output_field=CharField()))
            .values_list("label")
        )
    )
    with transaction.atomic():  # the failed PREPARE leaves the transaction usable
        assert prepared.rows(label="x", pk=center.permit.pk) == [("x",)]
        assert Item.objects.filter(pk=center.permit.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_a_number_no_column_can_hold_matches_nothing_as_in_the_orm(center):
    prepared = Prepared(letters)
    for department_id in (2**63, -(2**63) - 1, 10**20):
        values = {"department_id": department_id, "on": NOW.date(), "at": NOW}
        assert prepared.rows(**values) == [] == list(letters(**values))


# --- writes whose text recurs: `prepared.execute` ------------------------------------------

RENAME = 'UPDATE "windows_item" SET "name" = %s WHERE "id" = %s RETURNING "name"'


def on_server(sql: str) -> int:
    """How many statements of this session are `sql` kept under its name."""
    name = prepared._kept_texts.get(sql)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [name])
        return cursor.fetchone()[0]


def test_a_kept_write_writes_what_its_statement_writes(center):
    for name in ("第一次", "第二次", "第三次"):
        with connection.cursor() as cursor:
            prepared.execute(cursor, RENAME, [name, center.permit.pk])
            assert cursor.fetchall() == [(name,)]
        assert Item.objects.get(pk=center.permit.pk).name == name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
@pytest.mark.django_db(transaction=True)  # the session is closed in the middle
def test_a_kept_write_is_prepared_once_per_session(center):
    for name in ("甲", "乙"):
        with connection.cursor() as cursor:
            prepared.execute(cursor, RENAME, [name, center.permit.pk])
        assert on_server(RENAME) == 1
    connection.close()  # a new session prepares it again
    with connection.cursor() as cursor:
        prepared.execute(cursor, RENAME, ["丙", center.permit.pk])
    assert on_server(RENAME) == 1 and Item.objects.get(pk=center.permit.pk).name == "丙"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_a_number_its_parameter_cannot_hold_runs_the_statement_as_given(center):
    with connection.cursor() as cursor:
        prepared.execute(cursor, RENAME, ["甲", center.permit.pk])  # kept: "id" an integer
        for pk in (2**31, 2**63 - 1, 10**20):  # the plain statement matches nothing, as before
            prepared.execute(cursor, RENAME, ["乙", pk])
            assert cursor.fetchall() == []
    assert Item.objects.get(pk=center.permit.pk).name == "甲"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_a_write_the_server_cannot_prepare_runs_as_given(center):
    from django.db import transaction

    sql = 'UPDATE "windows_item" SET "name" = "name" || \'!\' WHERE %s IS NULL AND "id" = %s'
    with transaction.atomic():  # the failed PREPARE leaves the transaction usable
        with connection.cursor() as cursor:
            prepared.execute(cursor, sql, [None, center.permit.pk])
            assert cursor.rowcount == 1
        assert on_server(sql) == 0
        assert Item.objects.get(pk=center.permit.pk).name.endswith("!")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared on PostgreSQL only")
def test_bulk_writes_and_texts_past_the_bound_are_not_kept(center, monkeypatch):
    many = prepared.KEPT_PARAMETERS + 1
    bulk = f'UPDATE "windows_item" SET "name" = %s WHERE "id" IN ({", ".join(["%s"] * many)})'  # noqa: S608
    with connection.cursor() as cursor:
        prepared.execute(cursor, bulk, ["甲", center.permit.pk, *range(-many + 1, 0)])
        assert cursor.rowcount == 1
    assert bulk not in prepared._kept_texts
    monkeypatch.setattr(prepared, "KEPT_TEXTS", len(prepared._kept_texts))
    other = RENAME.replace('"name" = %s', "\"name\" = %s || ''")
    with connection.cursor() as cursor:
        prepared.execute(cursor, other, ["乙", center.permit.pk])
    assert other not in prepared._kept_texts
    assert Item.objects.get(pk=center.permit.pk).name == "乙"
