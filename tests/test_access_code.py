"""The access code is the applicant's alone: no staff page shows it (application page, timeline,
the messages to the applicant, shown masked); only the commitment slip carries it, printed by
the comprehensive window and logged; other roles get a 403 for the slip."""

import logging

import pytest
from django.urls import reverse

from applications import access
from applications.models import Document, Notification

from .conftest import NOW  # noqa: F401


@pytest.fixture
def slip(accepted):
    return accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)


def pages(client, application) -> str:
    detail = client.get(reverse("applications:detail", args=[application.pk]))
    timeline = client.get(reverse("applications:timeline", args=[application.pk]))
    assert detail.status_code == 200 and timeline.status_code == 200
    return detail.content.decode() + timeline.content.decode()


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "frank", "mallory", "erin", "dave"])
def test_no_staff_page_shows_the_access_code(accepted, center, client, who):
    code = accepted.access_code
    assert len(code) == 8
    # The acceptance SMS as stored carries the code (it is what the applicant received).
    sms = accepted.notifications.get(event=Notification.Event.ACCEPTED, channel="sms")
    assert code in sms.text
    client.force_login(getattr(center, who))
    page = pages(client, accepted)
    assert code not in page
    assert code.lower() not in page.lower()
    assert access.CODE_MASK in page  # the message is shown, its code masked
    sms.refresh_from_db()
    assert code in sms.text  # the stored text stays as sent


def test_masking_finds_the_code_however_it_is_grouped():
    assert access.masked("code ABCD EFGH.", "ABCDEFGH") == "code ****."
    assert access.masked("code abcd-efgh.", "ABCDEFGH") == "code ****."
    assert access.masked("code ABCDEFGH.", "ABCDEFGH") == "code ****."
    assert access.masked("no code here", "") == "no code here"


@pytest.mark.parametrize("who", ["alice", "bob", "carol", "frank", "mallory", "erin"])
def test_only_the_comprehensive_window_prints_the_slip(accepted, center, client, slip, who):
    client.force_login(getattr(center, who))
    assert client.get(reverse("applications:document", args=[slip.pk])).status_code == 403
    page = client.get(reverse("applications:detail", args=[accepted.pk])).content.decode()
    assert reverse("applications:document", args=[slip.pk]) not in page


def test_a_clerks_print_of_the_slip_is_logged(accepted, center, client, slip, caplog):
    client.force_login(center.dave)
    page = client.get(reverse("applications:detail", args=[accepted.pk])).content.decode()
    assert reverse("applications:document", args=[slip.pk]) in page
    with caplog.at_level(logging.INFO, logger="audit.documents"):
        for _ in range(2):  # a reprint is logged like the first print
            response = client.get(reverse("applications:document", args=[slip.pk]))
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
    lines = [r.getMessage() for r in caplog.records if r.name == "audit.documents"]
    assert len(lines) == 2
    assert all("user=dave" in line and slip.number in line for line in lines)
    assert all(accepted.access_code not in line for line in lines)


def test_a_refused_slip_is_not_logged_as_printed(accepted, center, client, slip, caplog):
    client.force_login(center.alice)
    with caplog.at_level(logging.INFO, logger="audit.documents"):
        client.get(reverse("applications:document", args=[slip.pk]))
    assert not [r for r in caplog.records if r.name == "audit.documents"]
