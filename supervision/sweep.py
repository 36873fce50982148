"""The deadline sweep (DESIGN.md section 5): cards for every line a deadline may cross, in two
set-based statements (one for reviews, one for applications).

- the promise: red once the deadline has passed (deadlines are at the close of their day, so a
  review due today is red from tomorrow), yellow when due within the warning margin of working
  days (`clock.warning_reach`); applications are judged on their due date (the promise moved
  by lawful extensions and stopped time);
- the law: "beyond the law" once a running review's statutory deadline has passed; for an
  application handled by several departments, "near the legal limit" within the warning margin
  of its joint deadline (Art. 42 para 2: 45 working days and an approved extension) and "beyond
  the law" once it has passed;
- stops: a stopped review whose stop outlasts the time announced to the applicant (Art. 45);
- the way back: decided and not returned within `RETURN_WORKING_DAYS` (Art. 44), returned and
  not received within `RECEIVE_WORKING_DAYS`, ready and not handed over within
  `HANDOVER_WORKING_DAYS`;
- only running clocks are late: a stopped review gets no promise or law card while stopped
  (it is watched against its stop instead), and an application none while one of its reviews
  is stopped;
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
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from applications.clock import warning_reach
from applications.models import Application, ClockEvent, DepartmentReview
from windows.workdays import WorkCalendar

from .models import Card, SweepMark

RUNNING = DepartmentReview.RUNNING_STATES
EVERYTHING = dt.date(1, 1, 1)


@dataclass(frozen=True)
class SweepResult:
    """The ids of the cards written, by level, for reviews and for applications."""

    reviews: dict[str, list[int]] = field(default_factory=dict)
    applications: dict[str, list[int]] = field(default_factory=dict)
    full: bool = False

    @property
    def review_red(self) -> list[int]:
        return self.reviews.get(Card.Level.RED, [])

    @property
    def review_yellow(self) -> list[int]:
        return self.reviews.get(Card.Level.YELLOW, [])

    @property
    def application_red(self) -> list[int]:
        return self.applications.get(Card.Level.RED, [])

    @property
    def application_yellow(self) -> list[int]:
        return self.applications.get(Card.Level.YELLOW, [])

    @property
    def written(self) -> int:
        return sum(map(len, (*self.reviews.values(), *self.applications.values())))

    def summary(self) -> str:
        def line(found: dict[str, list[int]]) -> str:
            return ", ".join(f"{len(ids)} {level}" for level, ids in sorted(found.items())) or "0"

        return f"reviews: {line(self.reviews)}; applications: {line(self.applications)}"


def _insert(sql: str, params: dict) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pk, level in cursor.fetchall():
            found.setdefault(level, []).append(pk)
    return found


def _crossed(table: str, column: str, where: str, level: str) -> str:
    """A line crossed since the last sweep: due before today, not before the last sweep's day
    (what was due before that was carded then), read through the partial index on `column`."""
    return f"""
            SELECT t.{"application_id" if table == "r" else "id"} AS application_id,
                   {_review_id(table)} AS review_id, t.{column} AS deadline, {level} AS level
              FROM {{{table}}} t
             WHERE {where} AND t.{column} BETWEEN %(red_from)s AND %(yesterday)s"""  # noqa: S608


def _review_id(table: str) -> str:
    return "t.id" if table == "r" else "CAST(NULL AS BIGINT)"


def _statements() -> tuple[str, str]:
    tables = {
        "card": Card._meta.db_table,
        "r": DepartmentReview._meta.db_table,
        "a": Application._meta.db_table,
        "e": ClockEvent._meta.db_table,
    }
    running = "t.state IN ({})".format(", ".join(f"%(state{i})s" for i in range(len(RUNNING))))
    promise = "CASE WHEN t.deadline < %(today)s THEN %(red)s ELSE %(yellow)s END"
    # One statement for the reviews and one for the applications, each the union of every line
    # a deadline may cross: for each line, the rows whose date crossed it since the last sweep
    # (through a partial index on that date over the few rows in that state), and the rows
    # whose clock changed since then. UNION ALL: a row found twice is written once by ON
    # CONFLICT DO NOTHING, without hashing every row to drop it first; the outer WHERE lets
    # SQLite parse ON CONFLICT after a SELECT. Table names come from the models and every value
    # goes as a parameter: nothing from a user.
    # The changed clocks are read first, by the ledger's index on `at`, and only then their
    # reviews and applications by primary key (MATERIALIZED keeps the planner to this order).
    # Left to itself, PostgreSQL underestimates the running reviews due within the margin and
    # reads all of them to probe the ledger for each: a cost that follows the open reviews, not
    # what changed.
    # The way back (decided, returned, ready) is not on the clock ledger: its dates are set at
    # least a working day ahead when the step is taken, so the crossing reads see them.
    review_sql = f"""
        WITH changed AS MATERIALIZED (
            SELECT DISTINCT r.application_id, r.id, r.deadline, r.statutory_deadline,
                   r.stop_due, r.state
              FROM {{e}} e JOIN {{r}} r ON r.id = e.review_id
             WHERE e.at > %(since)s)
        INSERT INTO {{card}} (application_id, review_id, deadline, level, issued_at)
        SELECT application_id, review_id, deadline, level, %(at)s FROM (
            {_crossed("r", "deadline", running, "%(red)s")}
            UNION ALL
            SELECT t.application_id, t.id, t.deadline, %(yellow)s
              FROM {{r}} t
             WHERE {running} AND t.deadline BETWEEN %(yellow_from)s AND %(until)s
            UNION ALL
            SELECT t.application_id, t.id, t.deadline, {promise}
              FROM changed t
             WHERE {running} AND t.deadline <= %(until)s
            UNION ALL
            {_crossed("r", "statutory_deadline", running, "%(law)s")}
            UNION ALL
            SELECT t.application_id, t.id, t.statutory_deadline, %(law)s
              FROM changed t
             WHERE {running} AND t.statutory_deadline < %(today)s
            UNION ALL
            {_crossed("r", "stop_due", "t.state = %(suspended)s", "%(stop)s")}
            UNION ALL
            SELECT t.application_id, t.id, t.stop_due, %(stop)s
              FROM changed t
             WHERE t.state = %(suspended)s AND t.stop_due < %(today)s
            UNION ALL
            {_crossed("r", "return_due", "t.state = %(decided)s", "%(not_returned)s")}
            UNION ALL
            {_crossed("r", "receive_due", "t.state = %(returned)s", "%(not_received)s")}
        ) AS due WHERE 1 = 1
        ON CONFLICT DO NOTHING
        RETURNING id, level"""  # noqa: S608
    application_sql = f"""
        WITH changed AS MATERIALIZED (
            SELECT DISTINCT a.id, a.due_date, a.joint_deadline, a.state
              FROM {{e}} e
              JOIN {{r}} r ON r.id = e.review_id
              JOIN {{a}} a ON a.id = r.application_id
             WHERE e.at > %(since)s)
        INSERT INTO {{card}} (application_id, review_id, deadline, level, issued_at)
        SELECT application_id, review_id, deadline, level, %(at)s FROM (
            {_crossed("a", "due_date", "t.state = %(in_review)s", "%(red)s")}
            UNION ALL
            SELECT t.id, NULL, t.due_date, %(yellow)s
              FROM {{a}} t
             WHERE t.state = %(in_review)s AND t.due_date BETWEEN %(yellow_from)s AND %(until)s
            UNION ALL
            SELECT t.id, NULL, t.due_date,
                   CASE WHEN t.due_date < %(today)s THEN %(red)s ELSE %(yellow)s END
              FROM changed t
             WHERE t.state = %(in_review)s AND t.due_date <= %(until)s
            UNION ALL
            {_crossed("a", "joint_deadline", "t.state = %(in_review)s", "%(law)s")}
            UNION ALL
            SELECT t.id, NULL, t.joint_deadline, %(law_soon)s
              FROM {{a}} t
             WHERE t.state = %(in_review)s
               AND t.joint_deadline BETWEEN %(yellow_from)s AND %(until)s
            UNION ALL
            SELECT t.id, NULL, t.joint_deadline,
                   CASE WHEN t.joint_deadline < %(today)s THEN %(law)s ELSE %(law_soon)s END
              FROM changed t
             WHERE t.state = %(in_review)s AND t.joint_deadline <= %(until)s
            UNION ALL
            {_crossed("a", "handover_due", "t.state = %(ready)s", "%(not_delivered)s")}
        ) AS due
         WHERE NOT EXISTS (
            SELECT 1 FROM {{r}} s
             WHERE s.application_id = due.application_id AND s.state = %(suspended)s)
        ON CONFLICT DO NOTHING
        RETURNING id, level"""  # noqa: S608
    return review_sql.format(**tables), application_sql.format(**tables)


def sweep(*, now: dt.datetime, margin: int | None = None, full: bool = False) -> SweepResult:
    """Write the cards due at `now`; return the ids of the cards written."""
    margin = settings.SWEEP_WARNING_WORKING_DAYS if margin is None else margin
    today = timezone.localdate(now)
    until = warning_reach(today, WorkCalendar.load(), margin)
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
            **{level.value: level.value for level in Card.Level},
            "suspended": DepartmentReview.State.SUSPENDED,
            "decided": DepartmentReview.State.DECIDED,
            "returned": DepartmentReview.State.RETURNED,
            "ready": Application.State.READY,
            "at": ops.adapt_datetimefield_value(now),
            "since": ops.adapt_datetimefield_value(since),
            "today": date(today),
            "red_from": date(red_from),
            "yesterday": date(today - dt.timedelta(days=1)),
            "yellow_from": date(max(yellow_from, today)),
            "until": date(until),
            "in_review": Application.State.IN_REVIEW,
            **{f"state{i}": state for i, state in enumerate(RUNNING)},
        }
        result = SweepResult(
            reviews=_insert(review_sql, params),
            applications=_insert(application_sql, params),
            full=full,
        )
        reached = {"swept_at": now, "day": today, "until": until, "margin": margin}
        if mark is None:
            SweepMark.objects.create(**reached)
        else:
            SweepMark.objects.filter(pk=mark.pk).update(**reached)
    return result
