"""Appointments raced on PostgreSQL with real threads: many people booking the last places of a
slot at once never exceed its capacity, and one person booking twice at once gets one."""

import datetime as dt

import pytest
from django.db import connection

from applications.services import TransitionError
from hall import appointment_sms, appointments
from hall.models import Appointment, AppointmentMessage, SlotRule

from .conftest import NOW
from .test_intake_concurrency import race

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
    ),
    pytest.mark.django_db(transaction=True),
]

TUESDAY = dt.date(2026, 9, 29)
NINE = dt.time(9)


@pytest.fixture
def slotted(center, hall, calendar):
    for window in (center.construction_window,):
        SlotRule.objects.create(
            business=hall.construction,
            window=window,
            opens=NINE,
            closes=dt.time(11, 30),
            slot_minutes=30,
            capacity=3,
        )
    return hall


def test_twenty_people_booking_three_places_at_once_get_three(slotted):
    count = 20

    def book(i):
        appointments.appointment_book(
            business=slotted.construction,
            day=TUESDAY,
            starts=NINE,
            name=f"访客{i}",
            mobile=f"139{i:08d}",
            now=NOW,
        )

    errors = race(book, count)
    assert len(errors) == count - 3
    assert all(isinstance(e, TransitionError) for e in errors), errors
    assert Appointment.objects.filter(day=TUESDAY, starts=NINE, status="booked").count() == 3
    assert appointments.slots(slotted.construction, TUESDAY)[0].left == 0
    assert AppointmentMessage.objects.count() == 3
    assert len(set(Appointment.objects.values_list("code", flat=True))) == 3


def test_one_person_booking_several_times_at_once_gets_one(slotted):
    starts = [NINE, dt.time(9, 30), dt.time(10), dt.time(10, 30), dt.time(11)]

    def book(i):
        appointments.appointment_book(
            business=slotted.construction,
            day=TUESDAY,
            starts=starts[i],
            name="张三",
            mobile="13900000001",
            now=NOW,
        )

    errors = race(book, len(starts))
    assert len(errors) == len(starts) - 1
    assert all(isinstance(e, TransitionError) for e in errors), errors
    assert Appointment.objects.filter(mobile="13900000001").count() == 1


def test_two_kiosks_checking_in_one_code_at_once_give_one_ticket(slotted):
    from django.utils import timezone

    from hall.models import Ticket

    appointment, _key = appointments.appointment_book(
        business=slotted.construction,
        day=TUESDAY,
        starts=NINE,
        name="张三",
        mobile="13900000001",
        now=NOW,
    )
    at = timezone.make_aware(dt.datetime(2026, 9, 29, 9, 5))
    errors = race(
        lambda i: appointments.appointment_check_in(
            code=appointment.code, device=slotted.kiosk, now=at
        ),
        4,
    )
    assert len(errors) == 3 and all(isinstance(e, TransitionError) for e in errors), errors
    assert Ticket.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.status == "checked_in" and appointment.ticket is not None


def test_reminder_runs_at_once_remind_once_and_deliveries_at_once_send_once(slotted, settings):
    from django.utils import timezone

    from . import test_hall_appointments as plain

    settings.SMS_GATEWAY = "tests.test_hall_appointments.RecordingGateway"
    plain.SENT.clear()
    appointment, _key = appointments.appointment_book(
        business=slotted.construction,
        day=TUESDAY,
        starts=NINE,
        name="张三",
        mobile="13900000001",
        now=NOW,
    )
    evening = timezone.make_aware(dt.datetime(2026, 9, 28, 17))
    assert race(lambda i: appointment_sms.appointments_remind(now=evening), 4) == []
    reminders = AppointmentMessage.objects.filter(appointment=appointment, kind="reminder")
    assert reminders.count() == 1
    # each run's delivery after its commit (eager here): the confirmation and one reminder
    assert len(plain.SENT) == 2
    pk = reminders.get().pk
    # the delivery task running again, four times at once: nothing more is sent
    assert race(lambda i: appointment_sms.message_deliver(pk), 4) == []
    assert len(plain.SENT) == 2
    # a message not sent yet, four deliveries at once: sent once
    AppointmentMessage.objects.filter(pk=pk).update(sent_at=None, claimed_at=None)
    assert race(lambda i: appointment_sms.message_deliver(pk), 4) == []
    assert len(plain.SENT) == 3
