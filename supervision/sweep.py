"""The deadline sweep (DESIGN.md section 5): yellow and red cards for open reviews and
applications, in four set-based statements.

- red: the deadline has passed (deadlines are at the close of their day, so a review due
  today is red from tomorrow); yellow: due within the warning margin of working days;
- only reviews whose clock runs get cards: stopped (suspended) reviews get none while stopped,
  and an application gets none while one of its reviews is stopped;
- a card is written once per (review or application, level, deadline): the unique constraints
  and INSERT ... ON CONFLICT DO NOTHING make a second sweep, or two at once, write nothing
  new, while a deadline moved by an extension or a resumed clock earns a card of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from applications.models import Application, DepartmentReview
from windows.workdays import WorkCalendar

from .models import Card

RUNNING = (
    DepartmentReview.State.QUEUED,
    DepartmentReview.State.IN_PROGRESS,
    DepartmentReview.State.AWAITING_COUNTERSIGN,
)


@dataclass(frozen=True)
class SweepResult:
    review_red: list[int]
    review_yellow: list[int]
    application_red: list[int]
    application_yellow: list[int]

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


def _insert(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def sweep(*, now: dt.datetime, margin: int | None = None) -> SweepResult:
    """Write the cards due at `now`; return the ids of the cards written."""
    margin = settings.SWEEP_WARNING_WORKING_DAYS if margin is None else margin
    today = timezone.localdate(now)
    soon = WorkCalendar.load().add_working_days(today, margin).end
    ops = connection.ops
    at, day, until = (
        ops.adapt_datetimefield_value(now),
        ops.adapt_datefield_value(today),
        ops.adapt_datefield_value(soon),
    )
    card, review, application = (
        Card._meta.db_table,
        DepartmentReview._meta.db_table,
        Application._meta.db_table,
    )
    running = ", ".join(["%s"] * len(RUNNING))
    # Table names come from the models and the values go as parameters: nothing from a user.
    review_sql = f"""
        INSERT INTO {card} (application_id, review_id, level, deadline, issued_at)
        SELECT r.application_id, r.id, %s, r.deadline, %s
          FROM {review} r
         WHERE r.state IN ({running}) AND {{window}}
        ON CONFLICT DO NOTHING
        RETURNING id"""  # noqa: S608
    application_sql = f"""
        INSERT INTO {card} (application_id, review_id, level, deadline, issued_at)
        SELECT a.id, NULL, %s, a.promised_date, %s
          FROM {application} a
         WHERE a.state = %s AND {{window}}
           AND NOT EXISTS (SELECT 1 FROM {review} s WHERE s.application_id = a.id AND s.state = %s)
        ON CONFLICT DO NOTHING
        RETURNING id"""  # noqa: S608
    in_review, stopped = Application.State.IN_REVIEW, DepartmentReview.State.SUSPENDED
    red, yellow = Card.Level.RED, Card.Level.YELLOW
    with transaction.atomic():
        return SweepResult(
            review_red=_insert(
                review_sql.format(window="r.deadline < %s"), [red, at, *RUNNING, day]
            ),
            review_yellow=_insert(
                review_sql.format(window="r.deadline BETWEEN %s AND %s"),
                [yellow, at, *RUNNING, day, until],
            ),
            application_red=_insert(
                application_sql.format(window="a.promised_date < %s"),
                [red, at, in_review, day, stopped],
            ),
            application_yellow=_insert(
                application_sql.format(window="a.promised_date BETWEEN %s AND %s"),
                [yellow, at, in_review, day, until, stopped],
            ),
        )
