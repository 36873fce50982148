"""The hall's figures: the one place that says what waiting and service time are, and what
counts as called in time. The dashboard's live tiles, the figures page, the efficiency
assessment and the replay of a day all read them from here.

- Wait: from the ticket's place in the queue (`queue_at`: when it took its number, or the start
  of its slot for an appointment on time) to its call (`called_at`).
- Called in time: a wait of at most `settings.HALL_CALLED_WITHIN_MINUTES`.
- Service time: from the start of the service to its end.
- A visitor counts for the period of the day they took their number, for the window and the
  person that called them (a transferred ticket: the last window that called it).

Every figure is counted by the database in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractHour
from django.utils.translation import gettext_lazy as _

from .models import ServiceRating, Ticket

Status = Ticket.Status

WAIT = ExpressionWrapper(F("called_at") - F("queue_at"), output_field=DurationField())
SERVICE = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())


def within() -> dt.timedelta:
    return dt.timedelta(minutes=settings.HALL_CALLED_WITHIN_MINUTES)


def called_in_time_q() -> Q:
    return Q(called_at__isnull=False, called_at__lte=F("queue_at") + within())


def _minutes(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 60, 1)


# --- now ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Live:
    waiting: int
    longest_wait: float | None  # minutes, of those waiting now
    served: int  # today, service finished
    average_wait: float | None  # minutes, of those called today
    serving: int  # being served now
    no_shows: int


def live(now: dt.datetime) -> Live:
    """The hall now (one query): the dashboard's tiles."""
    from django.utils import timezone

    today = timezone.localdate(now)
    row = Ticket.objects.filter(day=today).aggregate(
        waiting=Count("id", filter=Q(status=Status.WAITING)),
        oldest=Min("queue_at", filter=Q(status=Status.WAITING)),
        served=Count("id", filter=Q(status=Status.DONE)),
        serving=Count("id", filter=Q(status=Status.SERVING)),
        no_shows=Count("id", filter=Q(status=Status.NO_SHOW)),
        average=Avg(WAIT, filter=Q(called_at__isnull=False)),
    )
    oldest = row["oldest"]
    return Live(
        waiting=row["waiting"],
        longest_wait=_minutes(now - oldest) if oldest and oldest <= now else None,
        served=row["served"],
        average_wait=_minutes(row["average"]),
        serving=row["serving"],
        no_shows=row["no_shows"],
    )


# --- a period ------------------------------------------------------------------------------

# What the figures page can group by, and the ticket field each groups on.
GROUPS = {
    "business": ("business", _("Business")),
    "window": ("window", _("Window")),
    "staff": ("staff", _("Person")),
    "hour": ("hour", _("Hour taken")),
}


@dataclass
class Row:
    key: object
    label: str
    visitors: int
    called: int
    in_time: int
    no_shows: int
    served: int
    average_wait: float | None
    longest_wait: float | None
    average_service: float | None
    ratings: int = 0
    rating_average: float | None = None

    @property
    def in_time_rate(self) -> float | None:
        return round(100 * self.in_time / self.called, 1) if self.called else None


def tickets_in(start: dt.date, end: dt.date) -> QuerySet[Ticket]:
    return Ticket.objects.filter(day__gte=start, day__lte=end)


def _aggregates() -> dict:
    return {
        "visitors": Count("id"),
        "called": Count("id", filter=Q(called_at__isnull=False)),
        "in_time": Count("id", filter=called_in_time_q()),
        "no_shows": Count("id", filter=Q(status=Status.NO_SHOW)),
        "served": Count("id", filter=Q(status=Status.DONE)),
        "average_wait": Avg(WAIT, filter=Q(called_at__isnull=False)),
        "longest_wait": Max(WAIT, filter=Q(called_at__isnull=False)),
        "average_service": Avg(SERVICE, filter=Q(status=Status.DONE, started_at__isnull=False)),
    }


def table(start: dt.date, end: dt.date, group: str) -> tuple[list[Row], Row]:
    """The period's figures per business, window, person or hour, and their total (three
    queries, and one for the labels)."""
    field, _label = GROUPS[group]
    tickets = tickets_in(start, end)
    if group == "hour":
        tickets = tickets.annotate(hour=ExtractHour("taken_at"))
    rows = list(tickets.values(field).annotate(**_aggregates()).order_by(field))
    total = tickets.aggregate(**_aggregates())
    labels = _labels(group, [r[field] for r in rows])
    rated = _ratings(start, end, group)
    out = []
    for r in rows:
        key = r[field]
        count, average = rated.get(key, (0, None))
        label = labels.get(key) or (str(_("Not called yet")) if key is None else "—")
        out.append(_row(key, label, r, count, average))
    all_count = sum(c for c, _a in rated.values())
    all_sum = sum(c * a for c, a in rated.values() if a is not None)
    all_average = round(all_sum / all_count, 2) if all_count else None
    return out, _row(None, str(_("All")), total, all_count, all_average)


def _row(key, label: str, r: dict, ratings: int, rating_average: float | None) -> Row:
    return Row(
        key=key,
        label=label,
        visitors=r["visitors"],
        called=r["called"],
        in_time=r["in_time"],
        no_shows=r["no_shows"],
        served=r["served"],
        average_wait=_minutes(r["average_wait"]),
        longest_wait=_minutes(r["longest_wait"]),
        average_service=_minutes(r["average_service"]),
        ratings=ratings,
        rating_average=rating_average,
    )


def _labels(group: str, keys: list) -> dict:
    from windows.models import Staff, Window

    from .models import Business

    if group == "business":
        return {b.pk: str(b) for b in Business.objects.filter(pk__in=keys)}
    if group == "window":
        return {w.pk: str(w) for w in Window.objects.filter(pk__in=[k for k in keys if k])}
    if group == "staff":
        return {s.pk: str(s) for s in Staff.objects.filter(pk__in=[k for k in keys if k])}
    return {h: f"{h:02d}:00" for h in keys if h is not None}


def _ratings(start: dt.date, end: dt.date, group: str) -> dict:
    """The pad's ratings of the period's services, grouped like the table: {key: (count,
    average)}."""
    field = {"business": "ticket__business", "window": "window", "staff": "staff"}.get(group)
    rated = ServiceRating.objects.filter(ticket__day__gte=start, ticket__day__lte=end)
    if field is None:
        rated = rated.annotate(hour=ExtractHour("ticket__taken_at"))
        field = "hour"
    return {
        r[field]: (r["n"], round(r["total"] / r["n"], 2))
        for r in rated.values(field).annotate(n=Count("id"), total=Sum("level"))
    }


# --- the efficiency assessment ----------------------------------------------------------------


def waiting_by(unit: str, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """{window, department or staff id: (visitors called, called in time)} for the period.
    `unit`: "window", "department" (the calling window's department) or "staff"."""
    field = {"window": "window", "department": "window__department", "staff": "staff"}[unit]
    rows = (
        tickets_in(start, end)
        .filter(called_at__isnull=False)
        .values(field)
        .annotate(n=Count("id"), in_time=Count("id", filter=called_in_time_q()))
    )
    return {r[field]: (r["n"], r["in_time"]) for r in rows if r[field] is not None}


def pad_ratings_by(unit: str, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """{window, department or staff id: (ratings, sum of levels)} given on the pads in the
    period (the day the visitor rated)."""
    field = {"window": "window", "department": "window__department", "staff": "staff"}[unit]
    rows = (
        ServiceRating.objects.filter(at__date__gte=start, at__date__lte=end)
        .values(field)
        .annotate(n=Count("id"), total=Sum("level"))
    )
    return {r[field]: (r["n"], r["total"]) for r in rows if r[field] is not None}


# --- the replay of a day ---------------------------------------------------------------------


@dataclass
class WindowAt:
    window_id: int
    label: str
    ticket: str  # the number called or being served there, "" when free
    status: str
    staff: str


@dataclass
class Replay:
    at: dt.datetime
    waiting: list[tuple[str, int, float | None]]  # business, waiting, longest wait (minutes)
    windows: list[WindowAt]
    taken: int
    served: int
    no_shows: int
    events: list  # the history rows of the last step, oldest first


def replay(day: dt.date, at: dt.datetime, step: dt.timedelta) -> Replay:
    """The hall as it stood at `at` on `day`, rebuilt from the tickets' history (every step
    of every ticket is a history row with its time): who waited for what, which window had
    whom, and what happened in the `step` before."""
    from windows.models import Staff, Window

    from .models import Business

    rows = (
        Ticket.history.filter(day=day, history_date__lte=at)
        .order_by("history_date", "history_id")
        .values(
            "id",
            "number",
            "status",
            "business_id",
            "window_id",
            "staff_id",
            "queue_at",
            "history_date",
        )
    )
    state: dict[int, dict] = {}
    events = []
    for row in rows:
        before = state.get(row["id"])
        state[row["id"]] = row
        if row["history_date"] > at - step and (
            before is None or before["status"] != row["status"]
        ):
            events.append(row)
    businesses = {b.pk: str(b) for b in Business.objects.all()}
    windows = {w.pk: str(w) for w in Window.objects.filter(is_active=True)}
    staff_ids = {r["staff_id"] for r in state.values() if r["staff_id"]}
    names = {s.pk: str(s) for s in Staff.objects.filter(pk__in=staff_ids)}
    waiting: dict[int, list[dt.datetime]] = {}
    at_window: dict[int, dict] = {}
    for r in state.values():
        if r["status"] == Status.WAITING:
            waiting.setdefault(r["business_id"], []).append(r["queue_at"])
        elif r["status"] in (Status.CALLED, Status.SERVING) and r["window_id"]:
            at_window[r["window_id"]] = r
    statuses = dict(Status.choices)
    for event in events:
        event["status_label"] = statuses.get(event["status"], event["status"])
        event["window"] = windows.get(event["window_id"], "")
        event["staff"] = names.get(event["staff_id"], "")
    return Replay(
        at=at,
        waiting=[
            (businesses.get(pk, "?"), len(times), _minutes(at - min(times)))
            for pk, times in sorted(waiting.items(), key=lambda kv: businesses.get(kv[0], ""))
        ],
        windows=[
            WindowAt(
                pk,
                label,
                at_window[pk]["number"] if pk in at_window else "",
                statuses.get(at_window[pk]["status"], "") if pk in at_window else "",
                names.get(at_window[pk]["staff_id"], "") if pk in at_window else "",
            )
            for pk, label in windows.items()
            if pk in at_window
        ],
        taken=len(state),
        served=sum(r["status"] == Status.DONE for r in state.values()),
        no_shows=sum(r["status"] == Status.NO_SHOW for r in state.values()),
        events=events,
    )
