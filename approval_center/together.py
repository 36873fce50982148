"""Rows of several tables written in one statement.

`bulk_create_together((rows, options), ...)` is `bulk_create(rows, **options)` of each group, on
PostgreSQL in one statement: each group's INSERT as Django compiles it (its conflict clause
included) is a data-modifying CTE, and the keys they return are read back in the order written,
as `bulk_create` reads them. Elsewhere, one `bulk_create` per group. For a step of the core loop
that writes a document and the applicant's message (one round trip fewer at every decision).
"""

from __future__ import annotations

from django.db import connections
from django.db.models import AutoField, Model
from django.db.models.sql import InsertQuery

from . import prepared

Group = tuple[list[Model], dict]


def bulk_create_together(*groups: Group, using: str = "default") -> None:
    groups = tuple((rows, options) for rows, options in groups if rows)
    if any(row._is_pk_set() for rows, _options in groups for row in rows):
        raise ValueError("Only new rows: one has its key already.")
    connection = connections[using]
    if connection.vendor != "postgresql" or len(groups) < 2:
        for rows, options in groups:
            type(rows[0])._default_manager.using(using).bulk_create(rows, **options)
        return
    parts, params, reads = [], [], []
    for i, (rows, options) in enumerate(groups):
        sql, sql_params, key = _insert(rows, options, using)
        parts.append(f"i{i} AS ({sql})")
        params.extend(sql_params)
        reads.append(f"SELECT {i}, {connection.ops.quote_name(key.column)} FROM i{i}")  # noqa: S608
    with connection.cursor() as cursor:
        sql = f"WITH {', '.join(parts)} {' UNION ALL '.join(reads)}"
        prepared.execute(cursor, sql, params)
        returned = cursor.fetchall()
    for i, (rows, _options) in enumerate(groups):
        keys = [key for group, key in returned if group == i]
        if len(keys) != len(rows):  # every row comes back, inserted or (on conflict) updated
            raise ValueError(f"{len(rows)} rows written, {len(keys)} keys returned.")
        for row, key in zip(rows, keys, strict=True):
            row.pk = key
            row._state.adding = False
            row._state.db = using


def _insert(rows: list[Model], options: dict, using: str) -> tuple[str, tuple, object]:
    """The INSERT ... RETURNING of `rows` as `bulk_create(rows, **options)` compiles it, for
    a model that returns only its key."""
    model = type(rows[0])
    meta = model._meta
    if meta.db_returning_fields != [meta.pk]:
        raise ValueError("Only a model that returns its key alone.")
    if set(options) - {"update_conflicts", "update_fields", "unique_fields"}:
        raise ValueError(f"Not supported: {sorted(options)}")
    queryset = model._default_manager.using(using)
    unique = [meta.get_field(name) for name in options.get("unique_fields", ())] or None
    update = [meta.get_field(name) for name in options.get("update_fields", ())] or None
    on_conflict = queryset._check_bulk_create_options(
        False, options.get("update_conflicts", False), update, unique
    )
    queryset._prepare_for_bulk_create(rows)
    fields = [f for f in meta.concrete_fields if not f.generated and not isinstance(f, AutoField)]
    query = InsertQuery(model, on_conflict=on_conflict, update_fields=update, unique_fields=unique)
    query.insert_values(fields, rows)
    compiler = query.get_compiler(using=using)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, params, meta.pk
