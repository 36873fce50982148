"""The demo center's hall: its businesses (filled in by the demo of the hall's parts)."""

from __future__ import annotations

from django.db import transaction

from windows.models import Department, Window

from .models import Business

# (letter, name, kind, department code or None, usual minutes)
BUSINESSES = [
    ("A", "综合受理", Business.Kind.INTAKE, None, 12),
    ("B", "领取结果", Business.Kind.PICKUP, None, 4),
]


@transaction.atomic
def seed_businesses() -> list[Business]:
    """Intake and pick-up at the comprehensive windows, and one business per department
    that has windows in the hall, served by its windows."""
    comprehensive = list(Window.objects.filter(kind=Window.Kind.COMPREHENSIVE))
    made = []
    for letter, name, kind, _code, minutes in BUSINESSES:
        business, _created = Business.objects.update_or_create(
            letter=letter,
            defaults={
                "name": name,
                "kind": kind,
                "service_minutes": minutes,
                "position": len(made),
            },
        )
        business.windows.set(comprehensive)
        made.append(business)
    # One letter per department while letters last (I and O look like digits); the
    # departments after that share the last letter, served by all their windows.
    letters = list("CDEFGHJKLMNPQRSTUVWXYZ")
    departments = list(
        Department.objects.filter(windows__isnull=False).distinct().order_by("sort_order", "code")
    )
    own, shared = departments[: len(letters) - 1], departments[len(letters) - 1 :]
    for letter, department in zip(letters, own, strict=False):
        business, _created = Business.objects.update_or_create(
            letter=letter,
            defaults={
                "name": department.short_name,
                "kind": Business.Kind.DEPARTMENT,
                "department": department,
                "service_minutes": 15,
                "position": len(made),
            },
        )
        business.windows.set(department.windows.all())
        made.append(business)
    if shared:
        business, _created = Business.objects.update_or_create(
            letter=letters[-1],
            defaults={
                "name": "其他部门",
                "kind": Business.Kind.DEPARTMENT,
                "department": shared[0],
                "service_minutes": 15,
                "position": len(made),
            },
        )
        business.windows.set(Window.objects.filter(department__in=shared))
        made.append(business)
    return made


def seed_demo_hall(*, today) -> list[str]:
    from .appointments import seed_demo_slots

    businesses = seed_businesses()
    rules = seed_demo_slots()
    return [f"{len(businesses)} businesses in the hall", f"{rules} appointment slot rules"]
