"""The center's statistics of cases (行政审批办件统计表) for a month or a year, by department and
by item, with totals: the table a center hands upward to the county government.

A case (件) is one item of one application: an application for three items is three cases,
so the rows add up to the totals. Every figure is counted through the definitions the
dashboard and the efficiency assessment use, never a second copy of them:

- decided, on time, late, beyond the law, late and undecided, clock stops, extensions:
  `supervision.assessment` (`decided_in`, `decided_on_time`, `decided_late`,
  `decided_beyond_law`, `overdue_undecided`, `stops_begun_in`, `extensions_in`), which the
  dashboard (`supervision.live`) reads too; the on-time rate is the assessment's
  (`Figures.on_time_rate`);
- received, accepted, one-time notices, not accepted: the moments the intake services record
  (`Application.received_at`, `Application.accepted_at`, the documents issued);
- pending at the end of the period: accepted by then and neither decided nor withdrawn by
  then; for the period still running, the reviews open now: the dashboard's "open" less the
  decisions awaiting the leader's countersign, which the assessment (and so this table)
  judges by the window's signature while the dashboard keeps their clock running (README,
  "Efficiency assessment").

Cost: eight aggregate queries grouped by department and item (rows bounded by items, not by
cases), and two for the names, whatever the period and the data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import Application, ClockEvent, DepartmentReview, Document
from windows.models import Department, Item

from . import assessment as a

Review = DepartmentReview

# The columns of the table, in order: (figure, heading, what it counts). The page, the
# spreadsheet and the printed table all read this list; the notes under the table are the
# third part of each entry.
COLUMNS: list[tuple[str, object, object]] = [
    (
        "received",
        pgettext_lazy("statistics column", "Received"),
        _(
            "Cases whose materials the comprehensive window received in the period (the first "
            "receipt of the application), whatever became of them."
        ),
    ),
    (
        "accepted",
        pgettext_lazy("statistics column", "Accepted"),
        _(
            "Cases accepted in the period: the commitment slip issued and the review "
            "opened at the item's window, including those accepted as of receipt (Art. 32)."
        ),
    ),
    (
        "notices",
        pgettext_lazy("statistics column", "One-time notices"),
        _(
            "One-time notices of missing materials issued in the period, for each "
            "item of the application (Art. 32)."
        ),
    ),
    (
        "not_accepted",
        pgettext_lazy("statistics column", "Not accepted"),
        _("Notices of non-acceptance issued in the period (Art. 38)."),
    ),
    (
        "handled",
        pgettext_lazy("statistics column", "Decided"),
        _("Reviews decided in the period (granted or refused), at the moment of signature."),
    ),
    (
        "refused",
        pgettext_lazy("statistics column", "Of which refused"),
        _("Of the reviews decided, those refused."),
    ),
    (
        "on_time",
        pgettext_lazy("statistics column", "Decided on time"),
        _(
            "Decided on or before the day of the promised deadline, as the clock ledger left "
            "it (lawful extensions and stopped time included)."
        ),
    ),
    (
        "late",
        pgettext_lazy("statistics column", "Decided late"),
        _("Decided after the day of the promised deadline (past the center's promise)."),
    ),
    (
        "overdue",
        pgettext_lazy("statistics column", "Late, undecided"),
        _(
            "Past the promised deadline and still undecided on some day of the period (up to "
            "today); counted in every period in which they stand late, and by their decision "
            "in the period in which they are decided. A stopped clock is late only if it ran "
            "out before the stop."
        ),
    ),
    (
        "beyond_law",
        pgettext_lazy("statistics column", "Beyond the law"),
        _(
            "Decided in the period after the statutory deadline, or past the statutory "
            "deadline and undecided on some day of the period: the law's ceiling (Art. 42), "
            "also counted as late."
        ),
    ),
    (
        "on_time_rate",
        pgettext_lazy("statistics column", "On-time rate"),
        _(
            "Decided on time ÷ (decided + late, undecided) × 100%: a case sitting late "
            "counts against the rate though not yet decided."
        ),
    ),
    (
        "stops",
        pgettext_lazy("statistics column", "Clock stops"),
        _(
            "Clocks stopped in the period (supplements asked for, expert review, hearing "
            "and the other causes of Art. 45)."
        ),
    ),
    (
        "extensions",
        pgettext_lazy("statistics column", "Extensions"),
        _("Extensions of the time limit that took effect in the period (Art. 42)."),
    ),
    (
        "pending",
        pgettext_lazy("statistics column", "Pending at the end"),
        _(
            "Accepted by the end of the period and neither decided nor withdrawn by then; for "
            "the period still running, the cases open today."
        ),
    ),
]

CASE_NOTE = _(
    "A case is one item of one application: an application for several items counts once for "
    "each, so the rows add up to the total. Items with no case in the period are left out of "
    "the table by item. Days are the center's (Asia/Shanghai); deadlines close at the end of "
    "their day."
)

# The figures a reader should see in red when they are not 0.
BAD = frozenset({"late", "overdue", "beyond_law"})

COUNTS = tuple(code for code, _label, _note in COLUMNS if code != "on_time_rate")


@dataclass
class Line(a.Figures):
    """One row of the table: the assessment's figures (and its on-time rate) and the intake's."""

    received: int = 0
    accepted: int = 0
    notices: int = 0
    not_accepted: int = 0
    refused: int = 0
    pending: int = 0

    def cells(self) -> list[tuple[str, int | float | None, bool]]:
        """(figure, value, whether it is bad news) in the order of COLUMNS; the rate as a
        percentage, None when nothing was judged."""
        return [
            (code, value := getattr(self, code), bool(value) and code in BAD)
            for code, _label, _note in COLUMNS
        ]

    @property
    def empty(self) -> bool:
        return not any(getattr(self, code) for code in COUNTS)


@dataclass
class Row:
    key: str  # the department's or the item's code
    name: str
    department: str = ""  # for an item: its department's short name
    line: Line = field(default_factory=Line)


@dataclass
class Statistics:
    period: a.Period
    today: dt.date
    department: Department | None
    departments: list[Row]
    items: list[Row]
    total: Line

    @property
    def running(self) -> bool:
        """The period is not over: its figures are up to today."""
        return self.period.start <= self.today <= self.period.end


def pending_at_end(period: a.Period, scope: a.Scope) -> QuerySet[Review]:
    """Reviews accepted by the end of the period and neither decided nor withdrawn by then.
    While the period runs (its end in the future) these are the reviews open now."""
    _start, end = period.bounds()
    return (
        Review.objects.filter(scope.reviews(), application__accepted_at__lt=end)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=end))
        .filter(Q(application__withdrawn_at__isnull=True) | Q(application__withdrawn_at__gte=end))
    )


def compute(
    period: a.Period, *, today: dt.date, department: Department | None = None
) -> Statistics:
    """The table for the period (`_compute`), its queries in one transaction without
    PostgreSQL's JIT compilation: the planner expects some of these aggregates to be large and
    compiles them, which cost more than running them (on the 100,000-application benchmark,
    1.7 s of the 2.1 s the late undecided reviews of a year took)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return _compute(period, today=today, department=department)


def _compute(period: a.Period, *, today: dt.date, department: Department | None) -> Statistics:
    """The table for the period: the whole center, or one department.

    1. Count the reviews per department and item: decided (on time, late, beyond the law,
       refused), late and undecided, beyond the law and undecided, accepted, pending at the
       end; the clock stops and extensions of the period.
    2. Count the intake's cases per item: received, one-time notices, not accepted.
    3. Add the counts up per item, per department and in all.
    """
    scope = (
        a.Scope(everything=False, department_ids=frozenset({department.pk}))
        if department is not None
        else a.Scope(everything=True)
    )
    start, end = period.bounds()
    per: dict[tuple[int, int], Line] = defaultdict(Line)
    group = ("department", "item")

    def add(rows, prefix: str = "") -> None:
        for row in rows:
            key = (row.pop(prefix + "department"), row.pop(prefix + "item"))
            # An application with no item yet is no case; the intake's counts are read for
            # the whole center and kept here for the department asked for.
            if key[1] is None or (department is not None and key[0] != department.pk):
                continue
            line = per[key]
            for name, n in row.items():
                setattr(line, name, getattr(line, name) + n)

    # 1. The reviews, through the assessment's definitions.
    add(
        a.decided_in(period, scope)
        .values(*group)
        .annotate(
            handled=Count("id"),
            on_time=Count("id", filter=a.decided_on_time()),
            late=Count("id", filter=a.decided_late()),
            beyond_law=Count("id", filter=a.decided_beyond_law()),
            refused=Count("id", filter=Q(outcome=Review.Outcome.REFUSED)),
        )
        .order_by()
    )
    add(
        a.overdue_undecided(period, scope, today)
        .values(*group)
        .annotate(overdue=Count("id"))
        .order_by()
    )
    add(
        a.overdue_undecided(period, scope, today, limit="statutory_deadline")
        .values(*group)
        .annotate(beyond_law=Count("id"), beyond_law_undecided=Count("id"))
        .order_by()
    )
    add(
        Review.objects.filter(
            scope.reviews(), application__accepted_at__gte=start, application__accepted_at__lt=end
        )
        .values(*group)
        .annotate(accepted=Count("id"))
        .order_by()
    )
    add(pending_at_end(period, scope).values(*group).annotate(pending=Count("id")).order_by())
    # The clock stops and the extensions of the period in one reading of the clock ledger.
    stop, extend = ClockEvent.Kind.STOP, ClockEvent.Kind.EXTEND
    add(
        (a.stops_begun_in(period, scope, today) | a.extensions_in(period, scope))
        .values("review__department", "review__item")
        .annotate(
            stops=Count("id", filter=Q(kind=stop)), extensions=Count("id", filter=Q(kind=extend))
        )
        .order_by(),
        "review__",
    )

    # 2. The intake's cases: an application counts once for each of its items, under the
    # item's department (read with the items, not joined into the counts).
    items = {
        item.pk: item
        for item in Item.objects.select_related("department").order_by(
            "department__sort_order", "department__code", "code"
        )
    }

    def under_department(rows, item: str):
        for row in rows:
            found = items.get(row.pop(item))
            if found is not None:
                yield {"department": found.department_id, "item": found.pk, **row}

    through = Application.items.through.objects
    add(
        under_department(
            through.filter(application__received_at__gte=start, application__received_at__lt=end)
            .values("item")
            .annotate(received=Count("id"))
            .order_by(),
            "item",
        )
    )
    add(
        under_department(
            Document.objects.filter(
                kind__in=[Document.Kind.MISSING_MATERIALS, Document.Kind.NOT_ACCEPTED],
                issued_at__gte=start,
                issued_at__lt=end,
            )
            .values(item=F("application__items"))
            .annotate(
                notices=Count("id", filter=Q(kind=Document.Kind.MISSING_MATERIALS)),
                not_accepted=Count("id", filter=Q(kind=Document.Kind.NOT_ACCEPTED)),
            )
            .order_by(),
            "item",
        )
    )

    # 3. Items, departments, total.
    departments = Department.objects.filter(Q(items__isnull=False) | Q(pk__in={d for d, _i in per}))
    if department is not None:
        departments = departments.filter(pk=department.pk)
    by_department = {
        d.pk: Row(d.code, d.short_name)
        for d in departments.distinct().order_by("sort_order", "code")
    }
    item_rows: dict[int, Row] = {}
    total = Line()
    for (department_id, item_id), line in per.items():
        total.add(line)
        if department_id in by_department:
            by_department[department_id].line.add(line)
        if item_id in items:
            item = items[item_id]
            row = item_rows.setdefault(
                item_id, Row(item.code, item.name, item.department.short_name)
            )
            row.line.add(line)
    ordered_items = [
        item_rows[pk] for pk in items if pk in item_rows and not item_rows[pk].line.empty
    ]
    return Statistics(
        period=period,
        today=today,
        department=department,
        departments=list(by_department.values()),
        items=ordered_items,
        total=total,
    )
