"""The online pre-review queue (`/intake/online/`, docs/filing.md): the applications filed online
waiting for the comprehensive window, the most pressing Art. 32 date first, with the working
days left; a page at a time; the desk keeps the few most pressing and a link. Only the desk's
people open it (an officer or an applicant's session cannot), and its statements do not grow
with the applications waiting."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.models import Applicant, Application
from applications.views import INTAKE_ONLINE_SIZE, ONLINE_PAGE_SIZE
from windows.workdays import WorkCalendar

from .conftest import NOW, aware, seen
from .portal_helpers import SENT, person, sign_in

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
QUEUE = reverse("applications:online_queue")


@pytest.fixture(autouse=True)
def setup(settings, time_machine, center, calendar, materials, seals):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    time_machine.move_to(NOW, tick=False)


def online(applicant: Applicant, items, submitted: dt.datetime) -> Application:
    """Filed online at `submitted`, through the counter's own service as the portal does."""
    return services.application_create(
        applicant=applicant,
        project=None,
        items=items,
        by=None,
        now=submitted,
        channel=Application.Channel.ONLINE,
        reason="Online, by the applicant",
    )


def many_online(count: int, center) -> None:
    """`count` applications filed online, written at once (the query-count tests)."""
    calendar = WorkCalendar.load()
    first = Applicant.objects.count()
    applicants = [person(f"1390000{n:04d}", 100 + n) for n in range(first, first + 3)]
    made = Application.objects.bulk_create(
        Application(
            applicant=applicants[n % 3],
            channel=Application.Channel.ONLINE,
            state=Application.State.DRAFT,
            received_at=NOW - dt.timedelta(hours=n),
            submitted_at=NOW - dt.timedelta(hours=n),
            notice_due=calendar.add_working_days((NOW - dt.timedelta(hours=n)).date(), 5).end,
        )
        for n in range(count)
    )
    links = Application.items.through
    links.objects.bulk_create(
        links(application_id=a.pk, item_id=item.pk)
        for a in made
        for item in (center.design_review, center.planning_item)
    )


def rows_of(html: str) -> list[str]:
    body = html[html.index("<tbody>", html.index("online-queue")) : html.index("</tbody>")]
    return [seen(row) for row in body.split("<tr>")[1:]]


def left_by_hand(due: dt.date, today: dt.date) -> int:
    """Working days from today to the due date, both counted, walked a day at a time."""
    calendar = WorkCalendar.load()
    return sum(
        calendar.is_working_day(today + dt.timedelta(days=n)) for n in range((due - today).days + 1)
    )


def test_it_lists_the_waiting_most_pressing_first_with_the_days_left(center, client, project):
    lapsed = online(person("13900000001", 1), [center.design_review], aware(2026, 9, 14, 9))
    soon = online(person("13900000002", 2), [center.planning_item], aware(2026, 9, 21, 15))
    fresh = online(person("13900000003", 3), [center.design_review, center.planning_item], NOW)
    # Not waiting for pre-review: one at the counter, one online with a notice outstanding.
    services.application_create(
        applicant=project.applicant,
        project=project,
        items=[center.permit],
        by=center.dave,
        now=NOW,
    )
    noticed = online(person("13900000004", 4), [center.design_review], aware(2026, 9, 25, 9))
    services.application_notify_missing_with_checklist(
        application=noticed,
        lines={line.pk: {"status": "missing", "copies": 1} for line in noticed.materials.all()},
        by=center.dave,
        now=NOW,
    )
    client.force_login(center.dave)
    html = client.get(QUEUE, **EN).content.decode()
    rows = rows_of(html)
    assert [row.split()[0] for row in rows] == ["王1", "王2", "王3"]
    today = NOW.date()
    # Lapsed: "passed", only acceptance remains (the application page says why).
    assert lapsed.notice_due < today and "passed" in rows[0]
    # Soon: within the warning margin, yellow; the days left counted with today.
    assert soon.notice_due >= today
    # (submitted on Monday 21 September, the Mid-Autumn Festival on the Friday: due Tuesday)
    assert soon.notice_due == dt.date(2026, 9, 29) and left_by_hand(soon.notice_due, today) == 2
    assert "2 working days left" in rows[1]
    assert html.count('class="tag warn"') == 1
    # Fresh: the whole window, the National Day holidays crossed (5 working days after today,
    # and today itself).
    assert left_by_hand(fresh.notice_due, today) == 6 and "6 working days left" in rows[2]
    assert fresh.notice_due > aware(2026, 10, 8).date()
    assert "Design review" in rows[2] or center.design_review.name in rows[2]
    assert "3 of 3" in seen(html) or "1–3 of 3" in seen(html)


def test_the_desk_keeps_the_most_pressing_and_a_link_to_all(center, client, project):
    waiting = [
        online(person(f"139000000{n:02d}", n), [center.design_review], NOW - dt.timedelta(days=n))
        for n in range(1, INTAKE_ONLINE_SIZE + 3)
    ]
    at_counter = services.application_create(
        applicant=project.applicant,
        project=project,
        items=[center.permit],
        by=center.dave,
        now=NOW,
    )
    client.force_login(center.dave)
    desk = client.get(reverse("applications:intake"), **EN).content.decode()
    section = desk[desk.index('id="online"') : desk.index("Waiting at the window")]
    assert len(rows_of(section)) == INTAKE_ONLINE_SIZE
    # The oldest submission first: the most pressing Art. 32 dates.
    assert rows_of(section)[0].split()[0] == waiting[-1].applicant.name
    assert f"All {len(waiting)} online applications waiting for pre-review" in seen(section)
    assert QUEUE in section
    # Waiting at the window: the counter's draft, none of the online queue.
    counter = desk[desk.index("Waiting at the window") : desk.index('id="returned"')]
    assert project.applicant.name in seen(counter)
    for application in waiting:
        assert f'href="{reverse("applications:detail", args=[application.pk])}"' not in counter
    assert reverse("applications:detail", args=[at_counter.pk]) in counter


def test_an_online_application_with_a_notice_out_waits_at_the_window_not_online(center, client):
    noticed = online(person("13900000004", 4), [center.design_review], NOW)
    services.application_notify_missing_with_checklist(
        application=noticed,
        lines={line.pk: {"status": "missing", "copies": 1} for line in noticed.materials.all()},
        by=center.dave,
        now=NOW,
    )
    client.force_login(center.dave)
    desk = client.get(reverse("applications:intake"), **EN).content.decode()
    link = f'href="{reverse("applications:detail", args=[noticed.pk])}"'
    assert desk.count(link) == 1
    assert link in desk[desk.index("Waiting at the window") : desk.index('id="returned"')]
    assert link not in client.get(QUEUE).content.decode()


def test_it_pages_the_queue_in_order(center, client):
    many_online(ONLINE_PAGE_SIZE + 3, center)
    client.force_login(center.dave)
    first = client.get(QUEUE, **EN).content.decode()
    second = client.get(QUEUE + "?page=2", **EN).content.decode()
    assert len(rows_of(first)) == ONLINE_PAGE_SIZE and len(rows_of(second)) == 3
    order = list(
        Application.objects.to_pre_review()
        .order_by("notice_due", "submitted_at", "id")
        .values_list("pk", flat=True)
    )
    shown = [int(pk) for pk in re.findall(r'href="/applications/(\d+)/"', first + second)]
    assert shown == order
    assert "Page 1 of 2" in seen(first) and "51–53 of 53" in seen(second)
    # A page past the end shows the last; a page that is no number, the first.
    assert rows_of(client.get(QUEUE + "?page=99", **EN).content.decode()) == rows_of(second)
    assert rows_of(client.get(QUEUE + "?page=x", **EN).content.decode()) == rows_of(first)


def test_it_searches_the_waiting_by_applicant(center, client, project):
    one = online(person("13900000001", 1), [center.design_review], NOW)
    online(person("13900000002", 2), [center.design_review], NOW)
    # The counter's draft of another applicant never shows here, found or not.
    services.application_create(
        applicant=project.applicant,
        project=project,
        items=[center.permit],
        by=center.dave,
        now=NOW,
    )
    client.force_login(center.dave)
    for q in ("王1", one.applicant.mobile, one.applicant.id_number):
        rows = rows_of(client.get(QUEUE, {"q": q}, **EN).content.decode())
        assert [row.split()[0] for row in rows] == ["王1"], q
    found = client.get(QUEUE, {"q": project.applicant.name}, **EN).content.decode()
    assert "No waiting application matches" in found
    short = client.get(QUEUE, {"q": "王"}, **EN).content.decode()
    assert "at least two characters" in short and not rows_of(short)[0].startswith("王")


@pytest.mark.parametrize("count", [3, ONLINE_PAGE_SIZE + 20])
def test_its_statements_do_not_grow_with_the_waiting(center, client, count):
    client.force_login(center.dave)
    many_online(2, center)
    pages = (QUEUE, QUEUE + "?page=2", reverse("applications:intake"))
    client.get(QUEUE)  # the session and caches warm
    few = {}
    for url in pages:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        few[url] = len(captured)
    many_online(count, center)
    for url in pages:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        assert len(captured) == few[url], (url, [q["sql"][:120] for q in captured])


def test_only_the_desks_people_open_it(center, client):
    online(person("13900000001", 1), [center.design_review], NOW)
    for who, status in (
        (center.dave, 200),
        (center.erin, 200),
        (center.alice, 403),
        (center.bob, 403),
        (center.frank, 403),
        (center.gwen, 403),
    ):
        client.force_login(who)
        assert client.get(QUEUE).status_code == status, who
    response = Client().get(QUEUE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_applicants_session_never_opens_it(center):
    me = person("13911110001", 9)
    online(me, [center.design_review], NOW)
    applicant = sign_in(me.mobile)
    assert applicant.get(reverse("portal:applications")).status_code == 200
    for url in (QUEUE, QUEUE + "?q=王9"):
        response = applicant.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_search_shows_what_was_typed_as_text(center, client):
    client.force_login(center.dave)
    html = client.get(QUEUE, {"q": '<script>alert("q")</script>'}).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
