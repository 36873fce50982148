import datetime as dt

from django.urls import reverse

from applications import services

from .conftest import NOW, aware


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
    assert (live["finished_month"], live["on_time_rate"]) == (1, 100)
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
    client.force_login(center.dave)
    assert client.get(reverse("supervision:live")).status_code == 403
