"""Writing a case event into the outbox, in the transaction of the step itself.

`record` is one statement: an INSERT whose payload is read, by the same statement, from the
case as it stands in the step's transaction (the application's number, state and dates, its
items with their departments, the review the event is about), joined with what only the step
knows (`details`: the days of a stop, the level of a rating). No ID number or name of a person
is read. The push is queued for after the commit (`push.queue`); a step rolled back leaves no
row and queues nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid

from django.db import connection

from applications.models import Application, DepartmentReview
from approval_center import prepared
from windows.models import Department, Item

from . import push
from .models import OutboxEvent

# The platform's names for the fields pushed (docs/outbox.md), and the column of each.
CASE_FIELDS = [
    ("receipt_number", "receipt_number", "text"),
    ("channel", "channel", "text"),
    ("state", "state", "text"),
    ("received_at", "received_at", "time"),
    ("accepted_at", "accepted_at", "time"),
    ("promised_date", "promised_date", "date"),
    ("due_date", "due_date", "date"),
    ("delivered_at", "delivered_at", "time"),
]
REVIEW_FIELDS = [
    ("state", "state", "text"),
    ("deadline", "deadline", "date"),
    ("statutory_deadline", "statutory_deadline", "date"),
    ("outcome", "outcome", "text"),
    ("decision_number", "decision_number", "text"),
    ("decided_at", "decided_at", "time"),
    ("returned_at", "returned_at", "time"),
]


def record(
    *,
    application_id: int,
    kind: str,
    at: dt.datetime,
    review_id: int | None = None,
    details: dict | None = None,
) -> None:
    """Write the event (one INSERT) and queue its push for after the commit."""
    if kind not in OutboxEvent.Kind.values:
        raise ValueError(f"Not a case event: {kind}")
    sql, params = _insert(application_id, kind, at, review_id, details or {})
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
    push.queue_after_commit(application_id)


def _insert(
    application_id: int, kind: str, at: dt.datetime, review_id: int | None, details: dict
) -> tuple[str, list]:
    """The statement and its parameters, in the order of its placeholders: the key, the kind,
    the time (twice), the review, the details, the application."""
    meta = OutboxEvent._meta
    key = meta.get_field("key").get_db_prep_value(uuid.uuid4(), connection)
    when = meta.get_field("occurred_at").get_db_prep_value(at, connection)
    details_json = json.dumps(details, default=str)
    return _statement(connection.vendor), [
        key,
        kind,
        when,
        when,
        review_id,
        details_json,
        application_id,
    ]


@functools.cache
def _statement(vendor: str) -> str:
    """The INSERT ... SELECT, made once per process: names from the models, no input."""
    quote = connection.ops.quote_name
    postgres = vendor == "postgresql"
    build = "jsonb_build_object" if postgres else "json_object"

    def value(alias: str, column: str, kind_of: str) -> str:
        ref = f"{alias}.{quote(column)}"
        if kind_of == "time":  # UTC, ISO 8601, whole seconds: the same on both databases
            if postgres:
                return f"""to_char({ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""
            return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', {ref})"
        if kind_of == "date" and postgres:
            return f"to_char({ref}, 'YYYY-MM-DD')"
        return ref

    def obj(alias: str, fields) -> str:
        return (
            f"{build}("
            + ", ".join(
                f"'{name}', {value(alias, column, kind_of)}" for name, column, kind_of in fields
            )
            + ")"
        )

    app_table = quote(Application._meta.db_table)
    items_table = quote(Application.items.through._meta.db_table)
    item_table, department_table = quote(Item._meta.db_table), quote(Department._meta.db_table)
    review_table = quote(DepartmentReview._meta.db_table)
    item_obj = (
        f"{build}('code', i.{quote('code')}, 'name', i.{quote('name')},"
        f" 'department', d.{quote('code')}, 'department_name', d.{quote('name')})"
    )
    items_from = (
        f"FROM {items_table} ai JOIN {item_table} i ON i.id = ai.item_id"
        f" JOIN {department_table} d ON d.id = i.department_id"
        " WHERE ai.application_id = a.id"
    )
    review_obj = (
        obj("r", REVIEW_FIELDS)[:-1]
        + f", 'item', i.{quote('code')}, 'item_name', i.{quote('name')},"
        f" 'department', d.{quote('code')}, 'department_name', d.{quote('name')})"
    )
    review_from = (
        f"FROM {review_table} r JOIN {item_table} i ON i.id = r.item_id"
        f" JOIN {department_table} d ON d.id = r.department_id WHERE r.id = %s"
    )
    case = obj("a", CASE_FIELDS)[:-1] + f", 'project_code', p.{quote('code')})"
    if postgres:
        payload = (
            f"{case} || jsonb_build_object("
            f"'items', COALESCE((SELECT jsonb_agg({item_obj} ORDER BY i.{quote('code')})"
            f" {items_from}), '[]'::jsonb),"
            f" 'review', (SELECT {review_obj} {review_from})) || %s::jsonb"
        )
    else:
        payload = (
            f"json_patch(json_set({case}, '$.items', json(COALESCE((SELECT"  # noqa: S608
            f" json_group_array(json(x))"
            f" FROM (SELECT {item_obj} AS x {items_from} ORDER BY i.{quote('code')})), '[]')),"
            f" '$.review', json((SELECT {review_obj} {review_from}))), %s)"
        )
    table = quote(OutboxEvent._meta.db_table)
    project_table = quote(Application._meta.get_field("project").related_model._meta.db_table)
    columns = ", ".join(
        quote(name)
        for name in (
            "key",
            "application_id",
            "kind",
            "occurred_at",
            "created_at",
            "attempts",
            "last_error",
            "payload",
        )
    )
    return (
        f"INSERT INTO {table} ({columns}) SELECT %s, a.id, %s, %s, %s, 0, '', {payload}"  # noqa: S608
        f" FROM {app_table} a LEFT JOIN {project_table} p ON p.id = a.project_id"
        " WHERE a.id = %s"
    )
