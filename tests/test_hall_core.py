"""The hall's core rules (hall/services.py): numbers, the order of calls, one visitor at a time,
no-shows, transfers, A/B cover, and ratings that only the visitor gives."""

import datetime as dt

import pytest
from django.utils import translation

from applications.services import TransitionError
from hall import services
from hall.models import Appointment, Call, Ticket
from windows.models import Absence, Post
from windows.roles import Role

from .conftest import NOW, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The refusals read in English here (the center's default is Chinese)."""
    with translation.override("en"):
        yield


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def take(business, at=NOW, **kw) -> Ticket:
    return services.ticket_take(business=business, now=at, **kw)


def test_numbers_restart_each_day_per_business_without_gaps(hall):
    numbers = [take(hall.construction, NOW + minutes(i)).number for i in range(3)]
    assert numbers == ["C001", "C002", "C003"]
    assert take(hall.planning).number == "D001"
    assert take(hall.construction, NOW + dt.timedelta(days=1)).number == "C001"
    history = Ticket.history.filter(number="C002")
    assert history.count() == 1 and history.get().history_date == NOW + minutes(1)


def test_call_next_calls_in_queue_order_and_records_the_call(center, hall):
    first, second = take(hall.construction), take(hall.construction, NOW + minutes(1))
    called = services.call_next(staff=center.alice, now=NOW + minutes(5))
    assert called == first
    first.refresh_from_db()
    assert (first.status, first.window, first.staff, first.calls) == (
        "called",
        center.construction_window,
        center.alice,
        1,
    )
    assert first.wait == minutes(5)
    assert Call.objects.get().ticket == first
    assert services.call_next(staff=center.bob, now=NOW + minutes(6)) == second
    assert services.call_next(staff=center.mallory, now=NOW + minutes(6)) is None


def test_a_window_calls_only_its_own_businesses(center, hall):
    take(hall.planning)
    assert services.call_next(staff=center.alice, now=NOW) is None
    assert services.call_next(staff=center.carol, now=NOW).number == "D001"


def test_someone_not_at_a_window_calls_nobody(center, hall):
    take(hall.construction)
    for person in (center.erin, center.frank):
        with pytest.raises(TransitionError):
            services.call_next(staff=person, now=NOW)
    assert Ticket.objects.get().status == "waiting"


def test_a_window_cannot_park_a_visitor_and_call_the_next(center, hall):
    take(hall.construction), take(hall.construction)
    services.call_next(staff=center.alice, now=NOW)
    with pytest.raises(TransitionError, match="C001"):
        services.call_next(staff=center.alice, now=NOW)
    ticket = Ticket.objects.get(number="C001")
    services.start_service(ticket=ticket, staff=center.alice, now=NOW)
    with pytest.raises(TransitionError, match="C001"):
        services.call_next(staff=center.alice, now=NOW)
    assert Ticket.objects.get(number="C002").status == "waiting"


def test_a_no_show_only_after_the_set_number_of_calls(center, hall, settings):
    settings.HALL_NO_SHOW_CALLS = 3
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOW)
    with pytest.raises(TransitionError, match="3"):
        services.mark_no_show(ticket=ticket, staff=center.alice, now=NOW)
    services.call_again(ticket=ticket, staff=center.alice, now=NOW + minutes(1))
    services.call_again(ticket=ticket, staff=center.alice, now=NOW + minutes(2))
    services.mark_no_show(ticket=ticket, staff=center.alice, now=NOW + minutes(3))
    ticket.refresh_from_db()
    assert ticket.status == "no_show" and ticket.calls == 3
    assert Call.objects.filter(ticket=ticket, again=True).count() == 2


def test_only_who_called_a_ticket_acts_on_it(center, hall):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOW)
    for step in (services.call_again, services.start_service, services.mark_no_show):
        with pytest.raises(TransitionError, match="not yours"):
            step(ticket=ticket, staff=center.bob, now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == "called" and ticket.calls == 1


def test_serve_then_finish_and_the_steps_keep_their_order(center, hall):
    take(hall.construction)
    ticket = services.call_next(staff=center.alice, now=NOW)
    with pytest.raises(TransitionError):
        services.finish_service(ticket=ticket, staff=center.alice, now=NOW)
    services.start_service(ticket=ticket, staff=center.alice, now=NOW + minutes(1))
    services.finish_service(ticket=ticket, staff=center.alice, now=NOW + minutes(9))
    ticket.refresh_from_db()
    assert ticket.status == "done" and ticket.service_time == minutes(8)
    states = list(Ticket.history.filter(id=ticket.pk).order_by("history_id").values_list("status"))
    assert [s for (s,) in states] == ["waiting", "called", "serving", "done"]


def test_a_transfer_keeps_the_number_and_the_place(center, hall):
    early = take(hall.construction, NOW - minutes(30))
    take(hall.planning, NOW - minutes(10))
    services.call_next(staff=center.alice, now=NOW)
    services.transfer(ticket=early, staff=center.alice, now=NOW, business=hall.planning)
    early.refresh_from_db()
    assert (early.number, early.status, early.business) == ("C001", "waiting", hall.planning)
    # it took its number before D001, so the planning window calls it first
    assert services.call_next(staff=center.carol, now=NOW + minutes(1)).number == "C001"


def test_a_transfer_to_one_window_waits_for_that_window_alone(center, hall):
    take(hall.intake)
    ticket = services.call_next(staff=center.dave, now=NOW)
    services.transfer(ticket=ticket, staff=center.dave, now=NOW, window=center.planning_window)
    assert services.call_next(staff=center.alice, now=NOW) is None
    assert services.call_next(staff=center.mallory, now=NOW).number == "A001"


def test_an_appointment_goes_before_the_walk_ins_of_its_slot(center, hall):
    walk_in_before = take(hall.construction, NOW - minutes(20))  # 09:40, before the slot
    walk_in_during = take(hall.construction, NOW + minutes(5))  # 10:05
    appointment = Appointment.objects.create(
        business=hall.construction,
        day=NOW.date(),
        starts=dt.time(10, 0),
        ends=dt.time(10, 30),
        name="张三",
        mobile="13800000000",
        code="K7Q2M9",
        booked_at=NOW - dt.timedelta(days=2),
    )
    booked = take(hall.construction, NOW + minutes(15), appointment=appointment)
    order = [services.call_next(staff=p, now=NOW + minutes(20)) for p in (center.alice,)]
    assert order == [walk_in_before]
    services.start_service(ticket=order[0], staff=center.alice, now=NOW + minutes(20))
    assert services.call_next(staff=center.bob, now=NOW + minutes(21)) == booked
    assert booked.queue_at < walk_in_during.queue_at


def test_the_b_backup_calls_the_absent_a_holders_window(center, hall):
    # mallory (planning, A02) is B of a post at the construction window A05 held by alice
    Post.objects.create(
        window=center.construction_window,
        name="受理",
        holder_a=center.alice,
        holder_b=center.mallory,
    )
    take(hall.construction)
    assert services.call_next(staff=center.mallory, now=NOW) is None  # alice is at work
    Absence.objects.create(
        staff=center.alice, starts_on=NOW.date(), ends_on=NOW.date(), reason="leave"
    )
    assert services.call_next(staff=center.mallory, now=NOW).number == "C001"


def finished(center, hall, at=NOW):
    take(hall.construction, at)
    ticket = services.call_next(staff=center.alice, now=at)
    services.start_service(ticket=ticket, staff=center.alice, now=at)
    return services.finish_service(ticket=ticket, staff=center.alice, now=at + minutes(5))


def test_the_pad_of_the_serving_window_rates_once(center, hall):
    ticket = finished(center, hall)
    assert services.pad_ticket(hall.pad, NOW + minutes(6)) == ticket
    rating = services.rate(ticket=ticket, device=hall.pad, level=5, now=NOW + minutes(6))
    assert (rating.staff, rating.window, rating.level) == (
        center.alice,
        center.construction_window,
        5,
    )
    with pytest.raises(TransitionError, match="already"):
        services.rate(ticket=ticket, device=hall.pad, level=1, now=NOW + minutes(7))
    assert services.pad_ticket(hall.pad, NOW + minutes(7)) is None


def test_no_rating_from_another_window_a_kiosk_or_too_late_or_before_the_end(center, hall):
    ticket = finished(center, hall)
    with pytest.raises(TransitionError, match="another window"):
        services.rate(ticket=ticket, device=hall.intake_pad, level=5, now=NOW + minutes(6))
    with pytest.raises(TransitionError):
        services.rate(ticket=ticket, device=hall.kiosk, level=5, now=NOW + minutes(6))
    with pytest.raises(TransitionError, match="passed"):
        services.rate(ticket=ticket, device=hall.pad, level=5, now=NOW + minutes(60))
    take(hall.construction, NOW)
    serving = services.call_next(staff=center.bob, now=NOW)
    with pytest.raises(TransitionError, match="ended"):
        services.rate(ticket=serving, device=hall.pad, level=5, now=NOW)
    assert not hasattr(ticket, "rating") or ticket.rating is None


def test_the_estimate_counts_people_ahead_and_open_windows(center, hall):
    tickets = [take(hall.construction, NOW + minutes(i)) for i in range(4)]
    assert services.people_ahead(tickets[0]) == 0
    assert services.people_ahead(tickets[3]) == 3
    assert services.estimated_wait_minutes(tickets[3]) == 30  # 3 × 10 min, one window
    second = make_staff("zed", Role.WINDOW_OFFICER, window=center.planning_window)
    hall.construction.windows.add(second.window)
    assert services.estimated_wait_minutes(tickets[3]) == 15
