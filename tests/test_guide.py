"""The public service guide (办事指南, docs/guide.md): the pages need no login and show only what
is in force; the samples and blank forms are checked by content when an administrator uploads
them and served only as downloads, only for a material the guide shows."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from approval_center import uploads
from loading.services import import_check, import_commit
from windows import demo, guide
from windows.models import CenterInfo, Item, ItemMaterial, Material, Package

from .conftest import seen
from .test_access import PDF, PNG

SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>alert(document.cookie)</script></svg>"
)


def office(part: str, *, macros: bool = False) -> bytes:
    """A minimal Office Open XML archive: [Content_Types].xml and its main part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00")
    return buffer.getvalue()


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    return tmp_path


@pytest.fixture
def guide_center(center, materials, private_media):
    """The test center as the guide shows it: texts, a note, a package, the address and hours,
    a blank form and a sample, and a withdrawn item with a material of its own."""
    permit = center.permit
    permit.conditions = "已取得建设工程规划许可证。"
    permit.procedure = "申请\n受理\n\n决定"
    permit.fee = "不收费"
    permit.save()
    ItemMaterial.objects.filter(item=permit, material=materials["licence"]).update(
        note="加盖公章", copies=2
    )
    center.construction_window.location = "一楼A区"
    center.construction_window.phone = "0571-63700105"
    center.construction_window.save()
    package = Package.objects.create(name="开工前审批一件事")
    package.items.set([permit, center.planning_item])
    hidden = Package.objects.create(name="停办的一件事", is_active=False)
    hidden.items.set([permit])
    CenterInfo.objects.create(
        address="临安市锦城街道城中街398号", hours="周一至周五 上午9:00—12:00\n下午13:30—17:00"
    )
    form = materials["form"]
    form.blank_form.save("blank_form.pdf", ContentFile(PDF), save=False)
    form.sample.save("sample.png", ContentFile(PNG), save=False)
    form.save()
    withdrawn = Item.objects.create(
        code="XK-JSJ-099",
        name="已取消的临时许可",
        department=center.construction,
        window=center.construction_window,
        legal_basis="x",
        statutory_days=20,
        promised_days=5,
        is_active=False,
    )
    own = Material.objects.create(name="临时许可申请书")
    own.sample.save("sample.pdf", ContentFile(PDF), save=True)
    ItemMaterial.objects.create(item=withdrawn, material=own)
    return {"package": package, "hidden": hidden, "withdrawn": withdrawn, "own": own, "form": form}


# --- the pages ---------------------------------------------------------------------------------


def test_the_index_needs_no_login_and_lists_packages_and_departments(client, center, guide_center):
    response = client.get(reverse("guide:index"))
    assert response.status_code == 200
    text = seen(response.content.decode())
    assert "开工前审批一件事" in text
    assert "停办的一件事" not in text  # withdrawn from intake
    assert "临安市建设局" in text and "临安市发展计划局" in text
    assert "临安市锦城街道城中街398号" in text


def test_a_search_finds_by_name_code_material_and_department(client, center, guide_center):
    def found(**query) -> set[str]:
        response = client.get(reverse("guide:index"), query)
        assert response.status_code == 200
        return {item.code for item in response.context["page"]}

    assert found(q="施工许可") == {"XK-JSJ-001"}  # a Chinese substring of the name
    assert found(q="xk-fgj") == {"XK-FGJ-001"}  # the code, in any case
    assert found(q="环境影响") == {"XK-JSJ-001"}  # a material: 环境影响评价批复文件
    assert found(q="营业执照") == {"XK-JSJ-001", "XK-JSJ-002", "XK-FGJ-001"}
    # An item named by the words comes before the items that only need such a material.
    Item.objects.filter(pk=center.design_review.pk).update(name="营业执照副本核发")
    response = client.get(reverse("guide:index"), {"q": "营业执照"})
    assert [item.code for item in response.context["page"]] == [
        "XK-JSJ-002",
        "XK-FGJ-001",
        "XK-JSJ-001",
    ]
    assert found(q="建设局") == {"XK-JSJ-001", "XK-JSJ-002"}  # the department's name
    assert found(department="fgj") == {"XK-FGJ-001"}
    assert found(q="营业执照", department="jsj") == {"XK-JSJ-001", "XK-JSJ-002"}
    assert found(kind="service") == set()
    # The withdrawn item is found by nothing, not even its own material or code.
    assert found(q="临时许可") == set()
    assert found(q="XK-JSJ-099") == set()


def test_a_search_for_nothing_known_says_so(client, center, guide_center):
    response = client.get(
        reverse("guide:index"), {"q": "不存在的事项"}, headers={"accept-language": "en"}
    )
    assert "0 items found" in seen(response.content.decode())


def test_an_unknown_department_is_a_message_not_an_error(client, center, guide_center):
    with translation.override("en"):
        response = client.get(reverse("guide:index"), {"department": "nope"})
    assert response.status_code == 200
    assert "department" in response.context["form"].errors


def test_the_item_page_has_everything_an_applicant_needs(client, center, guide_center):
    response = client.get(
        reverse("guide:item", args=["XK-JSJ-001"]), headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    text = seen(response.content.decode())
    for expected in (
        "建筑工程施工许可证核发",
        "临安市建设局",
        "A05",  # the window that reviews it, where it is and its telephone
        "一楼A区",
        "0571-63700105",
        "A01",  # where to hand in
        "《中华人民共和国行政许可法》第四十二条",
        "7 working days",  # promised
        "20 working days",  # statutory
        "不收费",
        "已取得建设工程规划许可证。",
        "营业执照（副本）",
        "加盖公章",
        "2 copies",
        "may follow later",  # the EIA reply
        "开工前审批一件事",  # the package it belongs to
        "下午13:30—17:00",
    ):
        assert expected in text, expected
    assert "停办的一件事" not in text
    assert response.context["item"].procedure_steps() == ["申请", "受理", "决定"]
    form, html = guide_center["form"], response.content.decode()
    assert reverse("guide:material_file", args=[form.pk, "blank"]) in html
    assert reverse("guide:material_file", args=[form.pk, "sample"]) in html


def test_an_item_handled_outside_the_center_sends_to_the_department(client, center, guide_center):
    center.construction.phone = "0571-63720303"
    center.construction.save()
    Item.objects.filter(pk=center.permit.pk).update(handled_in_center=False)
    response = client.get(
        reverse("guide:item", args=["XK-JSJ-001"]), headers={"accept-language": "en"}
    )
    text = seen(response.content.decode())
    assert "This item is handled by 临安市建设局 itself, not in the center." in text
    assert "Hand in and collect at" not in text


def test_a_later_app_offers_its_action_on_the_item_page(client, center, guide_center, monkeypatch):
    """The spot the applicant's side fills: filing online (portal/apps.py), and what other
    apps add beside it."""
    url = reverse("guide:item", args=["XK-JSJ-001"])
    assert 'href="/my/file/?item=XK-JSJ-001"' in client.get(url).content.decode()
    config = apps.get_app_config("hall")
    monkeypatch.setattr(
        config,
        "guide_item_actions",
        lambda item, request: [("网上申报", f"/apply/{item.code}/")],
        raising=False,
    )
    html = client.get(url).content.decode()
    assert 'href="/apply/XK-JSJ-001/"' in html and "网上申报" in html


def test_a_withdrawn_or_unknown_item_is_not_found(client, center, guide_center):
    assert client.get(reverse("guide:item", args=["XK-JSJ-099"])).status_code == 404
    assert client.get(reverse("guide:item", args=["NOPE"])).status_code == 404


def test_the_package_shows_each_material_once_with_the_items_that_need_it(
    client, center, guide_center
):
    response = client.get(reverse("guide:package", args=[guide_center["package"].pk]))
    assert response.status_code == 200
    items = response.context["items"]
    assert {item.code for item in items} == {"XK-JSJ-001", "XK-FGJ-001"}
    needs = {need.material.name: need for need in response.context["needs"]}
    assert set(needs) == {"营业执照（副本）", "申请表", "环境影响评价批复文件"}
    assert {r.item.code for r in needs["营业执照（副本）"].requirements} == {
        "XK-JSJ-001",
        "XK-FGJ-001",
    }
    text = seen(response.content.decode())
    assert text.count("营业执照（副本）") == 1


def test_a_withdrawn_package_or_one_with_no_item_in_force_is_not_found(
    client, center, guide_center
):
    assert client.get(reverse("guide:package", args=[guide_center["hidden"].pk])).status_code == 404
    empty = Package.objects.create(name="只含已取消事项")
    empty.items.set([guide_center["withdrawn"]])
    assert client.get(reverse("guide:package", args=[empty.pk])).status_code == 404
    # Its withdrawn item is not listed in a package that is shown.
    guide_center["package"].items.add(guide_center["withdrawn"])
    response = client.get(reverse("guide:package", args=[guide_center["package"].pk]))
    assert "已取消的临时许可" not in response.content.decode()


def test_the_home_page_and_the_status_page_lead_to_the_guide(client, center):
    url = reverse("guide:index")
    assert url in client.get(reverse("login")).content.decode()
    assert url in client.get(reverse("applications:track")).content.decode()


# --- the files ---------------------------------------------------------------------------------


def test_a_file_is_served_as_a_download_with_the_type_judged_at_upload(
    client, center, guide_center
):
    form = guide_center["form"]
    response = client.get(reverse("guide:material_file", args=[form.pk, "blank"]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    sample = client.get(reverse("guide:material_file", args=[form.pk, "sample"]))
    assert sample["Content-Type"] == "image/png"
    assert b"".join(sample.streaming_content) == PNG


def test_a_material_name_that_no_header_could_carry_is_cleaned(client, center, guide_center):
    form = guide_center["form"]
    Material.objects.filter(pk=form.pk).update(name='申请表\r\nX-Evil: 1"/../a\\b')
    response = client.get(reverse("guide:material_file", args=[form.pk, "blank"]))
    disposition = response["Content-Disposition"]
    assert (
        "\n" not in disposition
        and "X-Evil" in disposition
        and "/" not in disposition.split("''")[-1]
    )
    assert "X-Evil" not in response.headers


def test_a_missing_or_foreign_file_is_not_found(client, center, guide_center, private_media):
    form, own = guide_center["form"], guide_center["own"]
    licence = Material.objects.get(name="营业执照（副本）")
    for pk, kind in (
        (licence.pk, "sample"),  # no file
        (own.pk, "sample"),  # a material of a withdrawn item only
        (form.pk, "other"),  # no such kind of file
        (form.pk, "..%2F..%2Fsettings.py"),
        (999999, "sample"),
    ):
        assert client.get(f"/guide/materials/{pk}/{kind}/").status_code == 404, (pk, kind)
    # A file gone from the disk: 404, not 500.
    (private_media / form.blank_form.name).unlink()
    assert client.get(reverse("guide:material_file", args=[form.pk, "blank"])).status_code == 404
    # A stored name with an extension the guide does not serve (written around the checks).
    Material.objects.filter(pk=form.pk).update(sample="guide/x.svg")
    (private_media / "guide" / "x.svg").write_bytes(SVG)
    assert client.get(reverse("guide:material_file", args=[form.pk, "sample"])).status_code == 404


# --- uploads -------------------------------------------------------------------------------------


def upload(client, material: Material, **files):
    return client.post(
        reverse("admin:windows_material_change", args=[material.pk]),
        {"name": material.name, "description": "", **files},
        headers={"accept-language": "en"},
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("form.pdf", PNG, "This file is named “form.pdf” but its content is PNG"),
        ("form.svg", SVG, "Only PDF, Word (.docx), Excel (.xlsx), JPEG or PNG files"),
        ("form.pdf", b"<html><script>alert(1)</script></html>", "Only PDF, Word"),
        ("form.docx", office("word/document.xml", macros=True), "This file carries macros"),
        ("form.xlsx", office("word/document.xml"), "but its content is DOCX"),
        ("form.docx", b"PK\x03\x04 not really an archive", "Only PDF, Word"),
    ],
)
def test_a_hostile_upload_is_refused_and_nothing_changes(
    client, center, materials, private_media, name, content, message
):
    client.force_login(center.admin)
    material = materials["form"]
    before = material.history.count()
    with translation.override("en"):
        response = upload(client, material, sample=SimpleUploadedFile(name, content))
        assert response.status_code == 200
        assert message in str(response.context["adminform"].form.errors["sample"])
    material.refresh_from_db()
    assert not material.sample
    assert material.history.count() == before
    assert not (private_media / "guide").exists()


def test_an_oversize_upload_is_refused(client, center, materials, private_media, settings):
    settings.GUIDE_FILE_MAX_BYTES = 1024 * 1024
    client.force_login(center.admin)
    big = PDF + b"0" * (1024 * 1024)
    with translation.override("en"):
        response = upload(client, materials["form"], blank_form=SimpleUploadedFile("f.pdf", big))
        assert "A form may be at most 1 MB; this file is 1.0 MB." in str(
            response.context["adminform"].form.errors["blank_form"]
        )
    materials["form"].refresh_from_db()
    assert not materials["form"].blank_form


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("申请表 (final).PDF", PDF, "pdf"),
        ("样表.docx", office("word/document.xml"), "docx"),
        ("sheet.xlsx", office("xl/workbook.xml"), "xlsx"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"0" * 20, "jpg"),
    ],
)
def test_a_good_upload_is_stored_under_a_random_name_with_history(
    client, center, materials, private_media, name, content, extension
):
    client.force_login(center.admin)
    material = materials["form"]
    response = upload(client, material, blank_form=SimpleUploadedFile(name, content))
    assert response.status_code == 302
    material.refresh_from_db()
    stored = material.blank_form.name
    assert stored.startswith("guide/") and stored.endswith(f".{extension}")
    assert name.rsplit(".", 1)[0] not in stored
    assert (private_media / stored).read_bytes() == content
    assert material.history.latest().history_user == center.admin
    served = client.get(reverse("guide:material_file", args=[material.pk, "blank"]))
    assert served["Content-Type"] == uploads.CONTENT_TYPES[extension]


def test_the_center_has_one_address_row(client, center):
    client.force_login(center.admin)
    assert client.get(reverse("admin:windows_centerinfo_add")).status_code == 200
    CenterInfo.objects.create(address="x", hours="y")
    assert client.get(reverse("admin:windows_centerinfo_add")).status_code == 403


# --- queries on the demo catalog --------------------------------------------------------------


@pytest.fixture
def demo_catalog(db):
    departments = demo._departments()
    windows = demo._windows(departments)
    demo._catalog(departments, windows)
    demo._packages()


def queries(client, url: str, data: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, data or {}).status_code == 200
    return len(captured)


def test_the_pages_take_a_fixed_number_of_queries_whatever_the_catalog(client, demo_catalog):
    """The demo's 177 items and 6 packages, then the same pages with a third of the items
    withdrawn: the same number of queries (no query per item, material or package)."""
    package = Package.objects.order_by("position").first()
    pages = [
        (reverse("guide:index"), None),
        (reverse("guide:index"), {"q": "营业执照"}),
        (reverse("guide:index"), {"department": "jsj"}),
        (reverse("guide:item", args=["XK-JSJ-007"]), None),
        (reverse("guide:package", args=[package.pk]), None),
    ]
    full = [queries(client, url, data) for url, data in pages]
    assert max(full) <= 6, full
    some = list(Item.objects.exclude(code="XK-JSJ-007").values_list("pk", flat=True))[::3]
    Item.objects.filter(pk__in=some).update(is_active=False)
    assert [queries(client, url, data) for url, data in pages] == full
    assert guide.search("营业执照").count() > 20


def test_the_demo_fills_the_guide(demo_catalog, private_media):
    demo._guide()
    info = CenterInfo.current()
    assert "锦城街道" in info.address and len(info.hour_lines()) == 3
    item = Item.objects.get(code="XK-JSJ-007")
    assert "施工图设计文件" in item.conditions and len(item.procedure_steps()) == 5
    with_files = Material.objects.exclude(sample="").exclude(blank_form="")
    assert with_files.count() == 6
    for material in with_files:
        for stored in (material.sample, material.blank_form):
            with stored.open("rb") as handle:
                upload = SimpleUploadedFile("form.pdf", handle.read())
            assert uploads.guide_file_type(upload, 5 * 2**20) == ("application/pdf", "pdf")
    # A second run draws nothing again and writes no history.
    before = Material.history.count() + CenterInfo.history.count()
    demo._guide()
    assert Material.history.count() + CenterInfo.history.count() == before


def test_the_items_spreadsheet_carries_the_guide_texts(center):
    """The optional columns of the items' sheet (loading/): set when present, left alone when
    a file leaves them out."""
    now = timezone.now()
    header = "事项编码,事项名称,部门代码,窗口编号,设定依据,法定时限（工作日）,承诺时限（工作日）"
    row = "XK-JSJ-001,建筑工程施工许可证核发,jsj,A05,《建筑法》,20,7"
    data = f'{header},受理条件,办理流程\n{row},已取得规划许可,"申请\n受理\n决定"\n'.encode()
    record, plan = import_check(
        kind_name="items", data=data, name="items.csv", by=center.admin, now=now
    )
    assert plan.problems == []
    import_commit(record=record, by=center.admin, now=now)
    permit = Item.objects.get(code="XK-JSJ-001")
    assert permit.conditions == "已取得规划许可"
    assert permit.procedure_steps() == ["申请", "受理", "决定"]
    record, plan = import_check(
        kind_name="items",
        data=f"{header}\n{row}\n".encode(),
        name="i.csv",
        by=center.admin,
        now=now,
    )
    import_commit(record=record, by=center.admin, now=now)
    assert Item.objects.get(code="XK-JSJ-001").conditions == "已取得规划许可"


def test_the_administration_page_says_what_the_guide_lacks(client, center, guide_center):
    client.force_login(center.admin)
    response = client.get(reverse("windows:admin_home"), headers={"accept-language": "en"})
    text = seen(response.content.decode())
    # The permit has conditions; the design review and the planning item have none.
    assert "2 items in force without conditions for acceptance" in text
    assert "1 material with a blank form to download" in text
    assert reverse("admin:windows_centerinfo_change", args=[CenterInfo.current().pk]) in (
        response.content.decode()
    )
    listed = client.get(
        reverse("admin:windows_item_changelist"), {"is_active__exact": 1, "conditions__isempty": 1}
    )
    assert {item.code for item in listed.context["cl"].result_list} == {"XK-JSJ-002", "XK-FGJ-001"}
