"""A window's queue at scale: a page of open reviews at a time, earliest deadline first, with
counts over the whole queue and the same queries however long it is."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import DepartmentReview
from applications.views import QUEUE_PAGE_SIZE

from .conftest import aware, bulk_open_reviews


def test_the_queue_shows_a_page_by_deadline_and_counts_the_whole_queue(
    client, center, accepted, time_machine
):
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    # And the permit's own review: two pages and ten more.
    bulk_open_reviews(accepted, center, 2 * QUEUE_PAGE_SIZE + 9, stopped_every=10)
    client.force_login(center.alice)
    url = reverse("applications:queue")
    first = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    reviews = first.context["reviews"]
    assert len(reviews) == QUEUE_PAGE_SIZE
    assert [r.deadline for r in reviews] == sorted(r.deadline for r in reviews)
    open_reviews = DepartmentReview.objects.open().for_window(center.construction_window)
    counts = first.context["counts"]
    assert counts["total"] == open_reviews.count() == 2 * QUEUE_PAGE_SIZE + 10
    assert counts["stopped"] == open_reviews.filter(state="suspended").count()
    assert (
        counts["red"]
        == open_reviews.exclude(state="suspended")
        .filter(deadline__lt=dt.date(2026, 10, 20))
        .count()
    )
    page = first.content.decode()
    assert f"{2 * QUEUE_PAGE_SIZE + 10} open reviews" in page and "Page 1 of 3" in page
    last = client.get(url, {"page": "3"})
    assert len(last.context["reviews"]) == 10
    assert last.context["reviews"][0].deadline >= reviews[-1].deadline
    # A page that is not a number, or past the end, shows a page that exists.
    assert client.get(url, {"page": "x"}).context["page"].number == 1
    assert client.get(url, {"page": "99"}).context["page"].number == 3


def test_the_queue_costs_the_same_queries_whatever_its_length(
    client, center, accepted, time_machine
):
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    client.force_login(center.alice)
    url = reverse("applications:queue")
    bulk_open_reviews(accepted, center, 9, stopped_every=10)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as ten:
        client.get(url)
    bulk_open_reviews(accepted, center, 990, start=9, stopped_every=10)
    with CaptureQueriesContext(connection) as thousand:
        response = client.get(url)
    assert response.context["counts"]["total"] == 1000
    assert len(thousand.captured_queries) == len(ten.captured_queries)
