"""Backups (operations/backups.py): a set of the database and the private files, restored into an
empty database and file store with every row, the last receipt number and the bytes of every
issued document as they were; a damaged set restores nothing; a full target is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import psycopg2
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from applications import documents
from applications.models import Counter, Document, PrintedDocument
from operations import backups, health
from operations.models import Backup
from operations.tasks import back_up
from windows.models import Seal

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump and pg_restore: PostgreSQL (CI runs it)"
)
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default")


@pytest.fixture
def store(settings, tmp_path) -> Path:
    """A private file store and a backup directory of the test's own."""
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
    }
    settings.BACKUP_DIR = tmp_path / "backups"
    return media


@pytest.fixture
def issued(accepted, store):
    """The accepted application with its commitment slip printed (PDF fixed in the database),
    a seal image and a scan in the file store."""
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    documents.printed(slip, now=timezone.now())
    seal = Seal.objects.filter(window__isnull=False).first()
    seal.image.save("seal.png", ContentFile(PNG), save=True)
    default_storage.save("scans/2026/12/scan.pdf", ContentFile(b"%PDF-1.4 scan\n%%EOF\n"))
    return accepted


def tables() -> list[str]:
    with connection.cursor() as cursor:
        return sorted(connection.introspection.table_names(cursor))


def counts_here() -> dict[str, int]:
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        found = {}
        for table in tables():
            cursor.execute(f"SELECT count(*) FROM {q(table)}")  # noqa: S608
            found[table] = cursor.fetchone()[0]
    return found


def counts_in(cursor, names: list[str]) -> dict[str, int]:
    found = {}
    for table in names:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
        found[table] = cursor.fetchone()[0]
    return found


def digests_here() -> dict[int, str]:
    return {
        p.document_id: hashlib.sha256(bytes(p.pdf)).hexdigest()
        for p in PrintedDocument.objects.all()
    }


def files_under(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def last_receipt() -> int:
    return Counter.objects.get(series="receipt").last


# --- SQLite, the embedded default ----------------------------------------------------------


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_it_backs_up_and_restores_sqlite(issued, store, tmp_path, settings):
    backup = backups.backup_create(trigger="command", now=timezone.now())
    assert backup.status == Backup.Status.OK and backup.engine == "sqlite" and backup.role == ""
    where = tmp_path / "backups" / backup.name
    assert sorted(p.name for p in where.iterdir()) == [
        "database.sqlite3",
        "files.tar",
        "manifest.json",
    ]
    assert backup.parts["database.sqlite3"]["sha256"] == backups.sha256_of(
        where / "database.sqlite3"
    )
    assert backup.size == sum(
        p.stat().st_size for p in where.iterdir() if p.name != "manifest.json"
    )

    target, files = tmp_path / "restored" / "db.sqlite3", tmp_path / "restored-media"
    call_command(
        "restore", str(where), "--database-url", f"sqlite:///{target}", "--media-root", str(files)
    )

    raw = sqlite3.connect(target)
    try:
        restored = counts_in(raw.cursor(), tables())
        here = counts_here()
        # The backup's own row was written "running" before the copy: the copy has it too.
        assert restored == here
        assert sum(here.values()) > 100
        (last,) = raw.execute(
            "SELECT last FROM applications_counter WHERE series = 'receipt'"
        ).fetchone()
        assert last == last_receipt() >= 1
        pdfs = dict(raw.execute("SELECT document_id, pdf FROM applications_printeddocument"))
        sums = dict(raw.execute("SELECT document_id, sha256 FROM applications_printeddocument"))
    finally:
        raw.close()
    assert {k: hashlib.sha256(v).hexdigest() for k, v in pdfs.items()} == digests_here() == sums
    assert digests_here()  # the slip at least
    assert files_under(files) == files_under(store)
    assert len(files_under(files)) == 2

    # A SQLite file named by BACKUP_DATABASE_URL is read through its own connection.
    settings.BACKUP_DATABASE_URL = f"sqlite:///{target}"
    again = backups.backup_create(trigger="command", now=timezone.now())
    copy = sqlite3.connect(tmp_path / "backups" / again.name / "database.sqlite3")
    raw = sqlite3.connect(target)
    assert counts_in(copy.cursor(), tables()) == counts_in(raw.cursor(), tables()) == restored
    copy.close()
    raw.close()


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def empty_database():
    """A new, empty database on the test server, dropped afterwards; its connection URL."""
    name = f"test_backup_restore_{secrets.token_hex(4)}"
    settings = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    yield f"postgres://{user}{password}@{host}:{port}/{name}", name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def raw_connect(name: str):
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=name,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
    )


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_it_backs_up_and_restores_postgresql(issued, store, tmp_path, empty_database):
    url, name = empty_database
    backup = backups.backup_create(trigger="command", now=timezone.now())
    assert backup.status == Backup.Status.OK and backup.engine == "postgresql"
    assert backup.role == (connection.settings_dict["USER"] or "")
    where = tmp_path / "backups" / backup.name
    assert (where / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    files = tmp_path / "restored-media"
    call_command("restore", str(where), "--database-url", url, "--media-root", str(files))

    raw = raw_connect(name)
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            restored_tables = sorted(row[0] for row in cursor.fetchall())
            assert restored_tables == tables()
            assert counts_in(cursor, restored_tables) == counts_here()
            cursor.execute("SELECT last FROM applications_counter WHERE series = 'receipt'")
            assert cursor.fetchone()[0] == last_receipt() >= 1
            cursor.execute("SELECT max(receipt_number) FROM applications_application")
            assert cursor.fetchone()[0] == issued.receipt_number
            cursor.execute("SELECT document_id, pdf, sha256 FROM applications_printeddocument")
            rows = cursor.fetchall()
            # The append-only triggers came back with the data.
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = "
                "'applications_printeddocument'::regclass AND NOT tgisinternal"
            )
            assert cursor.fetchone()[0] >= 1
    finally:
        raw.close()
    assert {r[0]: hashlib.sha256(bytes(r[1])).hexdigest() for r in rows} == digests_here()
    assert {r[0]: r[2] for r in rows} == digests_here() and rows
    assert files_under(files) == files_under(store) and len(files_under(files)) == 2


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_application_role_cannot_dump_and_the_backup_role_can(accepted, store, settings):
    """The app's role has no SELECT on sequences: its dump fails and the failure is recorded.
    The reader made by grant_backup_role dumps."""
    role = f"test_app_{secrets.token_hex(4)}"
    reader = f"test_reader_{secrets.token_hex(4)}"
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x'")
        call_command("grant_app_role", role)
        settings.BACKUP_DATABASE_URL = f"postgres://{role}:x@{host}:{port}/{db['NAME']}"
        with pytest.raises(backups.BackupError, match="permission denied"):
            backups.backup_create(trigger="command", now=timezone.now())
        failed = Backup.objects.get()
        assert failed.status == Backup.Status.FAILED and failed.role == role
        assert "permission denied" in failed.error and failed.finished_at
        assert not list((settings.BACKUP_DIR).glob("backup-*"))  # nothing half-written left

        settings.BACKUP_DATABASE_URL = f"postgres://{reader}:y@{host}:{port}/{db['NAME']}"
        call_command("grant_backup_role")
        backup = backups.backup_create(trigger="command", now=timezone.now())
        assert backup.status == Backup.Status.OK and backup.role == reader
        raw = psycopg2.connect(dbname=db["NAME"], user=reader, password="y", host=host, port=port)
        raw.autocommit = True
        with raw.cursor() as cursor, pytest.raises(psycopg2.Error, match="permission denied"):
            cursor.execute("DELETE FROM operations_backup")
        raw.close()
    finally:
        connection.close()
        with connection.cursor() as cursor:
            for name in (role, reader):
                cursor.execute(f"DROP OWNED BY {name}")
                cursor.execute(f"DROP ROLE {name}")


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_database_that_is_not_empty(accepted, store, tmp_path):
    backup = backups.backup_create(trigger="command", now=timezone.now())
    before = counts_here()
    with pytest.raises(CommandError, match="empty database"):
        call_command(
            "restore", str(tmp_path / "backups" / backup.name), "--media-root", str(tmp_path / "m")
        )
    assert counts_here() == before
    assert not (tmp_path / "m").exists()


# --- both ------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_restores_nothing(issued, store, tmp_path):
    backup = backups.backup_create(trigger="command", now=timezone.now())
    where = tmp_path / "backups" / backup.name
    dump = next(p for p in where.iterdir() if p.name.startswith("database."))
    target = tmp_path / "target.sqlite3"
    url = f"sqlite:///{target}" if connection.vendor == "sqlite" else None
    files = tmp_path / "restored-media"
    args = ["restore", str(where), "--media-root", str(files), "--force"]
    args += ["--database-url", url] if url else []
    before = counts_here()

    # One byte changed in the middle of the dump: same size, another SHA-256.
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="SHA-256 differs"):
        call_command(*args)
    with pytest.raises(CommandError, match="SHA-256 differs"):
        call_command("restore", str(where), "--verify-only")
    # Cut short: the size already tells.
    (where / "files.tar").write_bytes((where / "files.tar").read_bytes()[:-512])
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    with pytest.raises(CommandError, match=r"files\.tar: .* bytes, the manifest says"):
        call_command(*args)
    # A manifest that is not one.
    (where / "manifest.json").write_text("{not json")
    with pytest.raises(CommandError, match=r"manifest\.json is damaged"):
        call_command(*args)
    # Not a set at all.
    with pytest.raises(CommandError, match="not a backup set"):
        call_command("restore", str(tmp_path), "--verify-only")

    assert not target.exists() and not files.exists()  # nothing restored
    assert counts_here() == before  # even with --force, the configured database untouched


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_target_that_is_not_empty_unless_forced(issued, store, tmp_path):
    backup = backups.backup_create(trigger="command", now=timezone.now())
    where = str(tmp_path / "backups" / backup.name)
    full = tmp_path / "full.sqlite3"
    raw = sqlite3.connect(full)
    raw.execute("CREATE TABLE kept (x)")
    raw.close()
    with pytest.raises(CommandError, match="target database has 1 tables"):
        call_command(
            "restore",
            where,
            "--database-url",
            f"sqlite:///{full}",
            "--media-root",
            str(tmp_path / "m"),
        )
    assert not (tmp_path / "m").exists()
    empty = tmp_path / "empty.sqlite3"
    with pytest.raises(CommandError, match=r"file store .* is not empty"):
        call_command(
            "restore", where, "--database-url", f"sqlite:///{empty}", "--media-root", str(store)
        )
    assert backups._sqlite_tables(empty) == 0

    call_command(
        "restore",
        where,
        "--database-url",
        f"sqlite:///{full}",
        "--media-root",
        str(store),
        "--force",
    )
    raw = sqlite3.connect(full)
    assert raw.execute("SELECT count(*) FROM applications_printeddocument").fetchone()[0] >= 1
    raw.close()


@pytest.mark.django_db(transaction=True)
def test_retention_keeps_the_newest_set_of_each_of_the_last_days(accepted, store, settings):
    settings.BACKUP_KEEP_DAILY = 2
    # At noon, center time: the sets an hour apart fall on one day whenever the test runs (from
    # now, they fell on two days between 23:00 and midnight, and the test failed).
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    start = noon - dt.timedelta(days=3)
    made = [
        backups.backup_create(trigger="schedule", now=start + dt.timedelta(days=d, hours=h))
        for d, h in ((0, 0), (1, 0), (2, 0), (2, 1))
    ]
    left = sorted(p.name for p in settings.BACKUP_DIR.iterdir() if p.name.startswith("backup-"))
    assert left == [made[1].name, made[3].name]
    pruned = set(Backup.objects.exclude(pruned_at=None).values_list("name", flat=True))
    assert pruned == {made[0].name, made[2].name}
    assert Backup.objects.filter(status=Backup.Status.OK).count() == 4  # the record stays


@pytest.mark.django_db(transaction=True)
def test_one_backup_at_a_time_and_a_dead_ones_row_is_closed(accepted, store, settings):
    settings.BACKUP_DIR.mkdir(parents=True)
    dead = Backup.objects.create(
        name="backup-dead", started_at=timezone.now(), engine="x", trigger="schedule"
    )
    (settings.BACKUP_DIR / "backup-dead.partial").mkdir()
    with backups._lock(settings.BACKUP_DIR):
        with pytest.raises(backups.BackupBusy):
            backups.backup_create(trigger="command", now=timezone.now())
        back_up.delay()  # the task gives up quietly
    assert Backup.objects.count() == 1
    back_up.delay()
    dead.refresh_from_db()
    assert dead.status == Backup.Status.FAILED and dead.error == "interrupted"
    assert not (settings.BACKUP_DIR / "backup-dead.partial").exists()
    assert Backup.objects.get(trigger="schedule", status=Backup.Status.OK)


@pytest.mark.django_db(transaction=True)
def test_the_command_prints_the_set_and_its_checksums(accepted, store, capsys):
    call_command("backup")
    out = capsys.readouterr().out
    backup = Backup.objects.get()
    assert backup.name in out and backup.parts["files.tar"]["sha256"] in out


# --- /healthz ------------------------------------------------------------------------------


@pytest.fixture
def fresh_beat(db):
    health.record_heartbeat(health.BEAT, at=timezone.now() - dt.timedelta(seconds=30))


def good_backup(age: dt.timedelta) -> Backup:
    at = timezone.now() - age
    return Backup.objects.create(
        name=f"backup-{secrets.token_hex(3)}",
        started_at=at - dt.timedelta(minutes=1),
        finished_at=at,
        status=Backup.Status.OK,
        engine="sqlite",
        trigger="schedule",
    )


def test_off_it_reports_the_age_and_stays_green(client, fresh_beat, settings):
    settings.BACKUP_ENABLED = False
    good_backup(dt.timedelta(days=10))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["backup"]["enabled"] is False
    assert response.json()["backup"]["seconds_since_last_good"] >= 10 * 86400


def test_on_it_is_green_while_the_last_good_backup_is_fresh(client, fresh_beat, settings):
    settings.BACKUP_ENABLED, settings.BACKUP_MAX_AGE_HOURS = True, 26
    good_backup(dt.timedelta(hours=25))
    Backup.objects.create(
        name="later", started_at=timezone.now(), status="failed", engine="x", trigger="x"
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()["backup"]
    assert body["ok"] and body["stale_after"] == 26 * 3600 and body["last_attempt"] == "failed"
    assert 25 * 3600 <= body["seconds_since_last_good"] < 25 * 3600 + 60


def test_on_it_turns_red_when_the_last_good_backup_is_too_old(client, fresh_beat, settings):
    settings.BACKUP_ENABLED, settings.BACKUP_MAX_AGE_HOURS = True, 26
    good_backup(dt.timedelta(hours=27))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["backup"]["error"] == "stale"
    assert response.json()["beat"]["ok"] and response.json()["database"]["ok"]


def test_on_a_new_installation_gets_its_first_night(client, fresh_beat, settings):
    settings.BACKUP_ENABLED = True
    assert client.get("/healthz").status_code == 200  # migrated just now, no backup yet
    MigrationRecorder.Migration.objects.filter(app="operations").update(
        applied=timezone.now() - dt.timedelta(hours=27)
    )
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["backup"]["error"] == "none"
    with pytest.raises(CommandError):
        call_command("healthcheck", "--only", "backup")


def test_the_schedule_has_the_job_only_when_backups_are_on():
    from approval_center import settings as project

    assert ("back-up" in project.CELERY_BEAT_SCHEDULE) == project.BACKUP_ENABLED


# --- the administration page -----------------------------------------------------------------


def test_administrators_see_the_last_backups(client, center, settings):
    settings.BACKUP_ENABLED = True
    good = good_backup(dt.timedelta(hours=3))
    good.parts = {"database.dump": {"size": 10, "sha256": "ab" * 32}}
    good.save(update_fields=["parts"])
    Backup.objects.create(
        name="backup-broken",
        started_at=timezone.now(),
        finished_at=timezone.now(),
        status="failed",
        engine="postgresql",
        trigger="schedule",
        error="pg_dump failed: boom",
    )
    client.force_login(center.admin)
    response = client.get(reverse("backups"))
    assert response.status_code == 200
    html = response.content.decode()
    assert good.name in html and "backup-broken" in html and "pg_dump failed: boom" in html
    assert "abababababababab" in html


def test_nobody_else_sees_them(client, center):
    good_backup(dt.timedelta(hours=3))
    for person in (center.erin, center.alice, center.dave, center.gwen):
        client.force_login(person)
        assert client.get(reverse("backups")).status_code == 403
    client.logout()
    assert client.get(reverse("backups")).status_code == 302


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_the_center_writes_is_one_moment(store, tmp_path, empty_database):
    """A writer adds a row to one table and counts it in another, in one transaction, all
    through the backup: the restored database agrees with itself (pg_dump's one snapshot)."""
    url, name = empty_database
    Counter.objects.create(series="concurrency", year=2026)
    stop, written = threading.Event(), []

    def write() -> None:
        raw = raw_connect(connection.settings_dict["NAME"])
        try:
            n = 0
            while not stop.is_set():
                n += 1
                with raw, raw.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO operations_heartbeat (name, at) VALUES (%s, now())", [f"w{n}"]
                    )
                    cursor.execute(
                        "UPDATE applications_counter SET last = last + 1 "
                        "WHERE series = 'concurrency'"
                    )
                written.append(n)
        finally:
            raw.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.01)
        backup = backups.backup_create(trigger="command", now=timezone.now())
        after = len(written)
        while len(written) < after + 5:
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    call_command(
        "restore", str(tmp_path / "backups" / backup.name), "--database-url", url,
        "--media-root", str(tmp_path / "m"),
    )  # fmt: skip
    raw = raw_connect(name)
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM operations_heartbeat WHERE name LIKE 'w%%'")
            rows = cursor.fetchone()[0]
            cursor.execute("SELECT last FROM applications_counter WHERE series = 'concurrency'")
            counted = cursor.fetchone()[0]
    finally:
        raw.close()
    assert rows == counted >= 20
    assert len(written) > counted  # the writer went on after the snapshot


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_force_restores_over_a_database_already_restored(accepted, store, tmp_path, empty_database):
    url, name = empty_database
    backup = backups.backup_create(trigger="command", now=timezone.now())
    where, media = str(tmp_path / "backups" / backup.name), str(tmp_path / "m")
    call_command("restore", where, "--database-url", url, "--media-root", media)
    raw = raw_connect(name)
    with raw, raw.cursor() as cursor:
        cursor.execute("UPDATE applications_counter SET last = 999 WHERE series = 'receipt'")
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore", where, "--database-url", url, "--media-root", str(tmp_path / "n"))
    call_command("restore", where, "--database-url", url, "--media-root", media, "--force")
    with raw, raw.cursor() as cursor:
        cursor.execute("SELECT last FROM applications_counter WHERE series = 'receipt'")
        assert cursor.fetchone()[0] == last_receipt()
        cursor.execute("SELECT count(*) FROM applications_application")
        assert cursor.fetchone()[0] == counts_here()["applications_application"]
    raw.close()
