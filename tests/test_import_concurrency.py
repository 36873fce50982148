"""Imports confirmed at the same moment on PostgreSQL, with real threads: one import confirmed
twice at once writes once; two different imports of the same rows at once write each row once,
and the second sees the first's rows (one import is written at a time)."""

import pytest
from django.db import connection

from loading import services
from loading.models import ImportRecord
from windows.models import Department

from .conftest import NOW
from .test_intake_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]

CSV = "部门代码,部门名称,简称\nhbj,临安市环境保护局,环保局\nlyj,临安市林业局,林业局\n".encode()


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


def checked(center):
    record, _plan = services.import_check(
        kind_name="departments", data=CSV, name="d.csv", by=center.admin, now=NOW
    )
    assert record.state == ImportRecord.State.CHECKED
    return record


def test_one_import_confirmed_twice_at_once_writes_once(center, private_media):
    record = checked(center)
    errors = race(lambda i: services.import_commit(record=record, by=center.admin, now=NOW), 2)
    assert len(errors) == 1 and isinstance(errors[0], services.ImportRefused), errors
    assert ImportRecord.objects.get(pk=record.pk).state == ImportRecord.State.COMMITTED
    assert Department.history.filter(code__in=["hbj", "lyj"]).count() == 2


def test_two_imports_of_the_same_rows_at_once_write_each_row_once(center, private_media):
    records = [checked(center), checked(center)]
    errors = race(lambda i: services.import_commit(record=records[i], by=center.admin, now=NOW), 2)
    assert errors == []
    states = sorted(ImportRecord.objects.values_list("state", flat=True))
    # The second, checked again after the first was written, finds its rows stored already:
    # its plan changed, so it waits for a new confirmation instead of writing.
    assert states == [ImportRecord.State.CHECKED, ImportRecord.State.COMMITTED]
    assert Department.history.filter(code__in=["hbj", "lyj"]).count() == 2
