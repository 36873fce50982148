"""Who sees what on the applicant's side (portal/access.py): a person sees the applications of
the applicants registered with their mobile number, nothing else; another's application,
document or rating answers exactly as one that does not exist. The applicant's session and the
staff's open nothing of each other's. Companies are bound by credit code only when the center's
record has the person as their contact."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from applications import ratings
from applications.models import Application, DepartmentReview, Document, Rating
from applications.services import TransitionError
from portal.models import Agency

from .applicant_helpers import decide_all, rating_key, take_to_delivery
from .conftest import NOW, PASSWORD
from .portal_helpers import SENT, accepted_for, person, sign_in

COMPANY_MOBILE = "13800000000"  # the `applicant` fixture: a company, its contact's mobile
OTHER = "13911112222"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def gateway(settings):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"


@pytest.fixture
def others(accepted, center):
    """Another person with an application of their own."""
    return accepted_for(person(OTHER), center)


def body(response) -> str:
    """The page without what differs between two requests: the CSRF token, and the address
    asked for (the language switcher comes back to it)."""
    page = response.content.decode().replace(response.wsgi_request.path, "PATH")
    return re.sub(r'value="[A-Za-z0-9]{64}"', "", page)


def errors(response) -> str:
    found = re.search(r'<div class="errors".*?</div>', response.content.decode(), re.S)
    return found.group(0) if found else ""


def test_the_list_shows_the_applications_of_the_number_only(
    accepted, others, django_assert_max_num_queries
):
    client = sign_in(COMPANY_MOBILE)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("portal:applications")).content.decode()
    assert accepted.receipt_number in page
    assert others.receipt_number not in page
    assert "建筑工程施工许可证核发" in page or accepted.items.first().name in page
    mine = sign_in(OTHER, address="192.0.2.1").get(reverse("portal:applications")).content.decode()
    assert others.receipt_number in mine and accepted.receipt_number not in mine


def test_the_list_costs_the_same_for_many_applications(accepted, center, django_assert_num_queries):
    client = sign_in(COMPANY_MOBILE)
    client.get(reverse("portal:applications"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("portal:applications"))
    applicant = accepted.applicant
    for n in range(2, 5):
        accepted_for(applicant, center, n)
    with CaptureQueriesContext(connection) as four:
        page = client.get(reverse("portal:applications")).content.decode()
    assert len(four) == len(one)
    assert Application.objects.filter(applicant=applicant).count() == 4
    assert page.count('class="item"') == 4


def test_the_status_detail_is_the_status_pages(accepted, others):
    client = sign_in(COMPANY_MOBILE)
    page = client.get(reverse("portal:application", args=[accepted.pk])).content.decode()
    track = Client()
    track.post(
        reverse("applications:track"),
        {"number": accepted.receipt_number, "code": accepted.access_code},
    )
    public = track.get(reverse("applications:track")).content.decode()
    # The same sections, from the same include (applications/_status.html).
    for section in ('class="card status-head"', 'id="next-title"', 'id="items-title"'):
        assert section in page and section in public
    for item in accepted.reviews.select_related("item"):
        assert item.item.name in page
    assert accepted.access_code not in page


def test_anothers_application_answers_as_one_that_does_not_exist(accepted, others):
    client = sign_in(COMPANY_MOBILE)
    missing = Application.objects.order_by("-pk").first().pk + 1000
    theirs = client.get(reverse("portal:application", args=[others.pk]))
    nothing = client.get(reverse("portal:application", args=[missing]))
    assert theirs.status_code == nothing.status_code == 404
    assert body(theirs) == body(nothing)


def test_anothers_document_answers_as_one_that_does_not_exist(accepted, others):
    client = sign_in(COMPANY_MOBILE)
    slip = others.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    missing = Document.objects.order_by("-pk").first().pk + 1000
    theirs = client.get(reverse("portal:document", args=[slip.pk]))
    nothing = client.get(reverse("portal:document", args=[missing]))
    assert theirs.status_code == nothing.status_code == 404
    assert body(theirs) == body(nothing)


def test_anothers_rating_is_refused_as_if_it_did_not_exist(accepted, others, center):
    delivered = take_to_delivery(others, center, now=timezone.now())
    client = sign_in(COMPANY_MOBILE)
    theirs = client.post(reverse("portal:rate", args=[delivered.pk]), {"level": 1})
    nothing = client.post(reverse("portal:rate", args=[delivered.pk + 1000]), {"level": 1})
    assert theirs.status_code == nothing.status_code == 404
    assert body(theirs) == body(nothing)
    assert not Rating.objects.exists()


def test_own_documents_download_with_safe_headers_and_the_slip_is_logged(
    accepted, caplog, pdf_once
):
    client = sign_in(COMPANY_MOBILE)
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    with caplog.at_level(logging.INFO, logger="audit.documents"):
        response = client.get(reverse("portal:document", args=[slip.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF")
    line = "\n".join(r.getMessage() for r in caplog.records)
    assert "downloaded by the applicant" in line and slip.number in line
    assert COMPANY_MOBILE not in line  # masked: 138****0000
    page = client.get(reverse("portal:application", args=[accepted.pk])).content.decode()
    assert reverse("portal:document", args=[slip.pk]) in page


def test_a_decision_is_the_applicants_once_decided_not_before(accepted, center, pdf_once):
    client = sign_in(COMPANY_MOBILE)
    decide_all(accepted, center)
    planning = accepted.reviews.get(item=center.planning_item)
    decisions = accepted.documents.filter(kind__in=["approval", "refusal"])
    assert decisions.count() == 2
    for document in decisions:
        response = client.get(reverse("portal:document", args=[document.pk]))
        assert response.status_code == 200, document
    # A decision still awaiting its leader's countersign is not issued to the applicant yet
    # (its PDF would be fixed without the countersign).
    planning.refresh_from_db()
    assert planning.state in ("decided", "returned", "received")


def test_a_decision_awaiting_countersign_is_not_shown(accepted, center):
    from applications import services

    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(review=planning, by=center.carol, now=NOW, outcome="granted", reasons="")
    planning.refresh_from_db()
    assert planning.state == DepartmentReview.State.AWAITING_COUNTERSIGN
    document = accepted.documents.get(review=planning)
    client = sign_in(COMPANY_MOBILE)
    assert client.get(reverse("portal:document", args=[document.pk])).status_code == 404
    page = client.get(reverse("portal:application", args=[accepted.pk])).content.decode()
    assert reverse("portal:document", args=[document.pk]) not in page


def test_the_portal_rates_once_own_delivered_applications(accepted, center):
    delivered = take_to_delivery(accepted, center, now=timezone.now())
    key = rating_key(delivered)
    client = sign_in(COMPANY_MOBILE)
    page = client.get(reverse("portal:application", args=[delivered.pk])).content.decode()
    assert 'id="rate"' in page
    response = client.post(
        reverse("portal:rate", args=[delivered.pk]), {"level": 2, "comment": "慢"}
    )
    assert response.status_code == 302
    rating = Rating.objects.get(application=delivered)
    assert rating.level == 2 and rating.history.get().history_change_reason == "portal"
    assert hasattr(rating, "followup")  # a poor rating opens its follow-up as by the link
    # Once: the form is gone, a second POST changes nothing, the SMS's link rates nothing.
    page = client.get(reverse("portal:application", args=[delivered.pk])).content.decode()
    assert 'id="rate"' not in page
    client.post(reverse("portal:rate", args=[delivered.pk]), {"level": 5})
    assert Rating.objects.get(application=delivered).level == 2
    with translation.override("en"), pytest.raises(TransitionError, match="already been rated"):
        ratings.rating_submit(token=key, level=5, comment="", now=timezone.now())
    # The staff's timeline says which channel it came through.
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(center.dave)
    timeline = staff.get(reverse("applications:timeline", args=[delivered.pk])).content.decode()
    assert "Rated by the applicant in My applications: Dissatisfied" in timeline


def test_the_portal_does_not_rate_before_delivery(accepted):
    client = sign_in(
        COMPANY_MOBILE,
    )
    client.post(reverse("portal:rate", args=[accepted.pk]), {"level": 5})
    assert not Rating.objects.exists()
    page = client.get(reverse("portal:application", args=[accepted.pk])).content.decode()
    assert 'id="rate"' not in page


def test_a_staff_session_opens_no_page_of_the_applicant(accepted, center):
    staff = Client()
    staff.force_login(center.dave)
    for url in (
        reverse("portal:sign_in"),
        reverse("portal:code"),
        reverse("portal:applications"),
        reverse("portal:application", args=[accepted.pk]),
        reverse("portal:companies"),
    ):
        assert staff.get(url).status_code == 403, url
    # Not even with the applicant's own cookie beside it: a staff browser never rates.
    both = sign_in(COMPANY_MOBILE)
    both.force_login(center.dave)
    assert both.get(reverse("portal:applications")).status_code == 403
    delivered = take_to_delivery(accepted, center, now=timezone.now())
    assert both.post(reverse("portal:rate", args=[delivered.pk]), {"level": 5}).status_code == 403
    assert not Rating.objects.exists()


def test_the_applicants_cookie_opens_no_staff_page(accepted, center, settings):
    client = sign_in(COMPANY_MOBILE)
    assert settings.SESSION_COOKIE_NAME not in client.cookies
    for url in (
        reverse("home"),
        reverse("applications:intake"),
        reverse("applications:detail", args=[accepted.pk]),
        reverse("supervision:dashboard"),
        "/admin/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"], url
    # A staff password does not sign in here: the form takes a mobile number only.
    response = Client(**EN).post(
        reverse("portal:sign_in"), {"mobile": "dave", "password": PASSWORD}
    )
    assert "11-digit" in response.content.decode()


def test_a_company_is_bound_only_when_its_contact_is_the_person(accepted, others):
    company = accepted.applicant
    stranger = sign_in(OTHER, address="192.0.2.1")
    stranger.defaults.update(EN)
    refused = stranger.post(reverse("portal:companies"), {"credit_code": company.id_number})
    assert "comprehensive window" in refused.content.decode()
    assert not Agency.objects.exists()
    # An unknown company gets the same refusal (no one learns which companies applied).
    from applications.validators import uscc_check_char

    first17 = "91330185MA2000001"
    unknown = stranger.post(
        reverse("portal:companies"), {"credit_code": first17 + uscc_check_char(first17)}
    )
    assert errors(unknown) == errors(refused) != ""
    # A malformed code: the validator's message.
    bad = stranger.post(reverse("portal:companies"), {"credit_code": "123"})
    assert "18 characters" in bad.content.decode()
    # The contact binds it; the binding lapses when the counter changes the contact.
    contact = sign_in(COMPANY_MOBILE)
    response = contact.post(reverse("portal:companies"), {"credit_code": company.id_number.lower()})
    assert response.status_code == 302
    assert company.name in contact.get(reverse("portal:companies")).content.decode()
    company.mobile = "13700000000"
    company.save()
    assert company.name not in contact.get(reverse("portal:companies")).content.decode()
    assert (
        accepted.receipt_number not in contact.get(reverse("portal:applications")).content.decode()
    )
    assert contact.get(reverse("portal:application", args=[accepted.pk])).status_code == 404


@pytest.mark.parametrize("value", ["a\x00b", "x" * 10_000, "-1", "99999999999999999999", ""])
def test_hostile_input_of_a_signed_in_applicant_gives_no_500(accepted, value):
    client = sign_in(COMPANY_MOBILE)
    client.raise_request_exception = True
    huge = "99999999999999999999"
    for url in (
        f"/my/applications/{huge}/",
        f"/my/documents/{huge}/",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/my/applications/{huge}/rate/", {"level": value}).status_code == 404
    # A NUL in the address is a 400 page (RejectNulMiddleware); in a form, the form's message.
    assert client.get(reverse("portal:applications"), {"page": value}).status_code in (200, 400)
    assert client.post(reverse("portal:companies"), {"credit_code": value}).status_code == 200
    response = client.post(
        reverse("portal:rate", args=[accepted.pk]), {"level": value, "comment": value}
    )
    assert response.status_code == 302
    assert not Rating.objects.exists()
