"""The figures of the supervision pages: a fixed number of queries whatever the data.

Every function takes the same scope (a department, a window, or neither for the whole center)
so the dashboard, a department's page and a window's page share one set of numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from applications.models import Application, ClockEvent, DepartmentReview
from windows.workdays import WorkCalendar

from .models import Card
from .sweep import RUNNING

Review = DepartmentReview


@dataclass(frozen=True)
class Scope:
    department: object = None
    window: object = None
    # Only applications accepted on or after this day (the period filter).
    since: dt.date | None = None

    def reviews(self, reviews: QuerySet[Review], prefix: str = "") -> QuerySet[Review]:
        if self.department is not None:
            reviews = reviews.filter(**{f"{prefix}department": self.department})
        if self.window is not None:
            reviews = reviews.filter(**{f"{prefix}window": self.window})
        if self.since is not None:
            reviews = reviews.filter(**{f"{prefix}started_on__gte": self.since})
        return reviews


def period_start(period: str, today: dt.date) -> dt.date | None:
    if period == "month":
        return today.replace(day=1)
    if period == "quarter":
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if period == "year":
        return today.replace(month=1, day=1)
    return None


def _warning_reach(today: dt.date, calendar: WorkCalendar) -> dt.date:
    return calendar.add_working_days(today, settings.SWEEP_WARNING_WORKING_DAYS).end


def figures(today: dt.date, calendar: WorkCalendar, scope: Scope = Scope()) -> dict:
    soon = _warning_reach(today, calendar)
    month_start = _end_of(today.replace(day=1) - dt.timedelta(days=1))
    # Two aggregates, each over the rows it counts and through their index: the open reviews
    # (review_open_idx) and this month's decisions (review_decided_idx). One aggregate over
    # all reviews read every review of every year.
    counts = scope.reviews(Review.objects.filter(state__in=Review.OPEN_STATES)).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(state__in=RUNNING, deadline__lt=today)),
        due_soon=Count("id", filter=Q(state__in=RUNNING, deadline__gte=today, deadline__lte=soon)),
        stopped=Count("id", filter=Q(state=Review.State.SUSPENDED)),
    )
    counts |= scope.reviews(Review.objects.filter(decided_at__gte=month_start)).aggregate(
        finished_today=Count("id", filter=Q(decided_at__gte=_end_of(today - dt.timedelta(days=1)))),
        finished_month=Count("id"),
        on_time_month=Count("id", filter=Q(decided_at__date__lte=F("deadline"))),
    )
    counts["on_time_rate"] = (
        round(100 * counts["on_time_month"] / counts["finished_month"])
        if counts["finished_month"]
        else None
    )
    return counts


def _listed(reviews: QuerySet[Review], limit: int) -> QuerySet[Review]:
    # Item, window and department (small tables) come in queries of their own: joining all
    # six tables cost PostgreSQL more to plan (about 5 ms) than the list costs to read.
    return (
        reviews.select_related("application__applicant", "officer")
        .prefetch_related("item", "window", "department")
        .order_by("deadline", "id")[:limit]
    )


def overdue(today: dt.date, scope: Scope = Scope(), *, limit: int = 50) -> QuerySet[Review]:
    """Running reviews past their deadline, worst first."""
    return _listed(
        scope.reviews(Review.objects.filter(state__in=RUNNING, deadline__lt=today)), limit
    )


def due_soon(
    today: dt.date, calendar: WorkCalendar, scope: Scope = Scope(), *, limit: int = 50
) -> QuerySet[Review]:
    soon = _warning_reach(today, calendar)
    return _listed(
        scope.reviews(
            Review.objects.filter(state__in=RUNNING, deadline__gte=today, deadline__lte=soon)
        ),
        limit,
    )


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def standing_cards(day: dt.date, scope: Scope = Scope(), *, limit: int = 200) -> QuerySet[Card]:
    """The review cards as they stood at the close of `day`: issued by then, the review not yet
    decided, no later card for it, and its clock not stopped or moved since the card. Red
    first, then by deadline. Cards are never edited, so a past day always reads the same."""
    end = _end_of(day)
    later_card = Card.objects.filter(
        review=OuterRef("review"), issued_at__lt=end, id__gt=OuterRef("id")
    )
    clock_moved = ClockEvent.objects.filter(
        review=OuterRef("review"),
        at__gt=OuterRef("issued_at"),
        at__lt=end,
        kind__in=[ClockEvent.Kind.STOP, ClockEvent.Kind.EXTEND],
    )
    cards = Card.objects.filter(review__isnull=False, issued_at__lt=end).filter(
        Q(review__decided_at__isnull=True) | Q(review__decided_at__gte=end)
    )
    cards = scope_cards(cards, scope)
    return (
        cards.filter(~Exists(later_card), ~Exists(clock_moved))
        .select_related(
            "review__item",
            "review__window",
            "review__department",
            "review__officer",
            "application__applicant",
        )
        .order_by("level", "deadline", "id")[:limit]  # "red" sorts before "yellow"
    )


def scope_cards(cards: QuerySet[Card], scope: Scope) -> QuerySet[Card]:
    if scope.department is not None:
        cards = cards.filter(review__department=scope.department)
    if scope.window is not None:
        cards = cards.filter(review__window=scope.window)
    if scope.since is not None:
        cards = cards.filter(review__started_on__gte=scope.since)
    return cards


def last_days(today: dt.date, scope: Scope = Scope(), *, days: int = 30) -> list[dict]:
    """Received, decided and newly overdue per day over the last `days` days: three queries."""
    first = today - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time()))
    received = Application.objects.filter(accepted_at__gte=start)
    if scope.department is not None or scope.window is not None:
        received = received.filter(
            Exists(scope.reviews(Review.objects.filter(application=OuterRef("pk"))))
        )
    received = dict(
        received.annotate(day=TruncDate("accepted_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    decided = dict(
        scope.reviews(Review.objects.filter(decided_at__gte=start))
        .annotate(day=TruncDate("decided_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    overdue = dict(
        scope_cards(Card.objects.filter(level=Card.Level.RED, review__isnull=False), scope)
        .filter(issued_at__gte=start)
        .annotate(day=TruncDate("issued_at"))
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
    )
    return [
        {
            "day": day,
            "received": received.get(day, 0),
            "decided": decided.get(day, 0),
            "overdue": overdue.get(day, 0),
        }
        for day in (first + dt.timedelta(days=i) for i in range(days))
    ]


def on_time_by_department(today: dt.date, *, days: int = 30) -> list[dict]:
    """Share of reviews decided on time over the last `days` days, per department: one query."""
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time()))
    rows = (
        Review.objects.filter(decided_at__gte=start)
        .values("department__code", "department__short_name")
        .annotate(
            decided=Count("id"),
            on_time=Count("id", filter=Q(decided_at__date__lte=F("deadline"))),
        )
        .order_by("department__sort_order", "department__code")
    )
    rates = [
        {
            "code": row["department__code"],
            "name": row["department__short_name"],
            "decided": row["decided"],
            "on_time": row["on_time"],
            "rate": round(100 * row["on_time"] / row["decided"]),
        }
        for row in rows
    ]
    # Worst first: the departments a manager should look at lead the list.
    return sorted(rates, key=lambda d: (d["rate"], -d["decided"]))
