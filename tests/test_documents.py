"""The printed documents: each kind, issued by the real services, prints what it must.

The PDFs are read back with poppler's `pdftotext`, so the tests see what the applicant reads.
Set DOCUMENTS_OUT to a directory to keep the PDFs of a run (`<kind>.pdf`) for a look.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import get_template
from django.utils import translation

from applications import services
from applications.documents import render_html, render_pdf, track_url
from applications.models import Applicant, Application, DepartmentReview, Document, Project
from windows import authority
from windows.demo import draw_seal
from windows.models import Seal

from .conftest import NOW, aware, extend, receive_all

PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"
FC_MATCH = shutil.which("fc-match") or "/usr/bin/fc-match"


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The text of a PDF with all white space removed, as lines and cells may wrap anywhere."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [PDFTOTEXT, "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return squeeze(out.stdout)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def printed(document: Document, tmp_path: Path, *, keep: bool = True) -> str:
    """Render the document to PDF, check it is one, keep it if asked, and return its text."""
    pdf = render_pdf(document)
    assert pdf.startswith(b"%PDF")
    if keep and (out := os.environ.get("DOCUMENTS_OUT")):
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{document.kind}.pdf").write_bytes(pdf)
    return pdf_text(pdf, tmp_path)


def assert_common(text: str, document: Document) -> None:
    assert squeeze(document.number) in text
    assert "本文书编号可在中心核验" in text
    assert squeeze(settings.CENTER_NAME) in text
    assert squeeze(settings.CENTER_COMPLAINT_PHONE) in text
    assert "第1页共1页" in text or "第1页共2页" in text


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture
def people(center):
    """Real names and titles, as they print on decisions."""
    for person, name, title in (
        (center.alice, "刘晓燕", "窗口工作人员"),
        (center.bob, "赵建明", "建设局窗口负责人"),
        (center.carol, "陈立新", "发改局副局长"),
        (center.dave, "周敏", "综合窗口受理员"),
        (center.frank, "李振华", "发改局局长"),
    ):
        person.full_name, person.title = name, title
        person.save(update_fields=["full_name", "title"])
    return center


@pytest.fixture
def seals(center, media):
    font = subprocess.run(  # noqa: S603 (a fixed program, no input)
        [FC_MATCH, "-f", "%{file}", ":lang=zh-cn"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.strip()
    made = {}
    for window, organisation, purpose in (
        (center.intake_window, settings.CENTER_NAME, "综合受理专用章"),
        (center.construction_window, center.construction.name, "行政审批专用章"),
        (center.planning_window, center.planning.name, "行政审批专用章"),
    ):
        seal = Seal(
            window=window,
            number=f"3301850000{window.number}",
            inscription=organisation + purpose,
            issued_on=dt.date(2024, 12, 1),
        )
        seal.image.save(
            f"{window.number}.png",
            content=ContentFile(draw_seal(organisation, purpose, font or None)),
            save=False,
        )
        seal.save()
        made[window.number] = seal
    return made


@pytest.fixture
def accepted(people, calendar, materials, applicant, project, seals) -> Application:
    """Three items at two departments, the EIA approval promised later (容缺)."""
    center = people
    authority.sync_signing_authority(at=NOW)
    application = services.application_create(
        applicant=applicant,
        project=project,
        items=[center.permit, center.design_review, center.planning_item],
        by=center.dave,
        now=NOW,
    )
    receive_all(
        application,
        center.dave,
        **{materials["eia"].name: {"status": "to_follow", "promised_by": dt.date(2026, 10, 9)}},
    )
    return services.application_accept(application=application, by=center.dave, now=NOW)


def review_of(application: Application, item) -> DepartmentReview:
    return application.reviews.select_related("item", "department").get(item=item)


# --- the commitment slip --------------------------------------------------------------------


def test_the_slip_prints_numbers_items_promise_and_pickup(accepted, materials, tmp_path):
    document = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "受理通知书" in text and "承诺件" in text
    assert accepted.receipt_number in text
    assert text.count(accepted.access_code) >= 2  # in the receipt box and next to the QR code
    for review in accepted.reviews.select_related("item", "department", "window"):
        assert squeeze(review.item.name) in text
        assert squeeze(review.department.name) in text
        assert review.window.number in text
        assert cn_date(review.deadline) in text
    assert f"本件承诺办结日期：{cn_date(accepted.promised_date)}" in text
    assert "以承诺时限最长的事项为准" in text
    applicant, project = accepted.applicant, accepted.project
    for value in (
        applicant.name,
        applicant.id_number,
        applicant.contact_name,
        applicant.mobile,
        project.name,
        project.code,
        project.location,
        "12000.00万元",
    ):
        assert squeeze(value) in text
    # 容缺: the material promised later, its date, and the line for the applicant's signature.
    assert "容缺受理承诺" in text
    assert materials["eia"].name in text and "2026年10月9日" in text
    assert "申请人（签字或盖章）" in text
    assert "综合窗口（A01）" in text


def test_the_slip_explains_the_promised_date_with_the_holidays_crossed(accepted, tmp_path):
    text = squeeze(render_html(accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)))
    # Intake on 28 September 2026: the National Day holidays lie inside every promise.
    assert "法定节假日" in text and "天不计入" in text
    assert f"至{cn_date(accepted.promised_date)}届满" in text


def test_the_slip_carries_the_qr_code_of_the_status_page_and_the_intake_seal(accepted):
    html = render_html(accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP))
    assert track_url(accepted) == (
        f"{settings.PUBLIC_BASE_URL}/track/?number={accepted.receipt_number}"
        f"&code={accepted.access_code}"
    )
    assert 'src="data:image/svg+xml' in html
    assert html.count('src="data:image/png;base64,') == 1  # the comprehensive window's seal


def test_html_in_what_the_applicant_wrote_prints_as_text(
    people, calendar, materials, seals, tmp_path
):
    applicant = Applicant.objects.create(
        kind="enterprise",
        name="<script>alert(1)</script>公司",
        id_number="91330185MA2H2KMQ0B",
        contact_name="<b>王五</b>",
        mobile="13900000000",
    )
    project = Project.objects.create(
        applicant=applicant,
        code="2026-330185-47-01-654321",
        name='厂房"><img src=x onerror=alert(2)>',
        location="临安区",
        total_investment="10.00",
        land_area="100.00",
        description="厂房",
    )
    application = services.application_create(
        applicant=applicant,
        project=project,
        items=[people.design_review],
        by=people.dave,
        now=NOW,
    )
    receive_all(application, people.dave)
    application = services.application_accept(application=application, by=people.dave, now=NOW)
    document = application.documents.get()

    html = render_html(document)
    assert "<script>" not in html and "<b>王五</b>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;公司" in html
    text = printed(document, tmp_path, keep=False)
    assert "<script>alert(1)</script>公司" in text
    assert "<b>王五</b>" in text
    assert squeeze('厂房"><img src=x onerror=alert(2)>') in text


def test_documents_print_in_chinese_whatever_the_readers_language(accepted):
    document = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    with translation.override("en"):
        html = render_html(document)
        assert translation.get_language() == "en"
    assert "受理通知书" in html and "承诺办结日期" in html


def test_a_seal_whose_image_is_gone_prints_without_it(accepted, seals, tmp_path):
    seal = seals["A01"]
    seal.image.storage.delete(seal.image.name)
    document = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    assert "data:image/png" not in render_html(document)
    assert accepted.receipt_number in printed(document, tmp_path, keep=False)


def test_a_slip_is_read_in_a_few_queries(accepted, django_assert_max_num_queries):
    document = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    with django_assert_max_num_queries(12):
        render_html(document)


def test_slip_render_time(accepted, record_property):
    """Loosely timed, for the record only: WeasyPrint's speed depends on the machine."""
    document = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    render_pdf(document)  # warm-up: fonts, templates
    started = time.perf_counter()
    for _ in range(3):
        assert render_pdf(document).startswith(b"%PDF")
    each = (time.perf_counter() - started) / 3
    record_property("slip_render_seconds", round(each, 3))
    print(f"commitment slip: {each * 1000:.0f} ms per render")


# --- intake notices -----------------------------------------------------------------------


def test_the_one_time_notice_lists_every_missing_material(
    people, draft, materials, seals, tmp_path
):
    receive_all(
        draft,
        people.dave,
        **{
            materials["form"].name: {"status": "missing", "note": "须加盖单位公章"},
            materials["eia"].name: {"status": "missing"},
        },
    )
    document = services.application_notify_missing(
        application=draft, by=people.dave, now=NOW, note="补正后请携带原件核对。"
    )
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "一次性告知" in text
    assert squeeze(materials["form"].name) in text and "须加盖单位公章" in text
    assert squeeze(materials["eia"].name) in text
    assert squeeze(materials["licence"].name) not in text  # received, so not asked for
    assert "补正后请携带原件核对。" in text
    assert "《中华人民共和国行政许可法》第三十二条" in text
    assert cn_date(NOW.date()) + "10:00" in text  # when the materials were received
    assert "综合窗口（A01）" in text


def test_the_notice_of_non_acceptance_gives_reasons_and_remedies(people, draft, seals, tmp_path):
    document = services.application_refuse(
        application=draft,
        by=people.dave,
        now=NOW,
        reasons="申请事项依法不需要取得行政许可。\n<i>请向属地街道咨询</i>",
    )
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "不予受理通知书" in text
    assert "申请事项依法不需要取得行政许可。" in text
    assert "<i>请向属地街道咨询</i>" in text
    assert "六十日内" in text and "行政复议" in text and "《中华人民共和国行政复议法》" in text
    assert "六个月内" in text and "《中华人民共和国行政诉讼法》" in text
    assert "第三十八条" in text


# --- the clock --------------------------------------------------------------------------


def test_a_request_for_supplements_says_the_time_is_not_counted(accepted, people, tmp_path):
    review = review_of(accepted, people.permit)
    document = services.review_stop(
        review=review,
        by=people.alice,
        now=aware(2026, 9, 30, 15),
        cause="supplements",
        days_needed=5,
        reason="请补充施工合同及监理合同。",
    )
    assert document.kind == Document.Kind.SUPPLEMENTS
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "补正材料通知书" in text
    assert squeeze(people.permit.name) in text and squeeze(people.construction.name) in text
    assert "等待申请人补正材料" in text
    assert "5个工作日" in text
    assert "请补充施工合同及监理合同。" in text
    assert "不计算在审批时限内" in text


def test_a_notice_of_stopped_time_names_the_cause_and_the_days(accepted, people, tmp_path):
    review = review_of(accepted, people.design_review)
    document = services.review_stop(
        review=review,
        by=people.alice,
        now=aware(2026, 9, 29, 11),
        cause="expert_review",
        days_needed=10,
        reason="施工图涉及超限高层建筑，须组织抗震设防专项审查专家论证。",
    )
    assert document.kind == Document.Kind.STOPPED_TIME
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "审批时限中止告知书" in text
    assert squeeze(people.design_review.name) in text
    assert "专家评审" in text and "约10个工作日" in text
    assert "抗震设防专项审查专家论证" in text
    assert "第四十五条" in text and "不计算在行政许可期限内" in text


def test_a_notice_of_extension_names_days_approver_and_new_deadline(accepted, people, tmp_path):
    review = review_of(accepted, people.permit)
    document = extend(
        review,
        by=people.alice,
        approved_by=people.bob,
        now=aware(2026, 10, 9, 16),
        days=5,
        reason="项目涉及消防设计审查，需会同有关部门现场踏勘。",
    )
    review.refresh_from_db()
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "延长审批期限告知书" in text
    assert "延长5个工作日" in text
    assert "需会同有关部门现场踏勘" in text
    assert "赵建明" in text
    assert cn_date(review.deadline) in text
    assert "第四十二条" in text


# --- decisions ------------------------------------------------------------------------------


def test_an_approval_is_issued_in_the_departments_name_under_the_letter(accepted, people, tmp_path):
    review = review_of(accepted, people.permit)
    document = services.review_decide(
        review=review,
        by=people.bob,
        now=aware(2026, 10, 12, 10),
        outcome="granted",
        reasons="经审查，施工图审查合格，施工企业资质符合要求。",
    )
    review.refresh_from_db()
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "准予行政许可决定书" in text
    assert squeeze(review.decision_number) in text
    assert text.count(people.construction.name) >= 2  # the heading and the signature block
    assert squeeze(accepted.applicant.name) in text and squeeze(accepted.project.name) in text
    assert squeeze(people.permit.name) in text
    assert squeeze(people.permit.legal_basis) in text
    assert "施工企业资质符合要求" in text
    assert "赵建明" in text
    assert "受王建国（局长）委托（委托书临建委〔2026〕1号）" in text
    assert "2026年10月12日" in text
    html = render_html(document)
    assert html.count('src="data:image/png;base64,') == 1  # the construction window's seal


def test_a_refusal_gives_reasons_remedies_posting_and_countersign(accepted, people, tmp_path):
    review = review_of(accepted, people.planning_item)
    document = services.review_decide(
        review=review,
        by=people.carol,
        now=aware(2026, 10, 13, 10),
        outcome="refused",
        reasons="项目不符合临安市产业发展规划，且未取得用地预审意见。",
    )
    services.review_countersign(review=review, by=people.frank, now=aware(2026, 10, 14, 9))
    text = printed(document, tmp_path)

    assert_common(text, document)
    assert "不予行政许可决定书" in text
    assert text.count(people.planning.name) >= 2
    assert "项目不符合临安市产业发展规划，且未取得用地预审意见。" in text
    assert "行政复议" in text and "六十日内" in text and "六个月内" in text
    assert "行政诉讼" in text
    assert "陈立新" in text and "常驻中心副职（临组干〔2026〕8号）" in text
    assert "会签" in text and "李振华" in text


def test_a_decision_awaiting_countersign_says_so(accepted, people, tmp_path):
    review = review_of(accepted, people.planning_item)
    document = services.review_decide(
        review=review,
        by=people.carol,
        now=aware(2026, 10, 13, 10),
        outcome="granted",
        reasons="",
    )
    text = squeeze(render_html(document))
    assert "本事项须经部门负责人会签，会签后生效" in text


def test_every_kind_has_its_template():
    for kind in Document.Kind.values:
        template = get_template(f"applications/documents/{kind}.html")
        assert template.origin.name.endswith(f"{kind}.html")
