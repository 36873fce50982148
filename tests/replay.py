"""Fixtures built once per process, then written back row for row.

Building the center through the models costs about 160 queries (a history row for every row, the
groups of every person and their history), and the rows it leaves are the same every time.
`replayed` builds a fixture for real the first time and keeps the rows it wrote and the objects it
returned. Each later call, when the tables it wrote are empty again, writes those rows back with
a few INSERTs per table (no signals: the history rows are among those written) and returns a deep
copy of the objects, their cached relations included.

- Rows it points to outside those tables (the role groups) are found again by their natural key
  (a flush after a transactional test makes the groups again under new ids); one that is gone, or
  that has no natural key and changed, and it builds for real again.
- Timestamps written while it was built (history dates, `date_joined`) are moved to the time of
  the copy, as if it had just been built (the last of them is now).
- On PostgreSQL the sequences are moved past the rows written back.
- A fixture that wrote into tables that had rows, or updated or deleted anything, is built for
  real each time: it is only for fixtures that insert rows and do nothing else (no files, no
  cache, no messages).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from dataclasses import dataclass, fields, is_dataclass

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

Model = type[models.Model]


@dataclass
class Snapshot:
    key: tuple
    models: list[Model]  # in the order they were first written
    rows: dict[Model, list[dict]]
    # Foreign keys to rows outside: (model, attname, target), and each target's rows as they
    # were, by primary key: their natural key, or (no natural key) the whole row.
    outside_keys: list[tuple[Model, str, Model]]
    outside: dict[Model, dict]
    started: dt.datetime
    ended: dt.datetime
    result: object  # a deep copy of what the fixture returned, never handed out itself


def replayed(build):
    """Decorate the function that builds a fixture's rows (it may take no database fixture)."""
    snapshots: list[Snapshot] = []

    @functools.wraps(build)
    def fixture(*args, **kwargs):
        if snapshots and snapshots[0].key == _key():
            copied = _replay(snapshots[0])
            if copied is not None:
                return copied
        snapshots.clear()
        result, snapshot = _record(build, args, kwargs)
        if snapshot is not None:
            snapshots.append(snapshot)
        return result

    return fixture


def _key() -> tuple:
    return (connection.vendor, connection.settings_dict["NAME"], settings.PASSWORD_HASHERS[0])


def _models_by_table() -> dict[str, Model]:
    return {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }


# The SQL below names tables of the model registry, nothing that came from outside.


def _counts(tables: list[str]) -> dict[str, int]:
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT %s, COUNT(*) FROM {quote(table)}" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return dict(cursor.fetchall())


def _all_empty(tables: list[str]) -> bool:
    quote = connection.ops.quote_name
    counts = [f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(counts))
        return cursor.fetchone()[0] == 0


class _Writes:
    """The tables a build writes to, in the order of its first write to each."""

    def __init__(self) -> None:
        self.tables: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        verb = sql.lstrip()[:6].upper()
        if verb in ("INSERT", "UPDATE", "DELETE") and '"' in sql:
            table = sql.split('"')[1]
            if table not in self.tables:
                self.tables.append(table)
        return execute(sql, params, many, context)


def _columns(model: Model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def _identity(obj: models.Model):
    natural_key = getattr(obj, "natural_key", None)
    if natural_key is not None:
        return ("natural", natural_key())
    return ("row", tuple(getattr(obj, name) for name in _columns(type(obj))))


def _record(build, args, kwargs):
    by_table = _models_by_table()
    tables = sorted(by_table)
    before = _counts(tables)
    started = timezone.now()
    writes = _Writes()
    with connection.execute_wrapper(writes):
        result = build(*args, **kwargs)
    ended = timezone.now()
    after = _counts(tables)
    written = [table for table in writes.tables if table in by_table]
    if (
        set(written) != {table for table in tables if after[table] != before[table]}
        or any(before[table] for table in written)
        or len(written) != len(writes.tables)
        or not written
    ):
        return result, None  # not only inserts into empty tables: built each time
    written_models = [by_table[table] for table in written]
    rows = {
        model: [
            dict(zip(_columns(model), values, strict=True))
            for values in model._base_manager.order_by("pk").values_list(*_columns(model))
        ]
        for model in written_models
    }
    outside_keys = []
    pointed: dict[Model, set] = {}
    for model in written_models:
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is None or target in rows:
                continue
            target = target._meta.concrete_model
            outside_keys.append((model, field.attname, target))
            pointed.setdefault(target, set()).update(
                row[field.attname] for row in rows[model] if row[field.attname] is not None
            )
    outside = {
        target: {obj.pk: _identity(obj) for obj in target._base_manager.filter(pk__in=pks)}
        for target, pks in pointed.items()
    }
    snapshot = Snapshot(
        key=_key(),
        models=written_models,
        rows=rows,
        outside_keys=outside_keys,
        outside=outside,
        started=started,
        ended=ended,
        result=copy.deepcopy(result),
    )
    return result, snapshot


def _outside_now(snapshot: Snapshot) -> dict[Model, dict] | None:
    """For each outside model, {primary key then: primary key now}; None if one is gone."""
    moved = {}
    for target, then in snapshot.outside.items():
        if all(kind == "natural" for kind, _key in then.values()):
            now = {_identity(obj): obj.pk for obj in target._base_manager.all()}
        else:
            now = {_identity(obj): obj.pk for obj in target._base_manager.filter(pk__in=then)}
        if any(identity not in now for identity in then.values()):
            return None
        moved[target] = {pk: now[identity] for pk, identity in then.items()}
    return moved


def _replay(snapshot: Snapshot):
    if not _all_empty([model._meta.db_table for model in snapshot.models]):
        return None
    moved = _outside_now(snapshot)
    if moved is None:
        return None
    # As if it had been built just now: its last timestamp is now, none in the future (a test
    # that writes history after it finds its own rows the newest).
    by = timezone.now() - snapshot.ended

    def shift(value):
        if isinstance(value, dt.datetime) and snapshot.started <= value <= snapshot.ended:
            return value + by
        return value

    remap = {(model, attname): moved[target] for model, attname, target in snapshot.outside_keys}
    with transaction.atomic():
        for model in snapshot.models:
            rows = []
            for row in snapshot.rows[model]:
                values = {name: shift(value) for name, value in row.items()}
                for name, value in values.items():
                    if (model, name) in remap and value is not None:
                        values[name] = remap[model, name][value]
                rows.append(values)
            _insert(model, rows)
        reset = connection.ops.sequence_reset_sql(no_style(), snapshot.models)
        if reset:
            with connection.cursor() as cursor:
                for sql in reset:
                    cursor.execute(sql)
    result = copy.deepcopy(snapshot.result)
    for instance in _instances(result):
        for field in instance._meta.concrete_fields:
            value = instance.__dict__.get(field.attname)
            if (type(instance), field.attname) in remap and value is not None:
                instance.__dict__[field.attname] = remap[type(instance), field.attname][value]
            elif isinstance(field, models.DateTimeField):
                instance.__dict__[field.attname] = shift(value)
    return result


def _insert(model: Model, rows: list[dict]) -> None:
    """What bulk_create writes for these rows (each field's value as saved, `auto_now` fields
    set to now), without making a model instance of each: a few INSERTs of many rows."""
    fields_ = model._meta.concrete_fields
    now = timezone.now()
    stamped = {
        field.attname: now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
        for field in fields_
        if isinstance(field, models.DateField)
        and (getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))
    }
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields_)
    one = "(" + ", ".join(["%s"] * len(fields_)) + ")"
    per_statement = max(1, 900 // len(fields_))  # under SQLite's oldest limit of 999 parameters
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params = [
                field.get_db_prep_save(stamped.get(field.attname, row[field.attname]), connection)
                for row in chunk
                for field in fields_
            ]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([one] * len(chunk)),
                params,
            )


def _instances(result) -> list[models.Model]:
    """The model instances of a fixture's result and those cached on them."""
    found: dict[int, models.Model] = {}
    todo = [getattr(result, f.name) for f in fields(result)] if is_dataclass(result) else [result]
    while todo:
        obj = todo.pop()
        if isinstance(obj, models.Model) and id(obj) not in found:
            found[id(obj)] = obj
            todo.extend(obj._state.fields_cache.values())
    return list(found.values())
