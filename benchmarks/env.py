"""Point Django at one benchmark database, before anything imports the settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432")
RESULTS = ROOT / "var" / "bench"
# The cache (and broker) as production has them: Redis. Empty: the database cache of development.
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def database_url(name: str) -> str:
    return f"{SERVER.rstrip('/')}/{name}"


def server_environment(name: str) -> dict[str, str]:
    """The environment a process serving or measuring database `name` runs with: DEBUG off
    (as in production: no query log, no debug templates), Redis for the cache, everything else
    as configured."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url(name),
            "REDIS_URL": REDIS,
            "DJANGO_SETTINGS_MODULE": "approval_center.settings",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def use_database(name: str) -> None:
    os.environ.update(server_environment(name))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
