"""The demo's conduct rules (the issue's examples), a complaint waiting for its answer and a
patrol of today (seed_demo)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from windows.models import Staff, Window
from windows.roles import Role

from . import services
from .models import Complaint, Rule

RULES = [
    ("absent-no-cover", "离岗未安排AB岗顶岗", "Absent from the post without A/B cover", 2),
    ("late-opening", "窗口未按时开窗", "Late opening", 1),
    (
        "refusal-no-reason",
        "不予受理未出具书面理由",
        "Refusing to accept without a written reason",
        3,
    ),
    ("extra-material", "索要目录以外的材料", "Asking for a material not in the catalog", 3),
    ("complaint", "服务投诉经查属实", "A substantiated complaint", 2),
    ("integrity", "违反廉政规定", "A breach of integrity rules", 10),
]


def seed_rules() -> list[Rule]:
    rules = []
    for position, (code, title, description, points) in enumerate(RULES):
        rule, _created = Rule.objects.get_or_create(
            code=code,
            defaults={
                "title": title,
                "description": description,
                "points": points,
                "position": position,
            },
        )
        rules.append(rule)
    return rules


def seed_demo_conduct(*, today: dt.date) -> list[str]:
    rules = seed_rules()
    lines = [f"conduct: {len(rules)} rules"]
    manager = Staff.objects.filter(groups__name=Role.CENTER_MANAGER).order_by("pk").first()
    window = (
        Window.objects.filter(kind=Window.Kind.DEPARTMENT, is_active=True)
        .order_by("number")
        .first()
    )
    if manager is None or window is None or Complaint.objects.exists():
        return lines
    now = timezone.now()
    complaint = services.complaint_file(
        source=Complaint.Source.PHONE,
        phone="13900001111",
        name="张女士",
        text="上午在窗口等了四十分钟无人，工作人员离岗。",
        window=window,
        by=manager,
        now=now - dt.timedelta(days=3),
    )
    services.complaint_assign(complaint=complaint, assignee=manager, by=manager, now=now)
    services.patrol_start(by=manager, now=now)
    lines.append(f"conduct: complaint {complaint.number} waiting for its answer, a patrol today")
    return lines
