"""The intake desk at scale: each list shows the most pressing 50 and counts them all, in the
same queries however many there are."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from applications.views import INTAKE_LIST_SIZE

from .conftest import NOW


def ready_applications(accepted, center, count: int, *, start: int = 0) -> None:
    Application.objects.bulk_create(
        Application(
            applicant=accepted.applicant,
            state="ready",
            received_at=NOW,
            received_by=center.dave,
            notice_due=accepted.notice_due,
            receipt_number=f"2026{700000 + start + i}",
            accepted_at=NOW,
            ready_at=NOW,
        )
        for i in range(count)
    )


def test_the_desk_lists_the_first_fifty_and_counts_them_all(client, center, accepted):
    client.force_login(center.dave)
    url = reverse("applications:intake")
    ready_applications(accepted, center, 5)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as few:
        small = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert small.context["counts"]["ready"] == 5
    assert "are listed" not in small.content.decode()
    ready_applications(accepted, center, INTAKE_LIST_SIZE + 10, start=5)
    with CaptureQueriesContext(connection) as many:
        large = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert large.context["counts"]["ready"] == INTAKE_LIST_SIZE + 15
    assert len(large.context["ready"]) == INTAKE_LIST_SIZE
    assert f"The first {INTAKE_LIST_SIZE} are listed." in large.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_documents_back_are_listed_newest_first_a_page_at_a_time(
    client, center, accepted, time_machine
):
    """More than a screenful back from the windows: the newest first, every one reachable on
    a later page, counted in all and the late ones apart; the pages cost the same queries."""
    import datetime as dt

    from applications.models import DepartmentReview

    from .conftest import bulk_open_reviews

    time_machine.move_to(NOW, tick=False)
    total = INTAKE_LIST_SIZE + 12
    bulk_open_reviews(accepted, center, total)
    reviews = list(DepartmentReview.objects.filter(application__receipt_number__startswith="20268"))
    for n, review in enumerate(reviews):
        review.state = "returned"
        review.returned_at = NOW + dt.timedelta(minutes=n)
        # The oldest three were due to be received yesterday already.
        review.receive_due = dt.date(2026, 9, 27) if n < 3 else dt.date(2026, 9, 30)
    DepartmentReview.objects.bulk_update(reviews, ["state", "returned_at", "receive_due"])
    client.force_login(center.dave)
    url = reverse("applications:intake")
    client.get(url)
    with CaptureQueriesContext(connection) as first_page:
        first = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert first.context["counts"]["returned"] == total
    assert first.context["counts"]["returned_late"] == 3
    listed = list(first.context["returned"])
    assert len(listed) == INTAKE_LIST_SIZE
    assert listed[0].pk == reviews[-1].pk  # the newest first
    page = first.content.decode()
    assert f"Newest first: 1–{INTAKE_LIST_SIZE} of {total}." in page
    assert "3 late to receive" in page
    assert "?returned=2" in page
    with CaptureQueriesContext(connection) as second_page:
        second = client.get(url, {"returned": 2}, HTTP_ACCEPT_LANGUAGE="en")
    rest = list(second.context["returned"])
    assert [r.pk for r in rest] == [r.pk for r in reversed(reviews[:12])]
    assert len(first_page.captured_queries) == len(second_page.captured_queries)
    # Confirming one from the second page comes back to that page.
    assert f'name="next" value="{url}?returned=2"' in second.content.decode()
