"""Read queries built once per process: the ORM's statement kept, new values bound at each call.

Building and compiling a queryset costs Django 1-5 ms of Python (filters resolved, joins set
up, the SQL written), often more than the database takes to run it. A read that every step of
the core loop makes (whether someone may sign, say) is the same statement each time with other
values: `Prepared` builds it once, from the one definition the ORM code gives, and keeps the
SQL with the place of each value among its parameters.

How the places are found: the query is built twice, with two sets of stand-in values no real
data has (far-past days, negative ids, marked text); a parameter that is one value's stand-in in
both is that value's place, one equal in both is a constant of the query. Anything else (a
parameter derived from a value, a value that changed the statement's shape, a value not found)
refuses to prepare: the build must then take what it derives as a value of its own. Only on
PostgreSQL, where the driver receives the values as given; elsewhere every call builds the query
as the ORM does. Rows come back through the compiler's converters, as `values_list` gives them.

The kept statement is also prepared on the server, once per database session (`PREPARE`, then
`EXECUTE` with the values): PostgreSQL plans it for the session instead of at every call, which
for a short read by key costs more than running it. (A connection pooler in transaction mode
would need this off; the project connects directly.)
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import weakref
from collections.abc import Callable
from itertools import count

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet
from django.db.models.query import ModelIterable
from django.db.transaction import TransactionManagementError

_marks = count(1)
_names = count(1)


def _stand_in(value, set_: int):
    """A value of the same kind as `value` that no real row holds (set 1 or 2)."""
    n = next(_marks)
    if isinstance(value, bool):
        raise ImproperlyConfigured("A prepared query cannot take a boolean value.")
    if isinstance(value, int):
        return -(set_ * 1_000_000_000 + n)
    if isinstance(value, dt.datetime):
        return dt.datetime(1000 + set_, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=n)
    if isinstance(value, dt.date):
        return dt.date(1000 + set_, 1, 1) + dt.timedelta(days=n)
    if isinstance(value, str):
        return f"\x01prepared {set_}:{n}"
    raise ImproperlyConfigured(f"A prepared query cannot take a {type(value).__name__}.")


class Prepared:
    """`build(**values)` returns a queryset: `rows(**values)` runs a `values_list` one and gives
    its rows, `objects(**values)` runs one of model instances (with what it selects related and
    annotates, locking what it locks) and gives them."""

    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self.build = build
        self.name = f"kept_{next(_names)}"  # on the server (`_on_server`)
        self._kept: dict[int, tuple] = {}

    def rows(self, using: str = "default", **values) -> list[tuple]:
        connection = connections[using]
        if connection.vendor != "postgresql":
            return list(self.build(**values).using(using))
        try:
            sql, params, compiler, converters = self._bound(connection, using, values)
        except _Empty:
            return []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        if converters:
            found = [tuple(row) for row in compiler.apply_converters(found, converters)]
        return found

    def objects(self, using: str = "default", **values) -> list:
        connection = connections[using]
        if connection.vendor != "postgresql":
            return list(self.build(**values).using(using))
        try:
            sql, params, compiler, _converters = self._bound(connection, using, values)
        except _Empty:
            return []
        if compiler.query.select_for_update and not connection.in_atomic_block:
            # As the ORM refuses it (the lock would end with the statement).
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        bound = copy.copy(compiler)  # the statement kept, these values
        bound.as_sql = lambda *args, **kwargs: (sql, params)
        queryset = QuerySet(model=compiler.query.model, query=compiler.query, using=using)
        return list(_Iterable(queryset, bound))

    def get(self, using: str = "default", **values):
        """The one instance of `objects`, as `QuerySet.get` gives it (DoesNotExist if none)."""
        found = self.objects(using, **values)
        if not found:
            raise self.build(**values).model.DoesNotExist
        if len(found) > 1:
            raise self.build(**values).model.MultipleObjectsReturned
        return found[0]

    def _bound(self, connection, using: str, values: dict) -> tuple:
        """The kept statement with these values' parameters, its compiler and converters."""
        # Per connection (each thread has its own): the compiler runs on its own connection.
        # The key is checked against the connection itself, since a new one may take the id
        # of one gone.
        kept = self._kept.get(id(connection))
        if kept is None or kept[0]() is not connection:
            kept = self._kept[id(connection)] = (
                weakref.ref(connection),
                *self._prepare(using, values),
            )
        _connection, sql, places, compiler, converters = kept
        params = [values[place] if isinstance(place, str) else place[0] for place in places]
        types = _on_server(connection, self.name, sql)
        # A whole number the column cannot hold matches nothing: the ORM answers so (an empty
        # result) where the database would refuse the statement.
        if not _fits(params, types or ["bigint"] * len(params)):
            raise _Empty
        if types is not None:
            sql = _execute_text(self.name, len(params))
        return sql, params, compiler, converters

    def _prepare(self, using: str, values: dict) -> tuple:
        stand_ins = [{name: _stand_in(value, s) for name, value in values.items()} for s in (1, 2)]
        compiled = []
        for stand_in in stand_ins:
            compiler = self.build(**stand_in).query.get_compiler(using)
            sql, params = compiler.as_sql()
            compiled.append((compiler, sql, list(params)))
        (compiler, sql, first), (_, other_sql, second) = compiled
        if sql != other_sql or len(first) != len(second):
            raise ImproperlyConfigured("The values change the prepared query's statement.")
        names = {(v1, v2): name for name, v1, v2 in _pairs(stand_ins)}
        places: list = []
        for one, two in zip(first, second, strict=True):
            name = names.get((one, two))
            if name is not None:
                places.append(name)
            elif one == two and not any(one == v for v, _ in names):
                places.append((one,))  # a constant of the query
            else:
                raise ImproperlyConfigured("A prepared query's parameter derives from a value.")
        missing = set(values) - {p for p in places if isinstance(p, str)}
        if missing:
            raise ImproperlyConfigured(f"The prepared query does not use {sorted(missing)}.")
        fields = [column for column, _, _ in compiler.select[: compiler.col_count]]
        return sql, places, compiler, compiler.get_converters(fields)


def execute(cursor, sql: str, params: list) -> None:
    """Run a statement whose text recurs with other values (the core loop's writes with their
    history, the outbox's event, a number taken): on PostgreSQL prepared on the server once per
    session and run by `EXECUTE`, as the kept reads are, so that it is planned once for the
    session rather than at every call, which for these statements costs more than running them
    (`EXPLAIN (ANALYZE, SUMMARY)`: the outbox's event planned in 0.5-0.6 ms, run in 0.04-0.35).
    Run as given elsewhere, for a statement the server cannot prepare, for one of many rows
    (more than `KEPT_PARAMETERS` values: a bulk write, whose text follows its number of rows),
    once `KEPT_TEXTS` texts are kept in this process, and when a whole number does not fit its
    parameter's type (the statement as given then answers as it would have)."""
    connection = cursor.db
    if connection.vendor != "postgresql" or len(params) > KEPT_PARAMETERS:
        cursor.execute(sql, params)
        return
    name = _kept_texts.get(sql)
    if name is None and len(_kept_texts) < KEPT_TEXTS:
        name = _kept_texts[sql] = f"kept_{next(_names)}"
    types = _on_server(connection, name, sql) if name is not None else None
    if types is None or not _fits(params, types):
        cursor.execute(sql, params)
        return
    cursor.execute(_execute_text(name, len(params)), params)


# The texts `execute` prepares, a name each: as many as the project's writes have shapes (an
# UPDATE's text follows its conditions and fields), bounded against a caller that varies them;
# each is a plan kept in every session that ran it.
KEPT_TEXTS = 200
KEPT_PARAMETERS = 100
_kept_texts: dict[str, str] = {}


def _execute_text(name: str, count: int) -> str:
    listed = f" ({', '.join(['%s'] * count)})" if count else ""
    return f"EXECUTE {name}{listed}"


def _fits(params: list, types: list[str]) -> bool:
    """Whether each whole number fits the type the server gave its parameter."""
    for param, kind in zip(params, types, strict=True):
        if isinstance(param, int) and not isinstance(param, bool):
            low, high = _RANGES.get(kind, _RANGES["bigint"])
            if not low <= param <= high:
                return False
    return True


def _on_server(connection, name: str, sql: str) -> list[str] | None:
    """The types of the statement's parameters if it is prepared on the server as `name` for
    this session (done at its first use there), else None: PostgreSQL then plans it once for
    the session, not at every call. A statement the server cannot prepare (a parameter whose
    type it cannot infer) runs as plain SQL; the attempt is in a savepoint, so the caller's
    transaction is untouched."""
    connection.ensure_connection()
    session = getattr(connection, "_kept_statements", None)
    if session is None or session[0] is not connection.connection:  # a new session
        session = connection._kept_statements = (connection.connection, {})
    done = session[1]
    if name not in done:
        numbered = iter(range(1, sql.count("%s") + 1))
        text = "%".join(
            re.sub(r"%s", lambda _m: f"${next(numbered)}", part) for part in sql.split("%%")
        )
        try:
            # One round trip (and one statement to count): prepare, then read the types the
            # server gave its parameters. The name is ours, not a value.
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(
                    f"PREPARE {name} AS {text};"  # noqa: S608
                    " SELECT t::text FROM pg_prepared_statements,"
                    " unnest(parameter_types) WITH ORDINALITY AS p(t, n)"
                    f" WHERE name = '{name}' ORDER BY n"
                )
                done[name] = [row[0] for row in cursor.fetchall()]
        except DatabaseError:
            done[name] = None
    return done[name]


# What PostgreSQL's whole-number types hold.
_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


class _Empty(Exception):
    """A value no row can match: the answer is empty without asking the database."""


def unconditioned(queryset: QuerySet) -> bool:
    """Whether `queryset` has no condition at all (every row of its table): a kept statement
    over the table may then stand in for it, whoever the queryset was made for."""
    return not queryset.query.where


def _pairs(stand_ins: list[dict]):
    first, second = stand_ins
    for name in first:
        yield name, first[name], second[name]


class _Iterable(ModelIterable):
    """Django's own way from rows to instances (`ModelIterable`), over the kept statement."""

    def __init__(self, queryset: QuerySet, compiler) -> None:
        super().__init__(queryset)
        self._compiler = compiler

    def __iter__(self):
        query = self.queryset.query
        query.get_compiler = lambda *args, **kwargs: self._compiler
        try:
            yield from super().__iter__()
        finally:
            del query.get_compiler
