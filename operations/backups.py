"""Backups and restores of the whole center: the database and the private files, as one set.

A backup set is a directory `BACKUP_DIR/<name>/` holding

- `database.dump`: PostgreSQL's `pg_dump --format=custom` (one snapshot of the whole database),
  or `database.sqlite3` on the embedded default (SQLite's online backup API, a consistent copy
  while the center keeps working);
- `files.tar`: the private file store (`MEDIA_ROOT`: seal images, scanned materials);
- `manifest.json`: what the set is, with the size and SHA-256 of each part.

Issued documents live in the database (`PrintedDocument`: the PDF bytes and their SHA-256), so
the dump carries them. Every set is also recorded as a `Backup` row, failures included.

Which database role dumps: `BACKUP_DATABASE_URL` when set (production: a read-only role made by
`manage.py grant_backup_role`, a member of PostgreSQL's `pg_read_all_data`), otherwise the
connection of the settings (`MIGRATE_DATABASE_URL`, the owner, when set; else `DATABASE_URL`).
The application's own role cannot: it has no SELECT on the sequences (only USAGE), which pg_dump
reads, and a dump by it fails with "permission denied" (recorded as a failed backup).

A restore (`restore`) checks every part against the manifest first and touches nothing when one
differs; it refuses a target database or file store that is not empty unless `force` is given.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg2
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .models import Backup

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files.tar"
PG_DUMP = "database.dump"
SQLITE_DUMP = "database.sqlite3"
PARTIAL = ".partial"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


class BackupBusy(BackupError):
    """Another backup holds the lock of BACKUP_DIR."""


@dataclass(frozen=True)
class Restored:
    engine: str
    tables: int
    files: int
    seconds: float


# --- where things are -------------------------------------------------------------------------


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def media_root() -> Path:
    """The private file store. Only a store on the local file system can be backed up here."""
    location = getattr(default_storage, "location", None)
    if location is None:
        raise BackupError(
            "the default storage is not on the file system: back it up by its own means"
        )
    return Path(location)


def source_database() -> dict:
    """The connection settings pg_dump (or SQLite's backup) reads from."""
    if settings.BACKUP_DATABASE_URL:
        return dj_database_url.parse(settings.BACKUP_DATABASE_URL)
    return connection.settings_dict


def engine_of(database: dict) -> str:
    engine = database["ENGINE"]
    if engine.endswith("postgresql"):
        return "postgresql"
    if engine.endswith("sqlite3"):
        return "sqlite"
    raise BackupError(f"no backup for the database engine {engine}")


def pg_environment(database: dict) -> dict[str, str]:
    """libpq's variables for a connection: the password never goes on a command line."""
    env = {**os.environ}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        value = database.get(key)
        if value:
            env[variable] = str(value)
        else:
            env.pop(variable, None)
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def pg_connect(database: dict):
    return psycopg2.connect(
        dbname=database["NAME"],
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        connect_timeout=10,
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


# --- making a backup --------------------------------------------------------------------------


@contextmanager
def _lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise BackupBusy(f"another backup is running in {directory}") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    """On the disk before the set is declared complete (a power cut leaves no empty parts)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _dump_postgresql(database: dict, target: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [  # noqa: S607 (the PostgreSQL client on PATH)
            "pg_dump",
            "--format=custom",
            "--no-password",
            "--lock-wait-timeout=300s",
            f"--file={target}",
        ],
        env=pg_environment(database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()[-2000:]}")


def _dump_sqlite(database: dict, target: Path) -> None:
    # The online backup API copies a consistent snapshot while other connections go on writing.
    # Django's own connection when it is the source: in the tests the database is in memory.
    copy = sqlite3.connect(target)
    try:
        if database is connection.settings_dict:
            connection.ensure_connection()
            connection.connection.backup(copy)
        else:
            source = sqlite3.connect(f"file:{database['NAME']}?mode=ro", uri=True)
            try:
                source.backup(copy)
            finally:
                source.close()
    finally:
        copy.close()


def _archive_files(root: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w") as archive:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=path.relative_to(root).as_posix(), recursive=False)
                    count += 1
    return count


def backup_create(*, trigger: str, now: dt.datetime) -> Backup:
    """Write one backup set and its row; apply retention. Raises BackupError on failure, with
    the failure recorded on the row.

    1. Take BACKUP_DIR's lock (one backup at a time); rows still "running" were left by a
       backup that died: mark them failed, remove their half-written directories.
    2. Write the row, then dump the database into `<name>.partial/`.
    3. Archive the private files, after the dump: a file is saved before the row naming it
       commits, so every file a dumped row names is in the archive (a newer file is harmless).
    4. Hash each part, write the manifest, rename the directory to `<name>`: a set is there
       complete or not at all.
    5. Complete the row; keep BACKUP_KEEP_DAILY days (`prune`).
    """
    directory = backup_dir()
    database = source_database()
    engine = engine_of(database)
    with _lock(directory):
        Backup.objects.filter(status=Backup.Status.RUNNING).update(
            status=Backup.Status.FAILED, finished_at=now, error="interrupted"
        )
        for stale in directory.glob(f"*{PARTIAL}"):
            shutil.rmtree(stale, ignore_errors=True)
        name = f"backup-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
        suffix = 1
        while Backup.objects.filter(name=name).exists() or (directory / name).exists():
            suffix += 1
            name = f"backup-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}-{suffix}"
        backup = Backup.objects.create(
            name=name,
            started_at=now,
            engine=engine,
            role=(database.get("USER") or "") if engine == "postgresql" else "",
            trigger=trigger,
        )
        work = directory / f"{name}{PARTIAL}"
        try:
            work.mkdir()
            dump = work / (PG_DUMP if engine == "postgresql" else SQLITE_DUMP)
            if engine == "postgresql":
                _dump_postgresql(database, dump)
            else:
                _dump_sqlite(database, dump)
            files = _archive_files(media_root(), work / FILES)
            parts = {
                part.name: {"size": part.stat().st_size, "sha256": sha256_of(part)}
                for part in (dump, work / FILES)
            }
            manifest = {
                "format": FORMAT,
                "name": name,
                "created_at": now.isoformat(),
                "engine": engine,
                "role": backup.role,
                "files": files,
                "parts": parts,
            }
            (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            for written in (dump, work / FILES, work / MANIFEST, work):
                _fsync(written)
            work.rename(directory / name)
            _fsync(directory)
        except Exception as error:
            shutil.rmtree(work, ignore_errors=True)
            backup.status = Backup.Status.FAILED
            backup.error = str(error)[:4000] or type(error).__name__
            backup.finished_at = timezone.now()
            backup.save(update_fields=["status", "error", "finished_at"])
            log.error("backup %s failed: %s", name, backup.error)
            if isinstance(error, BackupError):
                raise
            raise BackupError(backup.error) from error
        backup.parts = parts
        backup.size = sum(part["size"] for part in parts.values())
        backup.status = Backup.Status.OK
        backup.finished_at = timezone.now()
        backup.save(update_fields=["parts", "size", "status", "finished_at"])
        log.info("backup %s written: %s bytes", name, backup.size)
        prune(now=now)
    return backup


def prune(*, now: dt.datetime) -> list[str]:
    """Keep the newest complete set of each of the last BACKUP_KEEP_DAILY days (center time)
    that have one; remove the other sets. Returns the names removed."""
    directory = backup_dir()
    sets = []
    for path in directory.iterdir() if directory.is_dir() else []:
        if path.is_dir() and (path / MANIFEST).is_file():
            try:
                created = dt.datetime.fromisoformat(read_manifest(path)["created_at"])
            except (BackupError, KeyError, ValueError):
                continue  # not one of ours, or damaged: left for a person to look at
            sets.append((created, path))
    sets.sort(reverse=True)
    kept_days: set[dt.date] = set()
    removed = []
    for created, path in sets:
        day = timezone.localdate(created)
        if day not in kept_days and len(kept_days) < settings.BACKUP_KEEP_DAILY:
            kept_days.add(day)
            continue
        shutil.rmtree(path)
        removed.append(path.name)
    if removed:
        Backup.objects.filter(name__in=removed, pruned_at=None).update(pruned_at=now)
        log.info("backups removed by retention: %s", ", ".join(removed))
    return removed


# --- what /healthz and the administration page say ------------------------------------------


def last_good() -> Backup | None:
    return Backup.objects.filter(status=Backup.Status.OK).order_by("-finished_at").first()


def expected_since() -> dt.datetime | None:
    """When this installation began to keep backups: the migration that made their table."""
    return (
        MigrationRecorder.Migration.objects.filter(app="operations", name__endswith="_backup")
        .order_by("applied")
        .values_list("applied", flat=True)
        .first()
    )


def freshness(*, now: dt.datetime) -> dict:
    """The state of backups for /healthz: the age of the last good one, and `ok` False with an
    `error` when backups are on (BACKUP_ENABLED) and none is younger than BACKUP_MAX_AGE_HOURS.

    With backups off (development, the demo, the tests: the default outside production) it
    reports the age and is never red. With them on and no good backup yet, it turns red only
    once the installation has had a backup table for longer than the limit: a new installation
    gets its first night."""
    limit = settings.BACKUP_MAX_AGE_HOURS * 3600
    good = last_good()
    age = max(0, round((now - good.finished_at).total_seconds())) if good else None
    latest = Backup.objects.order_by("-started_at").values_list("status", flat=True).first()
    result = {
        "ok": True,
        "enabled": settings.BACKUP_ENABLED,
        "seconds_since_last_good": age,
        "stale_after": limit,
        "last_attempt": latest,
    }
    if not settings.BACKUP_ENABLED:
        return result
    if good is None:
        since = expected_since()
        if since is None or (now - since).total_seconds() > limit:
            result.update(ok=False, error="none")
    elif age > limit:
        result.update(ok=False, error="stale")
    return result


# --- restoring ---------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BackupError(f"{path} is not a backup set: it has no {MANIFEST}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{path / MANIFEST} is damaged: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path / MANIFEST}: not a backup manifest of format {FORMAT}")
    return manifest


def verify(path: Path) -> dict:
    """Check every part of a set against its manifest; return the manifest. Nothing is read
    into any database before this has passed."""
    manifest = read_manifest(Path(path))
    parts = manifest.get("parts") or {}
    dump = PG_DUMP if manifest.get("engine") == "postgresql" else SQLITE_DUMP
    if set(parts) != {dump, FILES}:
        raise BackupError(f"the manifest lists {sorted(parts)}, expected {sorted([dump, FILES])}")
    for name, expected in parts.items():
        part = Path(path) / name
        if not part.is_file():
            raise BackupError(f"{name} is missing from the backup set")
        if part.stat().st_size != expected.get("size"):
            raise BackupError(
                f"{name}: {part.stat().st_size} bytes, the manifest says {expected.get('size')}: "
                "the backup is damaged; nothing was restored"
            )
        if sha256_of(part) != expected.get("sha256"):
            raise BackupError(
                f"{name}: its SHA-256 differs from the manifest's: the backup is damaged or "
                "altered; nothing was restored"
            )
    return manifest


def _pg_tables(database: dict) -> int:
    with pg_connect(database) as raw, raw.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        count = cursor.fetchone()[0]
    raw.close()
    return count


def _sqlite_tables(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return 0
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        raw.close()


def _has_files(root: Path) -> bool:
    return root.is_dir() and any(path.is_file() for path in root.rglob("*"))


def restore(path: Path, *, database: dict, files_root: Path, force: bool = False) -> Restored:
    """Restore a backup set into `database` and `files_root`.

    1. Verify every part against the manifest (a damaged set restores nothing).
    2. The target must be of the set's engine, and empty (no table, no file) unless `force`.
    3. The database: pg_restore in one transaction, objects owned by the restoring role and
       without the source's grants (run `grant_app_role` after); on SQLite a copy by the online
       backup API.
    4. The files, extracted with tarfile's "data" filter (no path leaves the store).
    """
    start = time.monotonic()
    path = Path(path)
    manifest = verify(path)
    engine = engine_of(database)
    if manifest["engine"] != engine:
        raise BackupError(
            f"the backup is of a {manifest['engine']} database; the target is {engine}"
        )
    if engine == "postgresql":
        tables = _pg_tables(database)
    else:
        tables = _sqlite_tables(Path(database["NAME"]))
    if tables and not force:
        raise BackupError(
            f"the target database has {tables} tables: restore only into an empty database "
            "(or give --force to replace what is there)"
        )
    if _has_files(files_root) and not force:
        raise BackupError(
            f"the file store {files_root} is not empty: restore only into an empty one "
            "(or give --force)"
        )
    if engine == "postgresql":
        command = [
            "pg_restore",
            "--no-password",
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={database['NAME']}",
        ]
        if tables:
            command += ["--clean", "--if-exists"]
        result = subprocess.run(  # noqa: S603
            [*command, str(path / PG_DUMP)],
            env=pg_environment(database),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()[-2000:]}")
        restored_tables = _pg_tables(database)
    else:
        target = Path(database["NAME"])
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{path / SQLITE_DUMP}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        restored_tables = _sqlite_tables(target)
    files_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path / FILES) as archive:
        members = [member for member in archive.getmembers() if member.isfile()]
        archive.extractall(files_root, members=members, filter="data")
    return Restored(engine, restored_tables, len(members), time.monotonic() - start)
