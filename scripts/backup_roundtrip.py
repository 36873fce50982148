#!/usr/bin/env python3
"""Back up a center on PostgreSQL, restore it into a new database and file store, compare.

Run by the smoke test (scripts/smoke.py) on its demo center before it drops it, so CI proves
every night's shape of backup can be restored; or by hand on any center:

    .venv/bin/python scripts/backup_roundtrip.py postgres://postgres@127.0.0.1:5432/approval VAR_DIR

1. Prints three of the center's documents first (their PDFs are fixed in the database with
   their SHA-256), so the set carries issued documents.
2. `manage.py backup` into VAR_DIR/roundtrip-backups; `manage.py restore` into a new database
   `<name>_restored` and a new file store; both timed.
3. Compares the row count of every table, the last receipt number of every year, the SHA-256 of
   every printed document (recomputed from the restored bytes) and every private file; then
   drops the new database. Exits non-zero on any difference.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT_SOME = """
from django.utils import timezone
from applications import documents
from applications.models import Document
for document in Document.objects.filter(printed__isnull=True).order_by("id")[:3]:
    documents.printed(document, now=timezone.now())
"""


def manage(*args: str, env: dict) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def counts(url: str) -> tuple[dict[str, int], dict, dict]:
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = sorted(row[0] for row in cursor.fetchall())
        rows = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            rows[table] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT series, year, last FROM applications_counter WHERE series = 'receipt'"
        )
        receipts = {(series, year): last for series, year, last in cursor.fetchall()}
        cursor.execute(
            "SELECT document_id, encode(sha256(pdf), 'hex'), sha256"
            " FROM applications_printeddocument"
        )
        printed = {}
        for document, computed, stored in cursor.fetchall():
            if computed != stored:
                raise SystemExit(f"document {document}: its bytes do not match its SHA-256")
            printed[document] = computed
    conn.close()
    return rows, receipts, printed


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def roundtrip(source_url: str, var_dir: Path, env: dict | None = None) -> dict[str, float]:
    import psycopg2

    name = source_url.rsplit("/", 1)[1]
    assert re.fullmatch(r"\w+", name), name
    target_name = f"{name}_restored"
    target_url = f"{source_url.rsplit('/', 1)[0]}/{target_name}"
    backups, media = var_dir / "roundtrip-backups", var_dir / "roundtrip-media"
    shutil.rmtree(backups, ignore_errors=True)
    shutil.rmtree(media, ignore_errors=True)
    env = {
        **(env or {"PATH": os.environ["PATH"], "HOME": str(var_dir)}),
        "DATABASE_URL": source_url,
        "VAR_DIR": str(var_dir),
        "BACKUP_DIR": str(backups),
        "APP_ENV": "development",
    }
    env.pop("MIGRATE_DATABASE_URL", None)
    manage("shell", "-c", PRINT_SOME, env=env)

    started = time.monotonic()
    out = manage("backup", env=env)
    backup_seconds = time.monotonic() - started
    backup_set = out.split(" (", 1)[0].strip()

    admin = psycopg2.connect(source_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{target_name}"')
    try:
        started = time.monotonic()
        manage(
            "restore", backup_set, "--database-url", target_url, "--media-root", str(media), env=env
        )
        restore_seconds = time.monotonic() - started

        source, restored = counts(source_url), counts(target_url)
        names = ("row counts", "last receipt numbers", "printed documents' SHA-256")
        for what, a, b in zip(names, source, restored, strict=True):
            if a != b:
                differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
                raise SystemExit(f"restored {what} differ: {differ[:10]}")
        if files(var_dir / "media") != files(media):
            raise SystemExit("restored files differ")
        size = sum(p.stat().st_size for p in Path(backup_set).iterdir())
        print(
            f"backup-roundtrip: {len(source[0])} tables, {sum(source[0].values())} rows, "
            f"{len(source[2])} printed documents, {len(files(media))} files, set {size} bytes; "
            f"backup {backup_seconds:.1f} s, restore {restore_seconds:.1f} s: identical"
        )
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{target_name}" WITH (FORCE)')
        admin.close()
        shutil.rmtree(backups, ignore_errors=True)
        shutil.rmtree(media, ignore_errors=True)
    return {"backup": backup_seconds, "restore": restore_seconds, "bytes": size}


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    roundtrip(sys.argv[1], Path(sys.argv[2]))
