"""The hall's races on PostgreSQL with real threads: twenty windows pressing "call next" at
once each call a different visitor, and kiosks taking numbers at once give 1, 2, 3, ... with no
gap and no repeat."""

import datetime as dt

import pytest
from django.db import connection

from hall import services
from hall.models import Call, DayCounter, Ticket
from windows.models import Window
from windows.roles import Role

from .conftest import NOW, make_staff
from .test_intake_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]

WINDOWS = 20


def test_twenty_windows_calling_at_once_call_each_ticket_once(center, hall):
    people = []
    for i in range(WINDOWS):
        window = Window.objects.create(
            number=f"C{i:02d}", name=f"建设局窗口{i}", department=center.construction
        )
        hall.construction.windows.add(window)
        people.append(make_staff(f"officer{i}", Role.WINDOW_OFFICER, window=window))
    for i in range(WINDOWS + 5):
        services.ticket_take(business=hall.construction, now=NOW + dt.timedelta(seconds=i))
    called: list = [None] * WINDOWS

    def press(i):
        called[i] = services.call_next(staff=people[i], now=NOW + dt.timedelta(minutes=1))

    assert race(press, WINDOWS) == []
    numbers = [t.number for t in called]
    assert len(set(numbers)) == WINDOWS, numbers
    # the first twenty in queue order, each once, each with one call
    assert sorted(numbers) == [f"C{n:03d}" for n in range(1, WINDOWS + 1)]
    assert Call.objects.count() == WINDOWS
    assert Ticket.objects.filter(status="called").count() == WINDOWS
    assert Ticket.objects.filter(status="waiting").count() == 5


def test_kiosks_taking_numbers_at_once_get_them_without_gaps(center, hall):
    count = 30
    errors = race(
        lambda i: services.ticket_take(
            business=hall.construction if i % 2 else hall.planning, now=NOW
        ),
        count,
    )
    assert errors == []
    for business in (hall.construction, hall.planning):
        seqs = sorted(Ticket.objects.filter(business=business).values_list("seq", flat=True))
        assert seqs == list(range(1, count // 2 + 1))
        assert DayCounter.objects.get(business=business).last == count // 2


def test_the_same_person_pressing_twice_at_once_calls_one_ticket(center, hall):
    for i in range(3):
        services.ticket_take(business=hall.construction, now=NOW + dt.timedelta(seconds=i))
    errors = race(lambda i: services.call_next(staff=center.alice, now=NOW), 2)
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionError), errors
    assert Ticket.objects.filter(status="called").count() == 1
