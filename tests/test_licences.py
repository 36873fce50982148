# ruff: noqa: F811  (the fixtures of tests/test_documents.py, imported, are parameters here)
"""Signed documents, the public /verify/ page, licences and their reuse (issue 16).

Signatures are checked independently of the code that made them: pyHanko's validation API
against the center's certificate, and poppler's `pdfsig`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from applications import access, documents, services
from applications.models import ApplicationMaterial, Document
from applications.services import TransitionError
from licences import signing, verification
from licences.models import Licence, LicenceUse, LicensedItem, MaterialByLicence, Verification
from licences.services import licence_revoke
from windows.models import ItemMaterial, Material
from windows.roles import Role

from .conftest import NOW, aware, make_staff, receive_all
from .test_document_layout import draft_again, every_kind  # noqa: F401
from .test_documents import accepted, media, people, review_of, seals  # noqa: F401

PDFSIG = shutil.which("pdfsig") or "/usr/bin/pdfsig"


def pyhanko_validates(pdf: bytes) -> bool:
    reader = PdfFileReader(io.BytesIO(pdf))
    (sig,) = reader.embedded_signatures
    context = ValidationContext(trust_roots=[signing.certificate()], allow_fetching=False)
    status = validate_pdf_signature(sig, context)
    return status.intact and status.valid and status.trusted and sig.coverage.name == "ENTIRE_FILE"


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [PDFSIG, str(path)], capture_output=True, text=True, check=False, timeout=60
    ).stdout


@pytest.fixture(autouse=True)
def _fresh_counts(db):
    """Each test's rate-limit counts start at zero."""
    cache.clear()
    yield
    cache.clear()


# --- every document signed ----------------------------------------------------------------


def test_every_kind_is_signed_validates_and_carries_its_verification_code(
    every_kind, people, tmp_path
):
    for kind, document in every_kind.items():
        pdf, _record = documents.printed(document, now=NOW)
        assert pyhanko_validates(pdf), kind
        check = signing.check(pdf)
        assert check.valid and check.signed, (kind, check)
        department = (
            document.content["review"]["department"]["name"] if document.review_id else None
        )
        assert (department or settings.CENTER_NAME) in check.reason, kind
        out = pdfsig(pdf, tmp_path)
        assert "Signature #1" in out and "ETSI.CAdES.detached" in out, (kind, out)
        assert "Signature Validation: Signature is Valid." in out, (kind, out)
        code = document.verification.code
        assert verification.code_is_well_formed(code)
        text = subprocess.run(  # noqa: S603
            ["/usr/bin/pdftotext", "-enc", "UTF-8", str(tmp_path / "signed.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert verification.grouped(code) in text, kind


def test_one_byte_changed_breaks_the_signature(accepted, tmp_path):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    pdf, _record = documents.printed(slip, now=NOW)
    assert signing.check(pdf).valid
    # A byte inside the signed content (the first page's stream), not in the signature itself.
    position = pdf.index(b"stream", 200) + 20
    changed = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    assert len(changed) == len(pdf)
    check = signing.check(changed)
    assert check.signed and not check.valid and not check.intact
    with pytest.raises(AssertionError):
        assert pyhanko_validates(changed)
    assert "Signature is Valid" not in pdfsig(changed, tmp_path)


def test_a_pdf_signed_by_another_key_is_not_the_centers(accepted, tmp_path, settings):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    pdf = documents.render_pdf(slip)  # unsigned
    other = signing.make_development_key(tmp_path / "other.p12")
    settings.SIGNING_PKCS12_PATH = str(other)
    signing.forget_signer()
    try:
        forged = signing.sign(pdf, reason="x", location="y")
        settings.SIGNING_PKCS12_PATH = ""
        signing.forget_signer()
        check = signing.check(forged)
        assert check.signed and not check.trusted and not check.valid
    finally:
        settings.SIGNING_PKCS12_PATH = ""
        signing.forget_signer()


# --- /verify/ -----------------------------------------------------------------------------


def _approval(accepted, people) -> Document:
    return services.review_decide(
        review=review_of(accepted, people.permit),
        by=people.bob,
        now=aware(2026, 10, 12, 10),
        outcome="granted",
        reasons="符合要求。",
    )


def test_the_qr_opens_the_decision_with_its_licence_and_sha256(accepted, people, client):
    decision = _approval(accepted, people)
    pdf, record = documents.printed(decision, now=NOW)
    url = verification.url_of(decision.number, decision.verification.code)
    response = client.get(url.removeprefix(settings.PUBLIC_BASE_URL), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert record.sha256 in page and decision.number in page
    licence = Licence.objects.get(decision=decision)
    assert licence.number in page and 'data-status="valid"' in page
    # The holder's name partly hidden, nothing else of theirs.
    holder = accepted.applicant.name
    assert holder not in page and access.masked_name(holder) in page
    assert accepted.applicant.id_number not in page and accepted.access_code not in page

    # The issued file: identical and validly signed.
    upload = SimpleUploadedFile("d.pdf", pdf, content_type="application/pdf")
    page = client.post(reverse("licences:verify_upload"), {"pdf": upload}).content.decode()
    assert 'data-testid="identical"' in page and 'data-testid="signature-valid"' in page
    # One byte changed: neither.
    position = pdf.index(b"stream", 200) + 20
    changed = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    upload = SimpleUploadedFile("d.pdf", changed, content_type="application/pdf")
    page = client.post(reverse("licences:verify_upload"), {"pdf": upload}).content.decode()
    assert 'data-testid="different"' in page and 'data-testid="signature-invalid"' in page
    # Not a PDF: a message, nothing compared.
    upload = SimpleUploadedFile("d.pdf", b"hello", content_type="application/pdf")
    page = client.post(reverse("licences:verify_upload"), {"pdf": upload}).content.decode()
    assert 'class="errors' in page or "invalid" in page
    assert 'data-testid="comparison"' not in page


def test_a_revoked_licence_shows_revoked_on_verify(accepted, people, client):
    decision = _approval(accepted, people)
    documents.printed(decision, now=NOW)
    licence = Licence.objects.get(decision=decision)
    licence_revoke(
        licence=licence, by=people.erin, reason="以欺骗手段取得。", now=aware(2026, 11, 2)
    )
    url = verification.url_of(decision.number, decision.verification.code)
    page = client.get(url.removeprefix(settings.PUBLIC_BASE_URL), follow=True).content.decode()
    assert 'data-status="revoked"' in page


def test_an_unknown_number_and_a_wrong_code_get_the_same_answer(accepted, people, client):
    decision = _approval(accepted, people)
    documents.printed(decision, now=NOW)
    code = decision.verification.code
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    answers = []
    for number, value in ((decision.number, wrong), ("建设局许字〔2026〕第999号", code)):
        response = client.post(reverse("licences:verify"), {"number": number, "code": value})
        assert response.status_code == 200
        page = response.content.decode()
        answers.append(re.search(r'<div class="errors" role="alert">(.*?)</div>', page, re.S)[1])
        assert 'data-testid="verified"' not in page
    assert answers[0] == answers[1]
    # The number alone opens nothing.
    page = client.get(reverse("licences:verify"), {"number": decision.number}).content.decode()
    assert (
        'data-testid="verified"' not in page and decision.content["applicant"]["name"] not in page
    )


def test_lookups_are_limited_per_address(accepted, people, client, settings):
    settings.VERIFY_RATE_LIMIT = 3
    decision = _approval(accepted, people)
    documents.printed(decision, now=NOW)
    for _ in range(3):
        response = client.post(
            reverse("licences:verify"), {"number": "x", "code": "ABCD-EFGH-JKLM-NPQR"}
        )
        assert response.status_code == 200
    # The right pair is refused too once the limit is passed: guessing gains nothing.
    response = client.post(
        reverse("licences:verify"),
        {"number": decision.number, "code": decision.verification.code},
    )
    assert response.status_code == 429 and "Retry-After" in response
    assert 'data-testid="verified"' not in response.content.decode()
    # Another address is counted apart.
    response = client.post(
        reverse("licences:verify"),
        {"number": decision.number, "code": decision.verification.code},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302


def test_masked_names():
    assert access.masked_name("张三") == "张*"
    assert access.masked_name("欧阳小明") == "欧**明"
    assert access.masked_name("临安市绿源新材料科技有限公司") == "临安********有限公司"


# --- licences -----------------------------------------------------------------------------


def test_an_approval_issues_a_licence_with_its_term_and_supersedes_the_earlier(accepted, people):
    LicensedItem.objects.create(item=people.permit, valid_years=3)
    decision = _approval(accepted, people)
    licence = Licence.objects.get(decision=decision)
    assert licence.number.startswith("建设局证字〔2026〕第")
    assert licence.holder == accepted.applicant and licence.project == accepted.project
    assert licence.valid_from == dt.date(2026, 10, 12)
    assert licence.valid_until == dt.date(2029, 10, 11)
    assert licence.status_on(dt.date(2029, 10, 11)) == "valid"
    assert licence.status_on(dt.date(2029, 10, 12)) == "expired"
    assert not Licence.objects.valid_on(dt.date(2029, 10, 12)).filter(pk=licence.pk).exists()
    assert licence.history.count() == 1 and licence.history.first().history_user == people.bob
    # A refusal issues none.
    services.review_decide(
        review=review_of(accepted, people.design_review),
        by=people.bob,
        now=aware(2026, 10, 12, 11),
        outcome="refused",
        reasons="不符合。",
    )
    assert Licence.objects.count() == 1


def test_a_countersigned_approval_issues_its_licence_when_countersigned(accepted, people):
    review = review_of(accepted, people.planning_item)
    services.review_decide(
        review=review,
        by=people.carol,
        now=aware(2026, 10, 13, 10),
        outcome="granted",
        reasons="",
    )
    assert not Licence.objects.exists()
    services.review_countersign(review=review, by=people.frank, now=aware(2026, 10, 14, 10))
    assert Licence.objects.get().item == people.planning_item


def test_revoking_needs_the_authority_and_a_reason(accepted, people, client):
    licence = Licence.objects.get(decision=_approval(accepted, people))
    for person in (
        people.alice,
        people.bob,
        people.frank,
        people.dave,
    ):  # no authority
        with pytest.raises(TransitionError):
            licence_revoke(licence=licence, by=person, reason="x", now=aware(2026, 11, 2))
    with pytest.raises(TransitionError):
        licence_revoke(licence=licence, by=people.erin, reason=" ", now=aware(2026, 11, 2))
    licence.refresh_from_db()
    assert licence.status == "valid" and licence.history.count() == 1
    # Through the page: a 403 for someone who sees it but may not revoke, nothing changed.
    client.force_login(people.bob)
    response = client.post(reverse("licences:revoke", args=[licence.pk]), {"reason": "x"})
    assert response.status_code == 403
    # Another department's staff do not even see it.
    client.force_login(people.mallory)
    assert client.get(reverse("licences:detail", args=[licence.pk])).status_code == 404
    # The construction department's leader may.
    leader = make_staff("hank", Role.DEPARTMENT_LEADER, department=people.construction)
    client.force_login(leader)
    response = client.post(reverse("licences:revoke", args=[licence.pk]), {"reason": "吊销。"})
    assert response.status_code == 302
    licence.refresh_from_db()
    assert licence.status == "revoked" and licence.revoked_by == leader
    assert licence.history.latest().history_change_reason == "吊销。"
    # Once revoked, not again.
    with pytest.raises(TransitionError):
        licence_revoke(licence=licence, by=people.erin, reason="x", now=aware(2026, 11, 3))


def test_the_licence_fills_a_later_checklist_line_and_revoking_empties_it(
    accepted, people, materials, client
):
    decision = _approval(accepted, people)
    licence = Licence.objects.get(decision=decision)
    permit_copy = Material.objects.create(name="建筑工程施工许可证")
    ItemMaterial.objects.create(item=people.design_review, material=permit_copy)
    MaterialByLicence.objects.create(material=permit_copy, item=people.permit)
    later = services.application_create(
        applicant=accepted.applicant,
        project=accepted.project,
        items=[people.design_review],
        by=people.dave,
        now=aware(2026, 10, 20),
    )
    line = later.materials.get(material=permit_copy)
    assert line.status == ApplicationMaterial.Status.RECEIVED
    use = LicenceUse.objects.get(line=line)
    assert use.licence == licence
    # The other lines are untouched; the applicant brings only those.
    assert later.materials.exclude(pk=line.pk).filter(status="received").count() == 0
    # Someone else's application: the licence is not theirs, the line stays missing.
    from applications.models import Applicant

    other = Applicant.objects.create(
        kind="enterprise", name="别家公司", id_number="91330185MA2H2KMQ9X", mobile="13900000001"
    )
    theirs = services.application_create(
        applicant=other,
        project=None,
        items=[people.design_review],
        by=people.dave,
        now=aware(2026, 10, 20),
    )
    assert theirs.materials.get(material=permit_copy).status == ApplicationMaterial.Status.MISSING
    # Revoked: the line of the application still at intake goes back to missing, and the
    # licence's page and the timeline say where it was used.
    licence_revoke(licence=licence, by=people.erin, reason="吊销。", now=aware(2026, 10, 21))
    line.refresh_from_db()
    assert line.status == ApplicationMaterial.Status.MISSING
    client.force_login(people.erin)
    page = client.get(reverse("licences:detail", args=[licence.pk])).content.decode()
    assert later.receipt_number is None or str(later.pk) in page
    assert 'data-status="revoked"' in page
    timeline = client.get(reverse("applications:timeline", args=[later.pk])).content.decode()
    assert licence.number in timeline
    # The application's checklist says which licence provided the line, and that it is revoked.
    page = client.get(reverse("applications:detail", args=[later.pk])).content.decode()
    assert 'data-testid="provided-by-licence"' in page and licence.number in page
    assert f'data-testid="licence-status-{licence.pk}" data-status="revoked"' in page
    # A new application now: nothing is filled by a revoked licence.
    again = services.application_create(
        applicant=accepted.applicant,
        project=accepted.project,
        items=[people.design_review],
        by=people.dave,
        now=aware(2026, 10, 22),
    )
    assert again.materials.get(material=permit_copy).status == ApplicationMaterial.Status.MISSING


def test_the_project_include_lists_its_licences_with_status(accepted, people):
    from django.template.loader import render_to_string
    from django.utils import translation

    from licences.queries import of_project

    licence = Licence.objects.get(decision=_approval(accepted, people))
    licence_revoke(licence=licence, by=people.erin, reason="吊销。", now=aware(2026, 11, 2))
    with translation.override("zh-hans"):
        html = render_to_string(
            "licences/_project_licences.html", {"licences": of_project(accepted.project)}
        )
    assert licence.number in html and 'data-status="revoked"' in html


# --- races (PostgreSQL) -------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races are run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_revocations_at_once_revoke_once(accepted, people):
    from .test_intake_concurrency import race

    licence = Licence.objects.get(decision=_approval(accepted, people))
    leader = make_staff("hank", Role.DEPARTMENT_LEADER, department=people.construction)
    by = [people.erin, leader]

    def revoke(i: int) -> None:
        licence_revoke(licence=licence, by=by[i], reason=f"理由{i}", now=aware(2026, 11, 2))

    errors = race(revoke, 2)
    assert len(errors) == 1 and isinstance(errors[0], TransitionError)
    licence.refresh_from_db()
    assert licence.status == "revoked"
    assert licence.history.filter(status="revoked").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races are run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_first_prints_at_once_keep_one_verification_code(accepted, people):
    from .test_intake_concurrency import race

    decision = _approval(accepted, people)
    served: list[bytes] = [b"", b""]

    def first_print(i: int) -> None:
        served[i] = documents.printed(Document.objects.get(pk=decision.pk), now=NOW)[0]

    assert race(first_print, 2) == []
    assert served[0] == served[1]
    assert signing.check(served[0]).valid
    assert Verification.objects.filter(document=decision).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races are run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_revocation_and_a_new_application_at_once_leave_no_line_filled_by_it(accepted, people):
    from .test_intake_concurrency import race

    permit_copy = Material.objects.create(name="建筑工程施工许可证")
    ItemMaterial.objects.create(item=people.design_review, material=permit_copy)
    MaterialByLicence.objects.create(material=permit_copy, item=people.permit)
    licence = Licence.objects.get(decision=_approval(accepted, people))
    made = []

    def work(i: int) -> None:
        if i == 0:
            licence_revoke(licence=licence, by=people.erin, reason="吊销。", now=aware(2026, 11, 2))
        else:
            made.append(
                services.application_create(
                    applicant=accepted.applicant,
                    project=accepted.project,
                    items=[people.design_review],
                    by=people.dave,
                    now=aware(2026, 11, 2),
                )
            )

    assert race(work, 2) == []
    line = made[0].materials.get(material=permit_copy)
    assert line.status == ApplicationMaterial.Status.MISSING


def test_a_new_licence_of_the_item_supersedes_the_holders_older_one(accepted, people):
    first = Licence.objects.get(decision=_approval(accepted, people))
    again = services.application_create(
        applicant=accepted.applicant,
        project=None,
        items=[people.permit],
        by=people.dave,
        now=aware(2026, 10, 20),
    )
    receive_all(again, people.dave)
    again = services.application_accept(application=again, by=people.dave, now=aware(2026, 10, 20))
    services.review_decide(
        review=review_of(again, people.permit),
        by=people.bob,
        now=aware(2026, 10, 22),
        outcome="granted",
        reasons="",
    )
    second = Licence.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert first.status == "superseded" and first.superseded_by == second
    assert second.status == "valid" and second.number.endswith("第2号")
    assert first.history.latest().history_change_reason == second.number
    assert first.history.latest().history_type == "~"
    assert first.history.latest().status == "superseded"
    (made,) = second.history.all()
    assert made.history_type == "+" and made.number == second.number
    assert made.history_user == people.bob
    # Only the newer one provides a material now.
    assert list(Licence.objects.valid_on(dt.date(2026, 10, 23))) == [second]
