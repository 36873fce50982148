"""Data built once for a group of tests that only read it.

Each test of pytest-django runs in a transaction rolled back when it ends. `shared_data` opens one
transaction around a group of tests (a class or a module, through a fixture of that scope), builds
the data in it and rolls it back after the group's last test. Each test's own transaction is then
a savepoint inside it: what a test writes is still undone before the next, which finds the data
as it was built.

Only for tests that are not transactional (a flush would empty the shared transaction: no
`transactional_db`, no `live_server`) and that do not change the shared objects in memory in a
way another test would read.

A fixture of a wider scope is set up before the autouse fixtures of conftest.py that each test
gets, so their settings are given here too while the data is built and read: the fast password
hasher, a cache key prefix of its own, eager Celery tasks, and private files in a directory of
their own.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.test import override_settings


@contextlib.contextmanager
def shared_data(django_db_blocker, media: Path):
    """Yields `run(function, *args)`, which calls `function` with the database open, inside the
    shared transaction."""
    from approval_center.celery import app

    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"shared-{uuid.uuid4().hex[:12]}"
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        CACHES=caches,
        STORAGES={
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
        },
    )
    overrides.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()

    def run(function, *args):
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            with django_db_blocker.unblock():
                return function(*args)
        finally:
            app.conf.task_always_eager = eager

    try:
        yield run
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
        overrides.disable()
