"""The test database migrated once, then copied: each test process starts from the copy.

Creating the test database runs every migration, about 15 seconds of Django building the
historical models (not of SQL), in each pytest-xdist worker and on every run. The first process to
migrate keeps the result: on SQLite a file in pytest's cache (.pytest_cache/), on PostgreSQL a
database `<test database>_m_<key>` on the same server. The next processes copy it (SQLite's backup,
PostgreSQL's CREATE DATABASE … TEMPLATE) instead of migrating, then send post_migrate as migrate
does at its end (the roles' groups and their permissions as the code now says, the append-only
triggers, the calendar read again).

The key is the source of every migration Django would apply (the project's and the installed
packages'), the code the project's migrations run (audit's triggers), Django's version and the
database's kind: a changed or new migration makes a new copy. `pytest --cache-clear` removes the
SQLite file; TEST_DB_CACHE=0 migrates as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Project code that migrations run (RunPython), besides the migration files themselves.
RUN_BY_MIGRATIONS = ["audit/append_only.py", "audit/final_decisions.py"]


def migrations_key(connection) -> str:
    import django
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256()
    digest.update(f"{django.__version__} {connection.vendor}".encode())
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        digest.update(f"{app_label}.{name}".encode())
        digest.update(Path(sys.modules[migration.__module__].__file__).read_bytes())
    for path in RUN_BY_MIGRATIONS:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def migrated_once(cache_dir: Path):
    """While open, each test database is created from the kept copy when there is one."""
    from django.db.backends.base.creation import BaseDatabaseCreation

    if os.environ.get("TEST_DB_CACHE") == "0":
        yield
        return
    real = BaseDatabaseCreation.create_test_db

    def create_test_db(self, *args, **kwargs):
        import django.core.management as management

        call_command = management.call_command
        connection = self.connection
        copier = {"sqlite": SqliteCopy, "postgresql": PostgresCopy}.get(connection.vendor)
        if copier is None or connection.settings_dict["TEST"].get("MIGRATE") is False:
            return real(self, *args, **kwargs)

        def migrate_or_copy(name, *c_args, **c_kwargs):
            if name != "migrate":
                return call_command(name, *c_args, **c_kwargs)
            copy = copier(connection, cache_dir)
            if copy.restore():
                from django.core.management.sql import emit_post_migrate_signal

                emit_post_migrate_signal(0, False, connection.alias)
                return None
            result = call_command(name, *c_args, **c_kwargs)
            copy.keep()
            return result

        management.call_command = migrate_or_copy  # create_test_db imports it when it runs
        try:
            return real(self, *args, **kwargs)
        finally:
            management.call_command = call_command

    BaseDatabaseCreation.create_test_db = create_test_db
    try:
        yield
    finally:
        BaseDatabaseCreation.create_test_db = real


class SqliteCopy:
    def __init__(self, connection, cache_dir: Path) -> None:
        self.connection = connection
        self.path = cache_dir / f"sqlite-{migrations_key(connection)}.sqlite3"

    def restore(self) -> bool:
        if not self.path.exists():
            return False
        self.connection.ensure_connection()
        source = sqlite3.connect(self.path)
        try:
            source.backup(self.connection.connection)
        finally:
            source.close()
        return True

    def keep(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(f".{os.getpid()}.partial")
        target = sqlite3.connect(partial)
        try:
            self.connection.ensure_connection()
            self.connection.connection.backup(target)
        finally:
            target.close()
        os.replace(partial, self.path)  # a process that copies meanwhile sees all or nothing
        for stale in self.path.parent.glob("sqlite-*.sqlite3"):
            if stale != self.path:
                stale.unlink(missing_ok=True)


class PostgresCopy:
    def __init__(self, connection, cache_dir: Path) -> None:
        self.connection = connection
        self.name = connection.settings_dict["NAME"]
        # One copy for all the workers: test_x_gw0 and test_x_gw1 share test_x's.
        base = self.name.rsplit("_gw", 1)[0] if "_gw" in self.name else self.name
        self.prefix = f"{base[:40]}_m_"
        self.template = self.prefix + migrations_key(connection)
        self.quote = connection.ops.quote_name

    def restore(self) -> bool:
        self.connection.close()
        with self.connection._nodb_cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.template])
            if cursor.fetchone() is None:
                return False
            cursor.execute(f"DROP DATABASE {self.quote(self.name)}")
            cursor.execute(
                f"CREATE DATABASE {self.quote(self.name)} TEMPLATE {self.quote(self.template)}"
            )
        return True

    def keep(self) -> None:
        from django.db import DatabaseError

        self.connection.close()
        partial = f"{self.template}_{os.getpid()}"
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE {self.quote(partial)} TEMPLATE {self.quote(self.name)}"
            )
            try:
                cursor.execute(
                    f"ALTER DATABASE {self.quote(partial)} RENAME TO {self.quote(self.template)}"
                )
            except DatabaseError:  # another process kept the same copy first
                cursor.execute(f"DROP DATABASE {self.quote(partial)}")
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname NOT LIKE %s",
                [like(self.prefix) + "%", like(self.template) + "%"],
            )
            for (stale,) in cursor.fetchall():  # the copies of older migrations
                with contextlib.suppress(DatabaseError):
                    cursor.execute(f"DROP DATABASE {self.quote(stale)}")


def like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("_", r"\_").replace("%", r"\%")


def migrated_dump(target: Path, *, bin_dir: Path) -> bool:
    """A dump (pg_dump's custom format) of the migrated copy on the server of DATABASE_URL, for
    a throwaway server of a test to start from instead of migrating (minutes on a busy machine:
    tests/test_pg_restart.py). Dumped from a copy of the copy, as a worker creating its database
    from it meanwhile would fail while another session is connected to it. False when there is
    no copy for these migrations."""
    import subprocess
    import urllib.parse

    from django.db import connection

    if os.environ.get("TEST_DB_CACHE") == "0" or connection.vendor != "postgresql":
        return False
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])

    def on(database: str) -> str:
        return urllib.parse.urlunsplit(url._replace(path="/" + database))

    def sql(statement: str) -> str:
        return subprocess.run(  # noqa: S603
            [str(bin_dir / "psql"), on("postgres"), "-tAc", statement],
            check=True, capture_output=True, text=True, timeout=300,
        ).stdout.strip()  # fmt: skip

    key = migrations_key(connection)
    found = sql(f"SELECT datname FROM pg_database WHERE datname LIKE '%\\_m\\_{key}' LIMIT 1")  # noqa: S608 (a hex digest)
    if not found:
        return False
    copy = f"{found[:40]}_dump_{os.getpid()}"
    sql(f'CREATE DATABASE "{copy}" TEMPLATE "{found}"')
    try:
        subprocess.run(  # noqa: S603
            [str(bin_dir / "pg_dump"), "-Fc", "-f", str(target), on(copy)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    finally:
        sql(f'DROP DATABASE IF EXISTS "{copy}"')
    return True
