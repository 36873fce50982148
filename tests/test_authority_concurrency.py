"""Two syncs at once (the nightly beat task and an administrator's save) on PostgreSQL, where
concurrent transactions are real: both finish, and each grant exists once."""

import threading

import pytest
from django.db import connection, connections

from windows import authority
from windows.models import ItemUserObjectPermission

from .conftest import aware

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
)


@pytest.mark.django_db(transaction=True)
def test_two_syncs_at_once_grant_each_permission_once(center):
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            barrier.wait()
            authority.sync_signing_authority(at=aware(2026, 6, 15))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert ItemUserObjectPermission.objects.count() == 3
    assert not authority.authority_drift(aware(2026, 6, 15))
