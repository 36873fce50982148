"""The demo center of the source (Lin'an): 25 departments, 43 windows, 136 approval and 41 service
items, 146 staff in every role, the five stationed deputies, letters of authorization for the other
windows, A/B posts, seals and the calendar. Idempotent: every row is keyed by its code, number or
username, so a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import subprocess
import zlib
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction

from . import authority, demo_data
from .calendar_seed import seed_calendar
from .models import (
    Absence,
    AuthorizationLetter,
    CenterInfo,
    Department,
    Item,
    ItemMaterial,
    Material,
    Package,
    Post,
    Seal,
    Staff,
    Stage,
    StationedDeputy,
    Window,
)
from .roles import Role, ensure_role_groups

DEMO_PASSWORD = "center2026"  # noqa: S105 - printed for the demo's users, refused in production
TOTAL_STAFF = 146


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        self.lines.append(text)


def _names(rng: random.Random):
    seen: set[str] = set()
    while True:
        name = rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN_NAMES)
        if name not in seen:
            seen.add(name)
            yield name


def build_demo_center(*, today: dt.date) -> Report:
    """Create or refresh the demo organisation. Steps:

    1. departments, windows, materials and the catalog with each item's materials, the guide's
       texts, the center's address and hours, and a sample and blank form for a few materials;
    2. staff in every role (one password hash for all: hashing 146 times would take a minute);
    3. the five stationed deputies, and letters of authorization for every other department window;
    4. A/B posts, a few absences around today, a seal per window;
    5. the calendar, then signing permissions derived from the letters and postings.
    """
    report = Report()
    rng = random.Random(2026)  # the same names on every run
    names = _names(rng)
    with transaction.atomic():
        ensure_role_groups()
        departments = _departments()
        windows = _windows(departments)
        _catalog(departments, windows)
        _packages()
        _stages_and_prerequisites()
        _guide()
        staff = _staff(departments, windows, names)
        _deputies_and_letters(departments, windows, staff, today)
        _posts_and_absences(windows, staff, today)
        _seals(windows)
    _loaded, unknown = seed_calendar([today.year - 1, today.year, today.year + 1])
    if unknown:
        report.add(
            f"calendar: no published holidays for {', '.join(map(str, unknown))}; "
            "deadlines there are provisional until an administrator enters them"
        )
    authority.sync_signing_authority(at=_noon(today))
    report.add(
        f"{Department.objects.count()} departments, {Window.objects.count()} windows, "
        f"{Item.objects.approvals().count()} approval and {Item.objects.services().count()} "
        f"service items, {Staff.objects.count()} staff, "
        f"{StationedDeputy.objects.count()} deputies, "
        f"{AuthorizationLetter.objects.count()} letters, "
        f"{len(authority.current_grants())} signing permissions"
    )
    return report


def _noon(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def _upsert(model, defaults: dict, **lookup):
    """Like update_or_create, but saves only when something differs, so a second run of the
    demo writes no history rows."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **defaults), True
    changed = [name for name, value in defaults.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, defaults[name])
    if changed:
        obj.save(update_fields=changed)
    return obj, False


def _window_serial(number: str) -> int:
    """A01 → 101, B12 → 212: a stable number for a window's telephone and seal."""
    return int(number[1:]) + 100 * (ord(number[0]) - 64)


def _departments() -> dict[str, Department]:
    result = {}
    for order, (code, name, short, leader, phone, _deputy) in enumerate(demo_data.DEPARTMENTS):
        result[code], _ = _upsert(
            Department,
            code=code,
            defaults={
                "name": name,
                "short_name": short,
                "leader_name": leader,
                "phone": phone,
                "sort_order": order,
            },
        )
    return result


def _windows(departments: dict[str, Department]) -> dict[str, Window]:
    result = {}
    for number, name, department_code, location in demo_data.WINDOWS:
        kind = Window.Kind.COMPREHENSIVE if department_code is None else Window.Kind.DEPARTMENT
        result[number], _ = _upsert(
            Window,
            number=number,
            defaults={
                "name": name,
                "kind": kind,
                "location": location,
                "department": departments.get(department_code) if department_code else None,
                "phone": f"0571-6370{_window_serial(number):04d}",
            },
        )
    return result


def _catalog(departments: dict[str, Department], windows: dict[str, Window]) -> None:
    material_names = {m[0] for row in demo_data.ITEMS for m in row[12]}
    existing = set(Material.objects.filter(name__in=material_names).values_list("name", flat=True))
    for name in sorted(material_names - existing):
        Material.objects.create(name=name)
    materials = {m.name: m for m in Material.objects.filter(name__in=material_names)}
    for row in demo_data.ITEMS:
        (
            code,
            name,
            kind,
            department_code,
            window_number,
            basis,
            statutory,
            promised,
            parallel,
            countersign,
            in_center,
            fee,
            required,
        ) = row
        item, _ = _upsert(
            Item,
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "department": departments[department_code],
                "window": windows[window_number],
                "legal_basis": basis,
                "statutory_days": statutory,
                "promised_days": promised,
                "fixed_asset_parallel": parallel,
                "needs_countersign": countersign,
                "handled_in_center": in_center,
                "fee": fee,
                "conditions": demo_data.GUIDE_CONDITIONS.get(
                    code, demo_data.GUIDE_CONDITIONS_DEFAULT[kind]
                ),
                "procedure": demo_data.GUIDE_PROCEDURE[kind].format(window=window_number),
            },
        )
        for position, (material, form, copies, may_follow) in enumerate(required):
            _upsert(
                ItemMaterial,
                item=item,
                material=materials[material],
                defaults={
                    "form": form,
                    "copies": copies,
                    "may_follow": may_follow,
                    "position": position,
                },
            )


def _packages() -> None:
    items = {item.code: item for item in Item.objects.all()}
    for position, (name, codes) in enumerate(demo_data.PACKAGES):
        package, _ = _upsert(Package, name=name, defaults={"position": position})
        wanted = {items[code].pk for code in codes}
        if set(package.items.values_list("pk", flat=True)) != wanted:
            package.items.set(wanted)


def _stages_and_prerequisites() -> None:
    items = {item.code: item for item in Item.objects.all()}
    for position, (name, description, codes) in enumerate(demo_data.STAGES):
        stage, _ = _upsert(
            Stage, name=name, defaults={"position": position, "description": description}
        )
        for code in codes:
            if items[code].stage_id != stage.pk:
                items[code].stage = stage
                items[code].save(update_fields=["stage"])
    for code, needed in demo_data.PREREQUISITES:
        wanted = {items[c].pk for c in needed}
        if set(items[code].prerequisites.values_list("pk", flat=True)) != wanted:
            items[code].prerequisites.set(wanted)


def _guide() -> None:
    """The center's address and hours, and for the materials of GUIDE_FORMS a blank form and a
    sample drawn as PDF (once: a material that has its files keeps them)."""
    info = CenterInfo.current()
    if info is None:
        CenterInfo.objects.create(**demo_data.GUIDE_CENTER)
    else:
        _upsert(CenterInfo, demo_data.GUIDE_CENTER, pk=info.pk)
    for material in Material.objects.filter(name__in=demo_data.GUIDE_FORMS):
        title, rows = demo_data.GUIDE_FORMS[material.name]
        changed = []
        for name, sample in (("blank_form", False), ("sample", True)):
            if not getattr(material, name):
                pdf = draw_form(title, rows, sample=sample)
                getattr(material, name).save(f"{name}.pdf", ContentFile(pdf), save=False)
                changed.append(name)
        if changed:
            material.save(update_fields=changed)


def draw_form(title: str, rows: list[tuple[str, str]], *, sample: bool) -> bytes:
    """A one-page A4 form as PDF: the title, a table of fields (empty, or filled in with the
    sample's values and marked 样表), the applicant's declaration and signature lines."""
    import html

    import weasyprint
    from weasyprint.urls import URLFetcher

    cells = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value) if sample else ''}</td></tr>"
        for label, value in rows
    )
    mark = '<div class="mark">样表</div>' if sample else ""
    filled = "张明　　2026 年 12 月 1 日" if sample else "　" * 12 + "年　　月　　日"
    page = f"""<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">
<title>{html.escape(title)}{"（样表）" if sample else ""}</title><style>
@page {{ size: A4; margin: 22mm 20mm; }}
body {{ font-family: "Noto Sans CJK SC", sans-serif; font-size: 11pt; color: #000; }}
h1 {{ text-align: center; font-size: 18pt; letter-spacing: .2em; margin: 0 0 8mm; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 1px solid #000; padding: 3.5mm 3mm; text-align: left; vertical-align: top; }}
th {{ width: 34%; font-weight: normal; background: #f2f2f2; }}
td {{ color: #1d3f91; }}
p {{ margin: 6mm 0 0; line-height: 1.8; }}
.sign {{ margin-top: 14mm; text-align: right; }}
.mark {{ position: fixed; top: 95mm; left: 0; right: 0; text-align: center; font-size: 90pt;
  color: rgba(200, 30, 30, .18); transform: rotate(-30deg); letter-spacing: .3em; }}
.note {{ font-size: 9pt; color: #444; }}
</style></head><body>{mark}<h1>{html.escape(title)}</h1><table>{cells}</table>
<p>申请人承诺：所提交的申请材料真实、合法、有效，复印件与原件一致，如有不实，愿承担相应的法律责任。</p>
<p class="sign">申请人（签字或盖章）：{filled}</p>
<p class="note">填写说明：请用黑色签字笔或钢笔填写，字迹工整，不得涂改。
本表可在临安市行政审批中心综合窗口领取，或从办事指南下载。</p>
</body></html>"""
    # Nothing is fetched: the fonts come through fontconfig, as for the center's documents.
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(string=page, url_fetcher=fetcher).write_pdf()


def _staff(departments, windows, names) -> dict[str, Staff]:
    """146 people: administrator, managers, clerks, leaders, deputies, heads and officers."""
    password = make_password(DEMO_PASSWORD)
    groups = {g.name: g for g in Group.objects.all()}
    result: dict[str, Staff] = {}

    def person(username, role, title, *, department=None, window=None, staff_flag=False):
        user, created = Staff.objects.get_or_create(
            username=username,
            defaults={
                "full_name": next(names),
                "title": title,
                "department": department,
                "window": window,
                "password": password,
                "is_staff": staff_flag,
                "phone": f"139{zlib.crc32(username.encode()) % 10**8:08d}",
            },
        )
        if created:
            user.groups.add(groups[role])
        result[username] = user
        return user

    admin = person("admin", Role.ADMINISTRATOR, "信息科科长", staff_flag=True)
    if not admin.is_superuser:
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
    for i, title in enumerate(
        ["中心主任", "中心副主任", "督查科科长", "督查科科员", "综合科科长"], 1
    ):
        person(f"manager{i}", Role.CENTER_MANAGER, title, staff_flag=True)
    for i in range(1, 9):
        person(f"clerk{i}", Role.INTAKE_CLERK, "综合窗口受理员", window=windows["A01"])
    # The city government's head approves extensions of joint handling (Art. 42 para 2); one of
    # the 146 accounts, so one small window has one officer fewer.
    person("gov_head", Role.GOVERNMENT_HEAD, "副市长")

    deputy_codes = [d[0] for d in demo_data.DEPARTMENTS if d[5]]
    department_windows = {
        code: [w for w in windows.values() if w.department_id == departments[code].pk]
        for code in departments
    }
    for code in deputy_codes:
        department = departments[code]
        person(f"leader_{code}", Role.DEPARTMENT_LEADER, "局长", department=department)
        person(
            f"deputy_{code}",
            Role.STATIONED_DEPUTY,
            "副局长（常驻中心）",
            department=department,
            window=sorted(department_windows[code], key=str)[0],
        )

    dept_windows = sorted((w for w in windows.values() if w.department_id), key=lambda w: w.number)
    for window in dept_windows:
        person(
            f"head_{window.number.lower()}",
            Role.WINDOW_HEAD,
            "窗口负责人",
            department=window.department,
            window=window,
        )
    officers_left = TOTAL_STAFF - len(result)
    per_window = [2] * len(dept_windows)
    for i in range(2 * len(dept_windows) - officers_left):
        per_window[-1 - i] = 1  # the smallest windows at the end of the hall get one officer
    for window, count in zip(dept_windows, per_window, strict=True):
        for n in range(1, count + 1):
            person(
                f"officer_{window.number.lower()}_{n}",
                Role.WINDOW_OFFICER,
                "窗口工作人员",
                department=window.department,
                window=window,
            )
    return result


def _deputies_and_letters(departments, windows, staff, today: dt.date) -> None:
    year = today.year
    term_start = dt.date(year, 3, 1) if today >= dt.date(year, 3, 1) else dt.date(year - 1, 3, 1)
    for index, (code, *_rest, has_deputy) in enumerate(demo_data.DEPARTMENTS):
        department = departments[code]
        if has_deputy:
            _upsert(
                StationedDeputy,
                department=department,
                staff=staff[f"deputy_{code}"],
                defaults={
                    "appointment_ref": f"临组干〔{term_start.year}〕{index + 8}号",
                    "term_start": term_start,
                    "term_end": term_start.replace(year=term_start.year + 1) - dt.timedelta(days=1),
                },
            )
            continue
        for window in sorted(
            (w for w in windows.values() if w.department_id == department.pk),
            key=lambda w: w.number,
        ):
            head = staff[f"head_{window.number.lower()}"]
            items = list(Item.objects.filter(window=window))
            # This year's letter in force, and last year's, expired: it shows in the history
            # and signs nothing.
            for letter_year in (year, year - 1):
                letter, _ = _upsert(
                    AuthorizationLetter,
                    number=f"临{department.short_name[:2]}委〔{letter_year}〕{window.number}号",
                    defaults={
                        "department": department,
                        "delegating_official": department.leader_name,
                        "window_head": head,
                        "valid_from": dt.date(letter_year, 1, 1),
                        "valid_until": dt.date(letter_year, 12, 31),
                    },
                )
                letter.items.set(items)
    # One letter revoked this year, as happens when a window head moves on.
    first = (
        AuthorizationLetter.objects.filter(valid_from=dt.date(year, 1, 1))
        .exclude(number__contains="-补")
        .order_by("number")
    )
    revoked = first.first()
    if revoked is not None:
        extra, created = AuthorizationLetter.objects.get_or_create(
            number=revoked.number.replace("号", "-补1号"),
            defaults={
                "department": revoked.department,
                "delegating_official": revoked.delegating_official,
                "window_head": revoked.window_head,
                "valid_from": dt.date(year, 1, 1),
                "valid_until": dt.date(year, 12, 31),
            },
        )
        if created:
            extra.items.set(revoked.items.all()[:1])
            authority.letter_revoke(
                letter=extra,
                by=staff["admin"],
                reason="委托事项已并入年度委托书",
                at=_noon(today) - dt.timedelta(days=30),
            )


def _posts_and_absences(windows, staff, today: dt.date) -> None:
    by_window: dict[int, list[Staff]] = {}
    for person in staff.values():
        if person.window_id:
            by_window.setdefault(person.window_id, []).append(person)
    for window in windows.values():
        people = sorted(by_window.get(window.pk, []), key=lambda p: p.username)
        if window.kind == Window.Kind.COMPREHENSIVE:
            pairs = [
                (f"受理岗{n}", people[2 * n - 2], people[2 * n - 1])
                for n in range(1, len(people) // 2 + 1)
            ]
        else:
            head = next(p for p in people if p.username.startswith("head_"))
            officers = [p for p in people if p.username.startswith("officer_")]
            backup_for_head = officers[0] if officers else head
            pairs = [("负责人岗", head, backup_for_head)]
            if len(officers) >= 2:
                pairs.append(("受理审核岗", officers[0], officers[1]))
            elif officers:
                pairs.append(("受理审核岗", officers[0], head))
        for name, a, b in pairs:
            if a.pk == b.pk:
                continue
            _upsert(Post, window=window, name=name, defaults={"holder_a": a, "holder_b": b})
    # A few people away around today, so A/B cover shows.
    for username, reason in (
        ("officer_a03_1", Absence.Reason.LEAVE),
        ("clerk3", Absence.Reason.TRAINING),
        ("head_b02", Absence.Reason.MEETING),
    ):
        if username in staff:
            Absence.objects.get_or_create(
                staff=staff[username],
                starts_on=today - dt.timedelta(days=1),
                defaults={"ends_on": today + dt.timedelta(days=2), "reason": reason},
            )


def _seals(windows: dict[str, Window]) -> None:
    font = _cjk_font_path()
    for window in sorted(windows.values(), key=lambda w: w.number):
        if window.department_id:
            organisation, purpose = window.department.name, "行政审批专用章"
        else:
            organisation, purpose = "临安市行政审批中心", "综合受理专用章"
        inscription = organisation + purpose
        seal, created = Seal.objects.get_or_create(
            window=window,
            defaults={
                "number": f"33018520{_window_serial(window.number):05d}",
                "inscription": inscription,
                "issued_on": dt.date(2024, 12, 1),
            },
        )
        if created or not seal.image:
            seal.image.save(
                f"{window.number}.png",
                ContentFile(draw_seal(organisation, purpose, font)),
                save=False,
            )
            seal.save(update_fields=["image"])
    # The center's own seal, held by no window: urge notices and joint extensions.
    seal, created = Seal.objects.get_or_create(
        number="330185200000",
        defaults={"inscription": "临安市行政审批中心", "issued_on": dt.date(2024, 12, 1)},
    )
    if created or not seal.image:
        seal.image.save(
            "center.png", ContentFile(draw_seal("临安市行政审批中心", "", font)), save=False
        )
        seal.save(update_fields=["image"])


def _cjk_font_path() -> str | None:
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def draw_seal(organisation: str, purpose: str, font_path: str | None, size: int = 400) -> bytes:
    """A round red seal: ring, star, the organisation along the upper arc and the purpose
    (such as 行政审批专用章) written straight below the star. Returns PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    red = (200, 30, 30, 255)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c, r = size / 2, size / 2 - 8
    draw.ellipse([c - r, c - r, c + r, c + r], outline=red, width=12)
    star = [
        (
            c + (r * 0.26 if i % 2 == 0 else r * 0.10) * math.sin(math.pi * i / 5),
            c - (r * 0.26 if i % 2 == 0 else r * 0.10) * math.cos(math.pi * i / 5),
        )
        for i in range(10)
    ]
    draw.polygon(star, fill=red)
    if font_path:
        sweep = 250.0
        radius = r - 44
        char_size = int(min(46, radius * math.radians(sweep) / max(len(organisation), 1) * 0.85))
        font = ImageFont.truetype(font_path, char_size)
        box = int(char_size * 1.6)
        for i, char in enumerate(organisation):
            angle = -sweep / 2 + sweep * (i + 0.5) / len(organisation)
            glyph = Image.new("RGBA", (box, box), (0, 0, 0, 0))
            ImageDraw.Draw(glyph).text((box / 2, box / 2), char, font=font, fill=red, anchor="mm")
            glyph = glyph.rotate(-angle, resample=Image.BICUBIC)
            x = c + radius * math.sin(math.radians(angle)) - box / 2
            y = c - radius * math.cos(math.radians(angle)) - box / 2
            image.alpha_composite(glyph, (int(x), int(y)))
        bottom = ImageFont.truetype(font_path, int(min(34, 2 * r * 0.9 / max(len(purpose), 1))))
        draw.text((c, c + r * 0.5), purpose, font=bottom, fill=red, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
