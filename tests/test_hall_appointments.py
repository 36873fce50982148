"""Appointments (hall/appointments.py): slots on the working-day calendar, capacity, one booking
per person, rate limits, no-shows and their refusal, the SMS written once and delivered once,
the reminder once, cancelling through the link, and checking in at the kiosk before the
walk-ins of the slot.

The test center's Monday 28 September 2026, 10:00 (NOW): 1–7 October is the National Day
break, Saturday 10 October an adjusted working day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from applications.services import TransitionError
from hall import appointment_sms, appointments, services
from hall.models import Appointment, AppointmentMessage, SlotRule, Ticket
from windows.models import Window

from .conftest import NOW
from .hall_fixtures import device_client

pytestmark = pytest.mark.django_db

D = dt.date
T = dt.time
TUESDAY = D(2026, 9, 29)
NINE, HALF_PAST_ELEVEN = T(9), T(11, 30)
SENT: list[tuple[str, str, str]] = []


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


class RecordingGateway:
    def send_sms(self, phone: str, text: str, *, reference: str) -> None:
        SENT.append((phone, text, reference))


@pytest.fixture(autouse=True)
def english():
    # The refusals are matched in English (the Chinese catalog is merged separately).
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def recorded(settings):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.test_hall_appointments.RecordingGateway"
    settings.NOTIFICATION_SENDER = "applications.notifications.ChannelSender"


def rule(business, window, opens=NINE, closes=HALF_PAST_ELEVEN, minutes=30, capacity=2) -> SlotRule:
    return SlotRule.objects.create(
        business=business,
        window=window,
        opens=opens,
        closes=closes,
        slot_minutes=minutes,
        capacity=capacity,
    )


@pytest.fixture
def slotted(center, hall, calendar):
    """Construction (C) at A05: 09:00–11:30 and 14:00–17:00, 30 minutes, 2 places; intake (A)
    at A01 mornings."""
    rule(hall.construction, center.construction_window)
    rule(hall.construction, center.construction_window, T(14), T(17))
    rule(hall.intake, center.intake_window)
    return hall


def book(business, day=TUESDAY, starts=NINE, mobile="13900000001", now=NOW, **kw):
    appointment, _key = appointments.appointment_book(
        business=business,
        day=day,
        starts=starts,
        name=kw.pop("name", "张三"),
        mobile=mobile,
        now=now,
        **kw,
    )
    return appointment


def book_with_key(business, day=TUESDAY, starts=NINE, mobile="13900000001", now=NOW):
    return appointments.appointment_book(
        business=business, day=day, starts=starts, name="张三", mobile=mobile, now=now
    )


# --- slots ------------------------------------------------------------------------------------


def test_a_rule_gives_slots_of_its_length_between_its_hours(slotted):
    day = appointments.slots(slotted.construction, TUESDAY)
    assert [(s.starts, s.ends) for s in day[:2]] == [(T(9), T(9, 30)), (T(9, 30), T(10))]
    assert [f"{s.starts:%H%M}" for s in day] == (
        "0900 0930 1000 1030 1100 1400 1430 1500 1530 1600 1630".split()
    )
    assert {(s.capacity, s.left) for s in day} == {(2, 2)}


def test_capacity_is_the_sum_over_the_open_windows(center, slotted):
    second = Window.objects.create(
        number="A06", name="建设局二号窗口", department=center.construction
    )
    rule(slotted.construction, second, capacity=3)
    assert appointments.slots(slotted.construction, TUESDAY)[0].capacity == 5
    second.is_active = False
    second.save()
    assert appointments.slots(slotted.construction, TUESDAY)[0].capacity == 2


def test_a_last_slot_that_does_not_fit_before_closing_is_not_offered(center, hall, calendar):
    rule(hall.planning, center.planning_window, T(9), T(10, 15), minutes=30)
    assert [s.starts for s in appointments.slots(hall.planning, TUESDAY)] == [T(9), T(9, 30)]


def test_slots_follow_the_calendar_holidays_and_adjusted_weekends(slotted):
    assert appointments.slots(slotted.construction, D(2026, 10, 1)) == []  # National Day
    assert appointments.slots(slotted.construction, D(2026, 10, 11)) == []  # a Sunday
    assert len(appointments.slots(slotted.construction, D(2026, 10, 10))) == 11  # Saturday, worked


def test_bookable_days_are_today_while_a_slot_is_ahead_then_ten_working_days(slotted):
    days = appointments.bookable_days(slotted.construction, NOW)
    assert days[:6] == [
        D(2026, 9, 28),  # today: 10:30 and later are still ahead
        D(2026, 9, 29),
        D(2026, 9, 30),
        D(2026, 10, 8),  # the holidays skipped
        D(2026, 10, 9),
        D(2026, 10, 10),  # the adjusted working Saturday
    ]
    assert len(days) == 11 and days[-1] == D(2026, 10, 16)
    evening = at(2026, 9, 28, 18)
    assert appointments.bookable_days(slotted.construction, evening)[0] == TUESDAY
    # today's slots that have started are not offered
    offered = appointments.bookable_slots(slotted.construction, D(2026, 9, 28), NOW)
    assert offered[0].starts == T(10, 30)


def test_a_business_without_rules_takes_no_appointments(slotted):
    assert appointments.bookable_days(slotted.planning, NOW) == []
    assert list(appointments.businesses_with_slots()) == [slotted.intake, slotted.construction]
    with pytest.raises(TransitionError):
        book(slotted.planning)


# --- booking ------------------------------------------------------------------------------------


def test_booking_takes_a_place_and_gives_a_short_unique_code(slotted):
    appointment = book(slotted.construction)
    assert appointment.status == "booked"
    assert (appointment.starts, appointment.ends) == (T(9), T(9, 30))
    assert len(appointment.code) == 6
    assert set(appointment.code) <= set(appointments.ACCESS_CODE_ALPHABET)
    assert appointments.slots(slotted.construction, TUESDAY)[0].left == 1
    other = book(slotted.construction, mobile="13900000002")
    assert other.code != appointment.code
    assert Appointment.history.filter(id=appointment.pk).count() == 1


def test_a_full_slot_refuses_and_cancelling_frees_the_place(slotted):
    first, _key = book_with_key(slotted.construction, mobile="13900000001")
    book(slotted.construction, mobile="13900000002")
    assert appointments.slots(slotted.construction, TUESDAY)[0].full
    with pytest.raises(TransitionError, match="last place"):
        book(slotted.construction, mobile="13900000003")
    assert Appointment.objects.count() == 2
    appointments.appointment_cancel(appointment=first, now=NOW)
    assert appointments.slots(slotted.construction, TUESDAY)[0].left == 1
    assert book(slotted.construction, mobile="13900000003").status == "booked"


def test_one_live_booking_per_person_business_and_day(slotted):
    first = book(slotted.construction)
    with pytest.raises(TransitionError, match="already has an appointment"):
        book(slotted.construction, starts=T(14))
    # another business, another day: fine
    book(slotted.intake)
    book(slotted.construction, day=D(2026, 9, 30))
    appointments.appointment_cancel(appointment=first, now=NOW)
    assert book(slotted.construction, starts=T(14)).status == "booked"


def test_a_slot_that_has_started_or_is_not_offered_is_refused(slotted):
    with pytest.raises(TransitionError):
        book(slotted.construction, day=D(2026, 9, 28), starts=T(9, 30))  # started
    with pytest.raises(TransitionError):
        book(slotted.construction, starts=T(9, 15))  # not a slot
    with pytest.raises(TransitionError):
        book(slotted.construction, day=D(2026, 10, 1))  # holiday
    with pytest.raises(TransitionError):
        book(slotted.construction, day=D(2026, 10, 19))  # beyond ten working days
    with pytest.raises(TransitionError):
        book(slotted.construction, mobile="12345")
    assert Appointment.objects.count() == 0


def test_several_recent_no_shows_refuse_new_bookings(slotted, settings):
    settings.HALL_NO_SHOW_LIMIT, settings.HALL_NO_SHOW_DAYS = 3, 30
    for i, day in enumerate([D(2026, 9, 1), D(2026, 9, 10), D(2026, 9, 21)]):
        Appointment.objects.create(
            business=slotted.intake,
            day=day,
            starts=T(9),
            ends=T(9, 30),
            name="李四",
            mobile="13900000009",
            code=f"NOSHW{i}",
            status="no_show",
            booked_at=NOW,
        )
    with pytest.raises(TransitionError, match="missed 3 appointments in the last 30 days"):
        book(slotted.construction, mobile="13900000009")
    assert book(slotted.construction, mobile="13900000008").status == "booked"  # someone else
    # one of them more than 30 days ago: two recent ones are not enough
    Appointment.objects.filter(day=D(2026, 9, 1)).update(day=D(2026, 8, 28))
    assert book(slotted.construction, mobile="13900000009").status == "booked"


# --- no-shows ---------------------------------------------------------------------------------


def test_an_appointment_not_checked_in_becomes_a_no_show_after_its_slot_and_grace(
    slotted, settings
):
    settings.HALL_APPOINTMENT_GRACE_MINUTES = 30
    nine = book(slotted.construction)  # 09:00–09:30
    later = book(slotted.construction, starts=T(10), mobile="13900000002")
    assert appointments.appointments_mark_no_shows(now=at(2026, 9, 29, 9, 59)) == 0
    assert appointments.appointments_mark_no_shows(now=at(2026, 9, 29, 10)) == 1
    assert appointments.appointments_mark_no_shows(now=at(2026, 9, 29, 10, 5)) == 0
    nine.refresh_from_db(), later.refresh_from_db()
    assert (nine.status, later.status) == ("no_show", "booked")
    assert Appointment.history.filter(id=nine.pk, status="no_show").count() == 1


def test_cancelled_and_checked_in_appointments_are_never_no_shows(slotted, time_machine):
    cancelled = book(slotted.construction)
    appointments.appointment_cancel(appointment=cancelled, now=NOW)
    checked = book(slotted.construction, mobile="13900000002")
    appointments.appointment_check_in(
        code=checked.code, device=slotted.kiosk, now=at(2026, 9, 29, 9, 5)
    )
    assert appointments.appointments_mark_no_shows(now=at(2026, 9, 30, 12)) == 0
    assert set(Appointment.objects.values_list("status", flat=True)) == {"cancelled", "checked_in"}


# --- the SMS ------------------------------------------------------------------------------------


def test_the_confirmation_is_written_once_and_delivered_once(
    slotted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment, key = book_with_key(slotted.construction)
    message = AppointmentMessage.objects.get()
    assert message.kind == "confirmation" and message.sent_at is not None
    assert len(SENT) == 1
    phone, text, reference = SENT[0]
    assert phone == "13900000001" and reference == f"appointmentmessage-{message.pk}"
    assert appointment.code in text and key in text and "9:00" in text
    # the task delivered again (a retry, a second worker): nothing more is sent
    assert appointment_sms.message_deliver(message.pk) is False
    # the message cannot be written twice for the same appointment
    appointment_sms.message_write(appointment, "confirmation", now=NOW)
    assert AppointmentMessage.objects.count() == 1 and len(SENT) == 1


def test_a_booking_that_fails_writes_no_message(slotted, django_capture_on_commit_callbacks):
    book(slotted.construction)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(TransitionError):
        book(slotted.construction, starts=T(10))  # same person, same day
    assert AppointmentMessage.objects.count() == 1


def test_the_message_is_in_the_bookers_language(slotted):
    english = book(slotted.construction, language="en")
    chinese = book(slotted.construction, mobile="13900000002", language="fr")
    assert english.messages.get().language == "en"
    assert "is booked" in english.messages.get().text
    # a language the center does not speak: Chinese, the default
    assert chinese.language == "zh-hans" and chinese.messages.get().language == "zh-hans"
    assert chinese.code in chinese.messages.get().text


def test_a_failing_gateway_releases_the_claim_for_a_retry(slotted, settings):
    appointment = book(slotted.construction)
    message = appointment.messages.get()
    settings.SMS_GATEWAY = "tests.test_hall_appointments.BrokenGateway"
    with pytest.raises(RuntimeError):
        appointment_sms.message_deliver(message.pk)
    message.refresh_from_db()
    assert message.claimed_at is None and message.attempts == 1 and "down" in message.last_error
    settings.SMS_GATEWAY = "tests.test_hall_appointments.RecordingGateway"
    assert appointment_sms.messages_queue_pending(now=NOW + dt.timedelta(hours=1)) == 1
    message.refresh_from_db()
    assert message.sent_at is not None and len(SENT) == 1


class BrokenGateway:
    def send_sms(self, phone: str, text: str, *, reference: str) -> None:
        raise RuntimeError("gateway down")


def test_the_reminder_goes_the_day_before_once(slotted, django_capture_on_commit_callbacks):
    tomorrow = book(slotted.construction)
    cancelled = book(slotted.construction, mobile="13900000002")
    appointments.appointment_cancel(appointment=cancelled, now=NOW)
    later = book(slotted.construction, day=D(2026, 9, 30), mobile="13900000003")
    SENT.clear()
    evening = at(2026, 9, 28, 17)
    with django_capture_on_commit_callbacks(execute=True):
        assert appointment_sms.appointments_remind(now=evening) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert appointment_sms.appointments_remind(now=evening + dt.timedelta(hours=1)) == 0
    tomorrow.refresh_from_db()
    assert tomorrow.reminded_at == evening
    assert [m.kind for m in tomorrow.messages.order_by("id")] == ["confirmation", "reminder"]
    assert not cancelled.messages.filter(kind="reminder").exists()
    assert not later.messages.filter(kind="reminder").exists()
    assert len(SENT) == 1 and tomorrow.code in SENT[0][1]


# --- checking in ------------------------------------------------------------------------------


def test_checking_in_takes_a_ticket_placed_at_the_start_of_the_slot(center, slotted):
    appointment = book(slotted.construction)
    early = services.ticket_take(business=slotted.construction, now=at(2026, 9, 29, 8, 50))
    walk_in = services.ticket_take(business=slotted.construction, now=at(2026, 9, 29, 9, 2))
    checked = appointments.appointment_check_in(
        code=appointment.code.lower(), device=slotted.kiosk, now=at(2026, 9, 29, 9, 10)
    )
    ticket = checked.ticket
    assert checked.status == "checked_in" and ticket.queue_at == at(2026, 9, 29, 9)
    assert checked.checked_in_at == at(2026, 9, 29, 9, 10)
    assert ticket.device == slotted.kiosk and ticket.mobile == appointment.mobile
    # after the visitor who came before the slot began, before the walk-in of the slot
    assert services.people_ahead(ticket) == 1
    when = at(2026, 9, 29, 9, 12)
    assert services.call_next(staff=center.alice, now=when) == early
    assert services.call_next(staff=center.bob, now=when) == ticket
    walk_in.refresh_from_db()
    assert walk_in.status == "waiting"


def test_the_appointment_is_called_before_the_walk_ins_of_its_slot(center, slotted):
    appointment = book(slotted.construction)
    walk_in = services.ticket_take(business=slotted.construction, now=at(2026, 9, 29, 9, 2))
    checked = appointments.appointment_check_in(
        code=appointment.code, device=slotted.kiosk, now=at(2026, 9, 29, 9, 10)
    )
    first = services.call_next(staff=center.alice, now=at(2026, 9, 29, 9, 11))
    assert first == checked.ticket
    assert services.call_next(staff=center.bob, now=at(2026, 9, 29, 9, 11)) == walk_in


@pytest.fixture
def kiosk(slotted):
    client = device_client(slotted, slotted.kiosk)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def check_in_page(client, code):
    return client.post(reverse("hall:kiosk_check_in"), {"code": code})


def test_the_kiosk_checks_in_and_goes_to_the_ticket(slotted, kiosk, time_machine):
    appointment = book(slotted.construction)
    time_machine.move_to(at(2026, 9, 29, 9, 20), tick=False)
    page = kiosk.get(reverse("hall:kiosk_check_in"))
    assert page.status_code == 200 and b"checkin-pad" in page.content
    response = check_in_page(kiosk, f" {appointment.code[:3]}-{appointment.code[3:]} ")
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"
    assert response.status_code == 302
    assert response["Location"] == reverse("hall:ticket_print", args=[appointment.ticket_id])
    # again: already checked in, nothing new
    again = check_in_page(kiosk, appointment.code)
    assert again.status_code == 200 and appointment.ticket.number in again.content.decode()
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("case", "says"),
    [
        ("wrong", "No appointment has this code"),
        ("other_day", "not today"),
        ("cancelled", "was cancelled"),
        ("late", "has passed"),
        ("no_show", "was missed"),
    ],
)
def test_the_kiosk_refuses_and_changes_nothing(slotted, kiosk, time_machine, case, says):
    appointment = book(slotted.construction)
    other = book(slotted.construction, day=D(2026, 9, 30), mobile="13900000002")
    code, when = appointment.code, at(2026, 9, 29, 9, 20)
    if case == "wrong":
        code = "ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY"
    elif case == "other_day":
        code = other.code
    elif case == "cancelled":
        appointments.appointment_cancel(appointment=appointment, now=NOW)
    elif case == "late":
        when = at(2026, 9, 29, 10, 1)  # 09:30 + 30 minutes of grace
    elif case == "no_show":
        appointments.appointments_mark_no_shows(now=at(2026, 9, 29, 10, 1))
    time_machine.move_to(when, tick=False)
    response = check_in_page(kiosk, code)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert Ticket.objects.count() == 0
    assert not Appointment.objects.filter(status="checked_in").exists()


def test_only_a_kiosk_checks_in(center, slotted, client):
    appointment = book(slotted.construction)
    for visitor in (Client(), device_client(slotted, slotted.display)):
        response = check_in_page(visitor, appointment.code)
        assert response.status_code == 403
    client.force_login(center.dave)
    assert check_in_page(client, appointment.code).status_code == 403
    assert Appointment.objects.get().status == "booked"


# --- the public pages ---------------------------------------------------------------------------


def english_client() -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_booking_on_the_public_pages(slotted, time_machine):
    time_machine.move_to(NOW, tick=False)
    client = english_client()
    start = client.get(reverse("hall:appointments"))
    assert start.status_code == 200 and "建设局" in start.content.decode()
    slots_url = reverse("hall:appointment_slots", args=["C"])
    book(slotted.construction, mobile="13900000007")
    book(slotted.construction, mobile="13900000008")  # 09:00 on Tuesday is full
    page = client.get(slots_url, {"day": "2026-09-29"}).content.decode()
    assert "Full" in page and "2 places left" in page
    book_url = reverse("hall:appointment_book", args=["C"])
    full = client.get(book_url, {"day": "2026-09-29", "slot": "0900"})
    assert full.status_code == 302  # a full slot cannot be opened for booking
    form = client.get(book_url, {"day": "2026-09-29", "slot": "0930"})
    assert form.status_code == 200
    response = client.post(
        f"{book_url}?day=2026-09-29&slot=0930", {"name": "王五", "mobile": "13900000001"}
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "hall:appointment_booked"
    )
    appointment = Appointment.objects.get(mobile="13900000001")
    assert appointment.language == "en" and appointment.starts == T(9, 30)
    done = client.get(response["Location"]).content.decode()
    assert appointment.code in done
    bad = client.post(f"{book_url}?day=2026-09-29&slot=1000", {"name": "王五", "mobile": "123"})
    assert bad.status_code == 200 and "11-digit" in bad.content.decode()


def test_the_link_shows_and_cancels_the_booking(slotted, time_machine):
    time_machine.move_to(NOW, tick=False)
    appointment, key = book_with_key(slotted.construction)
    client = english_client()
    page = client.get(reverse("hall:appointment_manage", args=[key]))
    assert page.status_code == 200 and appointment.code in page.content.decode()
    assert client.get(reverse("hall:appointment_manage", args=["x" + key])).status_code == 404
    # the code is not the key
    assert (
        client.get(reverse("hall:appointment_manage", args=[appointment.code])).status_code == 404
    )
    response = client.post(reverse("hall:appointment_cancel", args=[key]))
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancelled_at == NOW
    again = client.post(reverse("hall:appointment_cancel", args=[key]), follow=True)
    assert "already cancelled" in again.content.decode()


def test_bookings_are_rate_limited_per_mobile(slotted, settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.HALL_BOOKING_LIMIT_PER_MOBILE, settings.HALL_BOOKING_LIMIT_PER_ADDRESS = 2, 100
    client = english_client()
    url = reverse("hall:appointment_book", args=["C"]) + "?day=2026-09-29&slot=1000"
    first = client.post(url, {"name": "王五", "mobile": "139 0000 0001"})
    assert first.status_code == 302
    second = client.post(url, {"name": "王五", "mobile": "13900000001"})
    assert second.status_code == 200 and "already has an appointment" in second.content.decode()
    limited = client.post(url, {"name": "王五", "mobile": "13900000001"})
    assert limited.status_code == 429 and "Retry-After" in limited
    assert "Too many bookings" in limited.content.decode()
    # another number from the same place is still let through
    assert client.post(url, {"name": "赵六", "mobile": "13900000002"}).status_code == 302


def test_bookings_are_rate_limited_per_address(slotted, settings, time_machine):
    time_machine.move_to(NOW, tick=False)
    settings.HALL_BOOKING_LIMIT_PER_MOBILE, settings.HALL_BOOKING_LIMIT_PER_ADDRESS = 100, 3
    client = Client()
    url = reverse("hall:appointment_book", args=["C"]) + "?day=2026-09-29&slot=1000"
    statuses = [
        client.post(url, {"name": "王五", "mobile": f"1390000000{i}"}).status_code for i in range(4)
    ]
    assert statuses == [302, 302, 302, 429]  # two places, the slot full, then too many
    assert Appointment.objects.count() == 2
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert elsewhere.post(url, {"name": "王五", "mobile": "13900000005"}).status_code != 429


# --- the staff's list ---------------------------------------------------------------------------


def test_the_days_list_by_business_and_slot_with_no_shows(center, slotted, client, time_machine):
    book(slotted.construction, name="甲")
    book(slotted.construction, starts=T(10), mobile="13900000002", name="乙")
    book(slotted.intake, mobile="13900000003", name="丙")
    appointments.appointments_mark_no_shows(now=at(2026, 9, 29, 10, 1))
    time_machine.move_to(at(2026, 9, 29, 11), tick=False)
    client.force_login(center.alice)
    page = client.get(reverse("hall:appointments_today")).content.decode()
    assert "甲" in page and "乙" in page and "丙" not in page  # A05 serves construction only
    assert "13900000002" not in page and "139****0002" in page
    client.force_login(center.dave)
    page = client.get(reverse("hall:appointments_today")).content.decode()
    assert "丙" in page and "甲" not in page
    client.force_login(center.erin)
    page = client.get(reverse("hall:appointments_today")).content.decode()
    assert "甲" in page and "丙" in page
    listing = appointments.day_list(TUESDAY, appointments.Business.objects.all())
    assert listing.counts == {"no_show": 2, "booked": 1}
    assert {(b.letter, n) for b, n in listing.no_shows} == {("C", 1), ("A", 1)}
    client.force_login(center.frank)
    assert client.get(reverse("hall:appointments_today")).status_code == 403


def test_demo_slot_rules_are_written_once(center, hall):
    assert appointments.seed_demo_slots() == 6  # intake and the two departments, twice a day
    assert appointments.seed_demo_slots() == 0
    rule = SlotRule.objects.filter(business=hall.intake).order_by("opens").first()
    assert (rule.opens, rule.closes, rule.slot_minutes, rule.capacity) == (T(9), T(11, 30), 30, 2)


# --- hostile input ----------------------------------------------------------------------------

HOSTILE = ["\x00", "x" * 10_000, "9999-12-31", "0001-01-01", "-1", "2400", "<script>", "′；--", ""]


def test_no_hostile_value_gives_a_500_on_the_appointment_pages(center, slotted, time_machine):
    time_machine.move_to(NOW, tick=False)
    appointment, key = book_with_key(slotted.construction)
    anonymous = Client(raise_request_exception=True)
    kiosk = device_client(slotted, slotted.kiosk)
    kiosk.raise_request_exception = True
    staff = Client(raise_request_exception=True)
    staff.force_login(center.erin)
    pages = [
        (anonymous, reverse("hall:appointments")),
        (anonymous, reverse("hall:appointment_slots", args=["C"])),
        (anonymous, reverse("hall:appointment_book", args=["C"])),
        (anonymous, reverse("hall:appointment_booked")),
        (anonymous, reverse("hall:appointment_manage", args=[key])),
        (staff, reverse("hall:appointments_today")),
        (kiosk, reverse("hall:kiosk_check_in")),
    ]
    statuses = set()
    for client, url in pages:
        for value in HOSTILE:
            data = dict.fromkeys(("day", "slot", "name", "mobile", "code", "language"), value)
            statuses.add(client.get(url, data).status_code)
            statuses.add(client.post(url, data).status_code)
        for value in HOSTILE[:3]:
            statuses.add(client.get(url.replace("/C/", f"/{value[:200]}/")).status_code)
    for value in HOSTILE:
        statuses.add(anonymous.post(f"/hall/appointments/a/{value[:300]}/cancel/").status_code)
    assert 500 not in statuses
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_the_periodic_tasks_are_scheduled_and_registered(settings):
    from approval_center.celery import app

    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    for task in (
        "hall.tasks.remind_appointments",
        "hall.tasks.mark_appointment_no_shows",
        "hall.tasks.queue_pending_appointment_messages",
    ):
        assert task in names and task in app.tasks
