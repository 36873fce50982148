"""The live figures of the supervision dashboard: a fixed number of queries whatever the data."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet

from applications.models import DepartmentReview
from windows.workdays import WorkCalendar

from .sweep import RUNNING

Review = DepartmentReview


def figures(today: dt.date, calendar: WorkCalendar) -> dict:
    soon = calendar.add_working_days(today, settings.SWEEP_WARNING_WORKING_DAYS).end
    month = today.replace(day=1)
    counts = Review.objects.aggregate(
        open=Count("id", filter=Q(state__in=Review.OPEN_STATES)),
        overdue=Count("id", filter=Q(state__in=RUNNING, deadline__lt=today)),
        due_soon=Count("id", filter=Q(state__in=RUNNING, deadline__gte=today, deadline__lte=soon)),
        stopped=Count("id", filter=Q(state=Review.State.SUSPENDED)),
        finished_today=Count("id", filter=Q(decided_at__date=today)),
        finished_month=Count("id", filter=Q(decided_at__date__gte=month)),
        on_time_month=Count(
            "id", filter=Q(decided_at__date__gte=month, decided_at__date__lte=F("deadline"))
        ),
    )
    counts["on_time_rate"] = (
        round(100 * counts["on_time_month"] / counts["finished_month"])
        if counts["finished_month"]
        else None
    )
    return counts


def _scope(reviews: QuerySet[Review], department, window) -> QuerySet[Review]:
    if department is not None:
        reviews = reviews.filter(department=department)
    if window is not None:
        reviews = reviews.filter(window=window)
    return reviews


def overdue(today: dt.date, *, department=None, window=None, limit: int = 50) -> QuerySet[Review]:
    """Running reviews past their deadline, worst first."""
    reviews = _scope(
        Review.objects.filter(state__in=RUNNING, deadline__lt=today), department, window
    )
    return reviews.select_related(
        "application__applicant", "item", "window", "department", "officer"
    ).order_by("deadline", "id")[:limit]


def due_soon(
    today: dt.date, calendar: WorkCalendar, *, department=None, window=None, limit: int = 50
) -> QuerySet[Review]:
    soon = calendar.add_working_days(today, settings.SWEEP_WARNING_WORKING_DAYS).end
    reviews = _scope(
        Review.objects.filter(state__in=RUNNING, deadline__gte=today, deadline__lte=soon),
        department,
        window,
    )
    return reviews.select_related(
        "application__applicant", "item", "window", "department", "officer"
    ).order_by("deadline", "id")[:limit]
