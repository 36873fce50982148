import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import ratings
from applications.models import ExtensionRequest
from approval_center import fields, hooks
from hall import figures as hall_figures
from windows.models import Absence, Department, Item, Post, Staff, StationedDeputy, Window
from windows.roles import WINDOW_ROLES, Role, require_role
from windows.workdays import WorkCalendar

from . import charts, live
from .acting import acts
from .models import Card, UrgeNotice


def _day(request: HttpRequest, today: dt.date) -> dt.date | None:
    """The past day asked for by the date picker, or None for live figures."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return None
    return day if fields.EARLIEST <= day < today else None


def _scope(request: HttpRequest, today: dt.date, **fixed) -> live.Scope:
    department = (
        fixed.get("department")
        or Department.objects.filter(code=request.GET.get("department", "")).first()
    )
    window = (
        fixed.get("window") or Window.objects.filter(number=request.GET.get("window", "")).first()
    )
    since = live.period_start(request.GET.get("period", ""), today)
    return live.Scope(department=department, window=window, since=since)


def _live_context(
    request: HttpRequest, today: dt.date, scope: live.Scope, calendar: WorkCalendar
) -> dict:
    """The live part of a supervision page, for the page and for its refresh."""
    day = _day(request, today)
    context = {
        "department": scope.department,
        "window": scope.window,
        "period": request.GET.get("period", ""),
        "day": day,
        "acts": acts(request.user),
        "today": today,
    }
    if day is not None:
        cards = list(live.standing_cards(day, scope))
        for card in cards:
            card.days_late = (
                calendar.count_working_days(card.deadline, day).working_days
                if card.level != Card.Level.YELLOW and card.level != Card.Level.LAW_SOON
                else 0
            )
        context["cards"] = cards
        return context
    late = list(live.overdue(today, scope))
    for review in late:
        review.days_late = calendar.count_working_days(review.deadline, today).working_days
        review.beyond_law = review.statutory_deadline < today
    stops = list(live.stops_overrun(today, scope))
    for review in stops:
        review.days_over = calendar.count_working_days(review.stop_due, today).working_days
    if context["acts"]:
        _mark_open_urges([*late, *stops])
    way_back = list(live.way_back_late(today, scope))
    for review in way_back:
        review.days_over = calendar.count_working_days(review.late_since, today).working_days
    soon = list(live.due_soon(today, calendar, scope))
    live.named([*late, *stops, *way_back, *soon])
    context.update(
        {
            "live": live.figures(today, calendar, scope),
            "late": late,
            "soon": soon,
            "stops": stops,
            "way_back": way_back,
        }
    )
    return context


def _mark_open_urges(reviews: list) -> None:
    """Each review's urge notice still waiting for a reply, if any (`open_urge`), so the
    manager sees it before urging again: one query."""
    urges = (
        UrgeNotice.objects.open()
        .filter(review__in=[r.pk for r in reviews])
        .order_by("issued_at", "id")
    )
    latest = {urge.review_id: urge for urge in urges}  # the latest wins
    for review in reviews:
        review.open_urge = latest.get(review.pk)


def _charts(
    today: dt.date, scope: live.Scope, calendar: WorkCalendar
) -> list[tuple[str, dict, str]]:
    rows = live.last_days(today, scope)
    return [
        ("received", charts.daily_bars(rows, "received", calendar), _("Applications received")),
        ("decided", charts.daily_bars(rows, "decided", calendar), _("Reviews decided")),
        (
            "overdue",
            charts.daily_bars(rows, "overdue", calendar),
            _("Reviews that became overdue"),
        ),
    ]


def _manager(request: HttpRequest) -> None:
    require_role(request.user, Role.CENTER_MANAGER)


def _may_see(user, scope: live.Scope) -> bool:
    """Managers see the center; a department leader their department; window staff their
    window."""
    if user.has_role(Role.CENTER_MANAGER):
        return True
    if scope.window is not None and user.has_role(*WINDOW_ROLES):
        return user.window_id == scope.window.pk
    unit = scope.department or (scope.window.department if scope.window else None)
    return (
        unit is not None and user.has_role(Role.DEPARTMENT_LEADER) and user.department_id == unit.pk
    )


@login_required
def live_fragment(request: HttpRequest) -> HttpResponse:
    """The live figures and lists of a supervision page alone: the page fetches this every
    minute."""
    today = timezone.localdate()
    scope = _scope(request, today)
    if not _may_see(request.user, scope):
        raise PermissionDenied
    context = _live_context(request, today, scope, WorkCalendar.load())
    return render(request, "supervision/_live.html", context)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Live deadline figures, the late and nearly late reviews, the center's own figures and
    today's A/B cover."""
    _manager(request)
    today = timezone.localdate()
    scope = _scope(request, today)
    calendar = WorkCalendar.load()  # once for the live part and the charts
    items = Item.objects.active().aggregate(
        approvals=Count("id", filter=Q(kind=Item.Kind.APPROVAL)),
        services=Count("id", filter=Q(kind=Item.Kind.SERVICE)),
        outside=Count("id", filter=Q(handled_in_center=False)),
    )
    figures = {
        "windows": Window.objects.filter(is_active=True).count(),
        "approvals": items["approvals"],
        "services": items["services"],
        "outside": items["outside"],
        "staff": Staff.objects.filter(is_active=True).count(),
        "city_items": settings.CITY_APPROVAL_ITEMS,
        "share": round(100 * items["approvals"] / settings.CITY_APPROVAL_ITEMS)
        if settings.CITY_APPROVAL_ITEMS
        else None,
    }
    departments = Department.objects.annotate(
        window_count=Count("windows", filter=Q(windows__is_active=True), distinct=True),
        item_count=Count("items", filter=Q(items__is_active=True), distinct=True),
        staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True),
    )
    deputies = {
        d.department_id: d for d in StationedDeputy.objects.active(today).select_related("staff")
    }
    for department in departments:
        department.deputy = deputies.get(department.pk)
    away = Absence.objects.covering(today).select_related("staff", "staff__window")
    covered = Post.objects.covered_on(today).select_related("window", "holder_a", "holder_b")
    return render(
        request,
        "supervision/dashboard.html",
        {
            "figures": figures,
            "departments": departments,
            "away": away,
            "covered": covered,
            "today": today,
            "windows": Window.objects.filter(is_active=True, kind=Window.Kind.DEPARTMENT),
            "chart_list": _charts(today, scope, calendar),
            "on_time": live.on_time_by_department(today),
            "open_urges": UrgeNotice.objects.open().count(),
            # Poor ratings waiting for the center's follow-up (applications.ratings).
            "followups": ratings.open_followups()[:20],
            # Extension requests waiting for their approver (applications.ExtensionRequest).
            "open_extensions": ExtensionRequest.objects.actionable().watch(),
            # The hall now: waiting, longest wait, served today, average wait (hall.figures).
            "hall": hall_figures.live(timezone.now()),
            "hall_within": settings.HALL_CALLED_WITHIN_MINUTES,
            # What other apps show here (approval_center/hooks.py): conduct's patrol of today.
            "panels": hooks.collect("dashboard_panels", request.user, today),
            **_live_context(request, today, scope, calendar),
        },
    )


def _unit_page(request: HttpRequest, today: dt.date, scope: live.Scope, title: str) -> dict:
    calendar = WorkCalendar.load()  # once for the live part and the charts
    return {
        "today": today,
        "title": title,
        "chart_list": _charts(today, scope, calendar),
        "urges": UrgeNotice.objects.open()
        .filter(
            **(
                {"window": scope.window}
                if scope.window is not None
                else {"window__department": scope.department}
            )
        )
        .select_related("review__item", "review__application__applicant", "window", "officer")
        .order_by("reply_due", "id")[:50],
        **_live_context(request, today, scope, calendar),
    }


@login_required
def department_page(request: HttpRequest, code: str) -> HttpResponse:
    """One department's deadlines: for managers, and for the department's own leader."""
    department = get_object_or_404(Department, code=code)
    today = timezone.localdate()
    scope = live.Scope(
        department=department, since=live.period_start(request.GET.get("period", ""), today)
    )
    if not _may_see(request.user, scope):
        raise PermissionDenied
    context = _unit_page(request, today, scope, department.name)
    context["windows"] = department.windows.filter(is_active=True)
    return render(request, "supervision/unit.html", context)


@login_required
def window_page(request: HttpRequest, number: str) -> HttpResponse:
    """One window's deadlines and cards: for managers, and for the window's own staff."""
    window = get_object_or_404(Window.objects.select_related("department"), number=number)
    today = timezone.localdate()
    scope = live.Scope(window=window, since=live.period_start(request.GET.get("period", ""), today))
    if not _may_see(request.user, scope):
        raise PermissionDenied
    context = _unit_page(request, today, scope, f"{window.number} {window.name}")
    context["unit_window"] = window
    return render(request, "supervision/unit.html", context)


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notices (red cards on their reviews); POST marks them read."""
    mine = request.user.notices.select_related("card__review", "card__application")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("supervision:notices")
    return render(request, "supervision/notices.html", {"notices": mine[:100]})
