"""The figures of the supervision pages: a fixed number of queries whatever the data.

Every function takes the same scope (a department, a window, or neither for the whole center)
so the dashboard, a department's page and a window's page share one set of numbers.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from applications.clock import warning_reach
from applications.models import (
    Application,
    ClockEvent,
    DepartmentReview,
    beyond_law_q,
    due_soon_q,
    overdue_q,
    stop_overrun_q,
)
from windows.models import Department, Item, Window
from windows.workdays import WorkCalendar

from .assessment import Period, decided_on_time, overdue_undecided
from .assessment import Scope as UnitScope
from .models import Card

Review = DepartmentReview
log = logging.getLogger(__name__)


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


def figures(today: dt.date, calendar: WorkCalendar, scope: Scope = Scope()) -> dict:
    # One aggregate over the open reviews, through their index (review_open_idx); one over
    # today's decisions and one over the month's days before today (kept until the day ends,
    # see "the last 30 days" below), through review_decided_idx. One aggregate over all
    # reviews read every review of every year.
    counts = scope.reviews(Review.objects.filter(state__in=Review.OPEN_STATES)).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=overdue_q(today)),
        beyond_law=Count("id", filter=beyond_law_q(today)),
        due_soon=Count("id", filter=due_soon_q(today, warning_reach(today, calendar))),
        stopped=Count("id", filter=Q(state=Review.State.SUSPENDED)),
        stop_overrun=Count("id", filter=stop_overrun_q(today)),
    )
    counts["way_back_late"] = scope.reviews(Review.objects.way_back_late(today)).count()
    midnight = _start_of(today)
    month = _kept(
        "month", today, scope, lambda: _decided(scope, _start_of(today.replace(day=1)), midnight)
    )
    now = _decided(scope, midnight, None)
    counts["finished_today"] = now["finished"]
    counts["finished_month"] = month["finished"] + now["finished"]
    counts["on_time_month"] = month["on_time"] + now["on_time"]
    # As the assessment judges the month (one definition, `assessment.overdue_undecided`): a
    # review late and undecided in it counts as not on time, so a month cannot look punctual
    # while reviews sit late. Read through the index on `decided_at` (undecided reviews only).
    counts["late_undecided_month"] = scope.reviews(
        overdue_undecided(Period.of(today), UnitScope(everything=True), today)
    ).count()
    judged = counts["finished_month"] + counts["late_undecided_month"]
    counts["on_time_rate"] = round(100 * counts["on_time_month"] / judged) if judged else None
    return counts


def _decided(scope: Scope, start: dt.datetime, end: dt.datetime | None) -> dict[str, int]:
    """Reviews decided in [start, end), and how many of them by their deadline (the
    assessment's definition, `decided_on_time`): one query."""
    return scope.reviews(_within(Review.objects.all(), "decided_at", start, end)).aggregate(
        finished=Count("id"),
        on_time=Count("id", filter=decided_on_time()),
    )


# What a row of the lists shows (templates/supervision/_live.html), and nothing more: a
# review has some thirty columns, and the lists build up to 200 of them a load.
LISTED_FIELDS = (
    "application_id",
    "item",
    "window",
    "department",
    "state",
    "deadline",
    "statutory_deadline",
    "stop_due",
    "officer__full_name",
    "officer__username",
)


def _listed(
    reviews: QuerySet[Review],
    limit: int,
    order: tuple[str, ...] = ("deadline", "id"),
    **annotations,
) -> QuerySet[Review]:
    # The first `limit` keys are found on the reviews alone, in the order's index where there
    # is one, and only they are joined to their applicant's name: joined first, every review
    # of the list's condition was (1,300 due soon at 100,000 applications, 12 ms; the planner
    # expects a few dozen). The applicant's name is read along, not the application and
    # applicant as objects; item, window and department with `named`. (`annotations`: what
    # the order uses besides the review's own columns, for the keys and the rows.)
    keys = reviews.annotate(**annotations).order_by(*order).values("pk")[:limit]
    return (
        Review.objects.filter(pk__in=keys)
        .annotate(**annotations)
        .select_related("officer")
        .only(*LISTED_FIELDS)
        .annotate(applicant_name=F("application__applicant__name"))
        .order_by(*order)
    )


def named(reviews: list[Review]) -> list[Review]:
    """The item, window and department of every listed review, with the name each shows: three
    small queries for all of a page's lists. (Joining the six tables cost PostgreSQL more to
    plan, about 5 ms, than the lists cost to read; Django's prefetch compiles its keys as
    tuples, a few milliseconds more.)"""
    for field, model, name in (
        ("item", Item, "name"),
        ("window", Window, "number"),
        ("department", Department, "short_name"),
    ):
        attname = f"{field}_id"
        found = model.objects.only(name).order_by().in_bulk({getattr(r, attname) for r in reviews})
        for review in reviews:
            setattr(review, field, found[getattr(review, attname)])
    return reviews


def overdue(today: dt.date, scope: Scope = Scope(), *, limit: int = 50) -> QuerySet[Review]:
    """Running reviews past their deadline, worst first."""
    return _listed(scope.reviews(Review.objects.overdue(today)), limit)


def due_soon(
    today: dt.date, calendar: WorkCalendar, scope: Scope = Scope(), *, limit: int = 50
) -> QuerySet[Review]:
    reach = warning_reach(today, calendar)
    return _listed(scope.reviews(Review.objects.due_soon(today, reach)), limit)


def stops_overrun(today: dt.date, scope: Scope = Scope(), *, limit: int = 50) -> QuerySet[Review]:
    """Stopped reviews past the time announced for their stop, longest overdue first."""
    return _listed(scope.reviews(Review.objects.stop_overrun(today)), limit, ("stop_due", "id"))


def way_back_late(today: dt.date, scope: Scope = Scope(), *, limit: int = 50) -> QuerySet[Review]:
    """Decided and not returned, or returned and not received, past their limits, the longest
    overdue first; each with `late_since`, the limit it missed."""
    late_since = Case(
        When(state=Review.State.DECIDED, then=F("return_due")), default=F("receive_due")
    )
    reviews = scope.reviews(Review.objects.way_back_late(today))
    return _listed(reviews, limit, ("late_since", "id"), late_since=late_since)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _end_of(day: dt.date) -> dt.datetime:
    return _start_of(day + dt.timedelta(days=1))


def _within(queryset: QuerySet, field: str, start: dt.datetime, end: dt.datetime | None):
    """The rows whose `field` falls in [start, end); no end: up to now."""
    queryset = queryset.filter(**{f"{field}__gte": start})
    return queryset.filter(**{f"{field}__lt": end}) if end is not None else queryset


def standing_cards(day: dt.date, scope: Scope = Scope(), *, limit: int = 200) -> QuerySet[Card]:
    """The review cards of the clock as they stood at the close of `day`: issued by then, the
    review not yet decided, no later card for it, and its clock not stopped, resumed or moved
    since the card. Beyond the law first, then red, stopped too long and yellow, by deadline.
    Cards are never edited, so a past day always reads the same."""
    end = _end_of(day)
    later_card = Card.objects.filter(
        review=OuterRef("review"), issued_at__lt=end, id__gt=OuterRef("id")
    )
    clock_moved = ClockEvent.objects.filter(
        review=OuterRef("review"),
        at__gt=OuterRef("issued_at"),
        at__lt=end,
        kind__in=[ClockEvent.Kind.STOP, ClockEvent.Kind.RESUME, ClockEvent.Kind.EXTEND],
    )
    cards = Card.objects.filter(
        review__isnull=False, issued_at__lt=end, level__in=Card.CLOCK_LEVELS
    ).filter(Q(review__decided_at__isnull=True) | Q(review__decided_at__gte=end))
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
        .order_by("level", "deadline", "id")[:limit]  # "law", "red", "stop", "yellow"
    )


def scope_cards(cards: QuerySet[Card], scope: Scope) -> QuerySet[Card]:
    if scope.department is not None:
        cards = cards.filter(review__department=scope.department)
    if scope.window is not None:
        cards = cards.filter(review__window=scope.window)
    if scope.since is not None:
        cards = cards.filter(review__started_on__gte=scope.since)
    return cards


# --- the last 30 days ---------------------------------------------------------------------------
#
# What happened on a past day does not change: an application is accepted, a review decided, a
# card issued at the moment it happens, never earlier. The figures of the days before today are
# kept in the cache until the day ends (the key names the day, so the next day reads afresh);
# today's are read at every load, through the indexes on those moments. A load of the dashboard
# reads a day of rows, not a month. Whatever writes past days (the demo's seeding) clears them.

PAST_DAYS_SECONDS = 26 * 3600
PAST_DAYS_KEY = "supervision:past-days"


def _kept(name: str, today: dt.date, scope: Scope, compute: Callable[[], Any]) -> Any:
    """`compute()` for the days before `today`, from the cache when it holds it. A cache that
    does not answer must not take the page down: the figures are then computed afresh."""
    try:
        generation = cache.get_or_set(f"{PAST_DAYS_KEY}:generation", _generation, timeout=None)
        key = ":".join(
            [
                PAST_DAYS_KEY,
                str(generation),
                name,
                today.isoformat(),
                str(getattr(scope.department, "pk", "")),
                str(getattr(scope.window, "pk", "")),
                scope.since.isoformat() if scope.since else "",
            ]
        )
        value = cache.get(key)
    except Exception:
        log.warning("the cache is not answering; past days computed afresh", exc_info=True)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, PAST_DAYS_SECONDS)
        except Exception:
            log.warning("the cache is not answering; past days not kept", exc_info=True)
    return value


def _generation() -> str:
    return uuid.uuid4().hex[:12]


def forget_past_days() -> None:
    """Drop the kept figures of past days: call after writing history (seeding a demo). A new
    generation names new keys; the old entries expire by themselves. (A generation the cache
    evicted is replaced the same way, never reused.)"""
    cache.set(f"{PAST_DAYS_KEY}:generation", _generation(), timeout=None)


def _per_day(
    start: dt.datetime, end: dt.datetime | None, scope: Scope
) -> dict[str, dict[dt.date, int]]:
    """Received, decided and newly overdue per day in [start, end): three queries."""

    def by_day(queryset, field: str) -> dict[dt.date, int]:
        return dict(
            _within(queryset, field, start, end)
            .annotate(day=TruncDate(field))
            .values("day")
            .annotate(n=Count("id"))
            .values_list("day", "n")
        )

    received = Application.objects.all()
    if scope.department is not None or scope.window is not None:
        received = received.filter(
            Exists(scope.reviews(Review.objects.filter(application=OuterRef("pk"))))
        )
    return {
        "received": by_day(received, "accepted_at"),
        "decided": by_day(scope.reviews(Review.objects.all()), "decided_at"),
        "overdue": by_day(
            scope_cards(Card.objects.filter(level=Card.Level.RED, review__isnull=False), scope),
            "issued_at",
        ),
    }


def last_days(today: dt.date, scope: Scope = Scope(), *, days: int = 30) -> list[dict]:
    """Received, decided and newly overdue per day over the last `days` days, today included:
    three queries over today, and three over the days before when the cache does not hold them."""
    first = today - dt.timedelta(days=days - 1)
    midnight = _start_of(today)
    past = _kept(
        f"per-day-{days}", today, scope, lambda: _per_day(_start_of(first), midnight, scope)
    )
    now = _per_day(midnight, None, scope)
    return [
        {
            key: past[key].get(day, 0) + now[key].get(day, 0)
            for key in ("received", "decided", "overdue")
        }
        | {"day": day}
        for day in (first + dt.timedelta(days=i) for i in range(days))
    ]


def _on_time(start: dt.datetime, end: dt.datetime | None) -> dict[str, dict]:
    """Decided and decided on time per department in [start, end): one query."""
    rows = (
        _within(Review.objects.all(), "decided_at", start, end)
        .values("department__code", "department__short_name", "department__sort_order")
        .annotate(
            decided=Count("id"),
            on_time=Count("id", filter=decided_on_time()),
        )
        .order_by()
    )
    return {
        row["department__code"]: {
            "code": row["department__code"],
            "name": row["department__short_name"],
            "order": (row["department__sort_order"], row["department__code"]),
            "decided": row["decided"],
            "on_time": row["on_time"],
        }
        for row in rows
    }


def on_time_by_department(today: dt.date, *, days: int = 30) -> list[dict]:
    """Share of reviews decided on time over the last `days` days, per department, worst first:
    one query over today, and one over the days before when the cache does not hold them."""
    midnight = _start_of(today)
    first = _start_of(today - dt.timedelta(days=days - 1))
    past = _kept(f"on-time-{days}", today, Scope(), lambda: _on_time(first, midnight))
    rates = {code: dict(row) for code, row in past.items()}
    for code, row in _on_time(midnight, None).items():
        if code in rates:
            rates[code]["decided"] += row["decided"]
            rates[code]["on_time"] += row["on_time"]
        else:
            rates[code] = dict(row)
    for row in rates.values():
        row["rate"] = round(100 * row["on_time"] / row["decided"])
    # Worst first: the departments a manager should look at lead the list.
    return sorted(rates.values(), key=lambda d: (d["rate"], -d["decided"], d["order"]))
