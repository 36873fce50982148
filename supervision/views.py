from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from windows.models import Absence, Department, Item, Post, Staff, StationedDeputy, Window
from windows.roles import Role
from windows.workdays import WorkCalendar

from . import live


def _live_context(request: HttpRequest, today) -> dict:
    """The live part of the dashboard, for the page and for its refresh."""
    calendar = WorkCalendar.load()
    department = Department.objects.filter(code=request.GET.get("department", "")).first()
    window = Window.objects.filter(number=request.GET.get("window", "")).first()
    late = list(live.overdue(today, department=department, window=window))
    for review in late:
        review.days_late = calendar.count_working_days(review.deadline, today).working_days
    return {
        "live": live.figures(today, calendar),
        "late": late,
        "soon": live.due_soon(today, calendar, department=department, window=window),
        "department": department,
        "window": window,
    }


@login_required
def live_fragment(request: HttpRequest) -> HttpResponse:
    """The dashboard's live figures and lists alone: the page fetches this every minute."""
    if not request.user.has_role(Role.CENTER_MANAGER):
        raise PermissionDenied
    return render(request, "supervision/_live.html", _live_context(request, timezone.localdate()))


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Live deadline figures, the late and nearly late reviews, the center's own figures and
    today's A/B cover."""
    if not request.user.has_role(Role.CENTER_MANAGER):
        raise PermissionDenied
    today = timezone.localdate()
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
    away_ids = {a.staff_id for a in away}
    covered = Post.objects.filter(holder_a_id__in=away_ids).select_related(
        "window", "holder_a", "holder_b"
    )
    for post in covered:
        post.b_away = post.holder_b_id in away_ids
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
            **_live_context(request, today),
        },
    )


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notices (red cards on their reviews); POST marks them read."""
    mine = request.user.notices.select_related("card__review", "card__application")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("supervision:notices")
    return render(request, "supervision/notices.html", {"notices": mine[:100]})
