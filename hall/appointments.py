"""Appointments (预约): the slots a business offers, booking, cancelling, the SMS to the booker,
checking in at the kiosk and the day's no-shows.

The rules, each written here once:

- Slots: on a working day of the calendar (`WorkCalendar.is_working_day`: holidays off, adjusted
  working weekends on), each `SlotRule` of a business at an open window gives `capacity`
  places in every slot of `slot_minutes` from `opens` until `closes`; rules of several windows
  add up. A slot's places left are its capacity less its appointments not cancelled.
- What can be booked: today's slots that have not started yet, and those of the next
  `HALL_APPOINTMENT_DAYS` working days after today.
- Capacity is never exceeded: a booking locks the business's slot rules (`FOR UPDATE`), then
  counts, then writes, so bookings of one business happen one after the other.
- One person (mobile number) holds one live booking (booked or checked in) per business and
  day, also enforced by a unique constraint. A mobile with `HALL_NO_SHOW_LIMIT` no-shows in the
  last `HALL_NO_SHOW_DAYS` days is refused. The views count attempts per mobile and per client
  address (`count_booking`).
- The booker gets a check-in code (short, from `ACCESS_CODE_ALPHABET`) and, by SMS, a link with
  a random key (only its SHA-256 stored) to view or cancel. Cancelling frees the place.
- SMS: a confirmation at booking, a reminder the day before (`appointments_remind`, once per
  appointment by `reminded_at`), each an `AppointmentMessage` written in the transaction of the
  change, once per kind, and delivered after the commit by a task that claims it first
  (hall/appointment_sms.py).
- Check-in at the kiosk: a booked appointment of today, until its slot's end plus
  `HALL_APPOINTMENT_GRACE_MINUTES`, takes a ticket through `hall.services.ticket_take` (which
  puts it before the walk-ins of its slot) and is marked checked in, in one transaction.
- No-shows: an appointment still booked when its slot ended plus the grace becomes a no-show
  (`appointments_mark_no_shows`, beat, idempotent).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.services import ACCESS_CODE_ALPHABET, TransitionError
from applications.track import Allowance, address_bucket, fixed_window, window_hit
from applications.validators import validate_mobile
from windows.models import Staff
from windows.workdays import WorkCalendar

from . import services
from .appointment_sms import language_of, message_write
from .models import Appointment, AppointmentMessage, Business, Device, SlotRule

log = logging.getLogger(__name__)

CODE_LENGTH = 6
Status = Appointment.Status
# Appointments that hold a place in their slot (a no-show held it too).
HOLDING = (Status.BOOKED, Status.CHECKED_IN, Status.NO_SHOW)


# --- slots ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    day: dt.date
    starts: dt.time
    ends: dt.time
    capacity: int
    taken: int = 0

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def full(self) -> bool:
        return self.left == 0

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.day, self.starts))

    @property
    def end_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.day, self.ends))

    @property
    def key(self) -> str:
        """How the slot is named in an address: 0900."""
        return f"{self.starts:%H%M}"


def _rules(business: Business):
    return SlotRule.objects.filter(business=business, window__is_active=True)


def _slots_of(rules, day: dt.date, taken: dict[dt.time, int]) -> list[Slot]:
    """Sum the rules' capacities per slot (start, end), in time order."""
    capacity: Counter[tuple[dt.time, dt.time]] = Counter()
    for rule in rules:
        step = dt.timedelta(minutes=rule.slot_minutes)
        start = dt.datetime.combine(day, rule.opens)
        close = dt.datetime.combine(day, rule.closes)
        while start + step <= close:
            capacity[(start.time(), (start + step).time())] += rule.capacity
            start += step
    return [
        Slot(day, starts, ends, places, taken.get(starts, 0))
        for (starts, ends), places in sorted(capacity.items())
    ]


def _taken(business: Business, day: dt.date) -> dict[dt.time, int]:
    rows = (
        Appointment.objects.filter(business=business, day=day, status__in=HOLDING)
        .values("starts")
        .annotate(n=Count("id"))
    )
    return {row["starts"]: row["n"] for row in rows}


def slots(business: Business, day: dt.date, *, calendar: WorkCalendar | None = None) -> list[Slot]:
    """The business's slots on a day with their places taken (none on a day off)."""
    calendar = calendar or WorkCalendar.load()
    if not business.is_active or not calendar.is_working_day(day):
        return []
    return _slots_of(list(_rules(business)), day, _taken(business, day))


def bookable_days(
    business: Business, now: dt.datetime, *, calendar: WorkCalendar | None = None
) -> list[dt.date]:
    """Today when a slot of today has not started yet, then the next `HALL_APPOINTMENT_DAYS`
    working days after today."""
    calendar = calendar or WorkCalendar.load()
    if not business.is_active or not _rules(business).exists():
        return []
    today = timezone.localdate(now)
    days = []
    if calendar.is_working_day(today) and any(
        slot.start_at > now for slot in _slots_of(_rules(business), today, {})
    ):
        days.append(today)
    day = today
    for _i in range(settings.HALL_APPOINTMENT_DAYS):
        span = calendar.add_working_days(day, 1)
        day = span.end
        days.append(day)
    return days


def bookable_slots(business: Business, day: dt.date, now: dt.datetime) -> list[Slot]:
    """The day's slots still to come (full ones included, to be shown as full)."""
    if day not in bookable_days(business, now):
        return []
    return [slot for slot in slots(business, day) if slot.start_at > now]


def businesses_with_slots():
    """The businesses that take appointments: offered, with a rule at an open window."""
    return (
        Business.objects.offered()
        .filter(slot_rules__window__is_active=True)
        .distinct()
        .order_by("position", "letter")
    )


# --- rate limits and refusals -------------------------------------------------------------------


def count_booking(kind: str, value: str, *, now: float | None = None) -> Allowance:
    """Count one booking attempt by a mobile number (`kind` "mobile") or a client address
    ("address", IPv6 by its /64) in fixed windows of `HALL_BOOKING_WINDOW_SECONDS`. If the cache
    is down, the attempt is allowed (the booking's own rules still hold) and the log says so."""
    limit = (
        settings.HALL_BOOKING_LIMIT_PER_MOBILE
        if kind == "mobile"
        else settings.HALL_BOOKING_LIMIT_PER_ADDRESS
    )
    bucket = value if kind == "mobile" else address_bucket(value)
    window = fixed_window(f"appt:{kind}", bucket, settings.HALL_BOOKING_WINDOW_SECONDS, now=now)
    try:
        count = window_hit(window)
    except Exception:
        log.exception("appointments: the rate-limit cache is not answering; booking allowed")
        return Allowance(True, window.retry_after)
    return Allowance(count <= limit, window.retry_after)


def recent_no_shows(mobile: str, today: dt.date) -> int:
    since = today - dt.timedelta(days=settings.HALL_NO_SHOW_DAYS)
    return Appointment.objects.filter(
        mobile=mobile, status=Status.NO_SHOW, day__gte=since, day__lte=today
    ).count()


# --- booking and cancelling ------------------------------------------------------------------


def _live_booking(business: Business, day: dt.date, mobile: str):
    """A person's booking of a business and day that still holds (the rule the constraint
    `appointment_one_live_per_person` keeps)."""
    return Appointment.objects.filter(
        business=business, day=day, mobile=mobile, status__in=(Status.BOOKED, Status.CHECKED_IN)
    )


def new_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalize_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch not in " -\t")[:20]


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def appointment_book(
    *,
    business: Business,
    day: dt.date,
    starts: dt.time,
    name: str,
    mobile: str,
    now: dt.datetime,
    language: str = "",
) -> tuple[Appointment, str]:
    """Book a place; returns the appointment and the key of its link (to view or cancel).

    1. Check the person: a well-formed mobile, a name, not too many recent no-shows.
    2. Lock the business's slot rules, so bookings of the business go one at a time.
    3. The slot must be offered, still ahead and not full; the person must not hold another
       live booking of the business that day.
    4. Write the appointment and its confirmation SMS (sent after the commit).
    """
    name = " ".join(name.split())
    mobile = mobile.strip()
    try:
        validate_mobile(mobile)
    except ValidationError as error:
        raise TransitionError(error.messages[0]) from None
    if not name or len(name) > 50:
        raise TransitionError(_("Enter your name (at most 50 characters)."))
    today = timezone.localdate(now)
    if recent_no_shows(mobile, today) >= settings.HALL_NO_SHOW_LIMIT:
        raise TransitionError(
            _(
                "This mobile number missed %(count)d appointments in the last %(days)d days, so "
                "it cannot book for now. Please take a number at the kiosk in the hall."
            )
            % {"count": settings.HALL_NO_SHOW_LIMIT, "days": settings.HALL_NO_SHOW_DAYS}
        )
    if day not in bookable_days(business, now):
        raise TransitionError(_("Appointments cannot be booked for this day."))
    with transaction.atomic():
        rules = list(
            SlotRule.objects.select_for_update(of=("self",))
            .select_related("window")
            .filter(business=business)
            .order_by("pk")
        )
        open_rules = [rule for rule in rules if rule.window.is_active]
        slot = next(
            (s for s in _slots_of(open_rules, day, _taken(business, day)) if s.starts == starts),
            None,
        )
        if slot is None or slot.start_at <= now:
            raise TransitionError(_("This time is not offered for booking."))
        if slot.full:
            raise TransitionError(
                _("Sorry, the last place of this time has just been taken. Please choose another.")
            )
        if _live_booking(business, day, mobile).exists():
            raise TransitionError(
                _(
                    "This mobile number already has an appointment for %(business)s on %(date)s. "
                    "Cancel it first to choose another time."
                )
                % {"business": business.name, "date": date_format(day, "DATE_FORMAT")}
            )
        key = secrets.token_urlsafe(24)
        appointment = Appointment(
            business=business,
            day=day,
            starts=slot.starts,
            ends=slot.ends,
            name=name,
            mobile=mobile,
            status=Status.BOOKED,
            booked_at=now,
            language=language_of(language),
            key_digest=key_digest(key),
        )
        appointment._history_date = now
        for _attempt in range(5):
            appointment.code = new_code()
            if Appointment.objects.filter(code=appointment.code).exists():
                continue
            try:
                with transaction.atomic():
                    appointment.save()
                break
            except IntegrityError:  # the same code, or the same person, at the same moment
                appointment.pk = None
                if _live_booking(business, day, mobile).exists():
                    raise TransitionError(
                        _("This mobile number already has an appointment for that day.")
                    ) from None
        else:  # pragma: no cover - five codes in use in a row
            raise TransitionError(_("Please try again."))
        message_write(appointment, AppointmentMessage.Kind.CONFIRMATION, now=now, key=key)
    return appointment, key


def appointment_find(key: str) -> Appointment | None:
    """The appointment of a link's key, or None."""
    if not key or len(key) > 100:
        return None
    return (
        Appointment.objects.select_related("business", "ticket")
        .filter(key_digest=key_digest(key))
        .first()
    )


def may_cancel(appointment: Appointment, now: dt.datetime) -> bool:
    starts = timezone.make_aware(dt.datetime.combine(appointment.day, appointment.starts))
    return appointment.status == Status.BOOKED and now < starts


def appointment_cancel(*, appointment: Appointment, now: dt.datetime) -> Appointment:
    """The booker cancels (through the link): the place is free again."""
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.status == Status.CANCELLED:
            raise TransitionError(_("This appointment is already cancelled."))
        if not may_cancel(appointment, now):
            raise TransitionError(
                _("This appointment can no longer be cancelled: its time has begun or it was used.")
            )
        appointment.status = Status.CANCELLED
        appointment.cancelled_at = now
        appointment._history_date = now
        appointment._change_reason = "cancelled by the booker"
        appointment.save(update_fields=["status", "cancelled_at"])
    return appointment


# --- checking in at the kiosk ----------------------------------------------------------------


def _grace() -> dt.timedelta:
    return dt.timedelta(minutes=settings.HALL_APPOINTMENT_GRACE_MINUTES)


def appointment_check_in(*, code: str, device: Device, now: dt.datetime) -> Appointment:
    """Check an appointment in at the kiosk: its ticket, taken in the same transaction."""
    code = normalize_code(code)
    if not code:
        raise TransitionError(_("Enter the check-in code from your SMS."))
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("business")
            .filter(code=code)
            .first()
        )
        if appointment is None:
            raise TransitionError(
                _("No appointment has this code. Check it against your SMS and try again.")
            )
        slot_end = timezone.make_aware(dt.datetime.combine(appointment.day, appointment.ends))
        if appointment.status == Status.CHECKED_IN:
            raise TransitionError(
                _("This appointment is already checked in: your number is %(number)s.")
                % {"number": appointment.ticket.number if appointment.ticket else "—"}
            )
        if appointment.status == Status.CANCELLED:
            raise TransitionError(_("This appointment was cancelled. Please take a number."))
        if appointment.status == Status.NO_SHOW:
            raise TransitionError(_("This appointment was missed. Please take a number."))
        today = timezone.localdate(now)
        if appointment.day != today:
            raise TransitionError(
                _("This appointment is for %(date)s, not today.")
                % {"date": date_format(appointment.day, "DATE_FORMAT")}
            )
        if now > slot_end + _grace():
            raise TransitionError(
                _(
                    "The time of this appointment has passed (it ended at %(time)s). Please "
                    "take a number."
                )
                % {"time": f"{appointment.ends:%H:%M}"}
            )
        ticket = services.ticket_take(
            business=appointment.business,
            now=now,
            device=device,
            mobile=appointment.mobile,
            appointment=appointment,
        )
        appointment.status = Status.CHECKED_IN
        appointment.ticket = ticket
        appointment.checked_in_at = now
        appointment._history_date = now
        appointment.save(update_fields=["status", "ticket", "checked_in_at"])
    return appointment


# --- no-shows -----------------------------------------------------------------------------------


def appointments_mark_no_shows(*, now: dt.datetime) -> int:
    """Every appointment still booked whose slot ended more than the grace ago becomes a
    no-show. Running it again changes nothing. Returns how many were marked."""
    cutoff = timezone.localtime(now) - _grace()
    late = Appointment.objects.filter(status=Status.BOOKED).filter(
        Q(day__lt=cutoff.date()) | Q(day=cutoff.date(), ends__lte=cutoff.time())
    )
    marked = 0
    for pk in list(late.values_list("pk", flat=True)[:2000]):
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update().filter(pk=pk, status=Status.BOOKED).first()
            )
            if appointment is None:  # checked in or cancelled meanwhile
                continue
            appointment.status = Status.NO_SHOW
            appointment._history_date = now
            appointment._change_reason = "no-show: not checked in by the end of the slot"
            appointment.save(update_fields=["status"])
            marked += 1
    return marked


@dataclass
class SlotRow:
    business: Business
    starts: dt.time
    ends: dt.time
    appointments: list[Appointment]


@dataclass
class DayList:
    day: dt.date
    rows: list[SlotRow]
    counts: dict[str, int]  # status -> count
    no_shows: list[tuple[Business, int]]  # per business, in the order of the list


def day_list(day: dt.date, businesses) -> DayList:
    """The day's appointments of these businesses, by business and slot (the staff page)."""
    appointments = list(
        Appointment.objects.filter(day=day, business__in=businesses)
        .select_related("business", "ticket")
        .order_by("business__position", "business__letter", "starts", "id")
    )
    rows: list[SlotRow] = []
    for appointment in appointments:
        if not rows or (rows[-1].business.pk, rows[-1].starts) != (
            appointment.business_id,
            appointment.starts,
        ):
            rows.append(SlotRow(appointment.business, appointment.starts, appointment.ends, []))
        rows[-1].appointments.append(appointment)
    counts = Counter(a.status for a in appointments)
    missed = Counter(a.business_id for a in appointments if a.status == Status.NO_SHOW)
    named = {a.business_id: a.business for a in appointments}
    no_shows = [(named[pk], n) for pk, n in missed.items()]
    return DayList(day, rows, dict(counts), no_shows)


def businesses_seen_by(staff: Staff, on: dt.date):
    """Managers and administrators see every business's appointments; staff at a window those
    of the businesses their window serves (and the windows they cover that day)."""
    from windows.roles import Role

    if staff.has_role(Role.ADMINISTRATOR, Role.CENTER_MANAGER):
        return Business.objects.all()
    return Business.objects.filter(windows__in=services.windows_served(staff, on)).distinct()


# --- the demo ---------------------------------------------------------------------------------

DEMO_HOURS = [(dt.time(9, 0), dt.time(11, 30)), (dt.time(14, 0), dt.time(17, 0))]


@transaction.atomic
def seed_demo_slots(*, departments: int = 3) -> int:
    """Slot rules for the demo: intake (A) at the first comprehensive window and the first
    few department businesses at their first window, 09:00–11:30 and 14:00–17:00, 30-minute
    slots, 2 places each. Returns how many rules were written (none twice)."""
    chosen = list(Business.objects.filter(letter="A", is_active=True))
    chosen += list(
        Business.objects.filter(kind=Business.Kind.DEPARTMENT, is_active=True).order_by(
            "position", "letter"
        )[:departments]
    )
    made = 0
    for business in chosen:
        window = business.windows.filter(is_active=True).order_by("number").first()
        if window is None:
            continue
        for opens, closes in DEMO_HOURS:
            _rule, created = SlotRule.objects.get_or_create(
                business=business,
                window=window,
                opens=opens,
                closes=closes,
                defaults={"slot_minutes": 30, "capacity": 2},
            )
            made += created
    return made
