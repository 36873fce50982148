"""Pages of the efficiency assessment: the table of units for a period, each unit's figures
with the events behind them, a CSV export and a printable PDF (always in Chinese, like the
other documents: applications/documents.py)."""

from __future__ import annotations

import csv
import datetime as dt
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.documents import html_to_pdf
from applications.models import ClockEvent, DepartmentReview
from windows.models import Absence, Department, Post, Window
from windows.workdays import WorkCalendar

from . import assessment as a

PAGE_SIZE = 100

# What each drill-down lists, in the order of the unit page.
FIGURES = {
    "handled": gettext_lazy("Handled"),
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "overdue": gettext_lazy("Late, undecided"),
    "beyond_law": gettext_lazy("Beyond the law"),
    "stops": gettext_lazy("Clock stops"),
    "overruns": gettext_lazy("Overrun stops"),
    "extensions": gettext_lazy("Extensions"),
    "urges": gettext_lazy("Urge notices"),
    "cover": gettext_lazy("A/B cover"),
    "ratings": gettext_lazy("Applicants' ratings"),
}


def _scope(request: HttpRequest) -> a.Scope:
    scope = a.scope_for(request.user)
    if scope is None:
        raise PermissionDenied
    return scope


def _period(request: HttpRequest, today: dt.date) -> tuple[a.Period, str | None]:
    """The period asked for, or this month with a message saying why not."""
    text = request.GET.get("period", "")
    if not text:
        return a.Period.of(today), None
    try:
        return a.Period.parse(text), None
    except ValueError:
        return a.Period.of(today), _(
            "“%(text)s” is not a period: use a month such as 2026-10, a quarter such as "
            "2026-Q4, or a year such as 2026. Showing this month instead."
        ) % {"text": text[:20]}


def _unit_scope(scope: a.Scope, kind: str, key: str) -> tuple[a.Scope, Window | Department]:
    """The one unit as a scope of its own, if the person may see it; a 404 otherwise."""
    if kind == a.WINDOW:
        window = get_object_or_404(Window, number=key, kind=Window.Kind.DEPARTMENT)
        if not (
            scope.everything
            or window.pk in scope.window_ids
            or window.department_id in scope.department_ids
        ):
            raise Http404
        return a.Scope(everything=False, window_ids=frozenset({window.pk})), window
    if kind == a.DEPARTMENT:
        department = get_object_or_404(Department, code=key)
        if not (scope.everything or department.pk in scope.department_ids):
            raise Http404
        return a.Scope(everything=False, department_ids=frozenset({department.pk})), department
    raise Http404


@login_required
def assessment(request: HttpRequest) -> HttpResponse:
    """Every unit the person may assess, for a month, quarter or year."""
    scope = _scope(request)
    today = timezone.localdate()
    period, error = _period(request, today)
    result = a.assess(period, scope, today=today)
    return render(
        request,
        "supervision/assessment.html",
        {
            "result": result,
            "period": period,
            "error": error,
            "periods": a.recent_periods(today, period),
            "several": len(result.departments) + len(result.windows) > 1,
            "weights": result.weights,
            "called_within": settings.HALL_CALLED_WITHIN_MINUTES,
            "points": a.ANNUAL_POINTS,
        },
    )


@login_required
def assessment_unit(
    request: HttpRequest, kind: str, key: str, figure: str = "handled"
) -> HttpResponse:
    """One unit's figures and score, and the events behind the figure chosen."""
    if figure not in FIGURES:
        raise Http404
    unit_scope, obj = _unit_scope(_scope(request), kind, key)
    today = timezone.localdate()
    period, error = _period(request, today)
    calendar = WorkCalendar.load()
    result = a.assess(period, unit_scope, today=today, calendar=calendar)
    unit = result.find(kind, key)
    if unit is None:  # a department with no window in the center
        raise Http404
    where = {"window_id": obj.pk} if kind == a.WINDOW else {"department_id": obj.pk}
    events = EVENTS[figure](period, unit_scope, where, today, calendar)
    page = Paginator(events["rows"], PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    if "annotate" in events:
        events["annotate"](page.object_list, calendar)
    f = unit.figures
    counts = {
        "handled": f.handled,
        "on_time": f.on_time,
        "late": f.late,
        "overdue": f.overdue,
        "beyond_law": f.beyond_law,
        "stops": f.stops_standing,
        "overruns": f.overruns,
        "extensions": f.extensions,
        "urges": f.urges,
        "cover": f.cover_days,
        "ratings": f.ratings.count if f.ratings else 0,
    }
    return render(
        request,
        "supervision/assessment_unit.html",
        {
            "result": result,
            "unit": unit,
            "period": period,
            "error": error,
            "figure": figure,
            "tabs": [(code, label, counts[code]) for code, label in FIGURES.items()],
            "show_window": kind == a.DEPARTMENT,
            "events": events,
            "page": page,
            "query": f"period={period.key}",
            "weights": result.weights,
            "called_within": settings.HALL_CALLED_WITHIN_MINUTES,
            "points": a.ANNUAL_POINTS,
        },
    )


# --- Per person: seen by the person, their window head and the center's managers only -------

PERSON_FIGURES = {
    "handled": gettext_lazy("Handled"),
    "signed": gettext_lazy("Signed"),
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "overdue": gettext_lazy("Late, undecided"),
    "beyond_law": gettext_lazy("Beyond the law"),
    "ratings": gettext_lazy("Applicants' ratings"),
}


@login_required
def assessment_people(request: HttpRequest) -> HttpResponse:
    """The per-person figures the signed-in person may see (a.people_for): their own, their
    window's as its head, everyone's as a manager."""
    today = timezone.localdate()
    period, error = _period(request, today)
    people = a.assess_people(period, a.people_for(request.user), today=today)
    return render(
        request,
        "supervision/assessment_people.html",
        {
            "people": people,
            "period": period,
            "error": error,
            "today": today,
            "periods": a.recent_periods(today, period),
            "units": a.scope_for(request.user) is not None,
        },
    )


@login_required
def assessment_person(request: HttpRequest, pk: int, figure: str = "handled") -> HttpResponse:
    """One person's figures and the reviews behind the figure chosen; a 404 for anyone the
    signed-in person may not see, as if they did not exist."""
    if figure not in PERSON_FIGURES:
        raise Http404
    staff = get_object_or_404(a.people_for(request.user), pk=pk)
    today = timezone.localdate()
    period, error = _period(request, today)
    calendar = WorkCalendar.load()
    listed = a.assess_people(
        period, a.people_for(request.user).filter(pk=staff.pk), today=today, calendar=calendar
    )
    person = listed[0] if listed else a.Person(staff)
    everything = a.Scope(everything=True)
    if figure == "signed":
        where, only = {"signed_by_id": staff.pk}, ""
    else:
        where, only = {"officer_id": staff.pk}, figure
    if figure == "ratings":
        events = _ratings(period, everything, where, today, calendar)
    else:
        events = _reviews(period, everything, where, today, calendar, only=only)
    page = Paginator(events["rows"], PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    if "annotate" in events:
        events["annotate"](page.object_list, calendar)
    f = person.figures
    counts = {
        "handled": f.handled,
        "signed": f.signed,
        "on_time": f.on_time,
        "late": f.late,
        "overdue": f.overdue,
        "beyond_law": f.beyond_law,
        "ratings": f.ratings.count if f.ratings else 0,
    }
    return render(
        request,
        "supervision/assessment_person.html",
        {
            "person": person,
            "period": period,
            "error": error,
            "figure": figure,
            "tabs": [(code, label, counts[code]) for code, label in PERSON_FIGURES.items()],
            "show_window": True,
            "events": events,
            "page": page,
            "query": f"period={period.key}",
        },
    )


# --- Drill-downs: the events behind each figure ---------------------------------------------


def _on(prefix: str, where: dict[str, int]) -> dict[str, int]:
    return {prefix + name: value for name, value in where.items()}


def _reviews(period, scope, where, today, calendar, *, only: str = "") -> dict[str, Any]:
    reviews = a.decided_in(period, scope).filter(**where)
    if only == "handled":
        pass
    elif only == "late":
        reviews = reviews.filter(a.decided_late())
    elif only == "on_time":
        reviews = reviews.filter(a.decided_on_time())
    elif only == "overdue":
        reviews = a.overdue_undecided(period, scope, today).filter(**where)
    elif only == "beyond_law":
        reviews = a.beyond_law_in(period, scope, today).filter(**where)
    reviews = reviews.select_related(
        "application__applicant", "item", "window", "department", "officer", "signed_by"
    ).order_by(*(("deadline", "pk") if only in ("overdue", "beyond_law") else ("decided_at", "pk")))

    def annotate(rows: list[DepartmentReview], calendar: WorkCalendar) -> None:
        _annotate_reviews(rows, calendar, period, today)

    return {"kind": "reviews", "rows": reviews, "annotate": annotate}


def _annotate_reviews(
    reviews: list[DepartmentReview], calendar: WorkCalendar, period: a.Period, today: dt.date
) -> None:
    """Days late and days used for one page of reviews: one query for their stops. A review
    not decided in the period (late and undecided in it) gets its working days late inside
    the period, as the figure counts them."""
    stops = list(
        ClockEvent.objects.filter(kind=ClockEvent.Kind.STOP, review__in=[r.pk for r in reviews])
        .annotate(resumed=a.resumed_on())
        .values_list("review_id", "on", "resumed")
    )
    start, end = period.bounds()
    withdrawn = dict(
        DepartmentReview.objects.filter(
            pk__in=[r.pk for r in reviews], application__withdrawn_at__isnull=False
        ).values_list("pk", "application__withdrawn_at")
    )
    days = [d for _r, on, resumed in stops for d in (on, resumed) if d]
    for review in reviews:
        review.in_period = review.decided_at is not None and start <= review.decided_at < end
        review.decided_on = timezone.localdate(review.decided_at) if review.decided_at else None
        if review.in_period:
            days += [review.decided_on, review.deadline, review.started_on]
        else:
            gone = withdrawn.get(review.pk)
            review.stretch = a.overdue_stretch(
                period, today, review.deadline, timezone.localdate(gone) if gone else None
            )
            days += list(review.stretch)
    index = a.WorkingDayIndex(calendar, days)
    stopped: dict[int, int] = {}
    for review_id, on, resumed in stops:
        if resumed:
            stopped[review_id] = stopped.get(review_id, 0) + index.between(on, resumed)
    for review in reviews:
        review.days_stopped = stopped.get(review.pk, 0)
        if review.in_period:
            review.is_late = review.decided_on > review.deadline
            review.is_beyond_law = review.decided_on > review.statutory_deadline
            review.days_late = index.between(review.deadline, review.decided_on)
            review.days_used = (
                index.between(review.started_on, review.decided_on) - review.days_stopped
            )
        else:
            cut = min(period.end, today)
            review.is_late = True
            review.is_beyond_law = review.statutory_deadline < cut
            review.days_late = index.between(*review.stretch)
            review.days_used = None


def _stops(period, scope, where, today, calendar, *, only: str = "") -> dict[str, Any]:
    stops = (
        a.stops_in(period, scope, today)
        .filter(**_on("review__", where))
        .select_related("review__application__applicant", "review__item", "review__window", "by")
        .order_by("on", "pk")
    )

    def annotate(rows: list[ClockEvent], calendar: WorkCalendar) -> None:
        stretches = [a.stopped_inside(period, today, s.on, s.resumed) for s in rows]
        index = a.WorkingDayIndex(
            calendar, [d for s, pair in zip(rows, stretches, strict=True) for d in (s.on, *pair)]
        )
        for stop, (after, until) in zip(rows, stretches, strict=True):
            stop.begun_in_period = a.begun_in(period, stop.on)
            stop.days_inside = index.between(after, until)
            stop.days_so_far = index.between(stop.on, until)
            stop.days_over = a.overran(index, stop.on, until, stop.days)

    if only != "overruns":
        return {"kind": "stops", "rows": stops, "annotate": annotate}
    # Which stops overran is a matter of working days: every stop of the unit standing in the
    # period is read (one query), and the page lists those that did.
    rows = list(stops)
    annotate(rows, calendar)
    return {"kind": "stops", "rows": [s for s in rows if s.days_over]}


def _extensions(period, scope, where, today, calendar) -> dict[str, Any]:
    rows = (
        a.extensions_in(period, scope)
        .filter(**_on("review__", where))
        .select_related(
            "review__application__applicant", "review__item", "review__window", "approved_by"
        )
        .order_by("at", "pk")
    )
    return {"kind": "extensions", "rows": rows}


def _urges(period, scope, where, today, calendar) -> dict[str, Any]:
    if "window_id" in where:
        filters = where
    else:
        filters = {"review__department_id": where["department_id"]}
    rows = (
        a.urges_in(period, scope)
        .filter(**filters)
        .select_related(
            "review__application__applicant", "review__item", "window", "officer", "issued_by"
        )
        .order_by("issued_at", "pk")
    )
    return {"kind": "urges", "rows": rows}


def _cover(period, scope, where, today, calendar) -> dict[str, Any]:
    lines = a.cover_lines(period, scope, today, calendar)
    if "window_id" in where:
        lines = [line for line in lines if line.window_id == where["window_id"]]
    else:
        lines = [line for line in lines if line.department_id == where["department_id"]]
    posts = Post.objects.select_related("window", "holder_a", "holder_b").in_bulk(
        [line.post_id for line in lines]
    )
    cut = min(period.end, today)
    absences = Absence.objects.filter(
        staff_id__in={line.holder_a_id for line in lines},
        starts_on__lte=cut,
        ends_on__gte=period.start,
    ).order_by("starts_on")
    rows = []
    for line in lines:
        rows.append(
            {
                "post": posts[line.post_id],
                "covered": line.covered,
                "uncovered": line.uncovered,
                "absences": [x for x in absences if x.staff_id == line.holder_a_id],
            }
        )
    return {"kind": "cover", "rows": rows}


def _ratings(period, scope, where, today, calendar) -> dict[str, Any]:
    """The ratings of applications with an item handled by the unit, made in the period."""
    handled = DepartmentReview.objects.filter(**where).values("application_id")
    rows = (
        a.ratings_in(period)
        .filter(application_id__in=handled)
        .select_related("application__applicant")
        .order_by("rated_at", "pk")
    )
    return {"kind": "ratings", "rows": rows, "pad": _pad_ratings(period, where)}


# The unit or person of a drill-down, as a filter on the hall pads' ratings.
_PAD_FIELD = {
    "window_id": "window_id",
    "department_id": "window__department_id",
    "officer_id": "staff_id",
}


def _pad_ratings(period, where) -> list:
    """The visitors' ratings on the hall's pads that the ratings figure counts with the
    applications' (assessment.add_hall)."""
    from hall.models import ServiceRating

    ((field, pk),) = where.items()
    return list(
        ServiceRating.objects.filter(
            at__date__gte=period.start, at__date__lte=period.end, **{_PAD_FIELD[field]: pk}
        )
        .select_related("ticket", "window", "staff")
        .order_by("at", "pk")
    )


EVENTS = {
    "handled": _reviews,
    "on_time": partial(_reviews, only="on_time"),
    "late": partial(_reviews, only="late"),
    "overdue": partial(_reviews, only="overdue"),
    "beyond_law": partial(_reviews, only="beyond_law"),
    "stops": _stops,
    "overruns": partial(_stops, only="overruns"),
    "extensions": _extensions,
    "urges": _urges,
    "cover": _cover,
    "ratings": _ratings,
}


# --- Export and print -----------------------------------------------------------------------


def _cell(value: Any) -> Any:
    """Text as Excel should show it: a leading = + - @ would start a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def csv_rows(result: a.Assessment) -> list[list[Any]]:
    """The table of units as rows, in the active language."""
    header = [
        _("Rank"),
        _("Unit"),
        _("Code"),
        _("Name"),
        _("Department"),
        _("Handled"),
        _("Decided on time"),
        _("Decided late"),
        _("Late, undecided"),
        _("Working days late of the undecided, in the period"),
        _("On-time rate of decided and late undecided (%)"),
        _("On-time rate of decisions (%)"),
        _("Beyond the law"),
        _("Beyond the law, undecided"),
        _("Working days late of the decisions"),
        _("Average working days used"),
        _("Average working days promised"),
        _("Clock stops begun"),
        _("Clock stops standing"),
        _("Working days stopped"),
        _("Overrun stops"),
        _("Working days overrun"),
        _("Extensions"),
        _("Working days of extension"),
        _("Urge notices"),
        _("A/B cover (working days)"),
        _("Uncovered (working days)"),
        _("Ratings"),
        _("Average rating"),
        _("Visitors called"),
        _("Called in time"),
        _("Score"),
        _("Grade"),
        _("Share of the annual assessment (of %(points)d points)") % {"points": a.ANNUAL_POINTS},
    ]
    rows = [header]
    for unit in (*result.departments, *result.windows):
        f, r = unit.figures, unit.result
        rows.append(
            [
                unit.rank or "",
                _("Department") if unit.kind == a.DEPARTMENT else _("Window"),
                unit.key,
                unit.name,
                unit.department_name if unit.kind == a.WINDOW else unit.name,
                f.handled,
                f.on_time,
                f.late,
                f.overdue,
                f.overdue_days,
                _number(f.on_time_rate),
                _number(f.decided_on_time_rate),
                f.beyond_law,
                f.beyond_law_undecided,
                f.days_late,
                _number(f.average_used),
                _number(f.average_promised),
                f.stops,
                f.stops_standing,
                f.stopped_days,
                f.overruns,
                f.overrun_days,
                f.extensions,
                f.extension_days,
                f.urges,
                f.cover_days,
                f.uncovered_days,
                f.ratings.count if f.ratings else "",
                _number(f.ratings.average) if f.ratings else "",
                f.visitors,
                f.called_in_time,
                _number(r.score),
                r.grade_label,
                _number(r.share),
            ]
        )
    return [[_cell(value) for value in row] for row in rows]


@login_required
def assessment_csv(request: HttpRequest) -> HttpResponse:
    """The table as CSV, UTF-8 with a byte-order mark so that Excel reads the Chinese."""
    scope = _scope(request)
    today = timezone.localdate()
    period, error = _period(request, today)
    if error:
        return HttpResponseBadRequest(error, content_type="text/plain; charset=utf-8")
    result = a.assess(period, scope, today=today)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="assessment-{period.key}.csv"'
    response.write("\ufeff")
    csv.writer(response).writerows(csv_rows(result))
    return response


def render_pdf(result: a.Assessment, *, printed_at: dt.datetime) -> bytes:
    """The assessment as an A4 landscape PDF, in Chinese; WeasyPrint may fetch nothing but
    data URIs (fonts come through fontconfig)."""
    with translation.override("zh-hans"):
        html = render_to_string(
            "supervision/documents/assessment.html",
            {
                "result": result,
                "period": result.period,
                "weights": result.weights,
                "called_within": settings.HALL_CALLED_WITHIN_MINUTES,
                "center_name": settings.CENTER_NAME,
                "printed_at": printed_at,
                "points": a.ANNUAL_POINTS,
                "several": len(result.departments) + len(result.windows) > 1,
                "tables": [("部门", result.departments), ("窗口", result.windows)],
            },
        )
    return html_to_pdf(html)


@login_required
def assessment_pdf(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    today = timezone.localdate()
    period, error = _period(request, today)
    if error:
        return HttpResponseBadRequest(error, content_type="text/plain; charset=utf-8")
    result = a.assess(period, scope, today=today)
    response = HttpResponse(
        render_pdf(result, printed_at=timezone.now()), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="assessment-{period.key}.pdf"'
    return response
