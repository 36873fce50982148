"""The kiosk part of the hall: the kiosk and its ticket, the visitor's follow page, the hall
display and its poll, and the administrators' device pages; each with who is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from hall import services
from hall.devices import device_enrol, device_reenrol, device_set_active
from hall.kiosk_views import qr_code
from hall.models import Business, Device, Ticket

from .conftest import NOW, PASSWORD, seen
from .hall_fixtures import device_client

pytestmark = pytest.mark.django_db

GOOD_ID = "11010519491231002X"  # the standard's own example, check character X


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def english(settings):
    # The words are read in English here (the Chinese catalog is merged by the lead from
    # /work/notes/po-kiosk.json); the data (businesses, windows) stays Chinese.
    settings.LANGUAGE_CODE = "en"


def minutes(n: int) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the kiosk -------------------------------------------------------------------------------


def test_the_kiosk_shows_a_button_per_business_grouped(hall):
    response = device_client(hall, hall.kiosk).get(reverse("hall:kiosk"))
    assert response.status_code == 200
    html = response.content.decode()
    for letter in "ABCD":
        assert f'data-testid="business-{letter}"' in html
    text = seen(html)
    # intake first, then pick-up, then each department's services under its name
    assert text.index("综合受理") < text.index("领取结果") < text.index("建设局")
    assert reverse("hall:kiosk_check_in") in html


def test_a_business_no_longer_offered_has_no_button_and_takes_no_number(hall):
    Business.objects.filter(pk=hall.planning.pk).update(is_active=False)
    client = device_client(hall, hall.kiosk)
    assert 'data-testid="business-D"' not in client.get(reverse("hall:kiosk")).content.decode()
    response = client.post(reverse("hall:kiosk"), {"business": hall.planning.pk})
    assert response.status_code == 200 and not Ticket.objects.exists()


def test_a_touch_takes_a_number_and_shows_the_ticket(hall):
    client = device_client(hall, hall.kiosk)
    response = client.post(reverse("hall:kiosk"), {"business": hall.construction.pk})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("hall:ticket_print", args=[ticket.pk])
    assert (ticket.number, ticket.device, ticket.mobile, ticket.id_number) == (
        "C001",
        hall.kiosk,
        "",
        "",
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "C001" in html and "建设局" in html
    assert "data:image/svg+xml" in html  # the QR code, inline as the CSP allows
    follow_url = "http://testserver" + reverse("hall:follow", args=[ticket.follow_key])
    assert qr_code(follow_url) in html
    assert "hall/ticket.js" in html and "hall/ticket.css" in html


@pytest.mark.parametrize(
    ("typed", "field", "stored"),
    [
        ("13800000000", "mobile", "13800000000"),
        ("138 0000 0000", "mobile", "13800000000"),
        (GOOD_ID.lower(), "id_number", GOOD_ID),
    ],
)
def test_the_mobile_or_id_number_is_kept_with_the_ticket(hall, typed, field, stored):
    client = device_client(hall, hall.kiosk)
    response = client.post(reverse("hall:kiosk"), {"business": hall.intake.pk, "contact": typed})
    assert response.status_code == 302
    assert getattr(Ticket.objects.get(), field) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "1380000000",  # too short
        "138000000001",  # too long
        "12800000000",  # no such mobile prefix
        "11010519491231002Y",
        "110105194912310021",  # wrong check character
        "abc",
    ],
)
def test_a_bad_number_takes_no_ticket_and_says_why(hall, typed):
    client = device_client(hall, hall.kiosk)
    response = client.post(reverse("hall:kiosk"), {"business": hall.intake.pk, "contact": typed})
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    html = response.content.decode()
    assert 'role="alert"' in html and 'aria-invalid="true"' in html


def test_the_ticket_says_who_is_ahead_and_how_long(hall):
    for _ in range(3):
        services.ticket_take(business=hall.construction, now=NOW - minutes(5))
    client = device_client(hall, hall.kiosk)
    response = client.post(reverse("hall:kiosk"), {"business": hall.construction.pk})
    text = seen(client.get(response["Location"]).content.decode())
    # three ahead, 10 minutes each, one window serving construction
    assert "3 people ahead of you" in text and "about 30 minutes" in text


def test_only_a_kiosk_opens_the_kiosk(center, hall):
    url = reverse("hall:kiosk")
    assert Client().get(url).status_code == 403
    # a member of staff signed in is not a kiosk, not even an administrator
    for person in (center.dave, center.admin):
        response = signed_in(person).get(url)
        assert response.status_code == 403
    for device in (hall.display, hall.pad):
        assert device_client(hall, device).get(url).status_code == 403
    forged = Client()
    forged.cookies[settings.HALL_DEVICE_COOKIE] = "not-a-key"
    assert forged.get(url).status_code == 403
    response = Client().post(url, {"business": hall.intake.pk})
    assert response.status_code == 403 and not Ticket.objects.exists()


def test_a_kiosk_out_of_use_is_refused_and_back_in_use_works_again(center, hall):
    client = device_client(hall, hall.kiosk)
    device_set_active(device=hall.kiosk, active=False, by=center.admin, now=NOW)
    assert client.get(reverse("hall:kiosk")).status_code == 403
    assert client.post(reverse("hall:kiosk"), {"business": hall.intake.pk}).status_code == 403
    device_set_active(device=hall.kiosk, active=True, by=center.admin, now=NOW)
    assert client.get(reverse("hall:kiosk")).status_code == 200
    reasons = list(hall.kiosk.history.values_list("history_change_reason", flat=True))
    assert reasons[:2] == ["back in use", "taken out of use"]


def test_a_kiosk_enrolled_again_refuses_its_old_key(center, hall):
    old = device_client(hall, hall.kiosk)
    key = device_reenrol(device=hall.kiosk, by=center.admin, now=NOW)
    assert old.get(reverse("hall:kiosk")).status_code == 403
    _device, new_key = device_enrol(key, NOW)
    fresh = Client()
    fresh.cookies[settings.HALL_DEVICE_COOKIE] = new_key
    assert fresh.get(reverse("hall:kiosk")).status_code == 200


def test_a_ticket_opens_only_on_the_kiosk_that_gave_it(center, hall):
    ticket = services.ticket_take(business=hall.intake, now=NOW, device=hall.kiosk)
    url = reverse("hall:ticket_print", args=[ticket.pk])
    second, _key = _second_kiosk(center)
    assert second.get(url).status_code == 404
    assert device_client(hall, hall.display).get(url).status_code == 403
    assert signed_in(center.admin).get(url).status_code == 403
    assert device_client(hall, hall.kiosk).get(url).status_code == 200


def _second_kiosk(center) -> tuple[Client, Device]:
    from hall.devices import device_register

    device, enrol_key = device_register(
        name="二号机", kind=Device.Kind.KIOSK, window=None, by=center.admin, now=NOW
    )
    device, key = device_enrol(enrol_key, NOW)
    client = Client()
    client.cookies[settings.HALL_DEVICE_COOKIE] = key
    return client, device


# --- the follow page -------------------------------------------------------------------------


def follow(ticket: Ticket, client: Client | None = None):
    return (client or Client()).get(reverse("hall:follow", args=[ticket.follow_key]))


def test_the_follow_page_tells_each_state(center, hall):
    for _ in range(2):
        services.ticket_take(business=hall.construction, now=NOW - minutes(1))
    mine = services.ticket_take(business=hall.construction, now=NOW, device=hall.kiosk)
    response = follow(mine)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    text = seen(response.content.decode())
    assert "C003" in text and "Waiting" in text
    assert "2 people ahead" in text and "about 20 minutes" in text

    first = services.call_next(staff=center.alice, now=NOW)
    assert "1 person ahead" in seen(follow(mine).content.decode())
    services.call_next(staff=center.bob, now=NOW)
    assert "Nobody ahead of you" in seen(follow(mine).content.decode())

    services.start_service(ticket=first, staff=center.alice, now=NOW)
    services.finish_service(ticket=first, staff=center.alice, now=NOW)
    services.call_next(staff=center.alice, now=NOW)
    text = seen(follow(mine).content.decode())
    assert "Please go to window A05 now." in text

    mine.refresh_from_db()
    services.start_service(ticket=mine, staff=center.alice, now=NOW)
    assert "Being served at window A05." in seen(follow(mine).content.decode())
    services.finish_service(ticket=mine, staff=center.alice, now=NOW)
    assert "Served. Thank you" in seen(follow(mine).content.decode())


def test_the_follow_page_of_a_no_show(center, hall, settings):
    settings.HALL_NO_SHOW_CALLS = 2
    ticket = services.ticket_take(business=hall.construction, now=NOW)
    services.call_next(staff=center.alice, now=NOW)
    services.call_again(ticket=ticket, staff=center.alice, now=NOW)
    services.mark_no_show(ticket=ticket, staff=center.alice, now=NOW)
    assert "you did not come" in seen(follow(ticket).content.decode())


def test_the_follow_page_of_the_next_in_line(hall):
    ticket = services.ticket_take(business=hall.construction, now=NOW)
    text = seen(follow(ticket).content.decode())
    assert "Waiting" in text and "Nobody ahead of you" in text


def test_the_follow_page_needs_no_sign_in_and_a_staff_session_sees_the_same(center, hall):
    ticket = services.ticket_take(business=hall.intake, now=NOW)
    assert follow(ticket, signed_in(center.dave)).status_code == 200


def test_an_unknown_key_is_a_friendly_404_and_counted(hall, settings):
    settings.HALL_FOLLOW_MISS_LIMIT = 3
    ticket = services.ticket_take(business=hall.intake, now=NOW)
    client = Client()
    for i in range(3):
        response = client.get(reverse("hall:follow", args=[f"guess-{i}"]))
        assert response.status_code == 404
        assert "Number not found" in seen(response.content.decode())
    # the address is refused now, known keys too (the answer tells nothing about a key)
    response = client.get(reverse("hall:follow", args=["guess-4"]))
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert follow(ticket, client).status_code == 429
    # another address is not
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert follow(ticket, other).status_code == 200


def test_known_keys_do_not_count_against_the_address(hall, settings):
    # a whole hall's phones behind one address, each refreshing every 15 s
    settings.HALL_FOLLOW_MISS_LIMIT = 2
    ticket = services.ticket_take(business=hall.intake, now=NOW)
    client = Client()
    for _ in range(20):
        assert follow(ticket, client).status_code == 200


# --- the hall display ------------------------------------------------------------------------


def state_url() -> str:
    return reverse("hall:display_state")


def test_only_a_display_shows_the_display(center, hall):
    for url in (reverse("hall:display"), state_url()):
        assert Client().get(url).status_code == 403
        assert signed_in(center.admin).get(url).status_code == 403
        assert device_client(hall, hall.kiosk).get(url).status_code == 403
        assert device_client(hall, hall.pad).get(url).status_code == 403
        assert device_client(hall, hall.display).get(url).status_code == 200


def test_the_display_page_has_the_voice_contract(center, hall):
    services.ticket_take(business=hall.construction, now=NOW)
    services.call_next(staff=center.alice, now=NOW)
    html = device_client(hall, hall.display).get(reverse("hall:display")).content.decode()
    assert 'id="hall-voice-pieces"' in html and 'id="voice-unlock"' in html
    assert "Turn on announcements" in html
    assert html.index("hall/announce.js") < html.index("hall/display.js")
    assert 'data-testid="latest-ticket">C001<' in html
    assert 'data-testid="latest-window">A05<' in html


def test_the_poll_answers_304_until_something_changes(center, hall):
    client = device_client(hall, hall.display)
    first = client.get(state_url())
    assert first.status_code == 200
    etag = first["ETag"]
    assert first.json()["calls"] == []
    assert client.get(state_url(), headers={"if-none-match": etag}).status_code == 304

    # a number taken: the waiting count changes
    services.ticket_take(business=hall.construction, now=NOW)
    second = client.get(state_url(), headers={"if-none-match": etag})
    assert second.status_code == 200 and second["ETag"] != etag
    waiting = {b["letter"]: b["count"] for b in second.json()["waiting"]}
    assert waiting == {"A": 0, "B": 0, "C": 1, "D": 0}

    # a call: it is the latest
    etag = second["ETag"]
    services.call_next(staff=center.alice, now=NOW + minutes(1))
    third = client.get(state_url(), headers={"if-none-match": etag})
    assert third.status_code == 200
    call = third.json()["calls"][0]
    assert (call["ticket"], call["window"], call["window_name"], call["again"]) == (
        "C001",
        "A05",
        center.construction_window.name,
        False,
    )
    etag = third["ETag"]
    assert client.get(state_url(), headers={"if-none-match": etag}).status_code == 304

    # a call again is announced again: a call of its own
    ticket = Ticket.objects.get()
    services.call_again(ticket=ticket, staff=center.alice, now=NOW + minutes(2))
    again = client.get(state_url(), headers={"if-none-match": etag})
    assert again.status_code == 200
    calls = again.json()["calls"]
    assert [c["again"] for c in calls] == [True, False] and calls[0]["id"] != calls[1]["id"]


def test_a_transfer_changes_the_waiting_counts_and_the_etag(center, hall):
    client = device_client(hall, hall.display)
    services.ticket_take(business=hall.construction, now=NOW)
    ticket = services.call_next(staff=center.alice, now=NOW)
    etag = client.get(state_url())["ETag"]
    services.transfer(ticket=ticket, staff=center.alice, now=NOW, business=hall.planning)
    response = client.get(state_url(), headers={"if-none-match": etag})
    assert response.status_code == 200
    assert {b["letter"]: b["count"] for b in response.json()["waiting"]}["D"] == 1


def test_only_todays_calls_are_shown(center, hall, time_machine):
    services.ticket_take(business=hall.construction, now=NOW)
    services.call_next(staff=center.alice, now=NOW)
    client = device_client(hall, hall.display)
    etag = client.get(state_url())["ETag"]
    time_machine.move_to(NOW + dt.timedelta(days=1), tick=False)
    response = client.get(state_url(), headers={"if-none-match": etag})
    assert response.status_code == 200 and response.json()["calls"] == []


def test_a_call_committed_after_a_later_one_still_changes_the_etag(center, hall):
    # two windows call at once; the one with the lower id commits last: the count still moves
    from hall import display

    services.ticket_take(business=hall.construction, now=NOW)
    services.ticket_take(business=hall.construction, now=NOW)
    services.call_next(staff=center.alice, now=NOW)
    second = services.call_next(staff=center.bob, now=NOW)
    last = second.call_log.get()
    before = display.fingerprint(NOW)
    first = Ticket.objects.get(number="C001").call_log.get()
    assert first.pk < last.pk
    first.delete()  # as if it had not committed yet
    assert display.fingerprint(NOW) != before


def test_the_poll_costs_two_queries_when_nothing_changed(
    center, hall, django_assert_max_num_queries
):
    for i in range(30):
        services.ticket_take(business=hall.construction, now=NOW + minutes(i))
    services.call_next(staff=center.alice, now=NOW + minutes(31))
    services.call_next(staff=center.carol, now=NOW + minutes(31))
    client = device_client(hall, hall.display)
    etag = client.get(state_url())["ETag"]  # the device's "last seen" written here, once
    with django_assert_max_num_queries(2):  # the device, the fingerprint
        assert client.get(state_url(), headers={"if-none-match": etag}).status_code == 304
    with django_assert_max_num_queries(5):  # ... and the calls, the counts, the businesses
        assert client.get(state_url()).status_code == 200


# --- the administrators' device pages --------------------------------------------------------


def test_an_administrator_registers_a_device_and_sees_its_link_once(center, hall):
    client = signed_in(center.admin)
    response = client.post(
        reverse("hall:device_register"), {"name": "东门取号机", "kind": "kiosk", "window": ""}
    )
    device = Device.objects.get(name="东门取号机")
    assert response.status_code == 302
    assert response["Location"] == reverse("hall:device_link", args=[device.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="enrol-qr"' in page and "data:image/svg+xml" in page
    link = page.split('data-testid="enrol-link">', 1)[1].split("<", 1)[0]
    assert "/hall/device/" in link
    again = client.get(response["Location"]).content.decode()
    assert 'data-testid="enrol-link"' not in again
    # the link enrols a browser, which is then the kiosk
    kiosk = Client()
    path = link.split("testserver", 1)[1]
    assert kiosk.post(path).status_code == 302
    assert kiosk.get(reverse("hall:kiosk")).status_code == 200
    record = device.history.earliest()
    assert record.history_user == center.admin


def test_a_pad_needs_its_window(center, hall):
    client = signed_in(center.admin)
    response = client.post(reverse("hall:device_register"), {"name": "评价器", "kind": "pad"})
    assert response.status_code == 200 and not Device.objects.filter(name="评价器").exists()
    assert 'aria-invalid="true"' in response.content.decode()
    client.post(
        reverse("hall:device_register"),
        {"name": "评价器", "kind": "pad", "window": center.planning_window.pk},
    )
    assert Device.objects.get(name="评价器").window == center.planning_window


def test_the_device_list(center, hall):
    response = signed_in(center.admin).get(reverse("hall:devices"))
    assert response.status_code == 200
    text = seen(response.content.decode())
    for device in (hall.kiosk, hall.display, hall.pad, hall.intake_pad):
        assert device.name in text
    assert "A05" in text


def test_reenrol_and_out_of_use_from_the_page(center, hall):
    client = signed_in(center.admin)
    old = device_client(hall, hall.kiosk)
    response = client.post(reverse("hall:device_reenrol", args=[hall.kiosk.pk]))
    assert response["Location"] == reverse("hall:device_link", args=[hall.kiosk.pk])
    assert 'data-testid="enrol-link"' in client.get(response["Location"]).content.decode()
    assert old.get(reverse("hall:kiosk")).status_code == 403

    display = device_client(hall, hall.display)
    client.post(reverse("hall:device_retire", args=[hall.display.pk]))
    assert display.get(reverse("hall:display")).status_code == 403
    # out of use: not enrolled again until it is back in use
    client.post(reverse("hall:device_reenrol", args=[hall.display.pk]))
    hall.display.refresh_from_db()
    assert not hall.display.enrol_digest
    client.post(reverse("hall:device_restore", args=[hall.display.pk]))
    assert display.get(reverse("hall:display")).status_code == 200


def test_only_administrators_manage_devices(center, hall):
    for person in (center.erin, center.dave, center.bob):
        client = signed_in(person)
        assert client.get(reverse("hall:devices")).status_code == 403
        response = client.post(reverse("hall:device_register"), {"name": "x", "kind": "kiosk"})
        assert response.status_code == 403
        for name in ("device_reenrol", "device_retire"):
            assert client.post(reverse(f"hall:{name}", args=[hall.kiosk.pk])).status_code == 403
    assert not Device.objects.filter(name="x").exists()
    hall.kiosk.refresh_from_db()
    assert hall.kiosk.is_active
    assert device_client(hall, hall.kiosk).get(reverse("hall:kiosk")).status_code == 200
    assert Client().get(reverse("hall:devices")).status_code == 302


def test_a_superuser_manages_devices(center, hall):
    from windows.models import Staff

    root = Staff.objects.create_superuser(username="root2", password=PASSWORD)
    assert signed_in(root).get(reverse("hall:devices")).status_code == 200
