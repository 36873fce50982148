"""What the hall display shows, and the cheap fingerprint of it that its poll compares.

The display polls `hall:display_state` every second with `If-None-Match`. Most polls find
nothing changed: `fingerprint()` answers them with one small query. Only when it differs does
`state()` read the day's calls and the waiting counts (three queries).

The fingerprint is made of things that only grow during a day, so two changes between two polls
never cancel out: today's calls (their count and last id: a call whose transaction commits after
a later one still changes the count), today's tickets (a number taken or an appointment checked
in) and today's transfers (a ticket back in the queue). Every change of the waiting counts is one
of these. The day is in it too: at midnight the screen empties without a write.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from .models import Business, Call, Ticket

RECENT_CALLS = 8
# The JSON carries more calls than the screen shows, so that a display that missed a poll
# (a burst of calls in one second) still announces each.
CALLS_SENT = 20


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def fingerprint(now: dt.datetime) -> str:
    """The ETag of the display's state at `now`: one query."""
    day = timezone.localdate(now)
    call, ticket = Call._meta.db_table, Ticket._meta.db_table
    q = connection.ops.quote_name
    # Table and column names come from the models, the values go as parameters.
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {q(call)} WHERE {q('at')} >= %s),"  # noqa: S608
        f" (SELECT MAX({q('id')}) FROM {q(call)} WHERE {q('at')} >= %s),"
        f" (SELECT COUNT(*) FROM {q(ticket)} WHERE {q('day')} = %s),"
        f" (SELECT SUM({q('transfers')}) FROM {q(ticket)} WHERE {q('day')} = %s)"
    )
    # As the ORM would send them (SQLite stores datetimes as text in UTC).
    start = connection.ops.adapt_datetimefield_value(_day_start(day))
    on = connection.ops.adapt_datefield_value(day)
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, start, on, on])
        row = cursor.fetchone()
    raw = f"{day.isoformat()}:" + ":".join(str(v or 0) for v in row)
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:20] + '"'


def state(now: dt.datetime) -> dict:
    """The day's latest calls (newest first) and the waiting count of each business offered."""
    day = timezone.localdate(now)
    calls = (
        Call.objects.filter(at__gte=_day_start(day))
        .select_related("ticket", "window")
        .only("id", "at", "again", "ticket__number", "window__number", "window__name")
        .order_by("-id")[:CALLS_SENT]
    )
    counts = dict(
        Ticket.objects.waiting()
        .filter(day=day)
        .values_list("business")
        .annotate(n=Count("id"))
        .values_list("business", "n")
    )
    return {
        "day": day.isoformat(),
        "calls": [
            {
                "id": c.pk,
                "ticket": c.ticket.number,
                "window": c.window.number,
                "window_name": c.window.name,
                "again": c.again,
                "at": timezone.localtime(c.at).strftime("%H:%M"),
            }
            for c in calls
        ],
        "waiting": [
            {"letter": b.letter, "name": b.name, "count": counts.get(b.pk, 0)}
            for b in Business.objects.offered().only("letter", "name")
        ],
    }
