"""The rows post_migrate writes after a flush, written back instead of made again.

Each transactional test (a browser test, a race) ends with Django's flush, which empties every
table and then sends post_migrate: Django makes the content types and the permissions of every
app again, the roles' groups are made and given their permissions (windows.roles) — about 1,300
queries, a second or more of one core for each such test on SQLite, far more than the flush.

Those rows are the same after every flush. `replay_post_migrate` sends the signal for real after
the first flush of a process and keeps the rows its receivers wrote (tests/replay.py); after each
later flush, when those tables are empty again, it writes them back (one INSERT per table, the
same primary keys), then sends post_migrate to every other receiver (the caches of content types,
the calendar read again, the append-only triggers): only the three receivers whose rows were
written back are left out, and they would find nothing to do.

On SQLite and on PostgreSQL: the quick flush of conftest.py (quick_flush_on_postgresql) empties
every table that holds a row, those of post_migrate included, so it too found them empty and made
them again (30 empty transactional tests: 45 s to 15 s of wall clock at load 6, 9.2 to 5.1 CPU
seconds of the test process, besides the server's). POST_MIGRATE_REPLAY=0 sends it for real.
"""

from __future__ import annotations

import contextlib
import os
import weakref

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

from .replay import replayed


def _receivers_written_back() -> set:
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    from windows.apps import _ensure_groups

    return {create_permissions, create_contenttypes, _ensure_groups}


def _receiver(entry):
    return entry[1]() if isinstance(entry[1], weakref.ReferenceType) else entry[1]


@contextlib.contextmanager
def _receivers(keep):
    """post_migrate with only the receivers for which `keep(receiver)` is true, while open."""
    every = post_migrate.receivers
    with post_migrate.lock:
        post_migrate.receivers = [entry for entry in every if keep(_receiver(entry))]
        post_migrate.sender_receivers_cache.clear()
    try:
        yield
    finally:
        with post_migrate.lock:
            post_migrate.receivers = every
            post_migrate.sender_receivers_cache.clear()


def replay_post_migrate(real):
    """`emit_post_migrate_signal` as the flush command calls it, its rows written back after the
    first time."""

    @replayed
    def rows_of_post_migrate(verbosity, interactive, db, **kwargs):
        with _receivers(lambda receiver: receiver in _receivers_written_back()):
            real(verbosity, interactive, db, **kwargs)
        return True  # `replayed` hands back a copy of this: None would mean "build again"

    def emit(verbosity, interactive, db, **kwargs):
        if (
            db != DEFAULT_DB_ALIAS
            or connections[db].vendor not in ("sqlite", "postgresql")
            or os.environ.get("POST_MIGRATE_REPLAY") == "0"
        ):
            return real(verbosity, interactive, db, **kwargs)
        rows_of_post_migrate(verbosity, interactive, db, **kwargs)  # sent or written back
        with _receivers(lambda receiver: receiver not in _receivers_written_back()):
            real(verbosity, interactive, db, **kwargs)  # the others: caches, calendar, triggers
        return None

    return emit
