"""Names and reasons full of HTML and script are shown as text: on every page that shows them and
in the printed documents (read back with pdftotext, where markup that was interpreted would have
vanished)."""

import pytest
from django.urls import reverse

from applications import services
from applications.models import Applicant, Project

from .conftest import NOW, receive_all
from .test_documents import printed, squeeze

NAME = "<script>alert('name')</script>青山公司"
PROJECT = '厂房"><img src=x onerror=alert(2)>'
CONTACT = "<b>王五</b>"
REASONS = "</td><script>alert('reason')</script><u>材料不全</u>"
STOP = "<iframe src=//evil></iframe>专家评审"
RAW = ("<script>alert(", "<img src=x", "<b>王五</b>", "<iframe", "<u>材料不全</u>")


@pytest.fixture
def hostile(center, calendar, materials, seals):
    """An application whose every free text is markup: the applicant, the project, the reasons."""
    from windows import authority

    authority.sync_signing_authority(at=NOW)
    applicant = Applicant.objects.create(
        kind="enterprise",
        name=NAME,
        id_number="91330185MA2H2KMQ0B",
        contact_name=CONTACT,
        mobile="13900000000",
    )
    project = Project.objects.create(
        applicant=applicant,
        code="2026-330185-47-01-654321",
        name=PROJECT,
        location="<marquee>临安区</marquee>",
        total_investment="10.00",
        land_area="100.00",
        description="厂房",
    )
    application = services.application_create(
        applicant=applicant, project=project, items=[center.permit], by=center.dave, now=NOW
    )
    receive_all(application, center.dave)
    application = services.application_accept(application=application, by=center.dave, now=NOW)
    review = application.reviews.get()
    services.review_claim(review=review, by=center.alice, now=NOW)
    stopped = services.review_stop(
        review=review, by=center.alice, now=NOW, cause="expert_review", days_needed=5, reason=STOP
    )
    services.review_resume(review=review, by=center.alice, now=NOW)
    refusal = services.review_decide(
        review=review, by=center.bob, now=NOW, outcome="refused", reasons=REASONS
    )
    return application, review, stopped, refusal


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} reached the page as markup"


def test_pages_show_the_markup_as_text(client, center, hostile):
    application, review, _stopped, _refusal = hostile
    pages = {
        center.dave: [
            reverse("applications:detail", args=[application.pk]),
            reverse("applications:timeline", args=[application.pk]),
            reverse("applications:intake"),
            reverse("applications:applicant", args=[application.applicant_id]),
            reverse("applications:search") + "?q=青山",
            reverse("applications:review", args=[review.pk]),
        ],
        center.alice: [
            reverse("applications:queue"),
            reverse("applications:review", args=[review.pk]),
        ],
        center.erin: [reverse("supervision:dashboard")],
        center.admin: [
            reverse("audit:trail"),
            reverse("admin:applications_applicant_changelist"),
            reverse("admin:applications_application_change", args=[application.pk]),
        ],
    }
    shown = 0
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.content.decode()
            assert_escaped(html, url)
            shown += "&lt;script&gt;alert(" in html
    assert shown >= 8  # the name is on most of them, as text


def test_the_printed_documents_show_the_markup_as_text(hostile, tmp_path):
    application, _review, stopped, refusal = hostile
    slip = application.documents.get(kind="commitment")
    slip_text = printed(slip, tmp_path, keep=False)
    assert squeeze(NAME) in slip_text and squeeze(PROJECT) in slip_text
    assert squeeze(STOP) in printed(stopped, tmp_path, keep=False)
    refusal_text = printed(refusal, tmp_path, keep=False)
    assert squeeze(REASONS) in refusal_text and squeeze(NAME) in refusal_text


def test_a_notice_of_non_acceptance_prints_its_reasons_as_text(center, hostile, tmp_path):
    _application, _review, _stopped, _refusal = hostile
    applicant = Applicant.objects.get()
    draft = services.application_create(
        applicant=applicant, project=None, items=[center.design_review], by=center.dave, now=NOW
    )
    notice = services.application_refuse(
        application=draft, by=center.dave, now=NOW, reasons=REASONS
    )
    text = printed(notice, tmp_path, keep=False)
    assert squeeze(REASONS) in text and squeeze(NAME) in text
