"""The demo center seeded once per run, then copied into each test that asks for it.

`seed_demo` takes 150 applications through the services: about 50 seconds of one core, and two
modules (tests/test_portal_demo.py, tests/test_seed_demo.py) asked for it three times a run, in
different pytest-xdist workers, each with a test database of its own. `seeded_demo` seeds it for
real the first time in the run, then keeps what the test database holds (every table's rows:
SQLite's values as stored, PostgreSQL's through COPY) and the files the seed wrote, in pytest's
cache (.pytest_cache/); a later test, in this process or another, replaces its tables' rows with
those (in its own transaction, rolled back when it ends like anything the test writes) and copies
the files into its storage. A worker that needs it while another seeds waits for that seed
(a lock file) instead of seeding too.

The key is what the seed depends on: the database's kind, the migrations (tests/migrated.py), the
project's packages, templates, translations and static files, the password hasher, VAR_DIR (the
signing key) and the moment the test stopped the clock at. DEMO_ONCE=0 seeds for real every
time; without pytest's cache (-p no:cacheprovider) the copy is kept in the process only.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import pickle
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[1]
# Besides the project's Python packages (tests/, benchmarks/ and scripts/ are not the seed's).
SOURCE_FOLDERS = ("templates", "locale", "static")
NOT_SOURCE = {"tests", "benchmarks", "scripts"}
_kept: dict[str, dict] = {}  # this process's copy, by key


def seeded_demo(config) -> str:
    """The demo center in the test database (and its files in the default storage), as
    `call_command("seed_demo")` leaves it; returns what the command printed."""
    if os.environ.get("DEMO_ONCE") == "0" or not connection.in_atomic_block:
        return _seed()[0]  # a transactional test: the copy would replace rows for good
    key = _key()
    if key in _kept:
        return _restore(_kept[key])
    cache = getattr(config, "cache", None)
    if cache is None:
        _kept[key] = snapshot = _seed_and_keep()
        return snapshot["out"]
    folder = Path(cache.mkdir("demo-db"))
    path = folder / f"demo-{connection.vendor}-{key}.pickle"  # one kept per kind of database
    with _locked(folder / "demo.lock"):
        if path.exists():
            _kept[key] = snapshot = pickle.loads(path.read_bytes())  # noqa: S301 (our own file)
            return _restore(snapshot)
        _kept[key] = snapshot = _seed_and_keep()
        partial = path.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)
        for stale in folder.glob(f"demo-{connection.vendor}-*.pickle"):
            if stale != path:
                stale.unlink(missing_ok=True)
        return snapshot["out"]


@contextlib.contextmanager
def _locked(path: Path):
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _key() -> str:
    from .migrated import migrations_key

    digest = hashlib.sha256()
    digest.update(
        f"{connection.vendor} {migrations_key(connection)} {settings.PASSWORD_HASHERS[0]} "
        f"{settings.VAR_DIR} {timezone.now().isoformat()}".encode()
    )
    for path in sorted(_source_files()):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _source_files():
    """The project's packages, templates, translations and static files: not what runs write
    (var/, screenshots, caches)."""
    for top in sorted(ROOT.iterdir()):
        if not top.is_dir() or top.name in NOT_SOURCE:
            continue
        if top.name not in SOURCE_FOLDERS and not (top / "__init__.py").exists():
            continue
        for path in top.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def _storage_location() -> Path:
    from django.core.files.storage import storages

    return Path(storages["default"].path(""))


def _seed() -> tuple[str, dict[str, bytes]]:
    """Seeds for real, its files written to a folder of their own and then copied into the
    storage the test uses; returns what it printed and those files."""
    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="demo-media-") as media:
        with override_settings(
            STORAGES={
                **settings.STORAGES,
                "default": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": media},
                },
            }
        ):
            call_command("seed_demo", stdout=out)
        files = {
            str(path.relative_to(media)): path.read_bytes()
            for path in Path(media).rglob("*")
            if path.is_file()
        }
    _write_files(files)
    return out.getvalue(), files


def _write_files(files: dict[str, bytes]) -> None:
    location = _storage_location()
    for name, content in files.items():
        target = location / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _seed_and_keep() -> dict:
    out, files = _seed()
    return {"out": out, "files": files, "tables": _dump()}


def _tables() -> list[str]:
    """Every table of the models, those a foreign key points to before the tables pointing
    (PostgreSQL's triggers on insert read the rows they point to)."""
    from django.apps import apps

    models = {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    existing = set(connection.introspection.table_names(include_views=False))
    ordered: list[str] = []

    def visit(table: str, seen: set[str]) -> None:
        if table in ordered or table in seen:
            return
        seen.add(table)
        for field in models[table]._meta.concrete_fields:
            if field.is_relation and field.related_model is not None:
                target = field.related_model._meta.concrete_model._meta.db_table
                if target in models:
                    visit(target, seen)
        ordered.append(table)

    for table in sorted(models):
        visit(table, set())
    return [table for table in ordered if table in existing]


def _dump() -> dict[str, object]:
    quote = connection.ops.quote_name
    dumped: dict[str, object] = {}
    with connection.cursor() as cursor:
        for table in _tables():
            if connection.vendor == "postgresql":
                buffer = io.BytesIO()
                cursor.cursor.copy_expert(f"COPY {quote(table)} TO STDOUT", buffer)
                dumped[table] = buffer.getvalue()
                continue
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            # COALESCE(x, NULL): the value as stored, not through Django's converters.
            listed = ", ".join(f"COALESCE({quote(column)}, NULL)" for column in columns)
            cursor.execute(f"SELECT {listed} FROM {quote(table)}")  # noqa: S608
            dumped[table] = (columns, cursor.fetchall())
    return dumped


def _restore(snapshot: dict) -> str:
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style

    quote = connection.ops.quote_name
    tables = snapshot["tables"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys checked now: a TRUNCATE refuses tables with checks still pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in tables))
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table, data in tables.items():
                if data:
                    cursor.cursor.copy_expert(
                        f"COPY {quote(table)} FROM STDIN",
                        io.BytesIO(data),
                    )
            models = [
                model
                for model in apps.get_models(include_auto_created=True)
                if model._meta.managed and not model._meta.proxy
            ]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
        else:
            raw = connection.connection
            for table in tables:
                raw.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
            for table, (columns, rows) in tables.items():
                if rows:
                    raw.executemany(
                        f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                        f"VALUES ({', '.join('?' * len(columns))})",
                        rows,
                    )
    ContentType.objects.clear_cache()  # the ids are those of the copy
    _write_files(snapshot["files"])
    return snapshot["out"]
