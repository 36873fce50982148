"""Least privilege in the database (DESIGN.md section 11): the application's role, given its rights
by `manage.py grant_app_role` as the owner, owns nothing, can only add rows to the append-only
tables, cannot truncate, alter or switch off a trigger, and still does its work."""

from __future__ import annotations

import secrets
from contextlib import contextmanager

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from applications import services
from applications.models import Application, DepartmentReview

from .conftest import NOW, receive_all

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="database roles are PostgreSQL's (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def app_role():
    """A throwaway login role, dropped with everything granted to it afterwards."""
    role = f"test_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x'")
    yield role
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def connect_as(role: str):
    settings = connection.settings_dict
    raw = psycopg2.connect(
        dbname=settings["NAME"],
        user=role,
        password="x",
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )
    raw.autocommit = True
    return raw


def refused(raw, sql: str, params=()) -> str:
    """The error PostgreSQL gives the role for `sql` (the test fails if it is allowed)."""
    with raw.cursor() as cursor:
        try:
            cursor.execute(sql, params)
        except psycopg2.Error as error:
            return str(error)
    raise AssertionError(f"allowed: {sql}")


@contextmanager
def django_as(role: str):
    """Django's own connection as `role` for the block: the services as production runs them."""
    connection.close()
    user = connection.settings_dict["USER"]
    connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = role, "x"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = user
        connection.settings_dict["PASSWORD"] = ""


def test_the_application_role_only_adds_to_the_audit_and_cannot_switch_it_off(
    accepted, center, app_role
):
    call_command("grant_app_role", app_role)
    call_command("grant_app_role", app_role)  # idempotent
    raw = connect_as(app_role)
    try:
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s",
                [app_role],
            )
            assert cursor.fetchone() == (False, False, False)
            cursor.execute(
                "SELECT count(*) FROM pg_class WHERE relowner = "
                "(SELECT oid FROM pg_roles WHERE rolname = %s)",
                [app_role],
            )
            assert cursor.fetchone()[0] == 0
            cursor.execute("SELECT count(*) FROM applications_historicalapplication")
            assert cursor.fetchone()[0] >= 1
        for table in (
            "applications_historicalapplication",
            "windows_historicalstaff_groups",
            "supervision_card",
            "applications_document",
            "applications_clockevent",
            "applications_signingstep",
        ):
            assert "permission denied" in refused(raw, f"UPDATE {table} SET id = id")  # noqa: S608
            assert "permission denied" in refused(raw, f"DELETE FROM {table}")  # noqa: S608
            assert "permission denied" in refused(raw, f"TRUNCATE {table}")
        # The bytes of an issued document, with their SHA-256.
        printed = "applications_printeddocument"
        assert "permission denied" in refused(raw, f"UPDATE {printed} SET sha256 = sha256")  # noqa: S608
        assert "permission denied" in refused(raw, f"DELETE FROM {printed}")  # noqa: S608
        assert "must be owner" in refused(
            raw, "ALTER TABLE applications_historicalapplication DISABLE TRIGGER ALL"
        )
        assert "must be owner" in refused(
            raw, "ALTER TABLE applications_departmentreview DISABLE TRIGGER audit_final_decision"
        )
        assert "permission denied" in refused(raw, "SET session_replication_role = replica")
        assert "permission denied" in refused(raw, "CREATE TABLE mine (id int)")
        assert "permission denied" in refused(raw, "DELETE FROM django_migrations")
        assert "permission denied" in refused(raw, "TRUNCATE applications_application CASCADE")
        # What it may do: add a history row, change an application.
        with raw.cursor() as cursor:
            cursor.execute(
                "INSERT INTO windows_historicaldepartment (id, code, name, short_name, "
                "leader_name, phone, sort_order, history_date, history_type) "
                "SELECT id, code, name, short_name, leader_name, phone, sort_order, now(), '~' "
                "FROM windows_department LIMIT 1"
            )
            cursor.execute(
                "UPDATE applications_application SET state = state WHERE id = %s", [accepted.pk]
            )
            assert cursor.rowcount == 1
    finally:
        raw.close()


def test_the_services_work_as_the_application_role(draft, center, seals, app_role):
    from windows import authority

    authority.sync_signing_authority(at=NOW)
    receive_all(draft, center.dave)
    call_command("grant_app_role", app_role)
    with django_as(app_role):
        accepted = services.application_accept(application=draft, by=center.dave, now=NOW)
        review = accepted.reviews.get(item=center.permit)
        services.review_claim(review=review, by=center.alice, now=NOW)
        services.review_decide(review=review, by=center.bob, now=NOW, outcome="granted", reasons="")
        services.review_return(review=review, by=center.bob, now=NOW)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
    assert Application.objects.get(pk=draft.pk).state == "in_review"
    assert DepartmentReview.objects.get(pk=review.pk).state == "returned"
    assert DepartmentReview.history.filter(id=review.pk).count() >= 4


def test_the_grant_refuses_a_role_that_would_bypass_it(db, app_role):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
    with pytest.raises(CommandError, match="owner"):
        call_command("grant_app_role", owner)
    with pytest.raises(CommandError, match="no role"):
        call_command("grant_app_role", "nobody_at_all_here")
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER ROLE {app_role} SUPERUSER")
    with pytest.raises(CommandError, match="superuser"):
        call_command("grant_app_role", app_role)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER ROLE {app_role} NOSUPERUSER")


def test_without_a_role_the_grant_takes_the_application_url_and_creates_the_role(
    db, settings, app_role
):
    settings.MIGRATE_DATABASE_URL = "postgres://owner@db/approval"  # (this connection's)
    settings.DATABASE_URL = f"postgres://{app_role}_new:s3cret@db:5432/approval"
    call_command("grant_app_role")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", [f"{app_role}_new"]
        )
        assert cursor.fetchone() == (True, False)
        cursor.execute(f"DROP OWNED BY {app_role}_new")
        cursor.execute(f"DROP ROLE {app_role}_new")
