"""The demo center's hall: its businesses (filled in by the demo of the hall's parts)."""

from __future__ import annotations

from django.db import transaction

from windows.models import Department, Window

from .models import Business

# (letter, name, kind, department code or None, usual minutes)
BUSINESSES = [
    ("A", "综合受理", Business.Kind.INTAKE, None, 12),
    ("B", "领取结果", Business.Kind.PICKUP, None, 4),
]


@transaction.atomic
def seed_businesses() -> list[Business]:
    """Intake and pick-up at the comprehensive windows, and one business per department
    that has windows in the hall, served by its windows."""
    comprehensive = list(Window.objects.filter(kind=Window.Kind.COMPREHENSIVE))
    made = []
    for letter, name, kind, _code, minutes in BUSINESSES:
        business, _created = Business.objects.update_or_create(
            letter=letter,
            defaults={
                "name": name,
                "kind": kind,
                "service_minutes": minutes,
                "position": len(made),
            },
        )
        business.windows.set(comprehensive)
        made.append(business)
    # One letter per department while letters last (I and O look like digits); the
    # departments after that share the last letter, served by all their windows.
    letters = list("CDEFGHJKLMNPQRSTUVWXYZ")
    departments = list(
        Department.objects.filter(windows__isnull=False).distinct().order_by("sort_order", "code")
    )
    own, shared = departments[: len(letters) - 1], departments[len(letters) - 1 :]
    for letter, department in zip(letters, own, strict=False):
        business, _created = Business.objects.update_or_create(
            letter=letter,
            defaults={
                "name": department.short_name,
                "kind": Business.Kind.DEPARTMENT,
                "department": department,
                "service_minutes": 15,
                "position": len(made),
            },
        )
        business.windows.set(department.windows.all())
        made.append(business)
    if shared:
        business, _created = Business.objects.update_or_create(
            letter=letters[-1],
            defaults={
                "name": "其他部门",
                "kind": Business.Kind.DEPARTMENT,
                "department": shared[0],
                "service_minutes": 15,
                "position": len(made),
            },
        )
        business.windows.set(Window.objects.filter(department__in=shared))
        made.append(business)
    return made


def seed_demo_hall(*, today) -> list[str]:
    from django.utils import timezone

    from windows.models import Staff

    from .appointments import seed_demo_slots

    businesses = seed_businesses()
    rules = seed_demo_slots()
    admin = Staff.objects.filter(is_superuser=True).order_by("pk").first()
    lines = [f"{len(businesses)} businesses in the hall", f"{rules} appointment slot rules"]
    if admin is not None:
        lines += seed_devices(admin)
    counts = seed_morning(timezone.now())
    if counts:
        lines.append(
            f"the last {HISTORY_HOURS} hours: {counts['tickets']} numbers taken, "
            f"{counts['served']} served, {counts['no_shows']} no-shows, "
            f"{counts['ratings']} pad ratings; the latest still waiting or being served"
        )
    return lines


# --- a morning of the hall -----------------------------------------------------------------

# (business letter, minutes between arrivals on average)
ARRIVALS = {"A": 4.5, "B": 9.0, "C": 20.0, "D": 15.0, "E": 12.0, "H": 10.0, "J": 12.0, "X": 25.0}
HISTORY_HOURS = 3


def seed_devices(by) -> list[str]:
    """A kiosk, a hall display and rating pads at the comprehensive window and two department
    windows, with their enrolment links (good for a day; the devices page makes new ones)."""
    from django.utils import timezone

    from .devices import device_reenrol, device_register
    from .models import Device

    now = timezone.now()
    wanted = [
        ("大厅取号机 1", Device.Kind.KIOSK, None),
        ("大厅显示屏 1", Device.Kind.DISPLAY, None),
        *[
            (f"{w.number} 评价器", Device.Kind.PAD, w)
            for w in Window.objects.filter(number__in=["A01", "A02", "A05"]).order_by("number")
        ],
    ]
    lines = []
    for name, kind, window in wanted:
        device = Device.objects.filter(name=name).first()
        if device is None:
            device, key = device_register(name=name, kind=kind, window=window, by=by, now=now)
        else:
            key = device_reenrol(device=device, by=by, now=now)
        lines.append(f"{device}: /hall/device/{key}/")
    return lines


def seed_morning(now, *, seed: int = 7) -> dict[str, int]:
    """The hours before `now` in the hall, played through the services as they would have
    happened (every ticket's steps in its history at their times): arrivals per business,
    one caller per window serving in turn, some no-shows, ratings on the pads. Who came
    last is still waiting or being served. Nothing is added if the day already has tickets."""
    import bisect
    import datetime as dt
    import heapq
    import random

    from django.conf import settings
    from django.utils import timezone

    from windows.models import Staff

    from . import services
    from .models import Device, Ticket

    if Ticket.objects.filter(day=timezone.localdate(now)).exists():
        return {}
    rng = random.Random(seed)
    start = now - dt.timedelta(hours=HISTORY_HOURS)
    businesses = {b.letter: b for b in Business.objects.filter(letter__in=ARRIVALS)}
    events: list[tuple[dt.datetime, int, str, object]] = []
    order = 0
    for letter, gap in ARRIVALS.items():
        if letter not in businesses:
            continue
        t = start + dt.timedelta(minutes=rng.expovariate(1 / gap))
        while t < now:
            events.append((t, order, "arrive", letter))
            order += 1
            t += dt.timedelta(minutes=rng.expovariate(1 / gap))
    by_letter: dict[str, list] = {}
    for t, _n, _kind, letter in sorted(events):
        by_letter.setdefault(letter, []).append(t)
    # One caller per window that serves a business of the morning.
    windows = Window.objects.filter(hall_businesses__in=businesses.values()).distinct()
    callers = []
    for window in windows.order_by("number"):
        people = [s for s in Staff.objects.filter(window=window).order_by("username")]
        people = [s for s in people if services.may_call(s)]
        callers.extend(people[:4] if window.kind == Window.Kind.COMPREHENSIVE else people[:1])
    serves = {
        staff.pk: [
            letter
            for letter, business in businesses.items()
            if business.windows.filter(pk=staff.window_id).exists()
        ]
        for staff in callers
    }

    def next_arrival(staff, t):
        """When a caller with nobody to call looks again: at the next arrival for them."""
        times = [
            later
            for letter in serves[staff.pk]
            for later in by_letter.get(letter, [])[
                bisect.bisect_right(by_letter.get(letter, []), t) :
            ][:1]
        ]
        return min(times, default=now) + dt.timedelta(seconds=20)

    for staff in callers:
        events.append((start + dt.timedelta(minutes=rng.uniform(0, 5)), order, "free", staff))
        order += 1
    heapq.heapify(events)
    pads = {d.window_id: d for d in Device.objects.filter(kind=Device.Kind.PAD, is_active=True)}
    counts = {"tickets": 0, "served": 0, "no_shows": 0, "ratings": 0}
    while events:
        t, _n, kind, what = heapq.heappop(events)
        if t >= now:
            continue
        if kind == "arrive":
            services.ticket_take(business=businesses[what], now=t)
            counts["tickets"] += 1
            continue
        staff = what
        ticket = services.call_next(staff=staff, now=t)
        if ticket is None:
            heapq.heappush(events, (next_arrival(staff, t), order, "free", staff))
            order += 1
            continue
        step = t
        if rng.random() < 0.04:  # nobody comes: called again, then marked a no-show
            for _again in range(settings.HALL_NO_SHOW_CALLS - 1):
                step += dt.timedelta(minutes=1)
                services.call_again(ticket=ticket, staff=staff, now=step)
            step += dt.timedelta(minutes=1)
            services.mark_no_show(ticket=ticket, staff=staff, now=step)
            counts["no_shows"] += 1
        else:
            step += dt.timedelta(seconds=rng.uniform(20, 90))
            services.start_service(ticket=ticket, staff=staff, now=step)
            minutes = max(1.0, rng.gauss(ticket.business.service_minutes, 3))
            step += dt.timedelta(minutes=minutes)
            if step >= now:
                continue  # still being served
            services.finish_service(ticket=ticket, staff=staff, now=step)
            counts["served"] += 1
            pad = pads.get(staff.window_id)
            if pad is not None and rng.random() < 0.7:
                level = rng.choices([5, 4, 3, 2, 1], weights=[60, 25, 8, 4, 3])[0]
                services.rate(ticket=ticket, device=pad, level=level, now=step)
                counts["ratings"] += 1
        heapq.heappush(events, (step + dt.timedelta(seconds=30), order, "free", staff))
        order += 1
    return counts
