"""The hall's figures (hall/figures.py): waiting and service times, called in time, the pads'
ratings in the efficiency assessment, the dashboard's tiles, and the replay of a day."""

import datetime as dt

import pytest
from django.urls import reverse

from hall import figures, services
from hall.models import Ticket
from supervision import assessment as a

from .conftest import NOW, aware, seen

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0) -> dt.datetime:
    return aware(2026, 9, 28, hour).replace(minute=minute)


@pytest.fixture
def morning(center, hall, settings):
    """At the construction window A05: C001 waits 5 minutes and is served by alice and rated
    4 on the pad; C002 waits 30 minutes (not in time) and is served by bob; C003 is waiting."""
    settings.HALL_CALLED_WITHIN_MINUTES = 20
    take = services.ticket_take
    c1 = take(business=hall.construction, now=at(9, 0))
    c2 = take(business=hall.construction, now=at(9, 10))
    services.call_next(staff=center.alice, now=at(9, 5))
    services.start_service(ticket=c1, staff=center.alice, now=at(9, 6))
    services.finish_service(ticket=c1, staff=center.alice, now=at(9, 16))
    services.rate(ticket=c1, device=hall.pad, level=4, now=at(9, 17))
    services.call_next(staff=center.bob, now=at(9, 40))
    services.start_service(ticket=c2, staff=center.bob, now=at(9, 41))
    services.finish_service(ticket=c2, staff=center.bob, now=at(9, 47))
    c3 = take(business=hall.construction, now=at(9, 50))
    return c1, c2, c3


def test_live_tiles(morning):
    live = figures.live(NOW)  # 10:00
    assert (live.waiting, live.served, live.serving, live.no_shows) == (1, 2, 0, 0)
    assert live.longest_wait == 10.0  # C003 since 9:50
    assert live.average_wait == 17.5  # (5 + 30) / 2


def test_table_by_business_window_person_and_hour(center, hall, morning):
    day = NOW.date()
    rows, total = figures.table(day, day, "business")
    (row,) = rows
    assert row.label == str(hall.construction)
    assert (row.visitors, row.called, row.in_time, row.served) == (3, 2, 1, 2)
    assert row.in_time_rate == 50.0
    assert (row.average_wait, row.longest_wait, row.average_service) == (17.5, 30.0, 8.0)
    assert (row.ratings, row.rating_average) == (1, 4.0)
    assert total.visitors == 3
    by_person = {r.label: r for r in figures.table(day, day, "staff")[0]}
    assert by_person[str(center.alice)].in_time == 1
    assert by_person[str(center.bob)].in_time == 0
    hours = {r.label: r.visitors for r in figures.table(day, day, "hour")[0]}
    assert hours == {"09:00": 3}


def test_the_assessment_counts_waiting_and_pad_ratings(center, hall, morning, assessment_weights):
    period = a.Period("month", 2026, 9)
    result = a.assess(period, a.Scope(everything=True), today=NOW.date())
    window = next(u for u in result.windows if u.key == "A05")
    f = window.figures
    assert (f.visitors, f.called_in_time) == (2, 1)
    assert f.ratings.count == 1 and f.ratings.average == 4.0
    department = next(u for u in result.departments if u.pk == center.construction.pk)
    assert department.figures.visitors == 2
    assert result.total.figures.visitors == 2
    waiting = {c.code: c for c in a.score(f, assessment_weights).components}["waiting"]
    assert waiting.value == 50.0 and waiting.weight == assessment_weights.waiting
    people = {
        p.staff: p.figures
        for p in a.assess_people(period, a.people_for(center.erin), today=NOW.date())
    }
    assert (people[center.alice].visitors, people[center.alice].called_in_time) == (1, 1)
    assert people[center.alice].ratings.count == 1
    assert (people[center.bob].visitors, people[center.bob].called_in_time) == (1, 0)


def test_pad_and_application_ratings_average_together():
    both = a.with_pad_ratings(a.Ratings(count=3, average=5.0), (1, 1))
    assert both == a.Ratings(count=4, average=4.0)
    assert a.with_pad_ratings(None, (2, 7)) == a.Ratings(count=2, average=3.5)
    assert a.with_pad_ratings(None, None) is None


def test_the_figures_page_for_managers_only(client, center, morning):
    url = reverse("hall:figures") + "?day=2026-09-28&group=window"
    client.force_login(center.alice)
    assert client.get(url).status_code == 403
    client.force_login(center.erin)
    page = seen(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "A05" in page and "50.0% 1 of 2" in page
    bad = client.get(reverse("hall:figures") + "?day=yesterday", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and "YYYY-MM-DD" in seen(bad.content.decode())
    impossible = client.get(reverse("hall:figures") + "?day=2026-02-30", HTTP_ACCEPT_LANGUAGE="en")
    assert impossible.status_code == 200 and "YYYY-MM-DD" in seen(impossible.content.decode())
    late = client.get(
        reverse("hall:replay") + "?day=2026-02-30&at=25:00", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert late.status_code == 200 and "HH:MM" in seen(late.content.decode())


def test_the_replay_shows_the_hall_at_a_moment(client, center, morning):
    state = figures.replay(NOW.date(), at(9, 30), dt.timedelta(minutes=15))
    # at 9:30 alice has finished C001 (9:16); C002 waits since 9:10; nobody is at a window
    assert state.waiting == [(str(morning[1].business), 1, 20.0)]
    assert state.windows == [] and (state.served, state.taken) == (1, 2)
    assert [(e["number"], e["status"]) for e in state.events] == [("C001", "done")]
    state = figures.replay(NOW.date(), at(9, 45), dt.timedelta(minutes=15))
    (window,) = state.windows
    assert (window.ticket, window.staff) == ("C002", str(center.bob))
    assert window.status == str(Ticket.Status.SERVING.label)
    assert [(e["number"], e["status"]) for e in state.events] == [
        ("C002", "called"),
        ("C002", "serving"),
    ]
    client.force_login(center.erin)
    url = reverse("hall:replay") + "?day=2026-09-28&at=09:45"
    page = seen(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "A05" in page and "C002" in page and "09:40:00" in page
    client.force_login(center.alice)
    assert client.get(url).status_code == 403


def test_the_dashboard_shows_the_hall_now(client, center, morning, time_machine):
    time_machine.move_to(NOW)
    client.force_login(center.erin)
    page = seen(
        client.get(reverse("supervision:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    assert "The hall now" in page
    assert "1 visitors waiting" in page and "2 served today" in page


def test_the_ratings_drill_down_lists_the_pad_ratings_it_counts(client, center, morning):
    client.force_login(center.erin)
    url = reverse("supervision:assessment_events", args=["window", "A05", "ratings"])
    page = seen(client.get(url, {"period": "2026-09"}, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Ratings on the hall's rating pads" in page and "C001" in page
    url = reverse("supervision:assessment_person_events", args=[center.alice.pk, "ratings"])
    page = seen(client.get(url, {"period": "2026-09"}, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "C001" in page
    url = reverse("supervision:assessment_person_events", args=[center.bob.pk, "ratings"])
    page = seen(client.get(url, {"period": "2026-09"}, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "C001" not in page
