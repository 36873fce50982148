"""What `/healthz` reports: the database, the broker, how long ago beat last ran, and how old
the last good backup is (red only when backups are on: operations.backups.freshness).

Each check is timed and catches its own failure, so one service down never hides the state of
the others and the report always comes back within the connect timeouts of settings.py.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection

from . import backups
from .models import Heartbeat

BEAT = "beat"


def record_heartbeat(name: str, *, at: dt.datetime) -> None:
    # One statement, so two workers writing at once cannot collide on the first insert.
    Heartbeat.objects.bulk_create(
        [Heartbeat(name=name, at=at)],
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["at"],
    )


def _timed(check: Callable[[], dict | None]) -> dict:
    start = time.monotonic()
    try:
        result = {"ok": True, **(check() or {})}
    except Exception as error:
        # The class name says what went wrong without printing addresses or credentials.
        result = {"ok": False, "error": type(error).__name__}
    result["ms"] = round((time.monotonic() - start) * 1000, 1)
    return result


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    from approval_center.celery import app

    with app.connection_for_write() as conn:
        # One attempt: the broker's connect and socket timeouts (settings) bound the wait.
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        # Redis connects lazily: a command proves it answers.
        client = getattr(conn.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()


def _beat(now: dt.datetime) -> Callable[[], dict]:
    def check() -> dict:
        limit = settings.HEALTHZ_BEAT_STALE_SECONDS
        last = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
        if last is None:
            return {
                "ok": False,
                "error": "never ran",
                "seconds_since_last_run": None,
                "stale_after": limit,
            }
        age = max(0, round((now - last).total_seconds()))
        result = {"seconds_since_last_run": age, "stale_after": limit}
        if age > limit:
            result.update(ok=False, error="stale")
        return result

    return check


def report(*, now: dt.datetime) -> tuple[bool, dict]:
    """Run the four checks; return whether all passed and the JSON-ready report."""
    checks = {
        "database": _timed(_database),
        "broker": _timed(_broker),
        "beat": _timed(_beat(now)),
        "backup": _timed(lambda: backups.freshness(now=now)),
    }
    ok = all(check["ok"] for check in checks.values())
    return ok, {"status": "ok" if ok else "fail", "time": now.isoformat(), **checks}
