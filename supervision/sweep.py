"""The deadline sweep (DESIGN.md section 5): yellow and red cards for open reviews and
applications, in two set-based statements.

- red: the deadline has passed (deadlines are at the close of their day, so a review due
  today is red from tomorrow); yellow: due within the warning margin of working days;
- only reviews whose clock runs get cards: stopped (suspended) reviews get none while stopped,
  and an application gets none while one of its reviews is stopped; an application is judged
  on its due date (the promise moved by lawful extensions and stopped time);
- a card is written once per (review or application, level, deadline): the unique constraints
  and INSERT ... ON CONFLICT DO NOTHING make a second sweep, or two at once, write nothing
  new, while a deadline moved by an extension or a resumed clock earns a card of its own.

Its cost follows the cards it may write, not the open reviews. The sweep keeps a mark of where
it stopped (`SweepMark`: the day, and how far the warning reached); the next one reads only

- the deadlines that crossed a line since: due before today but not before the last sweep's
  day (red), due within the warning margin but beyond the last sweep's reach (yellow), read
  through the partial indexes on running reviews and applications under review;
- the clocks that changed since the last sweep (started, stopped, resumed, extended: the
  `ClockEvent` ledger, by its index on `at`), looking back `SWEEP_LOOKBACK_SECONDS` more so a
  change committed while the last sweep ran is not missed.

With no mark, a mark from a later time (a clock set back), or a changed margin, it reads
everything once (`full=True` forces that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from applications.models import Application, ClockEvent, DepartmentReview
from windows.workdays import WorkCalendar

from .models import Card, SweepMark

RUNNING = DepartmentReview.RUNNING_STATES
EVERYTHING = dt.date(1, 1, 1)


@dataclass(frozen=True)
class SweepResult:
    review_red: list[int]
    review_yellow: list[int]
    application_red: list[int]
    application_yellow: list[int]
    full: bool = False

    @property
    def written(self) -> int:
        return sum(
            map(
                len,
                (
                    self.review_red,
                    self.review_yellow,
                    self.application_red,
                    self.application_yellow,
                ),
            )
        )


def _insert(sql: str, params: dict) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _statements() -> tuple[str, str]:
    card, review, application, event = (
        Card._meta.db_table,
        DepartmentReview._meta.db_table,
        Application._meta.db_table,
        ClockEvent._meta.db_table,
    )
    running = ", ".join(f"%(state{i})s" for i in range(len(RUNNING)))
    level = "CASE WHEN due.deadline < %(today)s THEN %(red)s ELSE %(yellow)s END"
    # One statement for the reviews and one for the applications, each writing both levels:
    # the union of the rows whose deadline crossed the red line since the last sweep, those
    # that crossed the yellow line, and the rows whose clock changed since then (UNION ALL: a
    # row found twice is written once by ON CONFLICT DO NOTHING, without hashing every row to
    # drop it first); the outer WHERE lets SQLite parse ON CONFLICT after a SELECT. Table names
    # come from the models and every value goes as a parameter: nothing from a user.
    # The changed clocks are read first, by the ledger's index on `at`, and only then their
    # reviews and applications by primary key; the lines are checked after that (MATERIALIZED
    # keeps the planner to this order). Left to itself, PostgreSQL underestimates the running
    # reviews due within the margin and reads all of them to probe the ledger for each: a cost
    # that follows the open reviews, not what changed.
    review_sql = f"""
        WITH changed AS MATERIALIZED (
            SELECT DISTINCT r.application_id, r.id, r.deadline, r.state
              FROM {event} e JOIN {review} r ON r.id = e.review_id
             WHERE e.at > %(since)s)
        INSERT INTO {card} (application_id, review_id, level, deadline, issued_at)
        SELECT application_id, id, {level}, deadline, %(at)s FROM (
            SELECT r.application_id, r.id, r.deadline
              FROM {review} r
             WHERE r.state IN ({running}) AND r.deadline BETWEEN %(red_from)s AND %(yesterday)s
            UNION ALL
            SELECT r.application_id, r.id, r.deadline
              FROM {review} r
             WHERE r.state IN ({running}) AND r.deadline BETWEEN %(yellow_from)s AND %(until)s
            UNION ALL
            SELECT c.application_id, c.id, c.deadline
              FROM changed c
             WHERE c.state IN ({running}) AND c.deadline <= %(until)s
        ) AS due WHERE 1 = 1
        ON CONFLICT DO NOTHING
        RETURNING id, level"""  # noqa: S608
    application_sql = f"""
        WITH changed AS MATERIALIZED (
            SELECT DISTINCT a.id, a.due_date, a.state
              FROM {event} e
              JOIN {review} r ON r.id = e.review_id
              JOIN {application} a ON a.id = r.application_id
             WHERE e.at > %(since)s)
        INSERT INTO {card} (application_id, review_id, level, deadline, issued_at)
        SELECT id, NULL, {level}, deadline, %(at)s FROM (
            SELECT a.id, a.due_date AS deadline
              FROM {application} a
             WHERE a.state = %(in_review)s AND a.due_date BETWEEN %(red_from)s AND %(yesterday)s
            UNION ALL
            SELECT a.id, a.due_date
              FROM {application} a
             WHERE a.state = %(in_review)s AND a.due_date BETWEEN %(yellow_from)s AND %(until)s
            UNION ALL
            SELECT c.id, c.due_date
              FROM changed c
             WHERE c.state = %(in_review)s AND c.due_date <= %(until)s
        ) AS due
         WHERE NOT EXISTS (
            SELECT 1 FROM {review} s WHERE s.application_id = due.id AND s.state = %(stopped)s)
        ON CONFLICT DO NOTHING
        RETURNING id, level"""  # noqa: S608
    return review_sql, application_sql


def _split(rows: list[tuple[int, str]]) -> tuple[list[int], list[int]]:
    red = [pk for pk, level in rows if level == Card.Level.RED]
    return red, [pk for pk, level in rows if level != Card.Level.RED]


def sweep(*, now: dt.datetime, margin: int | None = None, full: bool = False) -> SweepResult:
    """Write the cards due at `now`; return the ids of the cards written."""
    margin = settings.SWEEP_WARNING_WORKING_DAYS if margin is None else margin
    today = timezone.localdate(now)
    until = WorkCalendar.load().add_working_days(today, margin).end
    ops = connection.ops
    date = ops.adapt_datefield_value
    review_sql, application_sql = _statements()
    with transaction.atomic():
        # The mark's row lock makes a second sweep wait for the first, then find little to do.
        mark = SweepMark.objects.select_for_update().first()
        full = full or mark is None or mark.swept_at > now or mark.margin != margin
        if full:
            red_from = yellow_from = EVERYTHING
            since = now
        else:
            # Red: due before today, not before the last sweep's day (what was due before that
            # was carded then). Yellow: due within the margin, beyond the last sweep's reach.
            red_from = mark.day
            yellow_from = mark.until + dt.timedelta(days=1)
            since = mark.swept_at - dt.timedelta(seconds=settings.SWEEP_LOOKBACK_SECONDS)
        params = {
            "at": ops.adapt_datetimefield_value(now),
            "since": ops.adapt_datetimefield_value(since),
            "today": date(today),
            "red_from": date(red_from),
            "yesterday": date(today - dt.timedelta(days=1)),
            "yellow_from": date(max(yellow_from, today)),
            "until": date(until),
            "red": Card.Level.RED,
            "yellow": Card.Level.YELLOW,
            "in_review": Application.State.IN_REVIEW,
            "stopped": DepartmentReview.State.SUSPENDED,
            **{f"state{i}": state for i, state in enumerate(RUNNING)},
        }
        review_red, review_yellow = _split(_insert(review_sql, params))
        application_red, application_yellow = _split(_insert(application_sql, params))
        result = SweepResult(
            review_red=review_red,
            review_yellow=review_yellow,
            application_red=application_red,
            application_yellow=application_yellow,
            full=full,
        )
        reached = {"swept_at": now, "day": today, "until": until, "margin": margin}
        if mark is None:
            SweepMark.objects.create(**reached)
        else:
            SweepMark.objects.filter(pk=mark.pk).update(**reached)
    return result
