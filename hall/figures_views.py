"""The hall's figures for the center's managers: waiting and service time per business,
window, person and hour for a day or a period, and the replay of a day's queue."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_time
from django.utils.translation import gettext as _

from supervision.assessment import Period, recent_periods
from windows.roles import Role, require_role

from . import figures as f

# The replay moves by this step; it shows what happened in the step before the moment.
REPLAY_STEP = dt.timedelta(minutes=15)


def _parsed(parse, text: str):
    """A date or time from the address, or None for anything that is not one (2026-02-30
    included: Django's parsers raise on a well-formed impossible date)."""
    try:
        return parse(text or "")
    except ValueError:
        return None


def _manager(request: HttpRequest) -> None:
    require_role(request.user, Role.CENTER_MANAGER, Role.ADMINISTRATOR)


@login_required
def figures(request: HttpRequest) -> HttpResponse:
    """Waiting and service per business, window, person or hour, for a day or a period."""
    _manager(request)
    today = timezone.localdate()
    group = request.GET.get("group", "business")
    if group not in f.GROUPS:
        group = "business"
    error = ""
    # One form, two buttons: the period chosen, or the one day (an address with a day alone
    # shows the day).
    show = request.GET.get("show") or ("day" if request.GET.get("day") else "period")
    day = None
    period = None
    if show == "day":
        day = _parsed(parse_date, request.GET.get("day", ""))
        if day is None:
            error = _("Give the day as YYYY-MM-DD.")
    if day is None:
        try:
            period = (
                Period.parse(request.GET.get("period", ""))
                if request.GET.get("period")
                else Period("month", today.year, today.month)
            )
        except ValueError:
            error = _("Unknown period; the current month is shown.")
            period = Period("month", today.year, today.month)
    start, end = (day, day) if day else (period.start, period.end)
    rows, total = f.table(start, end, group)
    return render(
        request,
        "hall/figures.html",
        {
            "rows": rows,
            "total": total,
            "group": group,
            "groups": [(key, label) for key, (_field, label) in f.GROUPS.items()],
            "day": day,
            "period": period,
            "periods": recent_periods(today, period or Period.of(today)),
            "start": start,
            "end": end,
            "today": today,
            "error": error,
            "live": f.live(timezone.now()),
            "within": f.within().seconds // 60,
        },
    )


@login_required
def replay(request: HttpRequest) -> HttpResponse:
    """The hall of a day as it stood at a moment, step by step."""
    _manager(request)
    today = timezone.localdate()
    error = ""
    day = _parsed(parse_date, request.GET.get("day", "")) or today
    moment = _parsed(parse_time, request.GET.get("at", ""))
    if request.GET.get("at") and moment is None:
        error = _("Give the time as HH:MM.")
    if moment is None:
        now = timezone.localtime()
        moment = now.time().replace(second=0, microsecond=0) if day == today else dt.time(10, 0)
    at = timezone.make_aware(dt.datetime.combine(day, moment))
    state = f.replay(day, at, REPLAY_STEP)
    return render(
        request,
        "hall/replay.html",
        {
            "state": state,
            "day": day,
            "at": at,
            "earlier": timezone.localtime(at - REPLAY_STEP),
            "later": timezone.localtime(at + REPLAY_STEP),
            "step_minutes": REPLAY_STEP.seconds // 60,
            "error": error,
        },
    )
