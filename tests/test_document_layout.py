# ruff: noqa: F811  (the fixtures of tests/test_documents.py, imported, are parameters here)
"""How the documents sit on paper, and what the PDFs say about themselves.

- A commitment slip with up to five items fits one A4 page, 容缺 included; a longer one breaks
  between rows, and the seal block never stands alone on a page.
- The seal sits as GB/T 9704-2012 (7.3.5.1) places it: centred over the issuer's name and the
  date, which fall in its lower centre, its top within a line of the text above.
- Every PDF is PDF/A-3a: tagged, fonts embedded, with title, author, subject and language.
- The urge notice carries the center's own seal, not the intake window's.

Layouts are read from WeasyPrint's boxes; the PDFs from poppler (`pdfinfo`, `pdffonts`).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import weasyprint
from django.urls import reverse

from applications import documents, services
from applications.models import Document
from supervision import actions
from windows.models import Seal

from .conftest import NOW, aware, extend, receive_all
from .test_documents import (  # noqa: F401  (the fixtures of the printed documents)
    accepted,
    media,
    people,
    review_of,
    seals,
)

MM = 96 / 25.4  # CSS pixels per millimetre
PDFINFO = shutil.which("pdfinfo") or "/usr/bin/pdfinfo"
PDFFONTS = shutil.which("pdffonts") or "/usr/bin/pdffonts"

LONG_ITEMS = [
    ("人防工程建设审批（结合民用建筑修建防空地下室）", "临安市人民防空办公室", "A16"),
    ("建设项目安全设施设计审查", "临安市安全生产监督管理局", "A20"),
    ("建设项目环境影响评价文件审批（报告书）", "临安市环境保护局", "A07"),
    ("建设工程规划许可证核发", "临安市规划局", "A03"),
    ("河道管理范围内建设项目审批", "临安市水利水电局", "A14"),
]


@dataclass
class Box:
    top: float
    bottom: float
    left: float
    right: float

    @property
    def centre(self) -> float:
        return (self.left + self.right) / 2


@dataclass
class Page:
    blocks: list[str]  # the class (or tag) of each top-level block of the body on the page
    seal: Box | None
    organ: Box | None
    date: Box | None
    above_seal: float | None  # the bottom of the last text before the seal block


def layout(html: str) -> list[Page]:
    rendered = weasyprint.HTML(string=html).render()
    pages = []
    for page in rendered.pages:
        body = next(b for b in page._page_box.descendants() if b.element_tag == "body")
        blocks = [c.element.get("class") or c.element_tag for c in body.children]
        found: dict[str, Box] = {}
        for box in page._page_box.descendants():
            element = getattr(box, "element", None)
            if element is None:
                continue
            name = element.get("class")
            key = {"seal": "seal", "organ": "organ", "date": "date"}.get(name or "")
            if key and key not in found and box.element_tag in ("img", "p"):
                found[key] = Box(
                    box.position_y / MM,
                    (box.position_y + box.margin_height()) / MM,
                    box.position_x / MM,
                    (box.position_x + box.margin_width()) / MM,
                )
        above = None
        children = list(body.children)
        for i, child in enumerate(children):
            if child.element.get("class") == "signoff" and i > 0:
                before = children[i - 1]
                above = (before.position_y + before.margin_height()) / MM
        pages.append(Page(blocks, found.get("seal"), found.get("organ"), found.get("date"), above))
    return pages


def content_with(document: Document, *, items: int, to_follow: int = 0) -> dict:
    content = copy.deepcopy(document.content)
    line = content["reviews"][0]
    content["reviews"] = [
        {**line, "item": name, "department": department, "window": window}
        for name, department, window in (LONG_ITEMS * 4)[:items]
    ]
    content["application"]["with_gaps"] = bool(to_follow)
    content["to_follow"] = [
        {
            "material": f"建设项目环境影响评价文件及审批意见（第{n + 1}册）",
            "promised_by": "2026-10-09",
        }
        for n in range(to_follow)
    ]
    return content


def slip_of(accepted) -> Document:
    return accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)


# --- the slip on paper ----------------------------------------------------------------------


@pytest.mark.parametrize(("items", "to_follow"), [(1, 0), (5, 0), (5, 2), (3, 3)])
def test_a_slip_with_up_to_five_items_fits_one_page(accepted, items, to_follow):
    slip = slip_of(accepted)
    pages = layout(
        documents.render_html(slip, content_with(slip, items=items, to_follow=to_follow))
    )
    assert len(pages) == 1, f"{items} items, {to_follow} to follow: {len(pages)} pages"
    assert "signoff" in pages[0].blocks


@pytest.mark.parametrize("items", [6, 8, 12, 20])
def test_a_longer_slip_never_leaves_the_seal_alone_on_a_page(accepted, items):
    slip = slip_of(accepted)
    pages = layout(documents.render_html(slip, content_with(slip, items=items, to_follow=2)))
    for page in pages:
        text = [b for b in page.blocks if b not in ("footer", "signoff")]
        assert text, f"{items} items: a page holds nothing but {page.blocks}"
    assert "signoff" in pages[-1].blocks


def test_the_seal_presses_the_issuers_name_and_the_date_in_its_lower_centre(accepted):
    slip = slip_of(accepted)
    (page,) = layout(documents.render_html(slip))
    seal, organ, date = page.seal, page.organ, page.date
    assert seal and organ and date
    middle = (seal.top + seal.bottom) / 2
    assert abs(seal.centre - organ.centre) < 1 and abs(seal.centre - date.centre) < 1
    assert middle - 1 <= organ.top < date.top < date.bottom <= seal.bottom
    # The seal's top within one line of the text above it.
    assert page.above_seal is not None and 0 <= seal.top - page.above_seal <= 7


# --- every kind: one page, the seal with its text, metadata, fonts, tags --------------------


@pytest.fixture
def every_kind(accepted, people, draft_again) -> dict[str, Document]:
    review = review_of(accepted, people.permit)
    made = {
        "commitment": slip_of(accepted),
        "supplements": services.review_stop(
            review=review,
            by=people.alice,
            now=aware(2026, 9, 30, 15),
            cause="supplements",
            days_needed=5,
            reason="请补充施工合同及监理合同。",
        ),
        "stopped": services.review_stop(
            review=review_of(accepted, people.design_review),
            by=people.alice,
            now=aware(2026, 9, 29, 11),
            cause="expert_review",
            days_needed=10,
            reason="须组织专家论证。",
        ),
    }
    services.review_resume(review=review, by=people.alice, now=aware(2026, 10, 8, 10))
    made["extension"] = extend(
        review_of(accepted, people.permit),
        by=people.alice,
        approved_by=people.bob,
        now=aware(2026, 10, 9, 16),
        days=5,
        reason="需现场踏勘。",
    )
    made["approval"] = services.review_decide(
        review=review_of(accepted, people.permit),
        by=people.bob,
        now=aware(2026, 10, 12, 10),
        outcome="granted",
        reasons="符合要求。",
    )
    made["refusal"] = services.review_decide(
        review=review_of(accepted, people.planning_item),
        by=people.carol,
        now=aware(2026, 10, 13, 10),
        outcome="refused",
        reasons="不符合产业规划。",
    )
    made["missing"] = services.application_notify_missing(
        application=draft_again, by=people.dave, now=NOW, note="请补齐。"
    )
    # Refused after the notice: materials were never brought (the notice is issued once).
    made["not_accepted"] = services.application_refuse(
        application=draft_again, by=people.dave, now=NOW, reasons="依法不需要取得行政许可。"
    )
    return made


@pytest.fixture
def draft_again(people, accepted, materials):
    application = services.application_create(
        applicant=accepted.applicant,
        project=accepted.project,
        items=[people.permit],
        by=people.dave,
        now=NOW,
    )
    receive_all(application, people.dave, **{materials["form"].name: {"status": "missing"}})
    return application


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [PDFINFO, str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def meta(path: Path) -> str:
    return subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [PDFINFO, "-meta", str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def fonts_embedded(path: Path) -> list[tuple[str, str]]:
    out = subprocess.run(  # noqa: S603 (a fixed program on a file the test wrote)
        [PDFFONTS, str(path)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [(row[0], row[-5]) for row in rows]  # name, "emb"


def language(pdf: bytes) -> str | None:
    """The /Lang of the catalog, which may sit in a compressed object stream (or, after the
    signature's incremental update, in the catalog written again at the end)."""
    found = re.search(rb"/Lang\s*\(([^)]*)\)", pdf)
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        if found:
            break
        try:
            found = re.search(rb"/Lang\s*\(([^)]*)\)", zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    if not found:
        return None
    # A literal string's octal escapes (pyHanko writes the signed file's catalog as zh\055CN).
    return re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m[1], 8)]), found.group(1)).decode()


def test_every_kind_is_one_tagged_pdf_a_page_with_its_metadata(every_kind, tmp_path, people):
    titles = {
        "commitment": "受理通知书（承诺件）",
        "supplements": "补正材料通知书",
        "stopped": "审批时限中止告知书",
        "extension": "延长审批期限告知书",
        "approval": "准予行政许可决定书",
        "refusal": "不予行政许可决定书",
        "missing": "一次性告知单",
        "not_accepted": "不予受理通知书",
    }
    assert set(titles) == set(Document.Kind.values)
    for kind, document in every_kind.items():
        assert document.kind == kind
        pdf, record = documents.printed(document, now=NOW)
        path = tmp_path / f"{kind}.pdf"
        path.write_bytes(pdf)
        info = pdfinfo(path)
        assert info["Title"] == f"{titles[kind]} {document.number}", kind
        organ = document.content["review"]["department"]["name"] if document.review_id else None
        assert info["Author"] == (organ or "临安市行政审批中心"), kind
        assert document.content["applicant"]["name"] in info["Subject"], kind
        assert info["Tagged"] == "yes" and info["Pages"] == "1", (kind, info)
        assert info["PDF version"] == "1.7"
        assert 'pdfaid:part="3"' in meta(path) and 'pdfaid:conformance="A"' in meta(path)
        assert language(pdf) == "zh-CN", kind
        assert all(emb == "yes" for _, emb in fonts_embedded(path)), fonts_embedded(path)
        (page,) = layout(documents.render_html(document))
        assert page.seal and page.organ and page.date, kind
        assert page.seal.top <= page.organ.top < page.date.bottom <= page.seal.bottom, kind
        if kind != "refusal":  # a refusal waits for the countersign: printed, not yet fixed
            assert record is not None and record.pages == 1, kind


# --- the urge notice ----------------------------------------------------------------------


def test_the_urge_notice_is_sealed_with_the_centers_own_seal(accepted, people, seals, client):
    center_seal = Seal.objects.create(
        number="330185200000", inscription="临安市行政审批中心", issued_on=NOW.date()
    )
    center_seal.image.save("center.png", seals["A01"].image.file, save=True)
    assert Seal.objects.of_center() == center_seal
    assert Seal.objects.of_intake() == seals["A01"]
    review = review_of(accepted, people.permit)
    urge = actions.urge_issue(
        review=review,
        by=people.erin,
        now=aware(2026, 10, 20, 9),
        text="请加快办理。",
        reply_due=aware(2026, 10, 22, 9).date(),
    )
    client.force_login(people.erin)
    with mock.patch("supervision.action_views.seal_uri", wraps=documents.seal_uri) as stamped:
        response = client.get(reverse("supervision:urge_pdf", args=[urge.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert stamped.call_args.args[0] == center_seal


def test_a_second_center_seal_in_use_is_refused(seals):
    from django.db import IntegrityError, transaction

    Seal.objects.create(number="C1", inscription="中心", issued_on=NOW.date())
    with pytest.raises(IntegrityError), transaction.atomic():
        Seal.objects.create(number="C2", inscription="中心", issued_on=NOW.date())
    # A retired one may stay on record beside the one in use.
    Seal.objects.create(number="C0", inscription="中心", issued_on=NOW.date(), is_active=False)
