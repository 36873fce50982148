"""What can be loaded, one kind per sheet: its columns, the key that finds a stored row, the
checks beyond the model's own, and what follows a write (signing authority, the calendar).

Each row is checked as the admin's forms check it: the model's fields and `clean()`, its
constraints, uniqueness, and the same refusals as the admin's forms (`authority.letter_refusals`
for letters). An import adds and updates rows; it never deletes any (that stays in the admin).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from windows import authority
from windows.models import (
    AuthorizationLetter,
    CalendarDay,
    CalendarYear,
    Department,
    Item,
    ItemMaterial,
    Material,
    Post,
    Staff,
    StationedDeputy,
    Window,
)
from windows.roles import Role
from windows.workdays import calendar_changed

from .columns import EMPTY, REF_KEYS, Column

C = Column


class Lookups:
    """Every department, window, person, item and material by the code a sheet names it with,
    read once per check."""

    MODELS = {
        "department": Department,
        "window": Window,
        "staff": Staff,
        "item": Item,
        "material": Material,
    }

    def __init__(self) -> None:
        self._maps: dict[str, dict[str, models.Model]] = {}

    def of(self, ref: str) -> dict[str, models.Model]:
        if ref not in self._maps:
            key = REF_KEYS[ref]
            queryset = self.MODELS[ref].objects.all()
            if ref == "window":
                queryset = queryset.select_related("department")
            self._maps[ref] = {getattr(obj, key): obj for obj in queryset}
        return self._maps[ref]


@dataclass
class Action:
    """One row to write: a new object, or a stored one with the fields that change."""

    row: int
    obj: models.Model
    is_new: bool
    key: tuple = ()
    fields: list[str] = field(default_factory=list)
    m2m: dict[str, tuple] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)  # the keys of the columns that change


class Kind:
    name = ""
    label = ""
    sheet = ""  # the Chinese name of the template's sheet
    model: type[models.Model]
    columns: tuple[Column, ...] = ()
    key: tuple[str, ...] = ()
    # Columns that must differ from row to row of a file besides the key (unique in the model).
    unique_in_file: tuple[str, ...] = ()
    # The column that a broken constraint of the model is shown in.
    constraint_columns: dict[str, str] = {}
    model_clean = True
    clean_exclude: tuple[str, ...] = ()
    syncs_authority = False

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {column.key: column for column in self.columns}

    def queryset(self):
        return self.model.objects.all()

    def export_queryset(self):
        return self.queryset()

    def new(self) -> models.Model:
        return self.model()

    def assign(self, obj, column: Column, value, lookups: Lookups) -> None:
        if column.type == "ref":
            value = None if value in (EMPTY, None) else lookups.of(column.ref)[value]
        setattr(obj, column.model_field, value)

    def extra_problems(self, obj, m2m: dict, lookups: Lookups) -> dict[str, list[str]]:
        """Refusals beyond the model's own, by column key."""
        return {}

    def before_write(self, actions: list[Action], *, by, now) -> None:
        pass

    def set_m2m(self, obj, column: Column, value: tuple, lookups: Lookups) -> None:
        getattr(obj, column.key).set([lookups.of(column.ref)[code] for code in value])

    def after_write(self, actions: list[Action], *, by, now) -> None:
        if self.syncs_authority and actions:
            authority.sync_signing_authority(at=now, by=by)

    def example_row(self) -> list[object]:
        return [column.example for column in self.columns]


class Departments(Kind):
    name = "departments"
    label = gettext_lazy("Departments")
    sheet = "部门"
    model = Department
    columns = (
        C("code", "部门代码", "Department code", example="jsj", note="a-z 0-9 - _"),
        C("name", "部门名称", "Name", example="临安市建设局"),
        C("short_name", "简称", "Short name", example="建设局"),
        C("leader_name", "部门负责人", "Department leader", example="钱国良（局长）"),
        C("phone", "电话", "Telephone", example="0571-63720303"),
        C("sort_order", "排序", "Sort order", "int", example=3),
    )
    key = ("code",)
    unique_in_file = ("name",)


class Windows(Kind):
    name = "windows"
    label = gettext_lazy("Service windows")
    sheet = "窗口"
    model = Window
    columns = (
        C("number", "窗口编号", "Window number", example="A07", note="A01"),
        C("name", "窗口名称", "Name", example="建设局规划窗口"),
        C("kind", "窗口类型", "Kind", "choice", choices=Window.Kind, example="部门窗口"),
        C("department", "部门代码", "Department code", "ref", ref="department", example="jsj"),
        C("location", "位置", "Location in the hall", example="一楼A区"),
        C("phone", "电话", "Telephone", example="0571-63700107"),
        C("is_active", "开放", "Open", "bool", example="是"),
    )
    key = ("number",)
    constraint_columns = {"window_department_matches_kind": "department"}

    def queryset(self):
        return Window.objects.select_related("department")


class Materials(Kind):
    name = "materials"
    label = gettext_lazy("Materials")
    sheet = "材料"
    model = Material
    columns = (
        C("name", "材料名称", "Material", example="建设工程规划许可证"),
        C("description", "说明", "Description", example=""),
    )
    key = ("name",)


class Items(Kind):
    name = "items"
    label = gettext_lazy("Catalog items")
    sheet = "事项"
    model = Item
    columns = (
        C("code", "事项编码", "Item code", example="XK-JSJ-001"),
        C("name", "事项名称", "Name", example="建筑工程施工许可证核发"),
        C("kind", "事项类型", "Kind", "choice", choices=Item.Kind, example="行政许可事项"),
        C("department", "部门代码", "Department code", "ref", ref="department", example="jsj"),
        C("window", "窗口编号", "Window number", "ref", ref="window", example="A08"),
        C("legal_basis", "设定依据", "Legal basis", example="《中华人民共和国建筑法》第八条"),
        C("statutory_days", "法定时限（工作日）", "Statutory working days", "int", example=15),
        C("promised_days", "承诺时限（工作日）", "Promised working days", "int", example=5),
        C("fee", "收费", "Fee", example="不收费"),
        C(
            "fixed_asset_parallel",
            "固定资产投资并联审批",
            "Fixed-asset parallel approval",
            "bool",
            example="是",
        ),
        C(
            "needs_countersign",
            "需负责人会签",
            "Needs the leader's countersign",
            "bool",
            example="否",
        ),
        C("handled_in_center", "进驻中心办理", "Handled in the center", "bool", example="是"),
        C("is_active", "有效", "In force", "bool", example="是"),
        # The public guide's texts (optional columns, as every column but the key).
        C(
            "conditions",
            "受理条件",
            "Conditions for acceptance",
            example="申请材料齐全、符合法定形式",
        ),
        C("procedure", "办理流程", "Procedure", example="申请\n受理\n审查\n决定\n送达"),
    )
    key = ("code",)
    constraint_columns = {
        "item_promise_within_statute": "promised_days",
        "item_promise_positive": "promised_days",
    }
    # A new item of a department with a stationed deputy gives the deputy authority to sign it,
    # as the admin's save does.
    syncs_authority = True

    def queryset(self):
        return Item.objects.select_related("department", "window__department")


class ItemMaterials(Kind):
    name = "item_materials"
    label = gettext_lazy("Required materials of items")
    sheet = "事项材料"
    model = ItemMaterial
    columns = (
        C("item", "事项编码", "Item code", "ref", ref="item", example="XK-JSJ-001"),
        C("material", "材料名称", "Material", "ref", ref="material", example="建设工程规划许可证"),
        C("form", "原件/复印件", "Form", "choice", choices=ItemMaterial.Form, example="复印件"),
        C("copies", "份数", "Copies", "int", example=1),
        C("may_follow", "可容缺后补", "May follow later", "bool", example="否"),
        C("note", "备注", "Note", example=""),
        C("position", "顺序", "Position", "int", example=1),
    )
    key = ("item", "material")
    constraint_columns = {"item_material_copies": "copies", "item_material_once": "material"}

    def queryset(self):
        return ItemMaterial.objects.select_related("item", "material")


class StaffKind(Kind):
    name = "staff"
    label = gettext_lazy("Staff and roles")
    sheet = "人员"
    model = Staff
    columns = (
        C("username", "用户名", "User name", example="officer_a08_1"),
        C("full_name", "姓名", "Full name", example="张伟"),
        C("title", "职务", "Title", example="窗口工作人员"),
        C("phone", "电话", "Telephone", example="13900000000"),
        C("email", "电子邮箱", "E-mail", example=""),
        C("department", "部门代码", "Department code", "ref", ref="department", example="jsj"),
        C("window", "窗口编号", "Window number", "ref", ref="window", example="A08"),
        C("roles", "角色", "Roles", "roles", example="窗口工作人员"),
        C("is_staff", "可进入管理后台", "May enter the admin site", "bool", example="否"),
        C("is_active", "在岗", "Active", "bool", example="是"),
    )
    key = ("username",)
    clean_exclude = ("password", "last_login")

    def queryset(self):
        return Staff.objects.select_related("department", "window").prefetch_related("groups")

    def export_queryset(self):
        # Superusers are made on the command line (createsuperuser), not by a sheet.
        return self.queryset().filter(is_superuser=False)

    def new(self) -> Staff:
        person = Staff()
        # No password from a sheet: the person gets one from an administrator (the admin's
        # "change password") before the first sign-in.
        person.set_unusable_password()
        return person

    def extra_problems(self, obj, m2m, lookups) -> dict[str, list[str]]:
        if obj.is_superuser and obj.pk is not None:
            return {
                "username": [
                    _("This is a superuser account: change it in the admin, not by a sheet.")
                ]
            }
        return {}

    def set_m2m(self, obj, column, value, lookups) -> None:
        others = [g for g in obj.groups.all() if g.name not in Role.values] if obj.pk else []
        roles = list(Group.objects.filter(name__in=value))
        obj.groups.set(others + roles)


class Posts(Kind):
    name = "posts"
    label = gettext_lazy("A/B posts")
    sheet = "AB岗"
    model = Post
    columns = (
        C("window", "窗口编号", "Window number", "ref", ref="window", example="A08"),
        C("name", "岗位", "Post", example="受理审核岗"),
        C("duties", "岗位职责", "Duties", example=""),
        C(
            "holder_a",
            "A岗（用户名）",
            "A holder (user name)",
            "ref",
            ref="staff",
            example="officer_a08_1",
        ),
        C(
            "holder_b",
            "B岗（用户名）",
            "B backup (user name)",
            "ref",
            ref="staff",
            example="officer_a08_2",
        ),
    )
    key = ("window", "name")
    constraint_columns = {
        "post_backup_is_someone_else": "holder_b",
        "post_unique_per_window": "name",
    }

    def queryset(self):
        return Post.objects.select_related("window", "holder_a", "holder_b")


class Postings(Kind):
    name = "postings"
    label = gettext_lazy("Stationed deputy heads")
    sheet = "常驻副职"
    model = StationedDeputy
    columns = (
        C("department", "部门代码", "Department code", "ref", ref="department", example="jsj"),
        C(
            "staff",
            "副职（用户名）",
            "Deputy head (user name)",
            "ref",
            ref="staff",
            example="deputy_jsj",
        ),
        C("appointment_ref", "任命文件", "Appointment document", example="临组干〔2026〕10号"),
        C("term_start", "任期开始", "Term starts", "date", example=dt.date(2026, 3, 1)),
        C("term_end", "任期结束", "Term ends", "date", example=dt.date(2027, 2, 28)),
        C("ended_on", "提前结束日", "Ended early on", "date", example=""),
    )
    key = ("department", "staff", "term_start")
    constraint_columns = {"deputy_term_order": "term_end"}
    syncs_authority = True

    def queryset(self):
        return StationedDeputy.objects.select_related("department", "staff")


class Letters(Kind):
    name = "letters"
    label = gettext_lazy("Letters of authorization")
    sheet = "委托书"
    model = AuthorizationLetter
    columns = (
        C("number", "委托书编号", "Letter number", example="临公安委〔2026〕B01号"),
        C(
            "department",
            "委托部门代码",
            "Delegating department code",
            "ref",
            ref="department",
            example="gaj",
        ),
        C("delegating_official", "委托人", "Delegating official", example="陈卫东（局长）"),
        C(
            "window_head",
            "受托窗口负责人（用户名）",
            "Window head (user name)",
            "ref",
            ref="staff",
            example="head_b01",
        ),
        C(
            "items",
            "委托事项编码",
            "Item codes",
            "refs",
            ref="item",
            example="XK-GAJ-001、XK-GAJ-002",
        ),
        C("valid_from", "生效日期", "Valid from", "date", example=dt.date(2026, 1, 1)),
        C("valid_until", "失效日期", "Valid until", "date", example=dt.date(2026, 12, 31)),
    )
    key = ("number",)
    constraint_columns = {"letter_validity_order": "valid_until"}
    syncs_authority = True

    def queryset(self):
        return AuthorizationLetter.objects.select_related(
            "department", "window_head"
        ).prefetch_related("items")

    def extra_problems(self, obj, m2m, lookups) -> dict[str, list[str]]:
        problems: dict[str, list[str]] = {}
        if obj.pk is not None and obj.revoked_at is not None:
            problems["number"] = [
                _("This letter was revoked; a revoked letter is not changed by a sheet.")
            ]
        codes = m2m.get("items")
        if codes is None:
            items = list(obj.items.all()) if obj.pk else []
        else:
            items = [lookups.of("item")[code] for code in codes]
        refusals = authority.letter_refusals(
            department=obj.department if obj.department_id else None,
            items=items,
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
        )
        for model_field, message in refusals.items():
            problems.setdefault(model_field, []).append(message)
        return problems


class Calendar(Kind):
    name = "calendar"
    label = gettext_lazy("Calendar: holidays and adjusted working days")
    sheet = "日历"
    model = CalendarDay
    columns = (
        C("date", "日期", "Date", "date", example=dt.date(2027, 1, 1)),
        C("kind", "类型", "Kind", "choice", choices=CalendarDay.Kind, example="节假日"),
        C("name", "名称", "Name", example="元旦"),
    )
    key = ("date",)
    # A day's year is added with the day (CalendarDay.clean asks for it first in the admin).
    model_clean = False

    def before_write(self, actions, *, by, now) -> None:
        present = set(CalendarYear.objects.values_list("year", flat=True))
        for year in sorted({a.obj.date.year for a in actions} - present):
            calendar_year = CalendarYear(
                year=year,
                source=CalendarYear.Source.MANUAL,
                note=_("Loaded from a spreadsheet"),
            )
            calendar_year._history_user = by
            calendar_year._history_date = now
            calendar_year.save()

    def after_write(self, actions, *, by, now) -> None:
        years = {a.obj.date.year for a in actions}
        # A day moved by the sheet also leaves its old year (the date is the key: it cannot).
        if years:
            calendar_changed(years, by=by, now=now)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Departments(),
        Windows(),
        Materials(),
        Items(),
        ItemMaterials(),
        StaffKind(),
        Posts(),
        Postings(),
        Letters(),
        Calendar(),
    )
}
