"""What the generator and the report share: which database, and Django set up against it.

The benchmark database is PostgreSQL only, and never the one the suite or a person uses:
`BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/approval_bench), with the broker
on `BENCH_REDIS_URL` (default redis://127.0.0.1:6379/13).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.getenv("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/approval_bench")
REDIS_URL = os.getenv("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def setup_django() -> None:
    """Point the settings at the benchmark database and broker, then set Django up."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ["REDIS_URL"] = REDIS_URL
    os.environ.setdefault("VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approval_center.settings")
    import django

    django.setup()


def database_name() -> str:
    return DATABASE_URL.rsplit("/", 1)[1]


def admin_connection():
    """A connection to the server's `postgres` database, for creating and dropping ours."""
    import psycopg2

    conn = psycopg2.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn
