"""On PostgreSQL, the history tables and the card table refuse UPDATE and DELETE: a trigger
raises, whoever asks (the application, the admin, a console). Rows are only ever added.

TRUNCATE is left alone: it is what a test database is emptied with, and no code of the
application truncates. A member of staff with history cannot be deleted (their history would
lose its author): deactivate the account instead.
"""

from __future__ import annotations

from django.apps import apps

FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never changed or deleted (append-only audit)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGER = "audit_append_only"
# Tables that are records of events themselves (written once, never changed), besides every
# django-simple-history table.
EXTRA_TABLES = (
    "supervision_card",
    "applications_clockevent",
    "applications_document",
    "applications_printeddocument",
    "applications_signingstep",
    "applications_signingstep_sent_to",
)


def audited_tables() -> list[str]:
    """Every django-simple-history table (m2m history included) and the extra tables."""
    tables = {
        model._meta.db_table
        for model in apps.get_models()
        if model.__name__.startswith("Historical") and hasattr(model, "instance_type")
    }
    return sorted(tables | set(EXTRA_TABLES))


def install(connection) -> list[str]:
    """Create the refusing trigger on every audited table that lacks it; return those tables."""
    if connection.vendor != "postgresql":
        return []
    existing = set(connection.introspection.table_names())
    added = []
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION)
        cursor.execute(
            "SELECT event_object_table FROM information_schema.triggers WHERE trigger_name = %s",
            [TRIGGER],
        )
        have = {row[0] for row in cursor.fetchall()}
        for table in audited_tables():
            if table in existing and table not in have:
                cursor.execute(
                    f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "
                    f"{connection.ops.quote_name(table)} "
                    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
                )
                added.append(table)
    return added


def uninstall(connection) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in audited_tables():
            cursor.execute(
                f"DROP TRIGGER IF EXISTS {TRIGGER} ON {connection.ops.quote_name(table)}"
            )
        cursor.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
