"""The efficiency assessment (效能考核, DESIGN.md section 5): per window and per department, for
a month, a quarter or a year, the figures of the period, a score out of 100 from the weights an
administrator sets, a grade, and the 5 points of the department's annual assessment.

What each figure counts (days are the center's days, Asia/Shanghai):
- handled: reviews decided in the period; on time: decided on or before their deadline (the
  deadline the clock ledger left, extensions and stopped time included); late: the others;
- working days late: for a late review, the working days after its deadline up to the decision;
- working days used: from the clock's start to the decision, less the working days stopped;
  set against the working days promised (the item's promise when the application was accepted);
- stops: clocks stopped in the period, and the working days clocks stood still inside it (a stop
  counts from the day after it to the day of the resume, as the clock itself counts them);
- extensions granted in the period; urge notices issued in the period;
- A/B cover: working days of the period, up to today, on which a post's A holder was away and
  its B holder was not (and those on which both were away: uncovered);
- applicants' ratings: `ratings_for` (the ratings of applications and the visitors' ratings on
  the hall's pads, together);
- visitors called and called in time: the hall's queue tickets called at the unit's windows
  (`hall.figures`, where waiting is defined);
- deductions: the points of the conduct deductions of the period (a substantiated complaint, a
  patrol's finding: conduct/, through the `assessment_deductions` hook), not restored by an
  appeal, taken off the score after the weighted mean (see `score`).

A window's figures are its reviews'; a department's are those of its reviews at any window.

Cost: a fixed number of queries whatever the data. Working days between two dates are summed
without walking each review: with W(d) the working days from a fixed origin to d, the working
days in (a, b] are W(b) − W(a), so a sum over many reviews is Σ n(d)·W(d) over the days, and the
database only has to count reviews per unit and day (rows bounded by units × days, not reviews).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from applications import ratings
from applications.models import Application, ClockEvent, DepartmentReview, Rating
from approval_center import hooks
from windows.models import Absence, Department, Post, Staff, Window
from windows.roles import Role
from windows.workdays import WorkCalendar

from .models import AssessmentWeights, UrgeNotice

Review = DepartmentReview

# The share of the department's annual performance assessment that the window's efficiency
# score carries (DESIGN.md section 1).
ANNUAL_POINTS = 5

WINDOW, DEPARTMENT = "window", "department"


# --- Periods -------------------------------------------------------------------------------

PERIOD_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])))?$")


@dataclass(frozen=True)
class Period:
    """A month (`2026-10`), a quarter (`2026-Q4`) or a year (`2026`)."""

    kind: str  # "month", "quarter" or "year"
    year: int
    number: int = 0  # the month or the quarter; 0 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        match = PERIOD_PATTERN.match(text.strip())
        if not match:
            raise ValueError(text)
        year = int(match["year"])
        if not 2000 <= year <= 2100:
            raise ValueError(text)
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise ValueError(text)
            return cls("month", year, month)
        if match["quarter"]:
            return cls("quarter", year, int(match["quarter"]))
        return cls("year", year)

    @classmethod
    def of(cls, day: dt.date, kind: str = "month") -> Period:
        if kind == "year":
            return cls("year", day.year)
        if kind == "quarter":
            return cls("quarter", day.year, (day.month - 1) // 3 + 1)
        return cls("month", day.year, day.month)

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    @property
    def start(self) -> dt.date:
        if self.kind == "month":
            return dt.date(self.year, self.number, 1)
        if self.kind == "quarter":
            return dt.date(self.year, 3 * self.number - 2, 1)
        return dt.date(self.year, 1, 1)

    @property
    def end(self) -> dt.date:
        return self.next().start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        """In the active language: 2026年10月 / October 2026, 2026年第4季度 / Q4 2026."""
        if self.kind == "month":
            return date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.kind == "quarter":
            return _("Q%(quarter)d %(year)d") % {"quarter": self.number, "year": self.year}
        return _("Year %(year)d") % {"year": self.year}

    def next(self) -> Period:
        if self.kind == "month":
            year, month = divmod(self.year * 12 + self.number, 12)
            return Period("month", year, month + 1)
        if self.kind == "quarter":
            year, quarter = divmod(self.year * 4 + self.number, 4)
            return Period("quarter", year, quarter + 1)
        return Period("year", self.year + 1)

    def previous(self) -> Period:
        if self.kind == "month":
            year, month = divmod(self.year * 12 + self.number - 2, 12)
            return Period("month", year, month + 1)
        if self.kind == "quarter":
            year, quarter = divmod(self.year * 4 + self.number - 2, 4)
            return Period("quarter", year, quarter + 1)
        return Period("year", self.year - 1)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The period as [first moment, first moment after it) in the center's time zone."""
        zone = timezone.get_default_timezone()
        return (
            dt.datetime.combine(self.start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=zone),
        )


PERIOD_KINDS = {
    "month": gettext_lazy("Months"),
    "quarter": gettext_lazy("Quarters"),
    "year": gettext_lazy("Years"),
}


def recent_periods(today: dt.date, selected: Period) -> list[tuple[str, list[Period]]]:
    """What the period picker offers: the last 24 months, 8 quarters and 5 years, and the
    period shown if it is older or later."""
    months, quarters = [Period.of(today)], [Period.of(today, "quarter")]
    for _n in range(23):
        months.append(months[-1].previous())
    for _n in range(7):
        quarters.append(quarters[-1].previous())
    offered = {
        "month": months,
        "quarter": quarters,
        "year": [Period("year", today.year - n) for n in range(5)],
    }
    if selected not in offered[selected.kind]:
        offered[selected.kind] = sorted([*offered[selected.kind], selected], key=_newest_first)
    return [(str(PERIOD_KINDS[kind]), periods) for kind, periods in offered.items()]


def _newest_first(period: Period) -> tuple[int, int]:
    return (-period.year, -period.number)


# --- Figures, scores, grades ---------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    count: int
    average: float  # 1 to 5


@dataclass
class Figures:
    handled: int = 0
    on_time: int = 0
    late: int = 0
    days_late: int = 0
    days_used: int = 0
    days_promised: int = 0
    overdue: int = 0
    overdue_days: int = 0
    overdue_promised: int = 0
    beyond_law: int = 0
    beyond_law_undecided: int = 0
    stops: int = 0
    stopped_days: int = 0
    stops_standing: int = 0
    overruns: int = 0
    overrun_days: int = 0
    extensions: int = 0
    extension_days: int = 0
    urges: int = 0
    cover_days: int = 0
    uncovered_days: int = 0
    signed: int = 0  # per person only: reviews decided in the period under their signature
    visitors: int = 0  # the hall: tickets called in the period
    called_in_time: int = 0  # of those, called within HALL_CALLED_WITHIN_MINUTES
    deductions: int = 0  # conduct: points deducted in the period (standing, not restored)
    deduction_count: int = 0
    ratings: Ratings | None = None

    def add(self, other: Figures) -> None:
        for f in fields(self):
            if f.name != "ratings":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @property
    def judged(self) -> int:
        """The reviews the period judges: those decided in it, and those late and undecided."""
        return self.handled + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """On time among the reviews judged: a late undecided review counts as not on time."""
        return 100 * self.on_time / self.judged if self.judged else None

    @property
    def decided_on_time_rate(self) -> float | None:
        """On time among the decisions alone (the dashboard's figure)."""
        return 100 * self.on_time / self.handled if self.handled else None

    @property
    def beyond_law_decided(self) -> int:
        return self.beyond_law - self.beyond_law_undecided

    @property
    def called_in_time_rate(self) -> float | None:
        return 100 * self.called_in_time / self.visitors if self.visitors else None

    @property
    def average_used(self) -> float | None:
        return self.days_used / self.handled if self.handled else None

    @property
    def average_promised(self) -> float | None:
        return self.days_promised / self.handled if self.handled else None


class Grade(models.TextChoices):
    EXCELLENT = "excellent", pgettext_lazy("assessment grade", "Excellent")
    GOOD = "good", pgettext_lazy("assessment grade", "Good")
    QUALIFIED = "qualified", pgettext_lazy("assessment grade", "Pass")
    FAIL = "fail", pgettext_lazy("assessment grade", "Fail")


# The components of the score, each normalised to 0–100, in the order the page explains them.
COMPONENTS = {
    "on_time": gettext_lazy("On-time rate"),
    "beyond_law": gettext_lazy("Within the law"),
    "lateness": gettext_lazy("Lateness"),
    "urges": gettext_lazy("Urge notices"),
    "ratings": gettext_lazy("Applicants' ratings"),
    "procedure": gettext_lazy("Extensions and stops"),
    "overruns": gettext_lazy("Stops within the time announced"),
    "waiting": gettext_lazy("Visitors called in time"),
}


@dataclass(frozen=True)
class Component:
    code: str
    weight: int
    value: float | None  # 0–100, None when it cannot be measured (then left out)

    @property
    def label(self) -> str:
        return str(COMPONENTS[self.code])


@dataclass(frozen=True)
class Result:
    components: tuple[Component, ...]
    score: float | None
    grade: str | None
    deducted: int = 0  # conduct points taken off the weighted mean

    @property
    def share(self) -> float | None:
        """The score's part of the department's annual assessment, out of 5 points."""
        return None if self.score is None else self.score / 100 * ANNUAL_POINTS

    @property
    def breakdown(self) -> list[tuple[Component, float | None]]:
        """Each component with the points it adds to the score (None when left out)."""
        total = sum(c.weight for c in self.components if c.value is not None)
        return [
            (c, c.weight * c.value / total if c.value is not None and total else None)
            for c in self.components
        ]

    @property
    def grade_label(self) -> str:
        return str(Grade(self.grade).label) if self.grade else ""


def _ratio_left(part: float, whole: float) -> float:
    """100 × (1 − part / whole), not below 0."""
    return 100 * max(0.0, 1 - part / whole)


def score(figures: Figures, weights: AssessmentWeights) -> Result:
    """The score out of 100: the weighted mean of the components that can be measured.

    1. Nothing judged in the period (nothing decided, nothing late and undecided): nothing to
       judge, no score.
    2. Each component is 0–100, over the reviews judged (decided + late and undecided):
       on-time rate = decided on time / judged; within the law = 100 × (1 − beyond the law /
       judged); lateness = 100 × (1 − (working days late of the decisions + working days late
       of the undecided inside the period) / working days promised of both); urge notices =
       100 × (1 − notices / judged); extensions and stops = 100 × (1 − (extensions + stops) /
       judged); stops within the time announced = 100 × (1 − overrun stops / stops standing in
       the period), 100 with no stop; ratings = (average − 1) / 4 × 100; visitors called in
       time = called within the hall's limit / visitors called (left out with no visitor).
       All floored at 0.
    3. Score = Σ weight × component / Σ weight, over the components measured (ratings are left
       out while there are none, so the other weights count for more), less the conduct
       deductions of the period (points, not below 0); the grade and the 5-point share follow
       the score so reduced. Deductions alone give no score: with nothing judged, none.
    """
    f = figures
    values: dict[str, float | None] = dict.fromkeys(COMPONENTS)
    if f.judged:
        values["on_time"] = 100 * f.on_time / f.judged
        values["beyond_law"] = _ratio_left(f.beyond_law, f.judged)
        promised = f.days_promised + f.overdue_promised
        late = f.days_late + f.overdue_days
        values["lateness"] = _ratio_left(late, promised) if promised else 100.0
        values["urges"] = _ratio_left(f.urges, f.judged)
        values["procedure"] = _ratio_left(f.extensions + f.stops, f.judged)
        values["overruns"] = (
            _ratio_left(f.overruns, f.stops_standing) if f.stops_standing else 100.0
        )
        if f.ratings is not None and f.ratings.count:
            values["ratings"] = (f.ratings.average - 1) / 4 * 100
    if f.visitors:
        values["waiting"] = 100 * f.called_in_time / f.visitors
    components = tuple(Component(code, getattr(weights, code), values[code]) for code in COMPONENTS)
    measured = [c for c in components if c.value is not None and c.weight]
    total = sum(c.weight for c in measured)
    if not f.judged or not total:
        return Result(components, None, None)
    points = round(max(0.0, sum(c.weight * c.value for c in measured) / total - f.deductions), 1)
    if points >= weights.excellent_from:
        grade = Grade.EXCELLENT
    elif points >= weights.good_from:
        grade = Grade.GOOD
    elif points >= weights.pass_from:
        grade = Grade.QUALIFIED
    else:
        grade = Grade.FAIL
    return Result(components, points, grade, f.deductions)


# --- Units and who sees them ---------------------------------------------------------------


@dataclass
class Unit:
    kind: str  # WINDOW or DEPARTMENT
    pk: int
    key: str  # the window's number or the department's code
    name: str
    department_id: int | None = None
    department_name: str = ""
    figures: Figures = field(default_factory=Figures)
    result: Result | None = None
    rank: int | None = None

    @property
    def title(self) -> str:
        return f"{self.key} {self.name}" if self.kind == WINDOW else self.name


@dataclass(frozen=True)
class Scope:
    """The units a person may assess: everything, a department and its windows, or a window."""

    everything: bool
    department_ids: frozenset[int] = frozenset()
    window_ids: frozenset[int] = frozenset()

    def reviews(self, prefix: str = "") -> Q:
        """The reviews in scope, as a filter on `prefix` + review fields."""
        if self.everything:
            return Q()
        return Q(**{f"{prefix}department_id__in": self.department_ids}) | Q(
            **{f"{prefix}window_id__in": self.window_ids}
        )

    def windows(self) -> QuerySet[Window]:
        qs = Window.objects.filter(kind=Window.Kind.DEPARTMENT)
        if not self.everything:
            qs = qs.filter(Q(department_id__in=self.department_ids) | Q(pk__in=self.window_ids))
        return qs.select_related("department").order_by("number")

    def departments(self) -> QuerySet[Department]:
        qs = Department.objects.filter(windows__kind=Window.Kind.DEPARTMENT).distinct()
        if not self.everything:
            qs = qs.filter(pk__in=self.department_ids)
        return qs.order_by("sort_order", "code")


def scope_for(user: Staff) -> Scope | None:
    """Center managers and administrators: every unit; a department leader: the department
    and its windows; a window head or stationed deputy head: the window. Anyone else: None."""
    if user.has_role(Role.CENTER_MANAGER, Role.ADMINISTRATOR):
        return Scope(everything=True)
    if user.has_role(Role.DEPARTMENT_LEADER) and user.department_id:
        return Scope(everything=False, department_ids=frozenset({user.department_id}))
    if user.has_role(Role.WINDOW_HEAD, Role.STATIONED_DEPUTY) and user.window_id:
        return Scope(everything=False, window_ids=frozenset({user.window_id}))
    return None


def ratings_for(period: Period, units: list[Unit]) -> dict[tuple[str, int], Ratings]:
    """Applicants' ratings (好差评) of each unit in the period, by (kind, pk): two queries, one
    per kind of unit (applications.ratings). An application's rating counts for every window
    and department that handled one of its items."""
    kinds = {unit.kind for unit in units}
    found: dict[tuple[str, int], Ratings] = {}
    for kind, by_unit in (
        (WINDOW, ratings.window_ratings if WINDOW in kinds else None),
        (DEPARTMENT, ratings.department_ratings if DEPARTMENT in kinds else None),
    ):
        if by_unit is None:
            continue
        for pk, row in by_unit(period.start, period.end).items():
            found[(kind, pk)] = Ratings(count=row["count"], average=row["average"])
    return found


def with_pad_ratings(found: Ratings | None, pad: tuple[int, int] | None) -> Ratings | None:
    """Applications' ratings and the hall pads' ratings of one unit or person, together: the
    average over every rating given."""
    if not pad:
        return found
    count, total = pad
    if found is not None:
        count, total = count + found.count, total + found.average * found.count
    return Ratings(count=count, average=round(total / count, 2))


def add_hall(
    period: Period, kind: str, units: dict[int, Figures], found: dict[int, Ratings | None]
) -> None:
    """The hall's figures of each unit ("window", "department" or "staff" by pk): visitors
    called and called in time, and the pads' ratings added to `found`."""
    from hall import figures as hall

    for pk, (called, in_time) in hall.waiting_by(kind, period.start, period.end).items():
        if pk in units:
            units[pk].visitors += called
            units[pk].called_in_time += in_time
    for pk, pad in hall.pad_ratings_by(kind, period.start, period.end).items():
        if pk in units:
            found[pk] = with_pad_ratings(found.get(pk), pad)


def ratings_in(period: Period):
    """The ratings made in the period, for the drill-down."""
    return Rating.objects.filter(rated_at__date__gte=period.start, rated_at__date__lte=period.end)


# --- The computation -----------------------------------------------------------------------


class WorkingDayIndex:
    """W(d), the working days from the earliest day given to d: the working days in (a, b]
    are W(b) − W(a). Built by walking the calendar once over the days it is asked about."""

    def __init__(self, calendar: WorkCalendar, days: Iterable[dt.date]) -> None:
        self._w: dict[dt.date, int] = {}
        total, previous = 0, None
        for day in sorted(set(days)):
            if previous is not None:
                total += calendar.count_working_days(previous, day).working_days
            self._w[day] = total
            previous = day

    def __call__(self, day: dt.date) -> int:
        return self._w[day]

    def between(self, after: dt.date, until: dt.date) -> int:
        """Working days in (after, until], 0 when until is not later."""
        return max(0, self._w[until] - self._w[after])


def resumed_on() -> Subquery:
    """For a stop in the clock ledger: the day of the resume that ended it (None while stopped)."""
    return Subquery(
        ClockEvent.objects.filter(review=OuterRef("review"), kind=ClockEvent.Kind.RESUME)
        .filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
        .order_by("at", "pk")
        .values("on")[:1]
    )


def decided_in(period: Period, scope: Scope) -> QuerySet[Review]:
    start, end = period.bounds()
    return Review.objects.filter(scope.reviews(), decided_at__gte=start, decided_at__lt=end)


def decided_late() -> Q:
    """A decision is late when made after the close of its deadline's day (center days): the
    one definition of a late decision, for the assessment and the dashboard (live.py) alike."""
    return Q(decided_at__date__gt=F("deadline"))


def decided_on_time() -> Q:
    """A decision made on or before its deadline's day: the complement of `decided_late`."""
    return Q(decided_at__date__lte=F("deadline"))


def decided_beyond_law() -> Q:
    """A decision made after the close of its statutory deadline's day (the legal ceiling)."""
    return Q(decided_at__date__gt=F("statutory_deadline"))


LATE = decided_late()
BEYOND_LAW = decided_beyond_law()


def overdue_undecided(
    period: Period, scope: Scope, today: dt.date, *, limit: str = "deadline"
) -> QuerySet[Review]:
    """Reviews late and undecided in the period: on some day of it, up to today, their
    deadline (`limit`: the promise's `deadline`, or `statutory_deadline` for beyond the law)
    had closed and they stood undecided. Such a review counts in every period it is overdue
    in; in the period in which it is decided it counts by its decision instead.

    A review stands undecided on day d when d is past its deadline's day and it was not
    decided before the period ended (nor earlier), nor withdrawn before d (a withdrawal on the
    day counts like a decision on the day). A review whose clock is stopped now counts only
    if its deadline ran out before the stop: otherwise its deadline is the one it would have
    if resumed, and the stop does not count against the window (the clock module keeps a
    deadline that ran out before a stop where it ran out).
    """
    cut = min(period.end, today)
    if cut < period.start:
        return Review.objects.none()
    start, end = period.bounds()
    stopped_after_deadline = ClockEvent.objects.filter(
        review=OuterRef("pk"), kind=ClockEvent.Kind.STOP, on__gt=OuterRef(limit)
    )
    # Withdrawn before it was late (or before the period): asked of the few withdrawn
    # applications (an index of them alone) rather than joining every application.
    withdrawn_before = Application.objects.filter(
        pk=OuterRef("application_id"), withdrawn_at__isnull=False
    ).exclude(withdrawn_at__gte=start, withdrawn_at__date__gt=OuterRef(limit))
    return (
        Review.objects.filter(scope.reviews(), **{f"{limit}__lt": cut})
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gte=end))
        .exclude(Exists(withdrawn_before))
        .exclude(Q(state=Review.State.SUSPENDED) & ~Exists(stopped_after_deadline))
    )


def overdue_stretch(
    period: Period, today: dt.date, deadline: dt.date, withdrawn: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The days (after, until] of the period in which a late undecided review stood late:
    working days late inside the period are W(until) − W(after)."""
    cut = min(period.end, today)
    after = max(deadline, period.start - dt.timedelta(days=1))
    until = min(cut, withdrawn) if withdrawn else cut
    return after, max(after, until)


def beyond_law_in(period: Period, scope: Scope, today: dt.date) -> QuerySet[Review]:
    """Statutory breaches of the period: decided in it after the statutory deadline, or
    undecided past it (`overdue_undecided` with the statutory deadline)."""
    decided = decided_in(period, scope).filter(BEYOND_LAW).values("pk")
    undecided = overdue_undecided(period, scope, today, limit="statutory_deadline").values("pk")
    return Review.objects.filter(Q(pk__in=decided) | Q(pk__in=undecided))


def stops_in(period: Period, scope: Scope, today: dt.date) -> QuerySet[ClockEvent]:
    """Stops whose stopped time touches the period (the stops standing in it): stopped before
    its end, not resumed before it began."""
    return (
        ClockEvent.objects.filter(scope.reviews("review__"), kind=ClockEvent.Kind.STOP)
        .filter(on__lte=min(period.end, today))
        .annotate(resumed=resumed_on())
        .filter(Q(resumed__isnull=True) | Q(resumed__gte=period.start))
    )


def begun_in(period: Period, on: dt.date) -> bool:
    """A stop standing in the period (`stops_in`) counts among the period's clock stops
    (`Figures.stops`) when it began inside the period: the one rule, for `assess` and for
    `stops_begun_in`."""
    return period.start <= on <= period.end


def stops_begun_in(period: Period, scope: Scope, today: dt.date) -> QuerySet[ClockEvent]:
    """The clocks stopped in the period, up to today: the stops of `stops_in` that `begun_in`
    it (a stop begun in the period was not resumed before it began), read without the resume
    subquery, for counts grouped in the database (supervision.statistics)."""
    return ClockEvent.objects.filter(
        scope.reviews("review__"),
        kind=ClockEvent.Kind.STOP,
        on__gte=period.start,
        on__lte=min(period.end, today),
    )


def stopped_inside(
    period: Period, today: dt.date, on: dt.date, resumed: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The stretch (after, until] of a stop's stopped days that lies inside the period."""
    cut = min(period.end, today)
    after = max(on, period.start - dt.timedelta(days=1))
    until = min(resumed or cut, cut)
    return after, max(after, until)


def overran(index: WorkingDayIndex, on: dt.date, until: dt.date, announced: int) -> int:
    """Working days a stop stood beyond the working days announced for it (Art. 45), from its
    day to `until` (its resume, or the end of the period or today while still stopped): a stop
    with more than 0 overran. 0 when it kept within them or announced none (0 means "not
    known" on the stop form)."""
    if not announced:
        return 0
    return max(0, index.between(on, until) - announced)


def overrun_inside(
    index: WorkingDayIndex, on: dt.date, after: dt.date, until: dt.date, announced: int
) -> int:
    """Of an overrun stop's working days beyond the time announced, those inside (after,
    until], the stretch of the period (`stopped_inside`)."""
    if not announced:
        return 0
    return max(0, index(until) - max(index(on) + announced, index(after)))


def extensions_in(period: Period, scope: Scope) -> QuerySet[ClockEvent]:
    return ClockEvent.objects.filter(
        scope.reviews("review__"),
        kind=ClockEvent.Kind.EXTEND,
        on__gte=period.start,
        on__lte=period.end,
    )


def urges_in(period: Period, scope: Scope) -> QuerySet[UrgeNotice]:
    start, end = period.bounds()
    where = (
        Q()
        if scope.everything
        else (Q(window_id__in=scope.window_ids) | Q(review__department_id__in=scope.department_ids))
    )
    return UrgeNotice.objects.filter(where, issued_at__gte=start, issued_at__lt=end)


@dataclass(frozen=True)
class CoverLine:
    """One post with its A holder away on some working days of the period."""

    post_id: int
    window_id: int
    department_id: int | None
    holder_a_id: int
    holder_b_id: int
    covered: tuple[dt.date, ...]
    uncovered: tuple[dt.date, ...]


def cover_lines(
    period: Period, scope: Scope, today: dt.date, calendar: WorkCalendar
) -> list[CoverLine]:
    """Working days of the period (up to today) on which a post's A holder was away: covered
    when its B holder was not away too. Two queries: the posts, and the absences of the
    period."""
    cut = min(period.end, today)
    if cut < period.start:
        return []
    posts = Post.objects.all()
    if not scope.everything:
        posts = posts.filter(
            Q(window__department_id__in=scope.department_ids) | Q(window_id__in=scope.window_ids)
        )
    posts = list(
        posts.values_list("pk", "window_id", "window__department_id", "holder_a_id", "holder_b_id")
    )
    away: dict[int, set[dt.date]] = defaultdict(set)
    for staff_id, starts, ends in Absence.objects.filter(
        starts_on__lte=cut, ends_on__gte=period.start
    ).values_list("staff_id", "starts_on", "ends_on"):
        day = max(starts, period.start)
        while day <= min(ends, cut):
            if calendar.is_working_day(day):
                away[staff_id].add(day)
            day += dt.timedelta(days=1)
    lines = []
    for pk, window_id, department_id, a, b in posts:
        if not away.get(a):
            continue
        days = sorted(away[a])
        lines.append(
            CoverLine(
                pk,
                window_id,
                department_id,
                a,
                b,
                covered=tuple(d for d in days if d not in away.get(b, ())),
                uncovered=tuple(d for d in days if d in away.get(b, ())),
            )
        )
    return lines


@dataclass
class Assessment:
    period: Period
    today: dt.date
    weights: AssessmentWeights
    windows: list[Unit]
    departments: list[Unit]
    total: Unit

    def find(self, kind: str, key: str) -> Unit | None:
        for unit in self.windows if kind == WINDOW else self.departments:
            if unit.key == key:
                return unit
        return None


class _Sums:
    """Working-day figures as sums of ±n·W(d) terms per key, added up once W is known."""

    def __init__(self) -> None:
        self.terms: list[tuple[object, str, int, dt.date]] = []

    def add(self, key: object, name: str, n: int, day: dt.date) -> None:
        self.terms.append((key, name, n, day))

    def between(self, key: object, name: str, n: int, after: dt.date, until: dt.date) -> None:
        """n × the working days in (after, until]."""
        if until > after:
            self.add(key, name, n, until)
            self.add(key, name, -n, after)

    def days(self) -> list[dt.date]:
        return [day for *_rest, day in self.terms]

    def apply(self, per: dict, index: WorkingDayIndex) -> None:
        for key, name, n, day in self.terms:
            figures = per[key]
            setattr(figures, name, getattr(figures, name) + n * index(day))


def _count_reviews(
    per: dict,
    sums: _Sums,
    period: Period,
    today: dt.date,
    handled: QuerySet[Review],
    overdue: QuerySet[Review],
    beyond_undecided: QuerySet[Review],
    group: tuple[str, ...],
) -> None:
    """The figures of the reviews themselves, grouped by `group` (a unit's window and
    department, or a person): decided, on time, late, beyond the law, working days late and
    used; late and undecided, and their working days late inside the period. Six queries."""

    def key(row: dict, prefix: str = "") -> tuple:
        return tuple(row[prefix + name] for name in group)

    for row in handled.values(*group, day=TruncDate("decided_at")).annotate(
        n=Count("id"),
        late=Count("id", filter=LATE),
        beyond=Count("id", filter=BEYOND_LAW),
        promised=Sum("promised_days"),
    ):
        f = per[key(row)]
        f.handled += row["n"]
        f.late += row["late"]
        f.on_time += row["n"] - row["late"]
        f.beyond_law += row["beyond"]
        f.days_promised += row["promised"]
        # Working days late = W(decision day) − W(deadline); days used = W(decision day) −
        # W(start) less the days stopped.
        sums.add(key(row), "days_used", row["n"], row["day"])
        sums.add(key(row), "days_late", row["late"], row["day"])
    for row in handled.filter(LATE).values(*group, "deadline").annotate(n=Count("id")):
        sums.add(key(row), "days_late", -row["n"], row["deadline"])
    for row in handled.values(*group, "started_on").annotate(n=Count("id")):
        sums.add(key(row), "days_used", -row["n"], row["started_on"])
    # Stops of the reviews decided (all resumed: a decision needs a running clock).
    for row in (
        ClockEvent.objects.filter(kind=ClockEvent.Kind.STOP, review__in=handled.values("pk"))
        .annotate(resumed=resumed_on())
        .values(*(f"review__{name}" for name in group), "on", "resumed")
        .annotate(n=Count("id"))
    ):
        if row["resumed"]:
            sums.between(key(row, "review__"), "days_used", -row["n"], row["on"], row["resumed"])
    for row in overdue.values(
        *group, "deadline", withdrawn=TruncDate("application__withdrawn_at")
    ).annotate(n=Count("id"), promised=Sum("promised_days")):
        f = per[key(row)]
        f.overdue += row["n"]
        f.overdue_promised += row["promised"]
        after, until = overdue_stretch(period, today, row["deadline"], row["withdrawn"])
        sums.between(key(row), "overdue_days", row["n"], after, until)
    for row in beyond_undecided.values(*group).annotate(n=Count("id")):
        f = per[key(row)]
        f.beyond_law += row["n"]
        f.beyond_law_undecided += row["n"]


def assess(
    period: Period,
    scope: Scope,
    *,
    today: dt.date,
    calendar: WorkCalendar | None = None,
    weights: AssessmentWeights | None = None,
) -> Assessment:
    """Every unit's figures, score and grade for the period, in a fixed number of queries.

    1. Count the reviews per (window, department) and day: decided in the period (late,
       beyond the law, promised days; per start day and deadline for the working-day sums),
       and late and undecided in it (`overdue_undecided`, per deadline).
    2. The stops touching the period (and which of them overran), the extensions and urge
       notices of the period, and the A/B cover.
    3. Turn days into working days with one walk of the calendar (WorkingDayIndex), add the
       rows up per window and per department, score each unit, rank the units.
    """
    calendar = calendar or WorkCalendar.load()
    weights = weights or AssessmentWeights.current()
    per: dict[tuple[int, int], Figures] = defaultdict(Figures)
    sums = _Sums()
    group = ("window", "department")

    # 1. The reviews.
    _count_reviews(
        per,
        sums,
        period,
        today,
        decided_in(period, scope),
        overdue_undecided(period, scope, today),
        overdue_undecided(period, scope, today, limit="statutory_deadline"),
        group,
    )

    # 2. Stops, extensions, urge notices, cover.
    stops = []
    for row in (
        stops_in(period, scope, today)
        .values("review__window", "review__department", "on", "resumed", "days")
        .annotate(n=Count("id"))
    ):
        key = (row["review__window"], row["review__department"])
        per[key].stops_standing += row["n"]
        if begun_in(period, row["on"]):
            per[key].stops += row["n"]
        after, until = stopped_inside(period, today, row["on"], row["resumed"])
        sums.between(key, "stopped_days", row["n"], after, until)
        stops.append((key, row["on"], after, until, row["days"], row["n"]))
    for row in (
        extensions_in(period, scope)
        .values("review__window", "review__department")
        .annotate(n=Count("id"), days=Sum("days"))
    ):
        f = per[(row["review__window"], row["review__department"])]
        f.extensions += row["n"]
        f.extension_days += row["days"] or 0
    for row in (
        urges_in(period, scope).values("window", "review__department").annotate(n=Count("id"))
    ):
        per[(row["window"], row["review__department"])].urges += row["n"]
    for line in cover_lines(period, scope, today, calendar):
        f = per[(line.window_id, line.department_id)]
        f.cover_days += len(line.covered)
        f.uncovered_days += len(line.uncovered)
    deductions = hooks.collect("assessment_deductions", period.start, period.end)
    if deductions:
        window_department = dict(Window.objects.values_list("pk", "department_id"))
        for window_id, _staff_id, points, n in deductions:
            f = per[(window_id, window_department.get(window_id))]
            f.deductions += points
            f.deduction_count += n

    # 3. Working days, then units.
    index = WorkingDayIndex(
        calendar,
        sums.days() + [day for _k, on, after, until, _d, _n in stops for day in (on, after, until)],
    )
    sums.apply(per, index)
    for key, on, after, until, announced, n in stops:
        if overran(index, on, until, announced):
            per[key].overruns += n
            per[key].overrun_days += n * overrun_inside(index, on, after, until, announced)

    windows = [
        Unit(WINDOW, w.pk, w.number, w.name, w.department_id, w.department.short_name)
        for w in scope.windows()
    ]
    departments = [Unit(DEPARTMENT, d.pk, d.code, d.short_name) for d in scope.departments()]
    by_window = {u.pk: u for u in windows}
    by_department = {u.pk: u for u in departments}
    total = Unit(DEPARTMENT, 0, "", _("All units"))
    for (window_id, department_id), f in per.items():
        if window_id in by_window:
            by_window[window_id].figures.add(f)
        if department_id in by_department:
            by_department[department_id].figures.add(f)
        if window_id in by_window or department_id in by_department:
            total.figures.add(f)
    ratings = ratings_for(period, windows + departments)
    for kind, units in ((WINDOW, by_window), (DEPARTMENT, by_department)):
        found = {pk: ratings.get((kind, pk)) for pk in units}
        add_hall(period, kind, {pk: u.figures for pk, u in units.items()}, found)
        for pk, unit in units.items():
            unit.figures.ratings = found[pk]
    for unit in windows:
        total.figures.visitors += unit.figures.visitors
        total.figures.called_in_time += unit.figures.called_in_time
    for unit in (*windows, *departments):
        unit.result = score(unit.figures, weights)
    total.result = score(total.figures, weights)
    return Assessment(period, today, weights, _ranked(windows), _ranked(departments), total)


def _ranked(units: list[Unit]) -> list[Unit]:
    """The units in rank order, numbered; those with no score after them, by code."""
    ranked = sorted((u for u in units if u.result.score is not None), key=_rank_key)
    for place, unit in enumerate(ranked, start=1):
        unit.rank = place
    return ranked + sorted((u for u in units if u.result.score is None), key=lambda u: u.key)


def _rank_key(unit: Unit) -> tuple:
    return (-unit.result.score, -unit.figures.handled, unit.key)


# --- Per person ----------------------------------------------------------------------------
#
# The center ties the assessment to staff bonuses, so each officer's and signer's figures are
# for the person, their window head and the center's managers only (`people_for`).


def people_for(user: Staff) -> QuerySet[Staff]:
    """Whose per-person figures `user` may see: center managers and administrators everyone's;
    a window head the staff of the window; everyone their own. Nobody else's: not a colleague
    at the same window, not a department leader, not a stationed deputy head."""
    if user.has_role(Role.CENTER_MANAGER, Role.ADMINISTRATOR):
        return Staff.objects.all()
    visible = Q(pk=user.pk)
    if user.has_role(Role.WINDOW_HEAD) and user.window_id:
        visible |= Q(window_id=user.window_id)
    return Staff.objects.filter(visible)


@dataclass
class Person:
    staff: Staff
    figures: Figures = field(default_factory=Figures)

    @property
    def window(self) -> Window | None:
        return self.staff.window


def assess_people(
    period: Period,
    people: QuerySet[Staff],
    *,
    today: dt.date,
    calendar: WorkCalendar | None = None,
) -> list[Person]:
    """Per person for the period: reviews handled as officer (decided in the period), on
    time, late, beyond the law, working days used; late and undecided as officer; reviews
    signed; applicants' ratings of the applications they handled an item of. People listed:
    those of `people` who work at a department window or have a figure. Ten queries."""
    calendar = calendar or WorkCalendar.load()
    everything = Scope(everything=True)
    per: dict[tuple[int], Figures] = defaultdict(Figures)
    sums = _Sums()
    mine = Q(officer__in=people.values("pk"))
    _count_reviews(
        per,
        sums,
        period,
        today,
        decided_in(period, everything).filter(mine),
        overdue_undecided(period, everything, today).filter(mine),
        overdue_undecided(period, everything, today, limit="statutory_deadline").filter(mine),
        ("officer",),
    )
    for row in (
        decided_in(period, everything)
        .filter(signed_by__in=people.values("pk"))
        .values("signed_by")
        .annotate(n=Count("id"))
    ):
        per[(row["signed_by"],)].signed += row["n"]
    sums.apply(per, WorkingDayIndex(calendar, sums.days()))
    for _window_id, staff_id, points, n in hooks.collect(
        "assessment_deductions", period.start, period.end
    ):
        if staff_id is not None:
            per[(staff_id,)].deductions += points
            per[(staff_id,)].deduction_count += n
    found = {
        pk: Ratings(count=row["count"], average=row["average"])
        for pk, row in ratings.officer_ratings(period.start, period.end).items()
    }
    figured = {k[0] for k in per if k[0]}
    people_figures = {pk: per[(pk,)] for pk in people.values_list("pk", flat=True)}
    add_hall(period, "staff", people_figures, found)
    figured |= {pk for pk, f in people_figures.items() if f.visitors}
    listed = []
    for staff in (
        people.filter(Q(window__kind=Window.Kind.DEPARTMENT) | Q(pk__in=figured))
        .select_related("window")
        .order_by("window__number", "username")
    ):
        person = Person(staff, people_figures.get(staff.pk, Figures()))
        person.figures.ratings = found.get(staff.pk)
        listed.append(person)
    return listed
