"""Loading a center from spreadsheets (loading/): the dry run reports every bad row and writes
nothing, the same file twice writes nothing the second time, an export imported again changes
nothing, either language's headers are read, bad files get a clear message, and only
administrators may do any of it."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from loading import services
from loading.files import UnreadableFile
from loading.kinds import KINDS
from loading.models import ImportRecord
from windows import authority
from windows.models import (
    AuthorizationLetter,
    CalendarDay,
    CalendarYear,
    Department,
    Item,
    Post,
    Staff,
    StationedDeputy,
    Window,
)
from windows.roles import Role

from .conftest import NOW


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


@pytest.fixture
def loaded(center, materials, calendar, private_media):
    Post.objects.create(
        window=center.construction_window,
        name="施工许可",
        holder_a=center.alice,
        holder_b=center.bob,
    )
    return center


def history_rows() -> int:
    """Every history row of the center's data (the import records' own history left out)."""
    return sum(
        model.objects.count()
        for model in apps.get_models()
        if model.__name__.startswith("Historical") and model._meta.app_label == "windows"
    )


def xlsx(rows: list[list[object]], title: str = "Sheet") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def headers(kind: str) -> list[str]:
    return [column.header for column in KINDS[kind].columns]


def check(kind: str, data: bytes, name: str = "sheet.xlsx", by=None):
    return services.import_check(kind_name=kind, data=data, name=name, by=by, now=NOW)


def commit(record, by=None):
    return services.import_commit(record=record, by=by, now=NOW)


def admin_client(center) -> Client:
    client = Client()
    client.force_login(center.admin)
    return client


# --- the dry run --------------------------------------------------------------------------------


ITEM_ROW = {
    "code": "XK-JSJ-009",
    "name": "城市道路占用挖掘许可",
    "kind": "行政许可事项",
    "department": "jsj",
    "window": "A05",
    "legal_basis": "《城市道路管理条例》第三十条",
    "statutory_days": 20,
    "promised_days": 5,
}


# The stored design review item as a row of the items sheet.
DESIGN_REVIEW = {
    "code": "XK-JSJ-002",
    "name": "施工图设计文件审查备案",
    "legal_basis": "《中华人民共和国行政许可法》第四十二条",
    "kind": "approval",
}


def item_rows(*changes: dict) -> list[list[object]]:
    keys = list(ITEM_ROW)
    columns = {c.key: c.header for c in KINDS["items"].columns}
    return [[columns[k] for k in keys]] + [
        [{**ITEM_ROW, **c}.get(k) for k in keys] for c in changes
    ]


def test_a_file_with_bad_rows_changes_nothing_and_reports_each(loaded):
    before = (Item.objects.count(), history_rows())
    data = xlsx(
        item_rows(
            {"code": "XK-JSJ-010"},  # clean
            {"code": "XK-JSJ-011", "promised_days": 25},  # promise beyond the statute
            {"code": "XK-JSJ-012", "department": "nosuch"},  # unknown department
            {"code": "XK-JSJ-010"},  # the code of row 2 again
            {"code": "XK-JSJ-013", "window": "A02"},  # a window of another department
            {"code": "XK-JSJ-014", "statutory_days": "twenty"},  # not a number
            {"code": "", "name": "无编码"},  # no key
            {"code": "XK-JSJ-015", "kind": "许可"},  # no such kind
        ),
        title="事项",
    )
    record, _plan = check("items", data)
    assert record.state == ImportRecord.State.REFUSED
    found = {(p["row"], p["column"]["en"]) for p in record.problems}
    assert found == {
        (3, "Promised working days"),
        (4, "Department code"),
        (5, "Item code"),
        (6, "Window number"),
        (7, "Statutory working days"),
        (8, "Item code"),
        (9, "Kind"),
    }
    assert {p["sheet"] for p in record.problems} == {"事项"}
    by_row = {p["row"]: p["reason"] for p in record.problems}
    assert "cannot exceed the statutory limit" in by_row[3]["en"]
    assert "不能超过" in by_row[3]["zh-hans"] or "法定" in by_row[3]["zh-hans"]
    assert "nosuch" in by_row[4]["en"]
    assert "row 2" in by_row[5]["en"]
    # Nothing of the center was written, and the confirmation refuses a refused import.
    assert (Item.objects.count(), history_rows()) == before
    with pytest.raises(services.ImportRefused):
        commit(record)
    assert (Item.objects.count(), history_rows()) == before


def test_the_result_page_lists_every_bad_row_in_the_readers_language(loaded):
    data = xlsx(item_rows({"code": "XK-JSJ-011", "promised_days": 25}, {"department": "nosuch"}))
    record, _ = check("items", data)
    client = admin_client(loaded)
    page = client.get(reverse("loading:import", args=[record.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "承诺时限" in html and "部门代码" in html
    client.post(reverse("set_language"), {"language": "en"})
    html = client.get(reverse("loading:import", args=[record.pk])).content.decode()
    assert "Promised working days" in html and "Unknown department code: nosuch" in html
    assert "commit" not in html.split("data-testid=")[-1] or 'data-testid="commit"' not in html


def test_a_clean_file_is_written_on_confirmation_with_history(loaded):
    record, _plan = check("items", xlsx(item_rows({}, {**DESIGN_REVIEW, "promised_days": 4})))
    assert record.state == ImportRecord.State.CHECKED
    assert (record.created, record.updated, record.unchanged) == (1, 1, 0)
    assert not Item.objects.filter(code="XK-JSJ-009").exists()  # the dry run wrote nothing
    # Before confirming, the page lists the rows to write and what changes in each.
    client = admin_client(loaded)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("loading:import", args=[record.pk])).content.decode()
    changes = page.split('data-testid="changes"')[1].split("</table>")[0]
    assert "XK-JSJ-009" in changes and ">new<" in changes
    assert "XK-JSJ-002" in changes and "Promised working days" in changes
    assert "Legal basis" not in changes
    record = commit(record, by=loaded.admin)
    assert record.state == ImportRecord.State.COMMITTED
    item = Item.objects.get(code="XK-JSJ-009")
    assert item.window == loaded.construction_window and item.promised_days == 5
    assert Item.objects.get(code="XK-JSJ-002").promised_days == 4
    last = item.history.latest("history_date")
    assert last.history_user == loaded.admin and "#" in last.history_change_reason
    # The one changed field of the stored item, nothing else.
    changed = Item.objects.get(code="XK-JSJ-002").history.order_by("-history_id")
    assert changed[0].diff_against(changed[1]).changed_fields == ["promised_days"]
    # As the admin's save does: the new item is signable by its department's deputy (none for
    # construction here, whose head holds a letter that does not name it).
    assert not authority.authority_drift(NOW)


def test_the_same_file_twice_writes_nothing_the_second_time(loaded):
    data = xlsx(item_rows({}, {"code": "XK-JSJ-010", "name": "第二项"}))
    commit(check("items", data)[0], by=loaded.admin)
    before = history_rows()
    record, _ = check("items", data)
    assert (record.created, record.updated, record.unchanged) == (0, 0, 2)
    record = commit(record, by=loaded.admin)
    assert record.state == ImportRecord.State.COMMITTED
    assert history_rows() == before


def test_a_change_between_check_and_confirmation_writes_nothing(loaded):
    record, _ = check("items", xlsx(item_rows({**DESIGN_REVIEW, "promised_days": 4})))
    Item.objects.filter(code="XK-JSJ-002").update(promised_days=4)  # someone did it meanwhile
    before = history_rows()
    record = commit(record, by=loaded.admin)
    assert record.state == ImportRecord.State.CHECKED
    assert (record.updated, record.unchanged) == (0, 1)
    assert history_rows() == before


def test_a_different_change_with_the_same_counts_is_not_written_unseen(loaded):
    record, _ = check("items", xlsx(item_rows({**DESIGN_REVIEW, "promised_days": 4})))
    # Meanwhile the promise was changed to the sheet's, and the name to something else: the
    # counts stay (one row to update) but the change is no longer the one confirmed.
    Item.objects.filter(code="XK-JSJ-002").update(promised_days=4, name="改过的名称")
    record = commit(record, by=loaded.admin)
    assert record.state == ImportRecord.State.CHECKED
    assert Item.objects.get(code="XK-JSJ-002").name == "改过的名称"


# --- round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_an_export_imported_again_changes_nothing(loaded, file_format, language):
    StationedDeputy.objects.update(ended_on=dt.date(2027, 1, 31))
    before = history_rows()
    for name, kind in KINDS.items():
        with translation.override(language):
            data = services.export(kind, file_format)
            record, plan = check(name, data, name=f"{name}.{file_format}")
        assert plan.problems == [], (
            name,
            [(p.row, p.column_text(), p.reason) for p in plan.problems],
        )
        assert record.unchanged == record.rows > 0, name
        assert (record.created, record.updated) == (0, 0), name
        commit(record)
    assert history_rows() == before


def test_an_export_changed_and_imported_updates_what_differs(loaded):
    data = services.export(KINDS["departments"], "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet["A1"].value == "部门代码 / Department code"
    for row in sheet.iter_rows(min_row=2):
        if row[0].value == "jsj":
            row[3].value = "新局长"
    buffer = io.BytesIO()
    workbook.save(buffer)
    record, _ = check("departments", buffer.getvalue())
    assert (record.created, record.updated, record.unchanged) == (0, 1, 1)
    commit(record, by=loaded.admin)
    assert Department.objects.get(code="jsj").leader_name == "新局长"


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en", "both"])
def test_headers_in_either_language(loaded, language):
    columns = KINDS["departments"].columns[:4]
    head = {
        "zh": [c.zh for c in columns],
        "en": [c.en.upper() for c in columns],  # case does not matter
        "both": [c.header for c in columns],
    }[language]
    record, plan = check(
        "departments", xlsx([head, ["hbj", "临安市环境保护局", "环保局", "章晓东（局长）"]])
    )
    assert plan.problems == [] and record.created == 1


def test_a_title_above_the_header_is_passed_over(loaded):
    columns = KINDS["departments"].columns[:3]
    data = xlsx(
        [
            ["临安市部门一览表"],
            [],
            ["（截至2026年）", "", ""],
            [c.zh for c in columns],
            ["hbj", "临安市环境保护局", "环保局"],
        ]
    )
    record, plan = check("departments", data)
    assert plan.problems == [] and record.created == 1
    assert plan.actions[0].row == 5  # the row number as the spreadsheet shows it


def test_an_unknown_or_missing_header_is_reported(loaded):
    record, _ = check("departments", xlsx([["部门名称", "Colour"], ["临安市环境保护局", "红"]]))
    columns = {p["column"]["en"] for p in record.problems}
    assert columns == {"Colour", "Department code"}
    assert {p["row"] for p in record.problems} == {1}


def test_the_template_has_bilingual_headers_and_one_example_row(db, private_media):
    for kind in KINDS.values():
        workbook = openpyxl.load_workbook(io.BytesIO(services.template_xlsx(kind)))
        sheet = workbook.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [f"{c.zh} / {c.en}" for c in kind.columns]
        assert len(rows) == 2
        assert "说明 Notes" in workbook.sheetnames


# --- the kinds' own rules -----------------------------------------------------------------------


def letter_rows(**changes) -> bytes:
    row = {
        "number": "临建委〔2026〕9号",
        "department": "jsj",
        "delegating_official": "王建国（局长）",
        "window_head": "bob",
        "items": "XK-JSJ-001、XK-JSJ-002",
        "valid_from": dt.date(2026, 1, 1),
        "valid_until": dt.date(2026, 12, 31),
    } | changes
    columns = {c.key: c.header for c in KINDS["letters"].columns}
    return xlsx([[columns[k] for k in row], list(row.values())])


def test_a_letter_covers_only_its_own_departments_items(loaded):
    record, _ = check("letters", letter_rows(items="XK-JSJ-001、XK-FGJ-001"))
    assert [
        (p["column"]["en"], "企业投资项目核准" in p["reason"]["en"]) for p in record.problems
    ] == [("Item codes", True)]
    record, _ = check("letters", letter_rows(window_head="carol"))
    assert [p["column"]["en"] for p in record.problems] == ["Window head (user name)"]
    # Planning has a stationed deputy: it does not delegate by letter.
    record, _ = check(
        "letters", letter_rows(department="fgj", window_head="mallory", items="XK-FGJ-001")
    )
    assert "Delegating department code" in {p["column"]["en"] for p in record.problems}
    record, _ = check("letters", letter_rows(valid_until=dt.date(2025, 1, 1)))
    assert [p["column"]["en"] for p in record.problems] == ["Valid until"]


def test_a_letter_written_grants_signing_authority(loaded):
    loaded.letter.delete()
    record = commit(check("letters", letter_rows())[0], by=loaded.admin)
    assert record.created == 1
    letter = AuthorizationLetter.objects.get(number="临建委〔2026〕9号")
    assert set(letter.items.values_list("code", flat=True)) == {"XK-JSJ-001", "XK-JSJ-002"}
    assert not authority.authority_drift(NOW)
    assert authority.signing_basis(loaded.bob, loaded.permit, at=NOW).letter_id == letter.pk


def test_a_revoked_letter_is_not_changed_by_a_sheet(loaded):
    authority.letter_revoke(letter=loaded.letter, by=loaded.admin, reason="调岗", at=NOW)
    record, _ = check("letters", letter_rows(number=loaded.letter.number, delegating_official="X"))
    assert [p["column"]["en"] for p in record.problems] == ["Letter number"]


def staff_rows(*people: dict) -> bytes:
    columns = KINDS["staff"].columns
    return xlsx([[c.header for c in columns]] + [[p.get(c.key) for c in columns] for p in people])


def test_staff_with_roles_and_no_password(loaded):
    record, _plan = check(
        "staff",
        staff_rows(
            {
                "username": "zhangwei",
                "full_name": "张伟",
                "department": "jsj",
                "window": "A05",
                "roles": "窗口工作人员、Window head",
            },
            {"username": "lisi", "full_name": "李四", "roles": "站长"},
            {"username": "wang wu", "full_name": "王五"},
            {"username": "zhao", "full_name": "赵六", "email": "not-an-address"},
        ),
    )
    assert {(p["row"], p["column"]["en"]) for p in record.problems} == {
        (3, "Roles"),
        (4, "User name"),
        (5, "E-mail"),
    }
    record, _ = check(
        "staff",
        staff_rows({"username": "zhangwei", "full_name": "张伟", "roles": "window_officer"}),
    )
    commit(record, by=loaded.admin)
    person = Staff.objects.get(username="zhangwei")
    assert person.roles == [Role.WINDOW_OFFICER] and not person.has_usable_password()


def test_a_superuser_is_not_changed_by_a_sheet(loaded):
    record, _ = check("staff", staff_rows({"username": "root", "full_name": "Someone else"}))
    assert [p["column"]["en"] for p in record.problems] == ["User name"]
    assert Staff.objects.get(username="root").full_name == "Root"
    # Nor exported, so an export never carries it.
    assert b"root" not in services.export(KINDS["staff"], "csv")


def test_posts_need_a_backup_other_than_the_holder(loaded):
    columns = KINDS["posts"].columns
    data = xlsx(
        [
            [c.header for c in columns],
            ["A05", "受理岗", "", "alice", "alice"],
            ["A05", "审核岗", "", "alice", "nobody"],
        ]
    )
    record, _ = check("posts", data)
    assert {(p["row"], p["column"]["en"]) for p in record.problems} == {
        (2, "B backup (user name)"),
        (3, "B backup (user name)"),
    }


def test_calendar_days_bring_their_year(loaded):
    columns = KINDS["calendar"].columns
    data = xlsx(
        [
            [c.header for c in columns],
            [dt.date(2031, 1, 1), "节假日", "元旦"],
            ["2031-01-04", "workday", "元旦调休"],
        ]
    )
    record = commit(check("calendar", data)[0], by=loaded.admin)
    assert record.created == 2
    assert CalendarYear.objects.get(year=2031).source == CalendarYear.Source.MANUAL
    assert CalendarDay.objects.get(date=dt.date(2031, 1, 4)).kind == CalendarDay.Kind.WORKDAY


def test_windows_kind_and_department_must_agree(loaded):
    columns = KINDS["windows"].columns
    data = xlsx(
        [
            [c.header for c in columns],
            ["A30", "综合窗口二", "综合窗口", "jsj", "", "", "是"],
            ["A1", "坏编号", "部门窗口", "jsj", "", "", "是"],
        ]
    )
    record, _ = check("windows", data)
    assert {(p["row"], p["column"]["en"]) for p in record.problems} == {
        (2, "Department code"),
        (3, "Window number"),
    }
    assert Window.objects.count() == 3


# --- files that are not tables ------------------------------------------------------------------


def departments_csv() -> str:
    return "部门代码,部门名称,简称\nhbj,临安市环境保护局,环保局\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_in_gbk(loaded, encoding):
    record, plan = check("departments", departments_csv().encode(encoding), name="d.csv")
    assert plan.problems == [] and record.created == 1
    commit(record)
    assert Department.objects.get(code="hbj").name == "临安市环境保护局"


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "d.csv", "empty"),
        (departments_csv().encode("utf-16"), "d.csv", "UTF-16"),
        (b"\x81\x30\xff\xfe\x00\x01binary", "d.csv", "UTF-8 or GB18030"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "d.xls", ".xls"),
        (b"PK\x03\x04not really a zip", "d.xlsx", "damaged"),
        (b"%PDF-1.4\n", "d.pdf", ".xlsx"),
        ("部门代码,部门名称\n".encode(), "d.csv", "no rows"),
    ],
)
def test_a_file_that_is_not_a_table_gets_a_clear_message_and_changes_nothing(
    loaded, data, name, words
):
    with translation.override("en"), pytest.raises(UnreadableFile) as error:
        check("departments", data, name=name)
    assert words in str(error.value)
    assert ImportRecord.objects.count() == 0


def test_limits_on_size_and_rows(loaded, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = "部门代码,部门名称,简称\n" + "".join(f"d{i},部门{i},部{i}\n" for i in range(3))
    with translation.override("en"), pytest.raises(UnreadableFile, match="more than 2 rows"):
        check("departments", rows.encode(), name="d.csv")
    settings.IMPORT_MAX_BYTES = 100
    client = admin_client(loaded)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.post(
        reverse("loading:upload"),
        {"kind": "departments", "file": io.BytesIO(rows.encode() * 10)},
    )
    assert page.status_code == 200 and "larger than" in page.content.decode()
    assert ImportRecord.objects.count() == 0


# --- the pages and who may use them -------------------------------------------------------------


def test_an_administrator_loads_a_file_through_the_pages(loaded):
    client = admin_client(loaded)
    home = client.get(reverse("windows:admin_home")).content.decode()
    assert reverse("loading:imports") in home
    upload = io.BytesIO(departments_csv().encode("gbk"))
    upload.name = "部门.csv"
    response = client.post(reverse("loading:upload"), {"kind": "departments", "file": upload})
    record = ImportRecord.objects.get()
    assert response["Location"] == reverse("loading:import", args=[record.pk])
    assert record.uploaded_by == loaded.admin and record.original_name == "部门.csv"
    import hashlib

    assert record.sha256 == hashlib.sha256(departments_csv().encode("gbk")).hexdigest()
    assert record.file.read() == departments_csv().encode("gbk")
    page = client.get(reverse("loading:import", args=[record.pk])).content.decode()
    assert 'data-testid="commit"' in page
    client.post(reverse("loading:commit", args=[record.pk]))
    record.refresh_from_db()
    assert record.state == ImportRecord.State.COMMITTED and record.committed_by == loaded.admin
    assert Department.objects.filter(code="hbj").exists()
    # A second confirmation of the same import does nothing.
    client.post(reverse("loading:commit", args=[record.pk]))
    assert Department.objects.filter(code="hbj").count() == 1
    listing = client.get(reverse("loading:imports")).content.decode()
    assert "部门.csv" in listing
    assert client.get(reverse("loading:file", args=[record.pk])).status_code == 200
    template = client.get(reverse("loading:template", args=["items"]))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    csv_export = client.get(reverse("loading:export", args=["departments"]) + "?format=csv")
    assert csv_export.content.startswith(b"\xef\xbb\xbf") and "hbj" in csv_export.content.decode()


def test_a_database_failure_while_writing_changes_nothing(loaded, monkeypatch):
    from django.db import OperationalError

    record, _ = check("items", xlsx(item_rows({}, {**DESIGN_REVIEW, "promised_days": 4})))
    client = admin_client(loaded)  # signing in writes the person's history: before counting
    client.post(reverse("set_language"), {"language": "en"})
    before = (Item.objects.count(), history_rows())

    def fail(*args, **kwargs):
        raise OperationalError("lock timeout")

    # The last step of the write fails after the rows were saved: all of it rolls back.
    monkeypatch.setattr(KINDS["items"], "after_write", fail)
    page = client.post(reverse("loading:commit", args=[record.pk]), follow=True)
    assert "nothing was changed" in page.content.decode()
    assert (Item.objects.count(), history_rows()) == before
    record.refresh_from_db()
    assert record.state == ImportRecord.State.CHECKED


@pytest.mark.parametrize("username", ["erin", "gwen", "frank", "carol", "bob", "alice", "dave"])
def test_nobody_but_an_administrator_may_import(loaded, username):
    record, _ = check("departments", departments_csv().encode(), name="d.csv")
    client = Client()
    client.force_login(getattr(loaded, username))
    for name, args in (
        ("loading:imports", []),
        ("loading:import", [record.pk]),
        ("loading:file", [record.pk]),
        ("loading:template", ["items"]),
        ("loading:export", ["staff"]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    upload = io.BytesIO(departments_csv().encode())
    upload.name = "d.csv"
    assert (
        client.post(reverse("loading:upload"), {"kind": "departments", "file": upload}).status_code
        == 403
    )
    assert client.post(reverse("loading:commit", args=[record.pk])).status_code == 403
    assert ImportRecord.objects.count() == 1
    assert not Department.objects.filter(code="hbj").exists()


def test_the_command_checks_and_writes(loaded, tmp_path):
    path = tmp_path / "departments.csv"
    path.write_bytes(departments_csv().encode("gb18030"))
    out = io.StringIO()
    call_command("import_center", str(path), "--kind", "departments", stdout=out)
    assert "dry run" in out.getvalue() and not Department.objects.filter(code="hbj").exists()
    call_command("import_center", str(path), "--kind", "departments", "--commit", stdout=out)
    assert Department.objects.filter(code="hbj").exists()
    assert ImportRecord.objects.filter(state="committed").count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("部门代码,部门名称\n,无代码\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_center", str(bad), "--kind", "departments", "--commit", stdout=out)
