import datetime as dt

import pytest
from django.urls import reverse

from applications import services

from .conftest import NOW, aware, bulk_open_reviews, extend


def test_the_dashboard_shows_late_reviews_worst_first(client, center, accepted, time_machine):
    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_stop(
        review=planning, by=center.mallory, now=NOW, cause="hearing", days_needed=5, reason="听证"
    )
    time_machine.move_to(aware(2026, 10, 15), tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    live = response.context["live"]
    assert (live["open"], live["overdue"], live["stopped"]) == (2, 1, 1)
    late = response.context["late"]
    assert [r.pk for r in late] == [permit.pk]
    assert late[0].days_late == 2  # 14 and 15 October
    page = response.content.decode()
    assert reverse("applications:timeline", args=[accepted.pk]) in page


def test_the_dashboard_filters_by_department(client, center, accepted, time_machine):
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:dashboard"), {"department": "fgj"})
    assert [r.item for r in response.context["late"]] == [center.planning_item]


def test_the_dashboard_counts_a_month_of_decisions(client, center, accepted, time_machine):
    permit = accepted.reviews.get(item=center.permit)
    services.review_decide(
        review=permit, by=center.bob, now=aware(2026, 10, 9), outcome="granted", reasons=""
    )
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    live = client.get(reverse("supervision:dashboard")).context["live"]
    # One decided on time; the planning review (due 16 October) sits late and undecided, and
    # counts against the month as the assessment counts it.
    assert (live["finished_month"], live["late_undecided_month"], live["on_time_rate"]) == (
        1,
        1,
        50,
    )
    assert dt.date(2026, 10, 9) <= permit.deadline


def test_the_dashboard_costs_the_same_queries_whatever_the_data(
    client, center, accepted, applicant, time_machine
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .conftest import receive_all

    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    url = reverse("supervision:dashboard")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(3):
        more = services.application_create(
            applicant=applicant,
            project=None,
            by=center.dave,
            now=NOW,
            items=[center.permit, center.planning_item],
        )
        receive_all(more, center.dave)
        services.application_accept(application=more, by=center.dave, now=NOW)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["late"]) == 8
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_live_part_refreshes_alone_and_filters_by_window(
    client, center, accepted, time_machine
):
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    page = client.get(reverse("supervision:dashboard")).content.decode()
    assert 'data-refresh="/supervision/live/?"' in page
    response = client.get(reverse("supervision:live"), {"window": "A05"})
    assert "<html" not in response.content.decode()
    assert [r.item for r in response.context["late"]] == [center.permit]
    timeline = reverse("applications:timeline", args=[accepted.pk])
    assert f'<a href="{timeline}">{accepted.applicant.name}</a>' in response.content.decode()
    # The row names its department, window and item (read once for all the lists).
    row = response.content.decode().split(f'<a href="{timeline}">')[0].rsplit("<tr", 1)[1]
    permit = center.permit
    assert f"<td>{permit.department.short_name}</td><td>{permit.window.number}</td>" in row
    assert permit.name in response.content.decode().split(f'<a href="{timeline}">')[1][:300]
    client.force_login(center.dave)
    assert client.get(reverse("supervision:live")).status_code == 403


# --- a past day, charts, department and window pages, and cost at scale ---------------------


def test_the_date_picker_shows_the_cards_as_they_stood(client, center, accepted, time_machine):
    from supervision.sweep import sweep

    permit = accepted.reviews.get(item=center.permit)
    sweep(now=aware(2026, 10, 12, 9))  # yellow for the permit (due 13 October)
    sweep(now=aware(2026, 10, 14, 9))  # red
    services.review_decide(
        review=permit, by=center.bob, now=aware(2026, 10, 16, 9), outcome="granted", reasons=""
    )
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    url = reverse("supervision:dashboard")

    def standing(day):
        cards = client.get(url, {"day": day}).context["cards"]
        return [(c.review.item.name, c.level) for c in cards]

    assert standing("2026-10-12") == [("建筑工程施工许可证核发", "yellow")]
    assert standing("2026-10-14") == [
        ("建筑工程施工许可证核发", "red"),
        ("企业投资项目核准", "yellow"),
    ]
    # Decided on the 16th: from that day on the permit's card no longer stands.
    assert ("建筑工程施工许可证核发", "red") not in standing("2026-10-16")
    # The same past day reads the same whatever happened after.
    page = client.get(url, {"day": "2026-10-14"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "as they stood at the close of" in page and "data-refresh" not in page
    # Today or a bad date: live figures.
    assert "live" in client.get(url, {"day": "2026-10-20"}).context
    assert "live" in client.get(url, {"day": "yesterday"}).context


def test_an_extension_takes_the_card_down_that_day(client, center, accepted, time_machine):
    from supervision.sweep import sweep

    permit = accepted.reviews.get(item=center.permit)
    sweep(now=aware(2026, 10, 12, 9))
    extend(
        permit,
        by=center.alice,
        approved_by=center.bob,
        now=aware(2026, 10, 12, 15),
        days=5,
        reason="需现场核查",
    )
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    cards = client.get(reverse("supervision:dashboard"), {"day": "2026-10-12"}).context["cards"]
    assert [c.review_id for c in cards] == []


def test_thirty_days_of_charts_and_the_on_time_rate(client, center, accepted, time_machine):
    from supervision.sweep import sweep

    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    sweep(now=aware(2026, 10, 14, 9))
    services.review_decide(
        review=permit, by=center.bob, now=aware(2026, 10, 15, 9), outcome="granted", reasons=""
    )
    services.review_decide(
        review=planning, by=center.carol, now=aware(2026, 10, 15, 10), outcome="granted", reasons=""
    )
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    charts = {key: chart for key, chart, _label in response.context["chart_list"]}
    assert charts["received"]["total"] == 1  # accepted 28 September, inside the 30 days
    assert charts["decided"]["total"] == 2
    assert charts["overdue"]["total"] == 1  # the permit's red card on 14 October
    bar = next(b for b in charts["overdue"]["bars"] if b["value"])
    assert bar["height"] == 90 and bar["y"] == 0
    rates = {d["code"]: d["rate"] for d in response.context["on_time"]}
    assert rates == {"jsj": 0, "fgj": 100}
    page = response.content.decode()
    assert "<svg" in page and "Reviews that became overdue" in page


def test_department_and_window_pages(client, center, accepted, time_machine):
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    window = reverse("supervision:window", args=["A05"])
    department = reverse("supervision:department", args=["fgj"])
    client.force_login(center.erin)
    assert [r.item for r in client.get(window).context["late"]] == [center.permit]
    assert [r.item for r in client.get(department).context["late"]] == [center.planning_item]
    # The window's head and officer see their own window, not another.
    client.force_login(center.bob)
    assert client.get(window).status_code == 200
    assert client.get(reverse("supervision:window", args=["A02"])).status_code == 403
    assert client.get(reverse("supervision:live"), {"window": "A05"}).status_code == 200
    assert client.get(reverse("supervision:live"), {"window": "A02"}).status_code == 403
    assert client.get(reverse("supervision:live")).status_code == 403
    # The leader sees the department, not another.
    client.force_login(center.frank)
    assert client.get(department).status_code == 200
    assert client.get(reverse("supervision:department", args=["jsj"])).status_code == 403
    client.force_login(center.dave)
    assert client.get(window).status_code == 403


@pytest.mark.parametrize("page", ["supervision:dashboard", "supervision:live"])
def test_query_count_is_the_same_with_ten_and_a_thousand_reviews(
    client, center, accepted, time_machine, page
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supervision.sweep import sweep

    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.erin)
    url = reverse(page)
    bulk_open_reviews(accepted, center, 8, spread=9)  # 10 reviews in all
    sweep(now=aware(2026, 10, 20))
    client.get(url)  # warm the session and the calendar
    with CaptureQueriesContext(connection) as ten:
        small = client.get(url)
    bulk_open_reviews(accepted, center, 990, start=8, spread=9)
    sweep(now=aware(2026, 10, 20, 13))
    assert accepted.reviews.model.objects.count() == 1000
    with CaptureQueriesContext(connection) as thousand:
        large = client.get(url)
    assert small.context["live"]["open"] == 10 and large.context["live"]["open"] == 1000
    assert len(large.context["late"]) == 50
    assert len(thousand.captured_queries) == len(ten.captured_queries)
    if page == "supervision:live":
        # The lists' items, windows and departments, with the name each shows: one statement
        # each for all four lists.
        for table, name in (
            ("windows_item", "name"),
            ("windows_window", "number"),
            ("windows_department", "short_name"),
        ):
            named = f'SELECT "{table}"."id", "{table}"."{name}" FROM "{table}" WHERE'  # noqa: S608
            reads = [q for q in thousand.captured_queries if f'FROM "{table}"' in q["sql"]]
            assert [q["sql"].startswith(named) for q in reads].count(True) == 1, reads
    # The same for a past day's cards.
    with CaptureQueriesContext(connection) as replay:
        client.get(url, {"day": "2026-10-19"})
    bulk_open_reviews(accepted, center, 10, start=5000, spread=9)
    sweep(now=aware(2026, 10, 20, 14))
    with CaptureQueriesContext(connection) as replay_more:
        client.get(url, {"day": "2026-10-19"})
    assert len(replay.captured_queries) == len(replay_more.captured_queries)


def test_past_days_are_read_once_a_day_and_today_at_every_load(
    client, center, accepted, time_machine
):
    from applications.models import DepartmentReview
    from supervision.live import forget_past_days

    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(
        review=planning, by=center.carol, now=aware(2026, 10, 15, 10), outcome="granted", reasons=""
    )
    time_machine.move_to(aware(2026, 10, 20, 9), tick=False)
    client.force_login(center.erin)
    url = reverse("supervision:dashboard")

    def decided() -> tuple[int, dict]:
        response = client.get(url)
        charts = {key: chart for key, chart, _label in response.context["chart_list"]}
        rates = {d["code"]: (d["decided"], d["rate"]) for d in response.context["on_time"]}
        return charts["decided"]["total"], rates

    assert decided() == (1, {"fgj": (1, 100)})
    # Today's decisions count at once.
    services.review_decide(
        review=permit, by=center.bob, now=aware(2026, 10, 20, 10), outcome="granted", reasons=""
    )
    assert decided() == (2, {"fgj": (1, 100), "jsj": (1, 0)})
    # A past day changed behind the application's back (a row written by other means: an
    # import, say) is kept as it was read until the day ends, or until whoever wrote it says
    # so. (Decisions already made cannot be changed at all on PostgreSQL: new rows only.)
    DepartmentReview.objects.create(
        application=accepted,
        item=center.design_review,
        department=center.construction,
        window=center.construction_window,
        state="decided",
        outcome="granted",
        decided_at=aware(2026, 10, 19),
        started_on=dt.date(2026, 9, 28),
        promised_days=5,
        statutory_days=20,
        deadline=dt.date(2026, 10, 20),
        statutory_deadline=dt.date(2026, 10, 30),
    )
    assert decided() == (2, {"fgj": (1, 100), "jsj": (1, 0)})  # 19 October is kept
    forget_past_days()
    assert decided() == (3, {"fgj": (1, 100), "jsj": (2, 50)})
    # The next day reads the days before it afresh.
    bulk_open_reviews(accepted, center, 1)
    DepartmentReview.objects.filter(application__receipt_number="2026800000").update(
        state="decided", outcome="granted", decided_at=aware(2026, 10, 20, 15)
    )
    time_machine.move_to(aware(2026, 10, 21, 9), tick=False)
    client.force_login(center.erin)  # the idle session ended overnight
    assert decided() == (4, {"fgj": (1, 100), "jsj": (3, 33)})  # due 13 October: late


def test_the_dashboard_answers_when_the_cache_does_not(client, center, accepted, time_machine):
    from unittest import mock

    from supervision import live

    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(
        review=planning, by=center.carol, now=aware(2026, 10, 15, 10), outcome="granted", reasons=""
    )
    time_machine.move_to(aware(2026, 10, 20, 9), tick=False)
    client.force_login(center.erin)
    with mock.patch.object(live.cache, "get_or_set", side_effect=ConnectionError("cache down")):
        response = client.get(reverse("supervision:dashboard"))
    assert response.status_code == 200
    charts = {key: chart for key, chart, _label in response.context["chart_list"]}
    assert charts["decided"]["total"] == 1
    assert [d["code"] for d in response.context["on_time"]] == ["fgj"]
