from __future__ import annotations

import calendar as pycalendar
import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from approval_center import fields, hooks

from . import authority
from .models import (
    Absence,
    AuthorizationLetter,
    CalendarDay,
    CalendarYear,
    CenterInfo,
    Department,
    Item,
    ItemMaterial,
    Material,
    Post,
    Staff,
    StationedDeputy,
    Window,
)
from .roles import Role, require_role
from .workdays import WorkCalendar


def _window_context(window: Window, user: Staff, now: dt.datetime) -> dict:
    today = timezone.localdate(now)
    away_ids = set(
        Absence.objects.covering(today)
        .filter(staff__window=window)
        .values_list("staff_id", flat=True)
    )
    posts = list(
        Post.objects.filter(window=window)
        .with_absence(today)
        .select_related("holder_a", "holder_b")
    )
    items = (
        Item.objects.filter(window=window)
        .active()
        .annotate(material_count=Count("requirements"))
        .order_by("kind", "code")
    )
    staff = (
        Staff.objects.filter(window=window, is_active=True)
        .prefetch_related("groups")
        .order_by("username")
    )
    return {
        "window": window,
        "seal": getattr(window, "seal", None),
        "posts": posts,
        "items": items,
        "staff": staff,
        "away_ids": away_ids,
        "today": today,
        "my_items": authority.signable_items(user, at=now),
        "my_postings": StationedDeputy.objects.active(today)
        .filter(staff=user)
        .select_related("department"),
        "my_letters": AuthorizationLetter.objects.active(now)
        .filter(window_head=user)
        .select_related("department")
        .annotate(item_count=Count("items")),
    }


@login_required
def my_window(request: HttpRequest) -> HttpResponse:
    if request.user.window_id is None:
        if request.user.department_id:
            return redirect("windows:my_department")
        raise Http404(_("You are not assigned to a window."))
    return window_detail(request, request.user.window.number)


@login_required
def window_detail(request: HttpRequest, number: str) -> HttpResponse:
    window = get_object_or_404(Window.objects.select_related("department", "seal"), number=number)
    context = _window_context(window, request.user, timezone.now())
    context["is_mine"] = window.pk == request.user.window_id
    return render(request, "windows/window.html", context)


@login_required
def seal_image(request: HttpRequest, number: str) -> FileResponse:
    window = get_object_or_404(Window.objects.select_related("seal"), number=number)
    seal = getattr(window, "seal", None)
    if seal is None or not seal.image:
        raise Http404
    return FileResponse(seal.image.open("rb"), content_type="image/png")


@login_required
def my_department(request: HttpRequest) -> HttpResponse:
    if request.user.department_id is None:
        raise Http404(_("You are not assigned to a department."))
    return department_detail(request, request.user.department.code)


@login_required
def department_detail(request: HttpRequest, code: str) -> HttpResponse:
    department = get_object_or_404(Department, code=code)
    now = timezone.now()
    today = timezone.localdate(now)
    letters = (
        AuthorizationLetter.objects.filter(department=department)
        .select_related("window_head", "revoked_by")
        .annotate(item_count=Count("items"))
    )
    for letter in letters:
        letter.active_now = letter.is_active(now)
    return render(
        request,
        "windows/department.html",
        {
            "department": department,
            "windows": department.windows.annotate(
                item_count=Count("items", filter=Q(items__is_active=True), distinct=True),
                staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True),
            ),
            "deputies": StationedDeputy.objects.filter(department=department).select_related(
                "staff"
            ),
            "active_deputy": StationedDeputy.objects.active(today)
            .filter(department=department)
            .select_related("staff")
            .first(),
            "letters": letters,
            "item_counts": department.items.active().aggregate(
                approvals=Count("id", filter=Q(kind=Item.Kind.APPROVAL)),
                services=Count("id", filter=Q(kind=Item.Kind.SERVICE)),
                countersign=Count("id", filter=Q(needs_countersign=True)),
            ),
            "countersign_items": department.items.active().filter(needs_countersign=True),
            "today": today,
            # Contributed by the apps built on this one: the leader's pending countersigns.
            "notices": hooks.collect("department_notices", department, request.user),
        },
    )


class CatalogFilter(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Item.Kind.choices]
    )
    department = fields.ModelChoiceField(
        label=_("Department"),
        required=False,
        queryset=Department.objects.all(),
        empty_label=_("All departments"),
    )
    parallel = forms.BooleanField(label=_("Fixed-asset parallel approval only"), required=False)


@login_required
def catalog(request: HttpRequest) -> HttpResponse:
    form = CatalogFilter(request.GET or None)
    items = Item.objects.active().select_related("department", "window")
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            items = items.filter(Q(name__icontains=data["q"]) | Q(code__icontains=data["q"]))
        if data["kind"]:
            items = items.filter(kind=data["kind"])
        if data["department"]:
            items = items.filter(department=data["department"])
        if data["parallel"]:
            items = items.filter(fixed_asset_parallel=True)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "windows/catalog.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "total": Item.objects.active().count(),
        },
    )


@login_required
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    item = get_object_or_404(
        Item.objects.select_related("department", "window", "stage").prefetch_related(
            Prefetch("requirements", ItemMaterial.objects.select_related("material")),
            Prefetch("prerequisites", Item.objects.select_related("department", "window")),
            Prefetch("required_for", Item.objects.select_related("department")),
        ),
        code=code,
    )
    now = timezone.now()
    span = WorkCalendar.load().add_working_days(timezone.localdate(now), item.promised_days)
    return render(request, "windows/item.html", {"item": item, "span": span})


# Column heads of the month grids: one character each in Chinese (一 … 日).
WEEKDAY_INITIALS = [
    pgettext_lazy("weekday initial", "Mo"),
    pgettext_lazy("weekday initial", "Tu"),
    pgettext_lazy("weekday initial", "We"),
    pgettext_lazy("weekday initial", "Th"),
    pgettext_lazy("weekday initial", "Fr"),
    pgettext_lazy("weekday initial", "Sa"),
    pgettext_lazy("weekday initial", "Su"),
]


class WorkdayForm(forms.Form):
    start = fields.DateField(label=_("From"), widget=fields.DateInput())
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=400)


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), 2100)
    work_calendar = WorkCalendar.load()
    form = WorkdayForm(
        request.GET if "days" in request.GET else None, initial={"start": today, "days": 20}
    )
    span = None
    if form.is_valid():
        span = work_calendar.add_working_days(form.cleaned_data["start"], form.cleaned_data["days"])
    days = {d.date: d for d in CalendarDay.objects.filter(date__year=year)}
    months = []
    for month in range(1, 13):
        weeks = pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
        months.append(
            {
                "month": dt.date(year, month, 1),
                "weeks": [
                    [
                        {
                            "date": d,
                            "in_month": d.month == month,
                            "working": work_calendar.is_working_day(d),
                            "special": days.get(d),
                            "today": d == today,
                        }
                        for d in week
                    ]
                    for week in weeks
                ],
            }
        )
    return render(
        request,
        "windows/calendar.html",
        {
            "year": year,
            "months": months,
            "special_days": sorted(days.values(), key=lambda d: d.date),
            "has_data": CalendarYear.objects.filter(year=year).exists(),
            "known_years": CalendarYear.objects.values_list("year", flat=True),
            "form": form,
            "span": span,
            "weekday_names": WEEKDAY_INITIALS,
        },
    )


@login_required
def admin_home(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    now = timezone.now()
    today = timezone.localdate(now)
    drift = authority.authority_drift(now)
    expiring = (
        AuthorizationLetter.objects.active(now)
        .filter(valid_until__lte=today + dt.timedelta(days=30))
        .select_related("department", "window_head")
    )
    return render(
        request,
        "windows/admin_home.html",
        {
            "drift": drift,
            "expiring": expiring,
            "counts": {
                "departments": Department.objects.count(),
                "windows": Window.objects.filter(is_active=True).count(),
                "staff": Staff.objects.filter(is_active=True).count(),
                "items": Item.objects.active().count(),
                "letters": AuthorizationLetter.objects.active(now).count(),
            },
            "guide": {
                "center_info": CenterInfo.current(),
                "without_conditions": Item.objects.active().filter(conditions="").count(),
                "with_forms": Material.objects.exclude(blank_form="").count(),
            },
            "years": CalendarYear.objects.all(),
            "next_year_missing": not CalendarYear.objects.filter(year=today.year + 1).exists(),
            "next_year": today.year + 1,
        },
    )
