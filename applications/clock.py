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
