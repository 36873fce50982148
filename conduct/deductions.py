"""The deductions as the assessment counts them: standing (not restored by an appeal), in the
period of their day (`Deduction.on`, the day of the finding)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Sum

from .models import Deduction


def in_period(start: dt.date, end: dt.date):
    return Deduction.objects.standing().filter(on__gte=start, on__lte=end)


def totals(start: dt.date, end: dt.date) -> list[tuple[int, int | None, int, int]]:
    """(window id, staff id, points, count) per window and person: one query."""
    return [
        (row["window"], row["staff"], row["points"], row["n"])
        for row in in_period(start, end)
        .values("window", "staff")
        .annotate(points=Sum("points"), n=Count("id"))
        .order_by()
    ]
