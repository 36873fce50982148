"""A review's clock: its deadline derived from the ledger and the working-day calendar.

The rules (Administrative Licensing Law Arts. 42, 45, 82 and the center's promise):
- the clock starts the day after acceptance and runs for the item's promised working days;
- a stop (supplements, expert review, hearing, testing...) freezes it: the working days used
  up to and including the day it stopped count, the days while stopped do not;
- resuming restores the remaining days, counted from the day after the resume;
- an extension adds working days to the promise and to the statutory limit alike;
- a deadline that ran out before a stop stays where it ran out.
Deadlines are at the close of the last working day, Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from windows.workdays import WorkCalendar


class LedgerLine(Protocol):
    kind: str
    on: dt.date
    days: int


@dataclass(frozen=True)
class Deadline:
    deadline: dt.date
    statutory_deadline: dt.date
    running: bool
    used_days: int
    remaining_days: int
    stopped_days: int
    extension_days: int
    promised_days: int
    start: dt.date
    provisional: bool

    def explain(self) -> str:
        parts = [
            ngettext(
                "%(count)d promised working day from %(start)s",
                "%(count)d promised working days from %(start)s",
                self.promised_days,
            )
            % {"count": self.promised_days, "start": date_format(self.start, "DATE_FORMAT")}
        ]
        if self.extension_days:
            parts.append(
                ngettext(
                    "extended by %(count)d working day",
                    "extended by %(count)d working days",
                    self.extension_days,
                )
                % {"count": self.extension_days}
            )
        if self.stopped_days:
            parts.append(
                ngettext(
                    "%(count)d working day stopped, not counted",
                    "%(count)d working days stopped, not counted",
                    self.stopped_days,
                )
                % {"count": self.stopped_days}
            )
        if not self.running:
            parts.append(
                ngettext(
                    "clock stopped with %(count)d working day left",
                    "clock stopped with %(count)d working days left",
                    self.remaining_days,
                )
                % {"count": self.remaining_days}
            )
        parts.append(_("due %(date)s") % {"date": date_format(self.deadline, "DATE_FORMAT")})
        if self.provisional:
            parts.append(_("provisional: the holidays of that year are not published yet"))
        return _("; ").join(parts) + _(".")


def compute(
    *,
    start: dt.date,
    promised_days: int,
    statutory_days: int,
    ledger: Iterable[LedgerLine],
    calendar: WorkCalendar,
    today: dt.date,
) -> Deadline:
    """Walk the ledger (in order) and say when the review is due.

    1. Each stop closes a running segment: its working days are used.
    2. Each resume opens a new segment from its day; the days between stop and resume are
       counted as stopped time.
    3. Each extension lengthens both limits.
    4. Running: due = the remaining days after the current segment's start. Stopped: the date
       it would be due if the clock resumed today, so a stopped review still shows a date.
    """
    anchor, used, stopped_days, extension = start, 0, 0, 0
    stopped_since: dt.date | None = None
    ran_out: dt.date | None = None  # the promise ran out before a stop
    statutory_ran_out: dt.date | None = None
    provisional = False
    for line in ledger:
        if line.kind == "stop" and stopped_since is None:
            span = calendar.count_working_days(anchor, line.on)
            provisional |= span.provisional
            for total, current in (
                (promised_days + extension, "p"),
                (statutory_days + extension, "s"),
            ):
                if used + span.working_days >= total:
                    end = calendar.add_working_days(anchor, max(total - used, 0)).end
                    if current == "p" and ran_out is None:
                        ran_out = end
                    elif current == "s" and statutory_ran_out is None:
                        statutory_ran_out = end
            used += span.working_days
            stopped_since = line.on
        elif line.kind == "resume" and stopped_since is not None:
            span = calendar.count_working_days(stopped_since, line.on)
            stopped_days += span.working_days
            anchor, stopped_since = line.on, None
        elif line.kind == "extend":
            extension += line.days
    running = stopped_since is None
    base = anchor if running else max(today, stopped_since)
    remaining = max(promised_days + extension - used, 0)
    due = calendar.add_working_days(base, remaining)
    statutory = calendar.add_working_days(base, max(statutory_days + extension - used, 0))
    return Deadline(
        deadline=ran_out or due.end,
        statutory_deadline=statutory_ran_out or statutory.end,
        running=running,
        used_days=used,
        remaining_days=remaining,
        stopped_days=stopped_days,
        extension_days=extension,
        promised_days=promised_days,
        start=start,
        provisional=provisional or due.provisional,
    )


def warning_reach(today: dt.date, calendar: WorkCalendar, margin: int | None = None) -> dt.date:
    """The last day a deadline may fall on and be "due soon" (yellow): the warning margin of
    `SWEEP_WARNING_WORKING_DAYS` working days after today. The queue, the dashboard and the
    sweep all ask here."""
    margin = settings.SWEEP_WARNING_WORKING_DAYS if margin is None else margin
    return calendar.add_working_days(today, margin).end


def notice_countdown(applications: Iterable, today: dt.date, calendar: WorkCalendar) -> None:
    """Art. 32's window for the one-time notice (5 working days from the submission, ending on
    `notice_due`) as every list and page shows it, set on each application:
    `notice_days_left`, the working days left with today counted (0 once it passed), and
    `notice_soon`, due within the warning margin (`warning_reach`, yellow)."""
    reach = warning_reach(today, calendar)
    for application in applications:
        due = application.notice_due
        application.notice_days_left = (
            calendar.count_working_days(today - dt.timedelta(days=1), due).working_days
            if due >= today
            else 0
        )
        application.notice_soon = today <= due <= reach


def light(
    *,
    state: str,
    deadline: dt.date,
    statutory_deadline: dt.date,
    today: dt.date,
    reach: dt.date,
) -> str:
    """A review's light as every list shows it: "stopped" while its clock is stopped, "law"
    once the statutory deadline passed, "red" once the promise passed, "yellow" within the
    warning margin, else "green" (the same lines as `models.overdue_q` and friends)."""
    from .models import DepartmentReview

    if state == DepartmentReview.State.SUSPENDED:
        return "stopped"
    if state not in DepartmentReview.RUNNING_STATES:
        return "done"
    if statutory_deadline < today:
        return "law"
    if deadline < today:
        return "red"
    if deadline <= reach:
        return "yellow"
    return "green"


# --- joint handling (Art. 42 para 2) ----------------------------------------------------------

# Several departments handling one application jointly have 45 working days in all; the
# government's head may extend that by 15.
JOINT_HANDLING_DAYS = 45
MAX_JOINT_EXTENSION_DAYS = 15


@dataclass(frozen=True)
class JointDeadline:
    deadline: dt.date
    start: dt.date
    extension_days: int
    stopped_days: int
    running: bool
    holidays: int
    adjusted_workdays: int
    provisional: bool

    def explain(self) -> str:
        parts = [
            _("%(count)d working days of joint handling from %(start)s")
            % {"count": JOINT_HANDLING_DAYS, "start": date_format(self.start, "DATE_FORMAT")}
        ]
        if self.extension_days:
            parts.append(
                ngettext(
                    "extended by %(count)d working day with the approval of the government's head",
                    "extended by %(count)d working days with the approval of the government's head",
                    self.extension_days,
                )
                % {"count": self.extension_days}
            )
        if self.stopped_days:
            parts.append(
                ngettext(
                    "%(count)d working day on which a review was stopped, not counted",
                    "%(count)d working days on which a review was stopped, not counted",
                    self.stopped_days,
                )
                % {"count": self.stopped_days}
            )
        if self.holidays:
            parts.append(
                ngettext(
                    "%(count)d holiday not counted",
                    "%(count)d holidays not counted",
                    self.holidays,
                )
                % {"count": self.holidays}
            )
        if self.adjusted_workdays:
            parts.append(
                ngettext(
                    "%(count)d adjusted working weekend day counted",
                    "%(count)d adjusted working weekend days counted",
                    self.adjusted_workdays,
                )
                % {"count": self.adjusted_workdays}
            )
        if not self.running:
            parts.append(_("a review is stopped: the date holds if its clock resumes today"))
        parts.append(_("due %(date)s") % {"date": date_format(self.deadline, "DATE_FORMAT")})
        if self.provisional:
            parts.append(_("provisional: the holidays of that year are not published yet"))
        return _("; ").join(parts) + _(".")


def stopped_intervals(ledger: Iterable[LedgerLine]) -> list[tuple[dt.date, dt.date | None]]:
    """The review's stopped time as (stopped on, resumed on) pairs, each meaning the days in
    (stopped, resumed]: the stop's own day counts as used, the resume's day does not (as in
    `compute`). A stop not resumed yet has None for its end."""
    result: list[tuple[dt.date, dt.date | None]] = []
    since: dt.date | None = None
    for line in ledger:
        if line.kind == "stop" and since is None:
            since = line.on
        elif line.kind == "resume" and since is not None:
            result.append((since, line.on))
            since = None
    if since is not None:
        result.append((since, None))
    return result


def _union(intervals: list[tuple[dt.date, dt.date | None]]) -> list[tuple[dt.date, dt.date | None]]:
    """Overlapping or touching (a, b] intervals joined; None is an open end."""
    merged: list[tuple[dt.date, dt.date | None]] = []
    for start, end in sorted(intervals, key=lambda pair: pair[0]):
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break  # open-ended: it covers everything after
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(end, last_end))
                continue
        merged.append((start, end))
    return merged


def compute_joint(
    *,
    start: dt.date,
    ledgers: Iterable[Iterable[LedgerLine]],
    extension_days: int,
    calendar: WorkCalendar,
    today: dt.date,
) -> JointDeadline:
    """The joint handling deadline of an application (Art. 42 para 2).

    1. The days on which at least one of its reviews was stopped are the union of the reviews'
       stop → resume intervals (Art. 45: that time does not count).
    2. Walk from the start of the reviews: each stopped run closes a running segment whose
       working days are used; if the 45 (plus the approved extension) run out inside a
       segment, that is the deadline, stopped time after it changes nothing.
    3. Still stopped: the date it would be due if every stopped review resumed today.
    """
    total = JOINT_HANDLING_DAYS + extension_days
    intervals = _union([pair for ledger in ledgers for pair in stopped_intervals(ledger)])
    anchor, remaining, stopped, running = start, total, 0, True
    provisional = False
    deadline: dt.date | None = None
    for stop_on, resume_on in intervals:
        stop_on = max(stop_on, anchor)
        span = calendar.count_working_days(anchor, stop_on)
        provisional |= span.provisional
        if span.working_days >= remaining:
            break
        remaining -= span.working_days
        if resume_on is None:
            running = False
            base = max(today, stop_on)
            stopped += calendar.count_working_days(stop_on, base).working_days
            anchor = base
            break
        stopped += calendar.count_working_days(stop_on, max(resume_on, stop_on)).working_days
        anchor = max(resume_on, stop_on)
    end = calendar.add_working_days(anchor, remaining)
    deadline = end.end
    # What the whole stretch crossed, for the explanation.
    whole = calendar.count_working_days(start, deadline)
    return JointDeadline(
        deadline=deadline,
        start=start,
        extension_days=extension_days,
        stopped_days=stopped,
        running=running,
        holidays=len(whole.holidays),
        adjusted_workdays=len(whole.adjusted_workdays),
        provisional=provisional or end.provisional or whole.provisional,
    )
