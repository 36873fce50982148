"""Cards for complaints not answered in time, judged as supervision judges reviews
(supervision/sweep.py), with its levels and the one warning margin (`clock.warning_reach`):

- red once the due date has passed (a complaint due today is red from tomorrow);
- yellow when it falls due within the warning margin of working days.

A card is written once per (complaint, level, due date): the unique constraint makes a second
sweep, or two at once, write nothing new. An answered complaint gets no card.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from applications.clock import warning_reach
from supervision.models import Card
from windows.workdays import WorkCalendar

from .models import Complaint, ComplaintCard


def level_of(due: dt.date, today: dt.date, reach: dt.date) -> str | None:
    """The card an unanswered complaint due on `due` earns today, if any: the one definition
    the sweep, the list and the page use."""
    if due < today:
        return Card.Level.RED
    if due <= reach:
        return Card.Level.YELLOW
    return None


def sweep_complaints(*, now: dt.datetime, margin: int | None = None) -> list[int]:
    """Write the cards due at `now`; return the ids of the cards written."""
    today = timezone.localdate(now)
    reach = warning_reach(today, WorkCalendar.load(), margin)
    due = Complaint.objects.filter(replied_at__isnull=True, due__lte=reach).values_list("pk", "due")
    cards = [
        ComplaintCard(
            complaint_id=pk, level=level_of(day, today, reach), deadline=day, issued_at=now
        )
        for pk, day in due
    ]
    before = set(ComplaintCard.objects.filter(issued_at=now).values_list("pk", flat=True))
    ComplaintCard.objects.bulk_create(cards, ignore_conflicts=True)
    return sorted(
        set(ComplaintCard.objects.filter(issued_at=now).values_list("pk", flat=True)) - before
    )
