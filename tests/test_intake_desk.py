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
