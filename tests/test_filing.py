"""Online filing and the comprehensive window's pre-review (portal/services.py, docs/filing.md):
the applicant files through the counter's own services; the submission is the receipt under
Art. 32; only the applicant sees their draft and their files; staff never file or upload as the
applicant; hostile uploads are refused; clamd, when configured, is asked and its silence
refuses the file."""

from __future__ import annotations

import datetime as dt
import os
import socket
import tempfile
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applications import services
from applications.models import Applicant, Application, Notification, Project
from portal import services as filing
from portal.models import Agency, Filing, FilingFile
from windows.workdays import WorkCalendar

from .conftest import NOW, aware, seen
from .portal_helpers import SENT, person, sign_in

MOBILE = "13911110001"
OTHER = "13911110002"
COMPANY_MOBILE = "13800000000"  # the `applicant` fixture's contact
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def setup(settings, time_machine, tmp_path):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def me(center, calendar, materials, seals):
    return person(MOBILE, 1)


@pytest.fixture
def my_project(me):
    return Project.objects.create(
        applicant=me,
        code="2026-330185-47-01-300001",
        name="自建厂房",
        location="临安区",
        total_investment="100.00",
        land_area="100.00",
        description="厂房",
    )


def pdf(name: str = "licence.pdf", body: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def start(client: Client, applicant, *items, project=None):
    response = client.post(
        reverse("portal:file"),
        {
            "applicant": applicant.pk,
            "project": project.pk if project else "",
            "items": [item.pk for item in items],
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return Filing.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[-1]))


def upload_all(client: Client, draft: Filing) -> None:
    for material in filing.filing_materials(draft):
        response = client.post(
            reverse("portal:filing_upload", args=[draft.pk]),
            {"material": material.pk, "file": pdf(f"{material.pk}.pdf")},
        )
        assert response.status_code == 302


def filed(client: Client, applicant, *items, project=None) -> Application:
    draft = start(client, applicant, *items, project=project)
    upload_all(client, draft)
    response = client.post(reverse("portal:filing_submit", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    return draft.application


def test_the_submission_is_the_receipt_under_art_32(me, center, time_machine):
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    upload_all(client, draft)
    # Staff do not see a draft: there is no application until it is submitted.
    assert not Application.objects.exists()
    later = aware(2026, 9, 30, 16)
    time_machine.move_to(later, tick=False)
    client = sign_in(MOBILE)  # the session of two days ago has ended
    response = client.post(reverse("portal:filing_submit", args=[draft.pk]))
    application = Application.objects.get()
    assert response["Location"] == reverse("portal:application", args=[application.pk])
    assert application.channel == "online" and application.state == "draft"
    assert application.received_at == later == application.submitted_at
    assert application.received_by is None
    expected = WorkCalendar.load().add_working_days(later.date(), 5).end
    assert application.notice_due == expected > aware(2026, 10, 7).date()  # the holiday crossed
    # The history says who: no staff user, the applicant's masked mobile as the reason.
    first = application.history.earliest("history_date")
    assert first.history_user is None and "139****0001" in first.history_change_reason
    # Each file is a scan of its checklist line, uploaded online, by no one of the staff.
    scans = list(application.scans.select_related("line"))
    assert len(scans) == 1 and scans[0].uploaded_online and scans[0].uploaded_by is None
    assert scans[0].line.material_id == filing.filing_materials(draft)[0].pk
    assert not FilingFile.objects.exists()
    # A second click finds it submitted: one application.
    client.post(reverse("portal:filing_submit", args=[draft.pk]))
    assert Application.objects.count() == 1


def test_the_online_queue_counts_down_and_the_clerk_sees_each_file(me, my_project, center, client):
    application = filed(sign_in(MOBILE), me, center.permit, project=my_project)
    client.force_login(center.dave)
    desk = client.get(reverse("applications:intake"), **EN).content.decode()
    section = desk[desk.index('id="online"') : desk.index("Waiting at the window")]
    assert me.name in seen(section) and "working days left" in section
    page = client.get(reverse("applications:detail", args=[application.pk]), **EN).content
    page = page.decode()
    assert "Filed online" in page and application.scans.first().original_name in page
    scan = application.scans.first()
    assert client.get(reverse("applications:scan", args=[scan.pk])).status_code == 200


def test_the_notice_online_shows_every_line_and_supplements_come_back(
    me, my_project, center, client, time_machine
):
    applicant_client = sign_in(MOBILE)
    application = filed(applicant_client, me, center.permit, project=my_project)
    lines = {
        line.pk: {
            "status": "missing" if line.material.name != "申请表" else "received",
            "copies": 1,
            "note": f"不清晰{line.pk}",
        }
        for line in application.materials.select_related("material")
    }
    services.application_notify_missing_with_checklist(
        application=application, lines=lines, by=center.dave, now=NOW
    )
    application.refresh_from_db()
    assert application.state == "awaiting_materials"
    # The applicant is told, once, and sees every line to correct with its reason.
    assert Notification.objects.filter(application=application, event="notice").exists()
    page = applicant_client.get(reverse("portal:application", args=[application.pk])).content
    missing = [pk for pk, v in lines.items() if v["status"] == "missing"]
    for pk in missing:
        assert f"不清晰{pk}".encode() in page
    # Sending nothing is refused; a file per line, then send: back in the online queue.
    applicant_client.post(reverse("portal:supplements_send", args=[application.pk]))
    application.refresh_from_db()
    assert application.state == "awaiting_materials"
    time_machine.move_to(aware(2026, 9, 28, 10) + dt.timedelta(minutes=10), tick=False)
    for pk in missing:
        applicant_client.post(
            reverse("portal:supplement_upload", args=[application.pk]),
            {"line": pk, "file": pdf("fixed.pdf")},
        )
    later = aware(2026, 10, 9, 9)
    with translation.override("en"):
        filing.supplements_send(
            account=Filing.objects.get().account, application=application, now=later
        )
    application.refresh_from_db()
    assert application.state == "draft" and application.submitted_at == later
    assert application.notice_due == WorkCalendar.load().add_working_days(later.date(), 5).end
    assert application.scans.filter(uploaded_online=True).count() == 3 + len(missing)
    client.force_login(center.dave)
    desk = client.get(reverse("applications:intake"), **EN).content.decode()
    assert me.name in seen(desk[desk.index('id="online"') : desk.index("Waiting at the window")])


def test_accepting_an_online_application_is_the_counters_acceptance(me, center, client):
    from windows import authority

    applicant_client = sign_in(MOBILE)
    application = filed(applicant_client, me, center.design_review)
    authority.sync_signing_authority(at=NOW)
    lines = {line.pk: {"status": "received", "copies": 1} for line in application.materials.all()}
    accepted = services.application_accept_with_checklist(
        application=application, lines=lines, by=center.dave, now=NOW
    )
    assert accepted.receipt_number.startswith("2026") and accepted.state == "in_review"
    review = accepted.reviews.get()
    # The commitment slip is the applicant's online too.
    page = applicant_client.get(reverse("portal:application", args=[accepted.pk])).content
    slip = accepted.documents.get(kind="commitment")
    assert reverse("portal:document", args=[slip.pk]).encode() in page
    # The department sees the file as it sees the counter's scans.
    client.force_login(center.alice)
    scan = accepted.scans.get()
    assert client.get(reverse("applications:scan", args=[scan.pk])).status_code == 200
    assert review.window == center.construction_window


def test_invite_to_the_counter(me, center, client):
    applicant_client = sign_in(MOBILE)
    application = filed(applicant_client, me, center.design_review)
    client.force_login(center.dave)
    client.post(
        reverse("applications:invite", args=[application.pk]), {"invite-note": "带身份证原件"}
    )
    application.refresh_from_db()
    assert application.invited_at == NOW and application.invitation == "带身份证原件"
    assert Notification.objects.filter(application=application, event="invited").count() == 1
    page = applicant_client.get(reverse("portal:application", args=[application.pk])).content
    assert "带身份证原件".encode() in page


def test_an_applicant_cannot_see_anothers_by_enumeration(me, center):
    mine = sign_in(MOBILE)
    application = filed(mine, me, center.design_review)
    draft = start(mine, me, center.design_review)
    mine.post(
        reverse("portal:filing_upload", args=[draft.pk]),
        {"material": filing.filing_materials(draft)[0].pk, "file": pdf()},
    )
    stored = draft.files.get()
    person(OTHER, 2)
    theirs = sign_in(OTHER)
    scan = application.scans.get()
    for url in (
        reverse("portal:application", args=[application.pk]),
        reverse("portal:scan", args=[scan.pk]),
        reverse("portal:filing", args=[draft.pk]),
        reverse("portal:filing_file", args=[draft.pk, stored.pk]),
    ):
        assert theirs.get(url).status_code == 404
        assert mine.get(url).status_code == 200
    for url, data in (
        (reverse("portal:filing_upload", args=[draft.pk]), {"file": pdf()}),
        (reverse("portal:filing_submit", args=[draft.pk]), {}),
        (reverse("portal:filing_file_remove", args=[draft.pk, stored.pk]), {}),
        (reverse("portal:supplement_upload", args=[application.pk]), {"file": pdf()}),
        (reverse("portal:supplements_send", args=[application.pk]), {}),
    ):
        assert theirs.post(url, data).status_code == 404
    assert draft.files.count() == 1 and Application.objects.count() == 1
    # An id that does not exist answers the same.
    assert theirs.get(reverse("portal:application", args=[application.pk + 999])).status_code == 404


def test_filing_only_for_those_bound_to_the_person(me, center, applicant):
    client = sign_in(COMPANY_MOBILE)
    # The company's contact is not bound to it yet: nothing to file for.
    page = client.get(reverse("portal:file"), **EN).content.decode()
    assert "No applicant is registered" in page
    response = client.post(
        reverse("portal:file"), {"applicant": applicant.pk, "items": [center.permit.pk]}
    )
    assert response.status_code == 200 and not Filing.objects.exists()
    # Someone else's applicant by id: never used.
    response = client.post(
        reverse("portal:file"), {"applicant": me.pk, "items": [center.design_review.pk]}
    )
    assert not Filing.objects.exists()
    with pytest.raises(services.TransitionError):
        filing.filing_start(
            account=Filing.account.field.related_model.objects.get(mobile=COMPANY_MOBILE),
            applicant=me,
            project=None,
            items=[center.design_review],
            now=NOW,
        )
    # Bound through "My companies", the company is theirs to file for.
    client.post(reverse("portal:companies"), {"credit_code": applicant.id_number})
    assert Agency.objects.filter(applicant=applicant).exists()
    draft = start(client, applicant, center.design_review)
    assert draft.applicant == applicant


def test_items_of_the_investment_package_need_a_project_as_at_the_counter(me, center):
    client = sign_in(MOBILE)
    response = client.post(
        reverse("portal:file"), {"applicant": me.pk, "items": [center.permit.pk]}, **EN
    )
    assert b"need a project" in response.content and not Filing.objects.exists()


def test_staff_never_file_or_upload_as_the_applicant(me, center, client):
    applicant_client = sign_in(MOBILE)
    draft = start(applicant_client, me, center.design_review)
    application = filed(applicant_client, me, center.design_review)
    client.force_login(center.dave)
    # The staff's browser carries the applicant's cookie too: still refused.
    client.cookies.update(applicant_client.cookies)
    for url, data in (
        (reverse("portal:file"), {"applicant": me.pk, "items": [center.design_review.pk]}),
        (reverse("portal:filing_upload", args=[draft.pk]), {"file": pdf()}),
        (reverse("portal:filing_submit", args=[draft.pk]), {}),
        (reverse("portal:supplement_upload", args=[application.pk]), {"file": pdf()}),
    ):
        assert client.post(url, data).status_code == 403
    assert Filing.objects.count() == 2 and not draft.files.exists()
    assert Application.objects.count() == 1


def test_an_applicant_never_reaches_a_staff_page(me, center):
    client = sign_in(MOBILE)
    application = filed(client, me, center.design_review)
    scan = application.scans.get()
    for url in (
        reverse("applications:intake"),
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:scan", args=[scan.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]
    response = client.post(
        reverse("applications:invite", args=[application.pk]), {"invite-note": "x"}
    )
    assert response.status_code == 302 and not Application.objects.get().invited_at


@pytest.mark.parametrize(
    ("name", "body", "refusal"),
    [
        ("photo.pdf", PNG, "its content is PNG"),
        (
            "page.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "none of them",
        ),
        ("page.html", b"<html><script>alert(1)</script></html>", "none of them"),
        ("big.pdf", PDF + b"\0" * (50 * 1024 * 1024), "at most 10 MB"),
    ],
)
def test_hostile_uploads_are_refused(me, center, name, body, refusal):
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    response = client.post(
        reverse("portal:filing_upload", args=[draft.pk]),
        {"material": filing.filing_materials(draft)[0].pk, "file": pdf(name, body)},
        follow=True,
        **EN,
    )
    assert refusal in response.content.decode()
    assert not FilingFile.objects.exists()


def test_a_polyglot_is_served_only_as_a_download(me, center):
    """A PDF that is also HTML passes as a PDF (its content is one), and is never rendered."""
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    body = PDF + b"<html><script>alert(1)</script></html>"
    client.post(
        reverse("portal:filing_upload", args=[draft.pk]),
        {"material": filing.filing_materials(draft)[0].pk, "file": pdf("x.pdf", body)},
    )
    stored = draft.files.get()
    response = client.get(reverse("portal:filing_file", args=[draft.pk, stored.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_materials_not_asked_for_are_refused(me, center, materials):
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    client.post(
        reverse("portal:filing_upload", args=[draft.pk]),
        {"material": materials["eia"].pk, "file": pdf()},
    )
    assert not FilingFile.objects.exists()


class FakeClamd:
    """clamd on a Unix socket, speaking INSTREAM: FOUND for the EICAR string, OK otherwise."""

    def __init__(self, path: str) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(4)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\0\0\0\0") or len(data) < 14:
                    part = conn.recv(65536)
                    if not part:
                        break
                    data += part
                found = b"EICAR" in data
                conn.sendall(b"stream: Eicar-Test-Signature FOUND\0" if found else b"stream: OK\0")

    def close(self) -> None:
        self.server.close()


def test_clamd_is_asked_when_configured(me, center, settings):
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    material = filing.filing_materials(draft)[0]
    path = os.path.join(tempfile.mkdtemp(), "clamd.sock")
    clamd = FakeClamd(path)
    settings.CLAMD_SOCKET = path
    try:
        response = client.post(
            reverse("portal:filing_upload", args=[draft.pk]),
            {"material": material.pk, "file": pdf("v.pdf", PDF + b"EICAR-STANDARD-ANTIVIRUS")},
            follow=True,
            **EN,
        )
        assert "carries a virus (Eicar-Test-Signature)" in response.content.decode()
        assert not FilingFile.objects.exists()
        client.post(
            reverse("portal:filing_upload", args=[draft.pk]),
            {"material": material.pk, "file": pdf()},
        )
        assert FilingFile.objects.count() == 1
    finally:
        clamd.close()
    # Configured and not answering: refused, not stored unscanned.
    settings.CLAMD_SOCKET = path + ".gone"
    response = client.post(
        reverse("portal:filing_upload", args=[draft.pk]),
        {"material": material.pk, "file": pdf()},
        follow=True,
        **EN,
    )
    assert "virus scanner cannot be reached" in response.content.decode()
    assert FilingFile.objects.count() == 1


def test_the_guide_offers_filing_online(me, center, client):
    page = client.get(reverse("guide:item", args=[center.design_review.code])).content.decode()
    assert reverse("portal:file") + "?item=" + center.design_review.code in page
    signed = sign_in(MOBILE)
    page = signed.get(reverse("portal:file") + "?item=" + center.design_review.code).content
    assert f'value="{center.design_review.pk}" checked'.encode() in page


def test_a_person_registers_themselves_and_a_project_to_file(center, calendar, materials, seals):
    from applications.validators import id_check_char

    client = sign_in(OTHER)
    page = client.get(reverse("portal:file"), **EN).content.decode()
    assert "Register as a person" in page
    # A wrong ID number: the counter's check, nothing registered.
    response = client.post(
        reverse("portal:person_new"), {"name": "李四", "id_number": "330185198001011234"}, **EN
    )
    assert response.status_code == 200 and not Applicant.objects.exists()
    first17 = "33018519800101555"
    number = first17 + id_check_char(first17)
    response = client.post(
        reverse("portal:person_new") + "?item=" + center.permit.code,
        {"name": "李四", "id_number": number},
    )
    me = Applicant.objects.get(id_number=number)
    assert me.mobile == OTHER and me.kind == "person"
    assert me.history.get().history_user is None
    assert response["Location"].startswith(reverse("portal:file") + "?")
    # The same number from another phone: refused, the record unchanged.
    third = sign_in("13911110003")
    response = third.post(reverse("portal:person_new"), {"name": "冒名", "id_number": number}, **EN)
    assert "registered at the center with another mobile" in response.content.decode(), seen(
        response.content.decode()
    )[-1500:]
    assert Applicant.objects.get(id_number=number).name == "李四"
    # A project of one's own, as at the counter, then the investment item with it.
    response = client.post(
        reverse("portal:project_new") + f"?applicant={me.pk}&item={center.permit.code}",
        {
            "code": "2026-330185-47-01-400001",
            "name": "自建厂房",
            "location": "临安区",
            "total_investment": "100",
            "land_area": "100",
            "description": "厂房",
        },
    )
    project = Project.objects.get(applicant=me)
    assert f"project={project.pk}" in response["Location"]
    draft = start(client, me, center.permit, project=project)
    assert draft.project == project
    # Another's applicant for a project: 404.
    assert third.get(reverse("portal:project_new") + f"?applicant={me.pk}").status_code == 404


def test_supplements_to_a_stop_reach_the_department(me, center, client):
    from windows import authority

    applicant_client = sign_in(MOBILE)
    application = filed(applicant_client, me, center.design_review)
    # Nothing asked: no file can be added.
    applicant_client.post(
        reverse("portal:supplement_upload", args=[application.pk]), {"file": pdf("early.pdf")}
    )
    assert application.scans.count() == 1
    authority.sync_signing_authority(at=NOW)
    lines = {line.pk: {"status": "received", "copies": 1} for line in application.materials.all()}
    services.application_accept_with_checklist(
        application=application, lines=lines, by=center.dave, now=NOW
    )
    review = application.reviews.get()
    services.review_stop(
        review=review,
        by=center.alice,
        now=NOW,
        cause="supplements",
        days_needed=10,
        reason="请补充施工合同",
    )
    page = applicant_client.get(reverse("portal:application", args=[application.pk])).content
    assert b'id="supplements"' in page
    applicant_client.post(
        reverse("portal:supplement_upload", args=[application.pk]), {"file": pdf("contract.pdf")}
    )
    scan = application.scans.get(original_name="contract.pdf")
    assert scan.uploaded_online and scan.line is None
    client.force_login(center.alice)
    assert client.get(reverse("applications:scan", args=[scan.pk])).status_code == 200
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "contract.pdf" in page


def test_the_counters_scan_is_refused_when_clamd_is_configured_and_down(
    center, calendar, materials, applicant, project, client, settings
):
    from .conftest import add_draft

    draft = add_draft(center, applicant, project)
    settings.CLAMD_HOST, settings.CLAMD_PORT, settings.CLAMD_TIMEOUT_SECONDS = "127.0.0.1", 9, 2
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:scan_upload", args=[draft.pk]),
        {"file": pdf(), "line": ""},
        follow=True,
        **EN,
    )
    assert "virus scanner cannot be reached" in response.content.decode()
    assert not draft.scans.exists()


def test_the_timeline_says_what_the_applicant_did_online(me, center, client):
    from applications import timeline

    application = filed(sign_in(MOBILE), me, center.design_review)
    services.application_invite(application=application, by=center.dave, now=NOW, note="带原件")
    with translation.override("en"):
        told = [(str(e.who), e.what, e.detail) for e in timeline.events(application)]
    assert told[0][:2] == (
        "the applicant, online",
        "Filed online by the applicant: the materials received (Art. 32)",
    )
    invited = [e for e in told if e[1] == "Invited to the counter with the originals"]
    assert len(invited) == 1 and invited[0][2] == "带原件" and invited[0][0] != "None"
    client.force_login(center.dave)
    assert client.get(reverse("applications:timeline", args=[application.pk])).status_code == 200
