"""The flush that ends a transactional test on PostgreSQL (tests/conftest.py,
quick_flush_on_postgresql) leaves every table empty, the append-only ones included, so the
next test starts from nothing, as it would after Django's TRUNCATE."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from applications.models import Applicant

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's flush (CI runs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_the_flush_empties_every_table_the_append_only_ones_too(center, applicant):
    assert Applicant.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM windows_historicalstaff")
        assert cursor.fetchone()[0] > 0  # a history table: DELETE is refused by its trigger
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        left = []
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            if cursor.fetchone()[0]:
                left.append(table)
    assert left == []
    # What every test may count on comes back with the next flush, even one with nothing to
    # empty (the roles' groups are made by post_migrate).
    call_command("flush", verbosity=0, interactive=False)
    from django.contrib.auth.models import Group

    assert Group.objects.exists()
