"""Races on PostgreSQL with real threads: a code sent ten times at once passes once (the device
is locked for update while a code is tried; a recovery code is deleted, a code of the app moves
the device's last step on)."""

import threading

import pytest
import time_machine
from django.db import connection, connections

from twofactor import services

from .test_otp import code_of, enrol, later

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]


def race(count: int, attempt) -> list[object]:
    """Run `attempt()` in `count` threads released together; what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list[object] = []

    def run():
        try:
            barrier.wait()
            results.append(attempt())
        except BaseException as error:
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("kind", ["recovery code", "code of the app"])
def test_a_code_sent_ten_times_at_once_passes_once(center, kind):
    device, codes = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        code = codes[0] if kind == "recovery code" else code_of(device)
        results = race(10, lambda: services.second_factor_verify(staff=center.erin, code=code).pk)
    passed = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, services.SecondFactorError)]
    assert len(passed) == 1 and len(refused) == 9, results
