"""The steps of a queue ticket: take a number, call, call again, no-show, serve, finish,
transfer, link to the application, and the visitor's rating on the pad.

Each step is one transaction that writes the ticket with its history (who, when). The rules:

- Numbers: per business and day, 1, 2, 3, ... with no gap and no repeat (`DayCounter` row lock).
- Who calls: a member of staff sitting at a window (`Staff.window`) who works the hall
  (`may_call`). They call the businesses of their own window and, on the days they cover an
  A/B post whose A holder is away, those of that post's window (`windows.models.Post`: the one
  definition of cover). A ticket transferred to one window waits for that window alone.
- One at a time: a person with a ticket called or being served calls nobody else until it is
  finished, marked a no-show or transferred (a window cannot park a visitor and call the next).
- Two windows pressing "call next" at once never call the same ticket: the first waiting ticket
  is taken with `FOR UPDATE SKIP LOCKED` (on SQLite the write lock serialises the calls).
- A no-show is marked only after `HALL_NO_SHOW_CALLS` calls.
- Only the visitor rates: from the pad registered to the window that served them, once, within
  `HALL_RATING_MINUTES` of the end of the service.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Avg, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.services import TransitionError, save_in_one_statement, save_with_history
from windows.models import Post, Staff, Window
from windows.roles import WINDOW_ROLES, Role

from .models import Appointment, Business, Call, DayCounter, Device, ServiceRating, Ticket

MAX_PER_DAY = 999  # three digits after the letter
Status = Ticket.Status


# A ticket's step and its history row in one statement on PostgreSQL (nothing else listens to
# a ticket's save).
save_in_one_statement(Ticket)


def _ticket_save(ticket: Ticket, fields: list[str], by: Staff | None, at: dt.datetime) -> None:
    save_with_history(ticket, fields, by, "", at)


# --- who serves what ----------------------------------------------------------------------


def may_call(staff: Staff) -> bool:
    """A member of staff who calls visitors: sits at a window and works the counter there."""
    return bool(staff.window_id) and staff.has_role(Role.INTAKE_CLERK, *WINDOW_ROLES)


def windows_served(staff: Staff, on: dt.date) -> list[int]:
    """The windows whose visitors this person calls on a day: their own, and the window of
    each A/B post they cover that day (its A holder away)."""
    covered = Post.objects.covered_on(on).filter(holder_b=staff).values_list("window_id", flat=True)
    return sorted({staff.window_id, *covered} - {None})


def waiting_for(staff: Staff, on: dt.date):
    """The tickets this person may call now, in queue order (the windows they serve read
    first: `windows_served`, one small query; then one plain query, cheap to build)."""
    windows = windows_served(staff, on)
    offered = Business.windows.through.objects.filter(
        window_id__in=windows, business__is_active=True
    ).values("business_id")
    return (
        Ticket.objects.waiting()
        .filter(day=on)
        .filter(Q(for_window__isnull=True, business_id__in=offered) | Q(for_window_id__in=windows))
        .in_queue_order()
    )


def current_ticket(staff: Staff) -> Ticket | None:
    """The ticket this person has called or is serving, if any."""
    return (
        Ticket.objects.select_related("business", "window")
        .filter(staff=staff, status__in=(Status.CALLED, Status.SERVING))
        .first()
    )


# --- taking a number ------------------------------------------------------------------------


def _locked_counter(business: Business, day: dt.date) -> DayCounter:
    lock = DayCounter.objects.select_for_update()
    counter = lock.filter(business=business, day=day).first()
    if counter is None:
        try:
            with transaction.atomic():
                DayCounter.objects.create(business=business, day=day)
        except IntegrityError:  # another kiosk made it first
            pass
        counter = lock.get(business=business, day=day)
    return counter


def ticket_take(
    *,
    business: Business,
    now: dt.datetime,
    device: Device | None = None,
    mobile: str = "",
    id_number: str = "",
    appointment: Appointment | None = None,
) -> Ticket:
    """Give the next number of the business today. An appointment checked in on time takes
    its place at the start of its slot (before the walk-ins of that slot)."""
    if not business.is_active:
        raise TransitionError(_("This business does not take numbers now."))
    day = timezone.localdate(now)
    queue_at = now
    if appointment is not None:
        starts = timezone.make_aware(dt.datetime.combine(appointment.day, appointment.starts))
        ends = timezone.make_aware(dt.datetime.combine(appointment.day, appointment.ends))
        if now <= ends:
            queue_at = min(now, starts)
    with transaction.atomic():
        counter = _locked_counter(business, day)
        if counter.last >= MAX_PER_DAY:
            raise TransitionError(_("No more numbers can be given for this business today."))
        counter.last += 1
        counter.save(update_fields=["last"])
        ticket = Ticket(
            business=business,
            day=day,
            seq=counter.last,
            number=f"{business.letter}{counter.last:03d}",
            taken_at=now,
            queue_at=queue_at,
            device=device,
            mobile=mobile,
            id_number=id_number,
            follow_key=secrets.token_urlsafe(16),
        )
        ticket._history_date = now
        ticket.save()
    return ticket


def people_ahead(ticket: Ticket) -> int:
    """Waiting tickets that will be called before this one."""
    if ticket.status != Status.WAITING:
        return 0
    same_queue = (
        Q(for_window=ticket.for_window)
        if ticket.for_window_id
        else Q(business=ticket.business_id, for_window__isnull=True)
    )
    return (
        Ticket.objects.waiting()
        .filter(same_queue, day=ticket.day)
        .filter(Q(queue_at__lt=ticket.queue_at) | Q(queue_at=ticket.queue_at, id__lt=ticket.id))
        .count()
    )


def service_minutes(business: Business, day: dt.date) -> float:
    """The usual time one service of this business takes: the day's average once three were
    served, the business's set figure before that."""
    done = Ticket.objects.filter(
        business=business, day=day, status=Status.DONE, started_at__isnull=False
    )
    if done.count() >= 3:
        average = done.aggregate(t=Avg(F("finished_at") - F("started_at")))["t"]
        if average is not None:
            seconds = average.total_seconds() if hasattr(average, "total_seconds") else average
            return max(1.0, seconds / 60)
    return float(business.service_minutes)


def estimated_wait_minutes(ticket: Ticket) -> int:
    """People ahead × the usual service time ÷ the open windows serving the business."""
    ahead = people_ahead(ticket)
    if ahead == 0:
        return 0
    windows = ticket.business.windows.filter(is_active=True).count() or 1
    if ticket.for_window_id:
        windows = 1
    return math.ceil(ahead * service_minutes(ticket.business, ticket.day) / windows)


# --- the window's side -----------------------------------------------------------------------


def _refuse_unless_caller(staff: Staff) -> None:
    if not may_call(staff):
        raise TransitionError(_("Only staff working at a window call visitors."))


def _lock_ticket(ticket: Ticket, staff: Staff, *states: str) -> Ticket:
    locked = Ticket.objects.select_for_update().select_related("business").get(pk=ticket.pk)
    if locked.staff_id != staff.pk:
        raise TransitionError(
            _("Ticket %(number)s is not yours: only who called it can act on it.")
            % {"number": locked.number}
        )
    if locked.status not in states:
        raise TransitionError(
            _("Ticket %(number)s is %(status)s now; nothing was changed.")
            % {"number": locked.number, "status": locked.get_status_display()}
        )
    return locked


def _busy_message(busy: Ticket) -> str:
    if busy.status == Status.CALLED:
        message = _(
            "%(number)s has been called and not yet served: start serving, call again "
            "or mark a no-show first."
        )
    else:
        message = _("Finish serving %(number)s before calling the next visitor.")
    return message % {"number": busy.number}


def call_next(*, staff: Staff, now: dt.datetime) -> Ticket | None:
    """Call the first ticket waiting for this person (None when nobody waits).

    Four statements on PostgreSQL: the windows served (A/B cover), the first waiting ticket
    locked (`FOR UPDATE SKIP LOCKED`: another window's call in flight skips it), its update
    with its history row, the call. A person who already has a ticket called or being served
    is stopped by the database itself (the constraint `ticket_one_at_a_time`), also when they
    press twice at once."""
    _refuse_unless_caller(staff)
    try:
        with transaction.atomic():
            queue = waiting_for(staff, timezone.localdate(now))
            if connection.features.has_select_for_update_skip_locked:
                queue = queue.select_for_update(skip_locked=True)
            ticket = queue.first()
            if ticket is None:
                return None
            ticket.status = Status.CALLED
            ticket.window_id = staff.window_id
            ticket.staff = staff
            ticket.called_at = now
            ticket.calls = 1
            _ticket_save(ticket, ["status", "window", "staff", "called_at", "calls"], staff, now)
            Call.objects.create(ticket=ticket, window_id=staff.window_id, staff=staff, at=now)
    except IntegrityError:
        busy = current_ticket(staff)
        if busy is None:  # pressed twice at once: the other press called someone
            raise TransitionError(
                _("You have already called a visitor; nothing was changed.")
            ) from None
        raise TransitionError(_busy_message(busy)) from None
    return ticket


def call_again(*, ticket: Ticket, staff: Staff, now: dt.datetime) -> Ticket:
    with transaction.atomic():
        ticket = _lock_ticket(ticket, staff, Status.CALLED)
        ticket.calls += 1
        _ticket_save(ticket, ["calls"], staff, now)
        Call.objects.create(
            ticket=ticket, window_id=ticket.window_id, staff=staff, at=now, again=True
        )
    return ticket


def mark_no_show(*, ticket: Ticket, staff: Staff, now: dt.datetime) -> Ticket:
    with transaction.atomic():
        ticket = _lock_ticket(ticket, staff, Status.CALLED)
        wanted = settings.HALL_NO_SHOW_CALLS
        if ticket.calls < wanted:
            raise TransitionError(
                _(
                    "%(number)s has been called %(calls)d times: call again until %(wanted)d "
                    "calls before marking a no-show."
                )
                % {"number": ticket.number, "calls": ticket.calls, "wanted": wanted}
            )
        ticket.status = Status.NO_SHOW
        _ticket_save(ticket, ["status"], staff, now)
        appointment = Appointment.objects.filter(ticket=ticket).first()
        if appointment is not None:
            appointment.status = Appointment.Status.NO_SHOW
            appointment._history_user, appointment._history_date = staff, now
            appointment.save(update_fields=["status"])
    return ticket


def start_service(*, ticket: Ticket, staff: Staff, now: dt.datetime) -> Ticket:
    with transaction.atomic():
        ticket = _lock_ticket(ticket, staff, Status.CALLED)
        ticket.status = Status.SERVING
        ticket.started_at = now
        _ticket_save(ticket, ["status", "started_at"], staff, now)
    return ticket


def finish_service(*, ticket: Ticket, staff: Staff, now: dt.datetime) -> Ticket:
    with transaction.atomic():
        ticket = _lock_ticket(ticket, staff, Status.SERVING)
        ticket.status = Status.DONE
        ticket.finished_at = now
        _ticket_save(ticket, ["status", "finished_at"], staff, now)
    return ticket


def transfer(
    *,
    ticket: Ticket,
    staff: Staff,
    now: dt.datetime,
    business: Business | None = None,
    window: Window | None = None,
) -> Ticket:
    """Send the visitor to another business or window: the ticket waits again, keeping its
    number and its place in the queue."""
    if business is None and window is None:
        raise TransitionError(_("Choose the business or the window to transfer to."))
    if business is not None and not business.is_active:
        raise TransitionError(_("This business does not take numbers now."))
    if window is not None and (not window.is_active or window.pk == staff.window_id):
        raise TransitionError(_("Choose another open window."))
    with transaction.atomic():
        ticket = _lock_ticket(ticket, staff, Status.CALLED, Status.SERVING)
        if business is not None:
            ticket.business = business
        ticket.for_window = window
        ticket.status = Status.WAITING
        ticket.window = None
        ticket.staff = None
        ticket.started_at = None
        ticket.transfers += 1
        _ticket_save(
            ticket,
            ["business", "for_window", "status", "window", "staff", "started_at", "transfers"],
            staff,
            now,
        )
    return ticket


def link_application(*, ticket: Ticket, application, staff: Staff, now: dt.datetime) -> Ticket:
    """The application created or handed over while serving this ticket."""
    with transaction.atomic():
        ticket = _lock_ticket(ticket, staff, Status.SERVING, Status.DONE)
        if ticket.application_id and ticket.application_id != application.pk:
            raise TransitionError(
                _("Ticket %(number)s is already linked to another application.")
                % {"number": ticket.number}
            )
        ticket.application = application
        _ticket_save(ticket, ["application"], staff, now)
    return ticket


# --- the rating pad ------------------------------------------------------------------------


def pad_ticket(device: Device, now: dt.datetime) -> Ticket | None:
    """What the pad at a window shows: the ticket being served there now, else the last one
    finished there that may still be rated."""
    if device.kind != Device.Kind.PAD or not device.window_id:
        return None
    at_window = Ticket.objects.select_related("staff", "business").filter(
        window=device.window_id, day=timezone.localdate(now)
    )
    serving = at_window.filter(status=Status.SERVING).order_by("-started_at").first()
    if serving is not None:
        return serving
    since = now - dt.timedelta(minutes=settings.HALL_RATING_MINUTES)
    return (
        at_window.filter(status=Status.DONE, finished_at__gte=since, rating__isnull=True)
        .order_by("-finished_at")
        .first()
    )


def rate(*, ticket: Ticket, device: Device, level: int, now: dt.datetime) -> ServiceRating:
    """The visitor's rating of the service, from the pad facing them."""
    if device.kind != Device.Kind.PAD or not device.is_active:
        raise TransitionError(_("Ratings are given on the rating pad of the window."))
    if level not in range(1, 6):
        raise TransitionError(_("Choose from one to five stars."))
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.window_id != device.window_id:
            raise TransitionError(_("This pad faces another window."))
        if ticket.status != Status.DONE or ticket.finished_at is None:
            raise TransitionError(_("The service can be rated when it has ended."))
        if now - ticket.finished_at > dt.timedelta(minutes=settings.HALL_RATING_MINUTES):
            raise TransitionError(_("The time to rate this service has passed."))
        if ServiceRating.objects.filter(ticket=ticket).exists():
            raise TransitionError(_("This service has already been rated. Thank you."))
        return ServiceRating.objects.create(
            ticket=ticket,
            window_id=ticket.window_id,
            staff_id=ticket.staff_id,
            device=device,
            level=level,
            at=now,
        )
