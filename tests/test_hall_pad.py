"""The rating pad (hall:pad, hall:pad_state, hall:pad_rate): what it shows in each state, its
poll with an ETag, and ratings only from the visitor, on this window's pad, once, in time, for
the ticket it shows."""

import datetime as dt

import pytest
from django.contrib.messages import constants
from django.urls import reverse

from hall import services
from hall.models import ServiceRating, Ticket

from .conftest import NOW
from .hall_fixtures import device_client

pytestmark = pytest.mark.django_db
NOON = NOW + dt.timedelta(hours=2)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOON, tick=False)
    return time_machine


def serving(center, hall) -> Ticket:
    services.ticket_take(business=hall.construction, now=NOON - dt.timedelta(minutes=20))
    ticket = services.call_next(staff=center.alice, now=NOON)
    return services.start_service(ticket=ticket, staff=center.alice, now=NOON)


def finished(center, hall) -> Ticket:
    ticket = serving(center, hall)
    return services.finish_service(ticket=ticket, staff=center.alice, now=NOON)


def rate(client, ticket, level=5):
    return client.post(reverse("hall:pad_rate"), {"ticket": ticket.pk, "level": level}, follow=True)


def test_only_a_registered_pad_opens_it(client, center, hall, clock):
    assert client.get(reverse("hall:pad")).status_code == 403
    assert device_client(hall, hall.kiosk).get(reverse("hall:pad")).status_code == 403
    client.force_login(center.alice)  # a staff session is no device
    assert client.get(reverse("hall:pad")).status_code == 403
    assert client.post(reverse("hall:pad_rate")).status_code == 403


def test_idle_then_serving_then_asking_for_a_rating(center, hall, clock):
    center.alice.title = "科员"
    center.alice.save()
    pad = device_client(hall, hall.pad)
    page = pad.get(reverse("hall:pad")).content.decode()
    assert 'data-testid="pad-idle"' in page and "A05" in page and "建设局窗口" in page
    ticket = serving(center, hall)
    page = pad.get(reverse("hall:pad")).content.decode()
    assert 'data-testid="pad-serving"' in page
    for shown in (center.alice.full_name, "科员", "alice", ticket.number):
        assert shown in page
    services.finish_service(ticket=ticket, staff=center.alice, now=NOON)
    page = pad.get(reverse("hall:pad")).content.decode()
    assert 'data-testid="pad-rate"' in page
    assert page.count('name="level"') == 5
    assert f'name="ticket" value="{ticket.pk}"' in page
    # the other window's pad stays idle all along
    other = device_client(hall, hall.intake_pad).get(reverse("hall:pad")).content.decode()
    assert 'data-testid="pad-idle"' in other and "A01" in other


def test_the_poll_answers_304_until_the_screen_changes(center, hall, clock):
    pad = device_client(hall, hall.pad)
    first = pad.get(reverse("hall:pad_state"))
    assert first.status_code == 200 and first["ETag"] == '"idle"'
    again = pad.get(reverse("hall:pad_state"), HTTP_IF_NONE_MATCH='"idle"')
    assert again.status_code == 304 and again.content == b""
    ticket = serving(center, hall)
    changed = pad.get(reverse("hall:pad_state"), HTTP_IF_NONE_MATCH='"idle"')
    assert changed.status_code == 200 and changed["ETag"] == f'"serving-{ticket.pk}"'
    assert b'data-testid="pad-serving"' in changed.content
    assert b"<html" not in changed.content  # a fragment


def test_the_visitor_rates_once_and_is_thanked(center, hall, clock):
    ticket = finished(center, hall)
    pad = device_client(hall, hall.pad)
    response = rate(pad, ticket, 4)
    rating = ServiceRating.objects.get()
    assert (rating.ticket, rating.staff, rating.level, rating.device) == (
        ticket,
        center.alice,
        4,
        hall.pad,
    )
    assert levels(response) == [constants.SUCCESS]
    page = response.content.decode()
    assert 'data-testid="pad-thanks"' in page and "data-hold-ms" in page
    # twice: refused, the first stands
    response = rate(pad, ticket, 1)
    assert levels(response) == [constants.ERROR]
    assert ServiceRating.objects.get().level == 4
    assert 'data-testid="pad-idle"' in pad.get(reverse("hall:pad")).content.decode()


def levels(response) -> list[int]:
    return [m.level for m in response.context["messages"]]


def test_a_staff_session_on_the_pad_is_refused(center, hall, clock):
    ticket = finished(center, hall)
    pad = device_client(hall, hall.pad)
    pad.force_login(center.alice)  # the clerk rating herself
    response = pad.post(reverse("hall:pad_rate"), {"ticket": ticket.pk, "level": 5})
    assert response.status_code == 403
    assert not ServiceRating.objects.exists()


def test_the_pad_of_another_window_is_refused(center, hall, clock):
    ticket = finished(center, hall)
    response = rate(device_client(hall, hall.intake_pad), ticket)
    assert levels(response) == [constants.ERROR]
    assert not ServiceRating.objects.exists()


def test_a_late_rating_is_refused(center, hall, clock, settings):
    ticket = finished(center, hall)
    clock.move_to(NOON + dt.timedelta(minutes=settings.HALL_RATING_MINUTES, seconds=1), tick=False)
    response = rate(device_client(hall, hall.pad), ticket)
    assert levels(response) == [constants.ERROR]
    assert not ServiceRating.objects.exists()


def test_a_ticket_the_pad_does_not_show_is_refused(center, hall, clock):
    earlier = finished(center, hall)
    pad = device_client(hall, hall.pad)
    # before the end: nothing to rate yet
    now_serving = serving(center, hall)
    for ticket in (earlier, now_serving):  # the pad shows the service now, not the earlier one
        response = rate(pad, ticket)
        assert levels(response) == [constants.ERROR]
    response = pad.post(reverse("hall:pad_rate"), {"ticket": 999999, "level": 5}, follow=True)
    assert levels(response) == [constants.ERROR]
    response = pad.post(reverse("hall:pad_rate"), {"ticket": earlier.pk, "level": 9}, follow=True)
    assert levels(response) == [constants.ERROR]
    assert not ServiceRating.objects.exists()
