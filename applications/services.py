"""Every state change of an application or a review: one function each, one transaction each.

Each function locks the row it changes (`select_for_update`), checks the state it expects and
raises `TransitionError` with a message for the user when the state has moved on, so two clicks
on the same button, or two officers on the same review, give exactly one outcome. When an
application and its reviews are both locked, the application is locked first.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Subquery
from django.db.models.sql import InsertQuery, UpdateQuery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from approval_center import clamd, hooks, prepared
from approval_center.prepared import Prepared, unconditioned
from windows import authority
from windows.models import (
    AuthorizationLetter,
    Item,
    ItemMaterial,
    Seal,
    Staff,
    StationedDeputy,
    Window,
)
from windows.roles import WINDOW_ROLES, Role
from windows.workdays import Span, WorkCalendar

from . import clock, notifications, projects, validators
from .models import (
    Applicant,
    Application,
    ApplicationMaterial,
    ClockEvent,
    Counter,
    DepartmentReview,
    Document,
    ExtensionRequest,
    PrerequisiteOverride,
    Project,
    Scan,
    SigningStep,
)

# Art. 32: the applicant must be told everything missing within 5 working days of receipt.
NOTICE_WORKING_DAYS = 5
# Art. 42 para 1: a review may be extended by 10 working days in all (para 2, joint handling:
# clock.JOINT_HANDLING_DAYS and clock.MAX_JOINT_EXTENSION_DAYS).
MAX_EXTENSION_DAYS = 10
# Official document numbers are printed in Chinese whatever the reader's language.
DOCUMENT_PREFIX = {
    Document.Kind.COMMITMENT_SLIP: "临审承",
    Document.Kind.MISSING_MATERIALS: "临审告",
    Document.Kind.NOT_ACCEPTED: "临审不受",
    Document.Kind.STOPPED_TIME: "临审停",
    Document.Kind.SUPPLEMENTS: "临审补",
    Document.Kind.EXTENSION: "临审延",
}
# The longest stop a window may announce at once (Art. 45 asks for the time needed, in writing).
MAX_STOP_DAYS = 120
ACCESS_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class TransitionError(Exception):
    """The change cannot be made; the message says why, in the user's language."""


def _save(
    obj, fields: list[str], by: Staff | None, reason: str = "", at: dt.datetime | None = None
) -> None:
    """Save the changed fields; the history row records who, why, and when it happened (the
    operation's clock, read once by the caller)."""
    if _save_in_one_statement(obj, fields, by, reason[:100], at):
        return
    obj._history_user = by
    if at is not None:
        obj._history_date = at
    if reason:
        obj._change_reason = reason[:100]
    obj.save(update_fields=fields)


_HISTORY_OWN = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}
# Saved at every step of the core loop: the review (claim, decide, return, receive, stop, ...),
# the application (accept, ready, deliver, ...); and what other apps add (`save_in_one_statement`).
_ONE_STATEMENT_MODELS = {DepartmentReview, Application}


def save_in_one_statement(model) -> None:
    """Let `save_with_history` save this model's changes and their history row in one
    statement on PostgreSQL (see `_with_history` for what such a model must be)."""
    _ONE_STATEMENT_MODELS.add(model)


def save_with_history(
    obj, fields: list[str], by: Staff | None, reason: str = "", at: dt.datetime | None = None
) -> None:
    """`_save` for the apps built on this one: the changed fields with their history row."""
    _save(obj, fields, by, reason, at)


def insert_with_history(obj, by: Staff | None, reason: str = "", at: dt.datetime | None = None):
    """Write a new row with its history row (`+`), as `obj.save()` does with simple-history: on
    PostgreSQL in one statement for a model of `save_in_one_statement` (the INSERT as Django
    compiles it, the history row made from the row it returns)."""
    model = type(obj)
    if not _one_statement(model) or obj._is_pk_set():
        obj._history_user, obj._history_date = by, at or timezone.now()
        if reason:
            obj._change_reason = reason
        obj.save(force_insert=True)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    ((insert_sql, insert_params),) = query.get_compiler(connection=connection).as_sql()
    sql, params = _with_history(model, insert_sql, list(insert_params), by, reason[:100], at, "+")
    sql += f", (SELECT {connection.ops.quote_name(meta.pk.column)} FROM changed)"  # noqa: S608
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        _count, obj.pk = cursor.fetchone()
    obj._state.adding, obj._state.db = False, connection.alias


def change_with_history(
    rows: QuerySet,
    changes: dict[str, object],
    by: Staff | None,
    *,
    at: dt.datetime,
    reason: str = "",
) -> int:
    """Make `changes` to every row of `rows`, each with its history row; how many. On
    PostgreSQL, for a model of `save_in_one_statement`, one statement (the UPDATE's WHERE is
    `rows`' conditions, checked again under each row's lock); elsewhere each row is locked,
    changed and saved as `_save` does."""
    model = rows.model
    if not _one_statement(model):
        changed = 0
        for row in rows.select_for_update(of=("self",)).order_by("pk"):
            for name, value in changes.items():
                setattr(row, name, value)
            _save(row, list(changes), by, reason, at)
            changed += 1
        return changed
    update_sql, update_params = _update_of(rows, changes)
    sql, params = _with_history(model, update_sql, update_params, by, reason[:100], at)
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchone()[0]


def insert_and_change_with_history(
    obj,
    rows: QuerySet,
    changes: dict[str, object],
    by: Staff | None,
    *,
    at: dt.datetime,
    reason: str = "",
) -> int:
    """`insert_with_history(obj)` and `change_with_history(rows, changes)`, the new row never
    among the changed; how many rows changed. On PostgreSQL, for a model of
    `save_in_one_statement` whose new row's key the caller took beforehand (`obj.pk`), one
    statement: the change sees the table as it was before the statement."""
    model = type(obj)
    if not _one_statement(model) or rows.model is not model or not obj._is_pk_set():
        insert_with_history(obj, by, reason, at)
        return change_with_history(rows.exclude(pk=obj.pk), changes, by, at=at, reason=reason)
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    ((insert_sql, insert_params),) = query.get_compiler(connection=connection).as_sql()
    update_sql, update_params = _update_of(rows, changes)
    head, tail = _history_statement(model)
    head_2, tail_2 = _history_statement(model, "_2")
    inserted = f"changed AS ({insert_sql} {head}{tail}"
    updated = f"changed_2 AS ({update_sql} {head_2}{tail_2}"
    sql = f"WITH {inserted}, {updated} SELECT (SELECT count(*) FROM logged_2)"  # noqa: S608
    params = [
        *insert_params,
        *_history_who(by, reason[:100], at, "+"),
        *update_params,
        *_history_who(by, reason[:100], at, "~"),
    ]
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        changed = cursor.fetchone()[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return changed


def _update_of(rows: QuerySet, changes: dict[str, object]) -> tuple[str, list]:
    """The UPDATE of `rows` making `changes`, as Django compiles it."""
    update = rows.query.chain(UpdateQuery)
    update.add_update_values(changes)
    sql, params = update.get_compiler(rows.db).as_sql()
    return sql, list(params)


def _one_statement(model) -> bool:
    return connection.vendor == "postgresql" and model in _ONE_STATEMENT_MODELS


def _with_history(
    model,
    update_sql: str,
    params: list,
    by: Staff | None,
    reason: str,
    at: dt.datetime | None,
    kind: str = "~",
) -> tuple[str, list]:
    """An UPDATE of `model` made one statement with its history, as simple-history writes it
    from the saved object (the same who, when and why): a data-modifying CTE whose history row
    is made from the row as the UPDATE returns it, and the rows of each tracked many-to-many
    field from its table as it stands. The statement's SELECT begins with the number of rows
    changed; the caller may add to it. For a model whose history is that alone: nothing else
    listens to its saves (no signal receivers in this project). `kind`: the history row's type,
    `~` for a change, `+` for an INSERT given in place of the UPDATE."""
    head, tail = _history_statement(model)
    params = [*params, *_history_who(by, reason, at, kind)]
    updated = f"changed AS ({update_sql} {head}{tail}"
    return f"WITH {updated} SELECT (SELECT count(*) FROM logged)", params  # noqa: S608


def _history_who(by: Staff | None, reason: str, at: dt.datetime | None, kind: str) -> list:
    """The parameters of `_history_statement`'s history row: when, why, what, who."""
    return [at or timezone.now(), reason or None, kind, by.pk if by else None]


@functools.cache
def _history_statement(model, suffix: str = "") -> tuple[str, str]:
    """`_with_history`'s statement around the UPDATE, made once per model (simple-history's
    `model.history` builds a manager class at every read): what follows the UPDATE in its CTE
    `changed<suffix>`, and the CTEs after it (`logged<suffix>`, the many-to-many rows). Its
    parameters: `_history_who`'s."""
    changed, logged = f"changed{suffix}", f"logged{suffix}"
    meta, history = model._meta, model.history.model._meta
    quote = connection.ops.quote_name
    listed = ", ".join(
        quote(field.column) for field in history.concrete_fields if field.name not in _HISTORY_OWN
    )
    key = quote(meta.pk.column)
    head = (
        f"RETURNING {listed}),"  # noqa: S608
        f" {logged} AS (INSERT INTO {quote(history.db_table)} ({listed}, history_date,"
        " history_change_reason, history_type, history_user_id)"
        f" SELECT {listed}, %s, %s, %s, %s FROM {changed} RETURNING history_id, {key})"
    )
    tail = ""
    for i, field in enumerate(model.history.model._history_m2m_fields):
        through = field.remote_field.through._meta
        rows = next(  # the field's history table, as simple-history names it
            rel.related_model._meta
            for rel in history.related_objects
            if rel.related_model._meta.object_name == f"{history.object_name}_{field.name}"
        )
        owner = quote(field.m2m_column_name())
        columns = ", ".join(quote(column.column) for column in through.concrete_fields)
        picked = ", ".join(f"t.{quote(column.column)}" for column in through.concrete_fields)
        tail += (
            f", m2m_{i}{suffix} AS (INSERT INTO {quote(rows.db_table)} ({columns}, history_id)"  # noqa: S608
            f" SELECT {picked}, {logged}.history_id FROM {quote(through.db_table)} t"
            f" JOIN {logged} ON t.{owner} = {logged}.{key})"
        )
    return head, tail


def _save_in_one_statement(obj, fields, by, reason, at) -> bool:
    """On PostgreSQL, the UPDATE and its history in one statement (`_with_history`); False
    where it does not apply, and the caller saves as Django does."""
    model = type(obj)
    if not _one_statement(model):
        return False
    meta = model._meta
    quote = connection.ops.quote_name
    updated = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in updated)
    values = [field.get_db_prep_save(field.pre_save(obj, False), connection) for field in updated]
    sql, params = _with_history(
        model,
        f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608
        [*values, obj.pk],
        by,
        reason,
        at,
    )
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        if cursor.fetchone()[0] != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")
    return True


def _change_one(
    rows: QuerySet,
    changes: dict[str, object],
    by: Staff | None,
    *,
    at: dt.datetime,
    reason: str = "",
    count: QuerySet | None = None,
) -> tuple[bool, int | None]:
    """Make `changes` to the one row of `rows` (a queryset naming it by its key, with the
    conditions under which the change is allowed: who may act on it, its state), with its
    history; and count the rows of `count`, read once the row is changed (for a caller holding
    the lock that orders such changes). Returns (whether the row was changed, the count or
    None); when no row meets the conditions nothing is changed.

    On PostgreSQL, one statement (`_with_history`): the UPDATE's WHERE carries the conditions
    (a row changed at the same moment is checked again under its lock), the count reads the
    others beside it. Elsewhere: the row is read, changed and saved as `_save` does, then
    counted."""
    model = rows.model
    if not _one_statement(model):
        row = rows.select_for_update(of=("self",)).first()
        if row is None:
            return False, None
        for name, value in changes.items():
            setattr(row, name, value)
        _save(row, list(changes), by, reason, at)
        return True, (count.count() if count is not None else None)
    update_sql, update_params = _update_of(rows, changes)
    sql, params = _with_history(model, update_sql, update_params, by, reason[:100], at)
    if count is not None:
        count_sql, count_params = count.values("pk").query.sql_with_params()
        sql += f", (SELECT count(*) FROM ({count_sql}) AS counted)"  # noqa: S608
        params += count_params
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        changed, *counted = cursor.fetchone()
    if changed > 1:  # `rows` names one row by its key: not expected
        raise DatabaseError("A change meant for one row changed several.")
    return changed == 1, (counted[0] if counted else None)


def next_number(series: str, year: int) -> int:
    """The next number of a series in a year: unique and gapless. Call inside a transaction.

    One UPDATE ... RETURNING takes the number: it locks the counter's row until the
    transaction ends, so a concurrent caller waits and then gets the next one. The year's
    first number creates the row first (the unique constraint settles a race to create it)."""
    return next_number_reading(series, year)[0]


def next_number_reading(series: str, year: int, reading: str = "", params=()) -> tuple:
    """`next_number`, and the values of `reading` (SQL expressions after RETURNING's, with
    `params`: scalar subqueries, a sequence's next value) read in its statement."""
    with connection.cursor() as cursor:
        prepared.execute(
            cursor,
            f"UPDATE {Counter._meta.db_table} SET last = last + 1"  # noqa: S608
            f" WHERE series = %s AND year = %s RETURNING last{', ' + reading if reading else ''}",
            [series, year, *params],
        )
        row = cursor.fetchone()
    if row is not None:
        return tuple(row)
    Counter.objects.get_or_create(series=series, year=year)
    return next_number_reading(series, year, reading, params)


# --- intake -------------------------------------------------------------------------------


def application_create(
    *,
    applicant: Applicant,
    project: Project | None,
    items: Iterable[Item],
    by: Staff | None,
    now: dt.datetime,
    channel: str = Application.Channel.COUNTER,
    reason: str = "",
) -> Application:
    """Register the materials handed in: a draft with its checklist, and the Art. 32 clock.

    At the counter `by` is the clerk. Filed online (`channel`), no one of the staff received
    it: `by` is None and `reason` says who did (the applicant's masked mobile); the moment of
    the submission is the receipt from which Art. 32 counts (portal/filing.py)."""
    items = list(items)
    if not items:
        raise TransitionError(_("Choose at least one item."))
    if (by is None) != (channel == Application.Channel.ONLINE):
        raise ValueError("An application at the counter has a clerk; one filed online none.")
    calendar = WorkCalendar.load()
    with transaction.atomic():
        application = Application(
            applicant=applicant,
            project=project,
            received_at=now,
            submitted_at=now,
            received_by=by,
            channel=channel,
            notice_due=calendar.add_working_days(timezone.localdate(now), NOTICE_WORKING_DAYS).end,
        )
        application._history_user = by
        application._history_date = now
        if reason:
            application._change_reason = reason[:100]
        application.save()
        application.items.set(items)
        _sync_checklist(application, by=by, at=now)
        case_event(application.pk, "received", now)
    return application


def application_set_items(*, application: Application, items: Iterable[Item], by: Staff) -> None:
    items = list(items)
    if not items:
        raise TransitionError(_("Choose at least one item."))
    with transaction.atomic():
        application = _lock_application(
            application, Application.State.DRAFT, Application.State.AWAITING_MATERIALS
        )
        now = timezone.now()
        application._history_user = by
        application._history_date = now
        application.items.set(items)
        _sync_checklist(application, by=by, at=now)


def _sync_checklist(application: Application, *, by: Staff | None, at: dt.datetime) -> None:
    """One line per material any chosen item requires (shared materials once); each line added
    or removed writes its history row with who and when, like every other change."""
    needed = set(
        ItemMaterial.objects.filter(item__in=application.items.all()).values_list(
            "material_id", flat=True
        )
    )
    have = set(application.materials.values_list("material_id", flat=True))
    for line in application.materials.filter(material_id__in=have - needed):
        line._history_user, line._history_date = by, at
        line.delete()
    bulk_create_with_history(
        [
            ApplicationMaterial(application=application, material_id=m)
            for m in sorted(needed - have)
        ],
        ApplicationMaterial,
        default_user=by,
        default_date=at,
    )
    if needed - have:  # a material a licence provides is filled by it (licences/)
        hooks.collect("checklist_lines_added", application, sorted(needed - have), by, at)


def checklist_update(
    *, application: Application, lines: dict[int, dict], by: Staff, now: dt.datetime
) -> None:
    """Record what the clerk checked: {line id: {status, copies, promised_by, note}}. The lines
    that changed are written in one UPDATE and their history rows in one INSERT."""
    with transaction.atomic():
        application = _lock_application(application, *ACCEPTABLE)
        _checklist_save(application, lines, by=by, now=now)


# The states in which the checklist is kept and the application may be accepted.
ACCEPTABLE = (Application.State.DRAFT, Application.State.AWAITING_MATERIALS)


def _checklist_save(
    application: Application, lines: dict[int, dict], *, by: Staff, now: dt.datetime
) -> None:
    """`checklist_update`'s writes, for a caller holding the application's lock."""
    changed_lines, fields = [], set()
    for line in application.materials.select_for_update().filter(id__in=lines):
        values = lines[line.pk]
        changed = [k for k, v in values.items() if getattr(line, k) != v]
        for key in changed:
            setattr(line, key, values[key])
        if "status" in changed and line.status == ApplicationMaterial.Status.RECEIVED:
            line.supplied_at = now
            changed.append("supplied_at")
        if changed:
            changed_lines.append(line)
            fields.update(changed)
    if changed_lines:
        bulk_update_with_history(
            changed_lines,
            ApplicationMaterial,
            sorted(fields),
            default_user=by,
            default_date=now,
        )


def _lock_application(application: Application, *states: str) -> Application:
    # The applicant and project come along (messages name them); only the application is locked.
    locked = _APPLICATION_LOCK.get(pk=application.pk)
    _refuse_unless_application(locked, states)
    return locked


def _refuse_unless_application(application: Application, states: tuple[str, ...]) -> None:
    if states and application.state not in states:
        raise TransitionError(
            _("This application is now “%(state)s”; the page you acted on was out of date.")
            % {"state": application.get_state_display()}
        )


def _follow_problems(application: Application, lines, latest_allowed: dt.date) -> list[str]:
    """Why the lines marked to follow cannot be accepted with gaps, if they cannot."""
    problems = []
    allowed = {
        (req.material_id)
        for req in ItemMaterial.objects.filter(item__in=application.items.all(), may_follow=True)
    }
    forbidden = {
        req.material_id
        for req in ItemMaterial.objects.filter(item__in=application.items.all(), may_follow=False)
    }
    for line in lines:
        if line.status != ApplicationMaterial.Status.TO_FOLLOW:
            continue
        if line.material_id not in allowed or line.material_id in forbidden:
            problems.append(
                _("“%(material)s” may not follow later: an item requires it at intake.")
                % {"material": line.material}
            )
        elif line.promised_by is None:
            problems.append(
                _("Enter the date by which the applicant promises “%(material)s”.")
                % {"material": line.material}
            )
        elif line.promised_by > latest_allowed:
            problems.append(
                _(
                    "“%(material)s” must be promised within the time limit, "
                    "by %(date)s at the latest."
                )
                % {"material": line.material, "date": latest_allowed}
            )
    return problems


def application_accept(*, application: Application, by: Staff, now: dt.datetime) -> Application:
    """Accept (受理): see `_accept`, after the application's lock."""
    with transaction.atomic():
        return _accept(_lock_application(application, *ACCEPTABLE), by=by, now=now)


def _accept(application: Application, *, by: Staff, now: dt.datetime) -> Application:
    """Accept (受理): receipt number, access code, one review per item, the commitment slip.

    1. With the application locked (the caller holds it), every checklist line must be
       received, not needed, or promised (容缺) for a material that may follow, by a date
       inside the time limit.
    2. Take the next receipt number of the year and an access code.
    3. Fan out: one review per item at the item's window, each with its deadline from the
       promised working days and the calendar; the promise of the application is the latest.
    4. Issue the commitment slip.
    """
    calendar = WorkCalendar.load()
    today = timezone.localdate(now)
    lines = list(application.materials.select_related("material"))
    items = list(
        projects.with_prerequisite_flag(application.items.select_related("department", "window"))
    )
    missing = [line for line in lines if line.status == ApplicationMaterial.Status.MISSING]
    # Art. 32: not told in time what is missing, the applicant counts as accepted from the
    # day the materials were received; what is missing is asked for during the review.
    deemed = application.notice_lapsed(today)
    if deemed:
        today = application.submission_received_on
    if missing and not deemed:
        raise TransitionError(
            _(
                "Materials are missing: %(list)s. Mark them received, or to follow where an "
                "item allows it, or issue the one-time notice."
            )
            % {"list": "、".join(str(line.material) for line in missing)}
        )
    if any(line.status == ApplicationMaterial.Status.TO_FOLLOW for line in lines):
        shortest = min(item.promised_days for item in items)
        problems = _follow_problems(
            application, lines, calendar.add_working_days(today, shortest).end
        )
        if problems:
            raise TransitionError(" ".join(problems))
    # 前置: the project must hold a valid approval of each prerequisite (projects.py), or a
    # center manager must have recorded an override for it on this application.
    unheld = [p for p in projects.application_prerequisites(application, items) if p.missing]
    if unheld:
        raise TransitionError(
            _(
                "Prerequisites are missing: %(list)s. The project must hold these approvals "
                "first, or a center manager may record an override."
            )
            % {"list": projects.missing_text(unheld)}
        )

    year = timezone.localdate(now).year
    application.receipt_number = f"{year}{next_number('receipt', year):06d}"
    application.access_code = "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(8))
    application.accepted_at, application.accepted_by = now, by
    application.deemed_accepted = deemed
    application.with_gaps = any(
        line.status == ApplicationMaterial.Status.TO_FOLLOW for line in lines
    )
    reviews = []
    for item in items:
        due = clock.compute(
            start=today,
            promised_days=item.promised_days,
            statutory_days=item.statutory_days,
            ledger=[],
            calendar=calendar,
            today=today,
        )
        reviews.append(
            DepartmentReview(
                application=application,
                item=item,
                department=item.department,
                window=item.window,
                started_on=today,
                promised_days=item.promised_days,
                statutory_days=item.statutory_days,
                deadline=due.deadline,
                deadline_provisional=due.provisional,
                statutory_deadline=due.statutory_deadline,
            )
        )
    # One INSERT for the reviews, one for their history rows, one for their clocks.
    bulk_create_with_history(reviews, DepartmentReview, default_user=by, default_date=now)
    ClockEvent.objects.bulk_create(
        ClockEvent(review=review, kind=ClockEvent.Kind.START, at=now, on=today, by=by)
        for review in reviews
    )
    latest = max(reviews, key=lambda r: (r.deadline, r.promised_days))
    application.promised_date = application.due_date = latest.deadline
    application.promised_provisional = any(r.deadline_provisional for r in reviews)
    # The record of what the clerk was shown, in the clerk's language; pages say it again
    # in the reader's (promise_explained).
    application.promised_reason = promised_reason(
        Promise(latest, calendar.add_working_days(latest.started_on, latest.promised_days)),
        deemed_from=today if deemed else None,
    )
    application.state = Application.State.IN_REVIEW
    application_store_joint_deadline(
        application=application,
        by=by,
        now=now,
        calendar=calendar,
        reviews=reviews,
        save=False,
        new=True,
    )
    _save(
        application,
        [
            "receipt_number",
            "access_code",
            "accepted_at",
            "accepted_by",
            "deemed_accepted",
            "with_gaps",
            "promised_date",
            "due_date",
            "promised_provisional",
            "promised_reason",
            "state",
            "joint_deadline",
        ],
        by,
        _("Accepted as of receipt (Art. 32)") if deemed else "",
        at=now,
    )
    # Kept for the page's message, which opens it for printing.
    application.commitment_slip = _issue(
        Document.Kind.COMMITMENT_SLIP,
        application_id=application.pk,
        by=by,
        now=now,
        number=f"{DOCUMENT_PREFIX[Document.Kind.COMMITMENT_SLIP]}〔{year}〕"
        f"{application.receipt_number[4:]}号",
        application=application,
        reviews=reviews,
        lines=lines,
        write=False,  # with the applicant's message, in one statement
    )
    notifications.applicant_event(
        application,
        notifications.Event.ACCEPTED,
        reviews=reviews,
        at=now,
        together=application.commitment_slip,
    )
    case_event(application.pk, "accepted", now)
    return application


def application_accept_with_checklist(
    *, application: Application, lines: dict[int, dict], by: Staff, now: dt.datetime
) -> Application:
    """Accept with the checklist as the clerk set it on the page, in one transaction: the
    lines are saved and the application accepted, or, when acceptance is refused, neither
    (the page then shows the clerk's lines as they were set)."""
    with transaction.atomic():
        application = _lock_application(application, *ACCEPTABLE)
        _checklist_save(application, lines, by=by, now=now)
        return _accept(application, by=by, now=now)


def prerequisite_override(
    *,
    application: Application,
    prerequisite: Item,
    reason: str,
    by: Staff,
    now: dt.datetime,
) -> PrerequisiteOverride:
    """A center manager lets the application be accepted without a valid approval of one
    missing prerequisite (前置), with the reason; recorded with who and when. Refused for
    anyone else, for an application no longer before acceptance, for an item that is not a
    missing prerequisite of the application's items, and without a reason."""
    if not by.has_role(Role.CENTER_MANAGER):
        raise TransitionError(_("Only a center manager may override a missing prerequisite."))
    reason = reason.strip()
    if not reason:
        raise TransitionError(_("Give the reason for the override."))
    with transaction.atomic():
        application = _lock_application(application, *ACCEPTABLE)
        lines = projects.application_prerequisites(application)
        if not any(p.prerequisite.pk == prerequisite.pk and p.missing for p in lines):
            raise TransitionError(
                _("“%(item)s” is not a missing prerequisite of this application.")
                % {"item": prerequisite.name}
            )
        override = PrerequisiteOverride(
            application=application, prerequisite=prerequisite, reason=reason, by=by, at=now
        )
        override._history_user, override._history_date = by, now
        override._change_reason = reason[:100]
        override.save()
    return override


@dataclass(frozen=True)
class Promise:
    """Why an application's promised date is what it is: the review whose promised working days
    end last, and those working days on the calendar."""

    review: DepartmentReview
    span: Span


def promise_of(
    application: Application, reviews: list[DepartmentReview], calendar: WorkCalendar
) -> Promise | None:
    """The promise as application_accept made it (the latest end of the items' promised working
    days, the first review of the most days on a tie), found again from the reviews and the
    calendar as it is now; None when the calendar no longer gives the promised date (an
    administrator edited it since) or nothing was promised."""
    if application.promised_date is None:
        return None
    for review in sorted(reviews, key=lambda r: (-r.promised_days, r.pk)):
        span = calendar.add_working_days(review.started_on, review.promised_days)
        if span.end == application.promised_date:
            return Promise(review, span)
    return None


def promised_reason(promise: Promise, *, deemed_from: dt.date | None = None) -> str:
    """The promise in one sentence, in the active language."""
    text = _("%(item)s (%(department)s) takes longest: %(explanation)s") % {
        "item": promise.review.item.name,
        "department": promise.review.department.short_name,
        "explanation": promise.span.explain(),
    }
    if deemed_from is not None:
        text = (
            _(
                "Counted from the day the materials were received, %(date)s: the one-time "
                "notice was not given within 5 working days (Art. 32). "
            )
            % {"date": date_format(deemed_from, "DATE_FORMAT")}
            + text
        )
    return text


def promise_explained(application: Application, calendar: WorkCalendar) -> str:
    """Why the promised date is what it is, in the reader's language, said again from the
    reviews and the calendar; the text stored at acceptance (in the clerk's language) when the
    calendar no longer gives the date."""
    reviews = list(application.reviews.select_related("item", "department"))
    promise = promise_of(application, reviews, calendar)
    if promise is None:
        return application.promised_reason
    deemed_from = application.submission_received_on if application.deemed_accepted else None
    return promised_reason(promise, deemed_from=deemed_from)


def joint_deadline_of(
    application: Application,
    *,
    calendar: WorkCalendar,
    today: dt.date,
    reviews: list[DepartmentReview] | None = None,
    new: bool = False,
) -> clock.JointDeadline | None:
    """The joint handling deadline (Art. 42 para 2) as the clock derives it from the reviews'
    ledgers, or None when the application is not handled by two or more departments. `new`:
    the reviews were just started (at acceptance): their ledgers hold no stop yet."""
    if reviews is None:
        reviews = list(application.reviews.only("id", "department_id", "started_on"))
    if len({review.department_id for review in reviews}) < 2:
        return None
    ledgers: dict[int, list[ClockEvent]] = {review.pk: [] for review in reviews}
    if not new:
        events = ClockEvent.objects.filter(
            review_id__in=list(ledgers), kind__in=[ClockEvent.Kind.STOP, ClockEvent.Kind.RESUME]
        ).order_by("at", "id")
        for event in events.only("review_id", "kind", "on"):
            ledgers[event.review_id].append(event)
    return clock.compute_joint(
        start=min(review.started_on for review in reviews),
        ledgers=ledgers.values(),
        extension_days=application.joint_extension_days,
        calendar=calendar,
        today=today,
    )


def application_store_joint_deadline(
    *,
    application: Application,
    by: Staff,
    now: dt.datetime,
    calendar: WorkCalendar | None = None,
    reviews: list[DepartmentReview] | None = None,
    reason: str = "",
    save: bool = True,
    new: bool = False,
) -> bool:
    """Store the joint handling deadline: the one place it is written. Called, with the
    application locked, at acceptance, when one of its reviews stops or resumes, and when a joint
    extension is approved. Returns whether it changed; `save=False` leaves saving to the caller
    (acceptance saves the application once)."""
    joint = joint_deadline_of(
        application,
        calendar=calendar or WorkCalendar.load(),
        today=timezone.localdate(now),
        reviews=reviews,
        new=new,
    )
    value = joint.deadline if joint is not None else None
    if value == application.joint_deadline:
        return False
    application.joint_deadline = value
    if save:
        _save(application, ["joint_deadline"], by, reason, at=now)
    return True


def application_notify_missing(
    *, application: Application, by: Staff, now: dt.datetime, note: str = ""
) -> Document:
    """The one-time notice (一次性告知单): everything missing, at once, once per submission,
    within 5 working days of its receipt (Art. 32)."""
    with transaction.atomic():
        application = _lock_application(
            application, Application.State.DRAFT, Application.State.AWAITING_MATERIALS
        )
        if application.state == Application.State.AWAITING_MATERIALS:
            raise TransitionError(
                _(
                    "A one-time notice was already given for these materials: the law allows "
                    "one. When the applicant brings the materials, record their return first."
                )
            )
        _refuse_if_lapsed(application, timezone.localdate(now))
        missing = list(
            application.materials.filter(status=ApplicationMaterial.Status.MISSING).select_related(
                "material"
            )
        )
        if not missing:
            raise TransitionError(_("Nothing is marked missing: there is nothing to notify."))
        application.state = Application.State.AWAITING_MATERIALS
        _save(application, ["state"], by, at=now)
        text = "\n".join(
            f"{n}. {line.material}{'：' + line.note if line.note else ''}"
            for n, line in enumerate(missing, 1)
        )
        if note:
            text += "\n" + note
        notice = _issue(
            Document.Kind.MISSING_MATERIALS,
            application_id=application.pk,
            by=by,
            now=now,
            text=text,
        )
        case_event(
            application.pk,
            "notice",
            now,
            details={"notice": notice.number, "missing": len(missing)},
        )
        if application.channel == Application.Channel.ONLINE:
            # Filed online, the applicant is not at the counter to take it: they are told, and
            # see every line to correct on their side (/my/), where they answer with files.
            notifications.applicant_event(
                application,
                notifications.Event.NOTICE,
                at=now,
                occasion=f"{application.submitted_at:%Y%m%d%H%M%S}",
                document=notice,
            )
        return notice


def application_notify_missing_with_checklist(
    *,
    application: Application,
    lines: dict[int, dict],
    by: Staff,
    now: dt.datetime,
    note: str = "",
) -> Document:
    """The one-time notice of the lines as the clerk marked them on the page, in one
    transaction: the lines saved and the notice issued, or, when refused, neither."""
    with transaction.atomic():
        checklist_update(application=application, lines=lines, by=by, now=now)
        return application_notify_missing(application=application, by=by, now=now, note=note)


def _refuse_if_lapsed(application: Application, today: dt.date) -> None:
    if application.notice_lapsed(today):
        raise TransitionError(
            _(
                "The 5 working days for the one-time notice ended on %(date)s: by law (Art. 32) "
                "the application counts as accepted from the day it was received (%(received)s). "
                "It can only be accepted now; ask for what is missing during the review."
            )
            % {
                "date": date_format(application.notice_due, "DATE_FORMAT"),
                "received": date_format(application.submission_received_on, "DATE_FORMAT"),
            }
        )


def application_invite(
    *, application: Application, by: Staff, now: dt.datetime, note: str
) -> Application:
    """Pre-review of an application filed online: invite the applicant to the counter with the
    originals (`note`: what to bring and why). Nothing is decided; the Art. 32 window of the
    submission runs on, and the applicant is told once per submission."""
    if not note.strip():
        raise TransitionError(_("Say what the applicant should bring to the counter."))
    with transaction.atomic():
        application = _lock_application(application, Application.State.DRAFT)
        if application.channel != Application.Channel.ONLINE:
            raise TransitionError(_("Only an application filed online is invited to the counter."))
        _refuse_if_lapsed(application, timezone.localdate(now))
        application.invited_at, application.invitation = now, note.strip()[:500]
        _save(application, ["invited_at", "invitation"], by, _("Invited to the counter"), at=now)
        notifications.applicant_event(
            application,
            notifications.Event.INVITED,
            at=now,
            occasion=f"{application.submitted_at:%Y%m%d%H%M%S}",
        )
    return application


def application_reopen(
    *, application: Application, by: Staff | None, now: dt.datetime, reason: str = ""
) -> None:
    """The applicant is back with materials: the notice is answered, intake goes on. The new
    submission has its own 5 working days for a one-time notice (Art. 32). Online, the
    applicant sends their supplements themselves: `by` None, `reason` names them."""
    with transaction.atomic():
        application = _lock_application(application, Application.State.AWAITING_MATERIALS)
        application.state = Application.State.DRAFT
        application.submitted_at = now
        application.notice_due = (
            WorkCalendar.load().add_working_days(timezone.localdate(now), NOTICE_WORKING_DAYS).end
        )
        _save(application, ["state", "submitted_at", "notice_due"], by, reason, at=now)


def application_refuse(
    *, application: Application, by: Staff, now: dt.datetime, reasons: str
) -> Document:
    """Not accepted (不予受理): written reasons and the applicant's remedies (Art. 38)."""
    if not reasons.strip():
        raise TransitionError(_("Give the reasons for not accepting."))
    with transaction.atomic():
        application = _lock_application(
            application, Application.State.DRAFT, Application.State.AWAITING_MATERIALS
        )
        _refuse_if_lapsed(application, timezone.localdate(now))
        application.state = Application.State.NOT_ACCEPTED
        application.refusal_reasons = reasons
        _save(application, ["state", "refusal_reasons"], by, at=now)
        return _issue(
            Document.Kind.NOT_ACCEPTED,
            application_id=application.pk,
            by=by,
            now=now,
            text=reasons,
        )


def application_withdraw(
    *, application: Application, by: Staff, now: dt.datetime, note: str
) -> Application:
    with transaction.atomic():
        application = _lock_application(application, *Application.WITHDRAWABLE)
        application.state = Application.State.WITHDRAWN
        application.withdrawn_at = now
        application.closing_note = note
        _save(application, ["state", "withdrawn_at", "closing_note"], by, note, at=now)
        for review in application.reviews.select_for_update().filter(
            state__in=[*DepartmentReview.OPEN_STATES, DepartmentReview.State.DECIDED]
        ):
            review.state = DepartmentReview.State.WITHDRAWN
            _save(review, ["state"], by, note, at=now)
    return application


def application_deliver(*, application: Application, by: Staff, now: dt.datetime) -> Application:
    """Hand over the results: the application is closed (办结); the applicant is sent the
    one-time link to rate the service, and nobody else ever sees it."""
    with transaction.atomic():
        application = _lock_application(application, Application.State.READY)
        application.state = Application.State.DELIVERED
        application.delivered_at, application.delivered_by = now, by
        _save(application, ["state", "delivered_at", "delivered_by"], by, at=now)
        # Thanks, and the one-time link to rate the service (ratings.py says why a link).
        from .ratings import rating_link, rating_token_issue  # ratings builds on this module

        key = rating_token_issue(application=application, now=now)
        notifications.applicant_event(
            application, notifications.Event.DELIVERED, at=now, rate_url=rating_link(key)
        )
        case_event(application.pk, "delivered", now)
    return application


def material_supplied(
    *, application: Application, line_id: int, by: Staff, now: dt.datetime
) -> ApplicationMaterial:
    """A material promised under 容缺 has come in after acceptance: the promise is kept."""
    with transaction.atomic():
        application = _lock_application(
            application, Application.State.IN_REVIEW, Application.State.READY
        )
        line = (
            application.materials.select_for_update()
            .filter(pk=line_id, status=ApplicationMaterial.Status.TO_FOLLOW)
            .first()
        )
        if line is None:
            raise TransitionError(_("This material is not waiting to follow."))
        line.status, line.supplied_at = ApplicationMaterial.Status.RECEIVED, now
        line.copies = max(line.copies, 1)
        _save(line, ["status", "supplied_at", "copies"], by, at=now)
    return line


def scan_add(
    *,
    application: Application,
    upload,
    line: ApplicationMaterial | None,
    by: Staff | None,
    now: dt.datetime,
    states: tuple[str, ...] = Application.WITHDRAWABLE,
    reason: str = "",
) -> Scan:
    """Store a scan privately under a random name, after checking what it really is and, when
    clamd is configured, that it carries no virus (approval_center/clamd.py). `by` None: the
    applicant uploaded it online (portal/filing.py), in one of `states`, and `reason` names
    them."""

    try:
        content_type, extension = validators.scan_type(upload, settings.SCAN_MAX_BYTES)
        clamd.refuse_infected(upload)
    except ValidationError as error:  # said to the person as every refusal is
        raise TransitionError(" ".join(error.messages)) from None
    original = (upload.name or "")[:200]
    upload.name = f"scan.{extension}"
    with transaction.atomic():
        application = _lock_application(application, *states)
        scan = Scan(
            application=application,
            line=line,
            original_name=original,
            content_type=content_type,
            size=upload.size,
            uploaded_at=now,
            uploaded_by=by,
            uploaded_online=by is None,
        )
        scan.file.save(upload.name, upload, save=False)
        scan._history_user, scan._history_date = by, now
        if reason:
            scan._change_reason = reason[:100]
        scan.save()
    return scan


# --- department review --------------------------------------------------------------------


def _lock_review(
    review: DepartmentReview,
    *states: str,
    related: tuple[str, ...] = ("item", "window", "department"),
    among: QuerySet | None = None,
) -> DepartmentReview:
    # Only the review's row is locked (two officers acting on two reviews of the same item do not
    # wait for each other); `related` is read along with it. Each table joined costs planning
    # and building time, so a caller that needs none passes (). `among`: the reviews the person
    # may act on (the view's check, made by this read): DoesNotExist for any other.
    reviews = (among if among is not None else DepartmentReview.objects.all()).select_for_update(
        of=("self",)
    )
    if related:  # select_related() without names would follow every foreign key
        reviews = reviews.select_related(*related)
    locked = reviews.get(pk=review.pk)
    _refuse_unless(locked, states)
    return locked


def _refuse_unless(review: DepartmentReview, states: tuple[str, ...]) -> None:
    if states and review.state not in states:
        raise TransitionError(
            _("This review is now “%(state)s”; the page you acted on was out of date.")
            % {"state": review.get_state_display()}
        )


# Read at every decision: built once per process (approval_center/prepared.py).
_APPLICATION_OF = Prepared(
    lambda pk: (
        Application.objects.select_related("applicant", "project", "accepted_by")
        .annotate(intake_window_number=Window.intake_number_read_along())
        .filter(pk=pk)
    )
)


# The application's lock, with the applicant and project that messages name and the
# comprehensive window's number; only the application is locked.
_APPLICATION_LOCK = Prepared(
    lambda pk: (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "project")
        .annotate(intake_window_number=Window.intake_number_read_along())
        .filter(pk=pk)
    )
)


def _receive_lock(among: QuerySet, pk: int) -> QuerySet:
    """The application of review `pk` among `among`, locked, with the applicant and project
    that the last receipt's message names and the comprehensive window's number (read along:
    joined by key, cheaper than the read of their own the last one would make)."""
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("applicant", "project")
        .annotate(intake_window_number=Window.intake_number_read_along())
        .filter(pk=Subquery(among.filter(pk=pk).values("application_id")))
    )


_RECEIVE_LOCK = Prepared(lambda pk: _receive_lock(DepartmentReview.objects.all(), pk))
_READ_NOW = object()  # `_signing_basis_or_refuse`: no basis given, read it


_DECISION_LOCK = Prepared(
    lambda pk, staff_id, on, at: (
        DepartmentReview.objects.select_for_update(of=("self",))
        .select_related(
            "item",
            "window__seal",
            "department",
            "application__applicant",
            "application__project",
            "application__accepted_by",
        )
        .annotate(
            intake_window_number=Window.intake_number_read_along(),
            **authority.basis_read_along(staff_id, on=on, at=at),
        )
        .filter(pk=pk)
    )
)


def _decision_lock(pk: int, by: Staff, now: dt.datetime) -> DepartmentReview | None:
    """The review locked for a decision, read along with what the decision needs: its item,
    window, seal and department, its application as `_application_of` reads it, and the
    signer's basis (`authority.basis_read_along`; `review.basis`)."""
    found = _DECISION_LOCK.objects(pk=pk, staff_id=by.pk, on=timezone.localdate(now), at=now)
    if not found:
        return None
    review = found[0]
    review.application.intake_window_number = review.intake_window_number
    review.basis = authority.basis_of(
        by, review.item, review.basis_permitted, review.basis_posting, review.basis_letter
    )
    return review


def _application_of(review: DepartmentReview) -> Application:
    """The review's application with the applicant and project that messages name, the clerk
    who accepted it, whom documents name, and the comprehensive window's number."""
    return _APPLICATION_OF.get(pk=review.application_id)


def _recompute(review: DepartmentReview, today: dt.date) -> None:
    due = clock.compute(
        start=review.started_on,
        promised_days=review.promised_days,
        statutory_days=review.statutory_days,
        ledger=review.clock.order_by("at", "id"),
        calendar=WorkCalendar.load(),
        today=today,
    )
    review.deadline = due.deadline
    review.statutory_deadline = due.statutory_deadline
    review.deadline_provisional = due.provisional


def _lock_for_clock(review: DepartmentReview, *states: str) -> tuple[Application, DepartmentReview]:
    """Lock the application, then the review: the project's one lock order. A change to a
    review's clock may move the application's due date, and withdrawing an application locks
    it before its reviews, so taking them the other way round would deadlock the two."""
    application = _lock_application(
        Application(pk=review.application_id), Application.State.IN_REVIEW
    )
    return application, _lock_review(review, *states)


def stop_due(day: dt.date, days_needed: int, calendar: WorkCalendar) -> dt.date:
    """The day the time announced for a stop runs out: its `days_needed` working days after the
    day it stopped (which counts as used on the review's clock)."""
    return calendar.add_working_days(day, days_needed).end


def after_decision_due(now: dt.datetime, working_days: int) -> dt.date:
    """A limit of the way back (return, receipt, hand-over), from the day of the step before."""
    return WorkCalendar.load().add_working_days(timezone.localdate(now), working_days).end


def _move_due_date(
    application: Application,
    review: DepartmentReview,
    by: Staff,
    now: dt.datetime,
    reason: str,
) -> None:
    """An extension or stopped time that moves a review past the application's due date moves
    the application's due date with it (the slip's printed promise stays as printed). The
    caller holds the application's lock."""
    if application.due_date is None or review.deadline <= application.due_date:
        return
    application.due_date = review.deadline
    _save(application, ["due_date"], by, reason, at=now)


def deadlines_recompute(*, years: Iterable[int], by: Staff | None, now: dt.datetime) -> int:
    """The calendar of `years` changed (an administrator's edit, or a year published): every
    open review whose deadlines may fall in those years is computed again from its ledger.

    1. Find the open reviews that started before the last day of those years and are due (by
       promise or by law) on or after the first, or are stopped; group them by application.
    2. Per application, in the project's lock order (the application, then its reviews):
       recompute each; where a date moved, write a line of the clock ledger (what the sweep
       reads to card it) and the review's history, and move the stopped time's announced end.
    3. The application's due date follows its reviews; when it moves, the applicant is told.
    Returns how many reviews moved. Call inside the transaction of the calendar change."""
    years = sorted(set(years))
    if not years:
        return 0
    first, last = dt.date(years[0], 1, 1), dt.date(years[-1], 12, 31)
    today = timezone.localdate(now)
    calendar = WorkCalendar.load()
    reason = _("The calendar of %(years)s changed") % {"years": "、".join(map(str, years))}
    affected = (
        DepartmentReview.objects.open()
        .filter(started_on__lte=last)
        .filter(
            Q(deadline__gte=first)
            | Q(statutory_deadline__gte=first)
            | Q(state=DepartmentReview.State.SUSPENDED)
        )
        .values_list("application_id", flat=True)
        .distinct()
    )
    moved = 0
    with transaction.atomic():
        for application_id in sorted(set(affected)):
            moved += _recompute_application(
                application_id, calendar=calendar, by=by, now=now, today=today, reason=reason
            )
        # The Art. 32 window of the submissions still at the counter moves too.
        for draft in Application.objects.select_for_update().filter(
            state=Application.State.DRAFT, notice_due__gte=first, received_at__date__lte=last
        ):
            due = calendar.add_working_days(draft.submission_received_on, NOTICE_WORKING_DAYS).end
            if due != draft.notice_due:
                draft.notice_due = due
                _save(draft, ["notice_due"], by, reason, at=now)
    return moved


def _recompute_application(
    application_id: int,
    *,
    calendar: WorkCalendar,
    by: Staff | None,
    now: dt.datetime,
    today: dt.date,
    reason: str,
) -> int:
    application = _lock_application(Application(pk=application_id))
    reviews = list(
        application.reviews.select_for_update(of=("self",))
        .filter(state__in=DepartmentReview.OPEN_STATES)
        .prefetch_related("clock")
        .order_by("id")
    )
    moved: list[tuple[DepartmentReview, ClockEvent]] = []
    for review in reviews:
        ledger = sorted(review.clock.all(), key=lambda e: (e.at, e.pk))
        stops = [e for e in ledger if e.kind == ClockEvent.Kind.STOP]
        stopped = review.state == DepartmentReview.State.SUSPENDED and stops
        # A stopped review's date is "if it resumed on the day it stopped", as when it stopped.
        due = clock.compute(
            start=review.started_on,
            promised_days=review.promised_days,
            statutory_days=review.statutory_days,
            ledger=ledger,
            calendar=calendar,
            today=stops[-1].on if stopped else today,
        )
        stop_until = stop_due(stops[-1].on, stops[-1].days, calendar) if stopped else None
        before = (
            review.deadline,
            review.statutory_deadline,
            review.deadline_provisional,
            review.stop_due,
        )
        after = (due.deadline, due.statutory_deadline, due.provisional, stop_until)
        if before == after:
            continue
        review.deadline, review.statutory_deadline, review.deadline_provisional = after[:3]
        review.stop_due = stop_until
        event = ClockEvent.objects.create(
            review=review, kind=ClockEvent.Kind.CALENDAR, at=now, on=today, reason=reason, by=by
        )
        _save(
            review,
            ["deadline", "statutory_deadline", "deadline_provisional", "stop_due"],
            by,
            reason,
            at=now,
        )
        moved.append((review, event))
    if not moved:
        return 0
    application_store_joint_deadline(
        application=application, by=by, now=now, calendar=calendar, reason=reason
    )
    latest = max(
        application.reviews.exclude(state=DepartmentReview.State.WITHDRAWN),
        key=lambda r: (r.deadline, r.pk),
    )
    if application.due_date != latest.deadline:
        application.due_date = latest.deadline
        _save(application, ["due_date"], by, reason, at=now)
        event = next((e for r, e in moved if r.pk == latest.pk), moved[0][1])
        notifications.applicant_event(
            application, notifications.Event.RESCHEDULED, review=latest, clock_event=event, at=now
        )
    return len(moved)


def review_claim(*, review: DepartmentReview, by: Staff, now: dt.datetime) -> DepartmentReview:
    with transaction.atomic():
        review = _lock_review(review, DepartmentReview.State.QUEUED)
        review.state = DepartmentReview.State.IN_PROGRESS
        review.officer, review.claimed_at = by, now
        _save(review, ["state", "officer", "claimed_at"], by, at=now)
    return review


def review_stop(
    *,
    review: DepartmentReview,
    by: Staff,
    now: dt.datetime,
    cause: str,
    days_needed: int,
    reason: str,
) -> Document:
    """Stop the clock: supplements asked for, or expert review, hearing or testing (Art. 45).

    The applicant is told in writing how long the stop needs; a stop that outlasts it is
    carded by the sweep, so no review is parked in "stopped" unseen."""
    if not reason.strip():
        raise TransitionError(_("Say what is needed and why, for the written notice."))
    if not 1 <= days_needed <= MAX_STOP_DAYS:
        raise TransitionError(
            _(
                "Say how many working days the stop needs (1 to %(max)d): the applicant is told "
                "in writing (Art. 45)."
            )
            % {"max": MAX_STOP_DAYS}
        )
    today = timezone.localdate(now)
    with transaction.atomic():
        application, review = _lock_for_clock(
            review, DepartmentReview.State.QUEUED, DepartmentReview.State.IN_PROGRESS
        )
        event = ClockEvent.objects.create(
            review=review,
            kind=ClockEvent.Kind.STOP,
            cause=cause,
            at=now,
            on=today,
            days=days_needed,
            reason=reason,
            by=by,
        )
        review.state = DepartmentReview.State.SUSPENDED
        if review.officer_id is None:
            review.officer, review.claimed_at = by, now
        _recompute(review, today)
        review.stop_due = stop_due(today, days_needed, WorkCalendar.load())
        _save(
            review,
            [
                "state",
                "officer",
                "claimed_at",
                "deadline",
                "statutory_deadline",
                "deadline_provisional",
                "stop_due",
            ],
            by,
            reason,
            at=now,
        )
        kind = (
            Document.Kind.SUPPLEMENTS
            if cause == ClockEvent.Cause.SUPPLEMENTS
            else Document.Kind.STOPPED_TIME
        )
        document = _issue(
            kind,
            application_id=review.application_id,
            review=review,
            event=event,
            by=by,
            now=now,
            text=reason,
        )
        application_store_joint_deadline(
            application=application, by=by, now=now, reason=_("Clock stopped")
        )
        notifications.applicant_event(
            application,
            notifications.Event.SUPPLEMENTS
            if cause == ClockEvent.Cause.SUPPLEMENTS
            else notifications.Event.STOPPED,
            review=review,
            clock_event=event,
            at=now,
        )
        case_event(
            application.pk,
            "stopped",
            now,
            review=review,
            details={
                "cause": cause,
                "days": days_needed,
                "until": review.stop_due.isoformat(),
                "notice": document.number,
            },
        )
    return document


def review_resume(*, review: DepartmentReview, by: Staff, now: dt.datetime) -> DepartmentReview:
    today = timezone.localdate(now)
    with transaction.atomic():
        application, review = _lock_for_clock(review, DepartmentReview.State.SUSPENDED)
        ClockEvent.objects.create(
            review=review, kind=ClockEvent.Kind.RESUME, at=now, on=today, by=by
        )
        review.state = DepartmentReview.State.IN_PROGRESS
        review.stop_due = None
        _recompute(review, today)
        _save(
            review,
            ["state", "deadline", "statutory_deadline", "deadline_provisional", "stop_due"],
            by,
            at=now,
        )
        _move_due_date(application, review, by, now, _("Clock resumed"))
        application_store_joint_deadline(
            application=application, by=by, now=now, reason=_("Clock resumed")
        )
    return review


# --- extensions (Art. 42): requested, then approved by someone else ------------------------

# A review's time limit can be extended while its clock can still run or is stopped.
EXTENDABLE_STATES = (
    DepartmentReview.State.QUEUED,
    DepartmentReview.State.IN_PROGRESS,
    DepartmentReview.State.SUSPENDED,
)


def extension_days_used(review: DepartmentReview) -> tuple[int, int]:
    """(approved, pending) working days of a review's extensions."""
    approved = sum(review.clock.filter(kind=ClockEvent.Kind.EXTEND).values_list("days", flat=True))
    pending = sum(review.extension_requests.pending().values_list("days", flat=True))
    return approved, pending


def joint_extension_days_pending(application: Application) -> int:
    return sum(application.extension_requests.joint().pending().values_list("days", flat=True))


def may_request_review_extension(user: Staff, review: DepartmentReview) -> bool:
    """The staff of the review's window ask for its extensions."""
    return user.is_active and user.window_id == review.window_id and user.has_role(*WINDOW_ROLES)


def may_request_joint_extension(user: Staff) -> bool:
    """The comprehensive window's clerks, or a center manager, ask for a joint extension."""
    return user.is_active and (Role.INTAKE_CLERK in user.roles or Role.CENTER_MANAGER in user.roles)


def is_government_head(user: Staff) -> bool:
    # The role itself, not a superuser's pass: only the government's head approves (Art. 42).
    return user.is_active and Role.GOVERNMENT_HEAD in user.roles


def _reason_required(reason: str) -> None:
    if not reason.strip():
        raise TransitionError(_("Give the reason for the extension; the applicant is told it."))


def _one_pending(create) -> ExtensionRequest:
    """Create the request; the database's constraint is the last word on "one at a time"."""
    try:
        with transaction.atomic():
            return create()
    except IntegrityError:
        raise TransitionError(
            _("An extension request is already waiting for approval; wait for its decision.")
        ) from None


def extension_request(
    *, review: DepartmentReview, by: Staff, now: dt.datetime, days: int, reason: str
) -> ExtensionRequest:
    """The officer asks for more time on a review (Art. 42 para 1): nothing moves yet.

    1. Lock the review; it must be open (queued, in progress or stopped).
    2. One request may wait at a time, and approved plus waiting days stay within 10.
    """
    _reason_required(reason)
    with transaction.atomic():
        review = _lock_review(review, *EXTENDABLE_STATES, related=())
        if not may_request_review_extension(by, review):
            raise TransitionError(_("Only the staff of the review's window ask for its extension."))
        if review.extension_requests.pending().exists():
            raise TransitionError(
                _("An extension request is already waiting for approval; wait for its decision.")
            )
        approved, _pending = extension_days_used(review)
        if days < 1 or approved + days > MAX_EXTENSION_DAYS:
            raise TransitionError(
                _("An extension is 1 to %(max)d working days in all; %(already)d are used.")
                % {"max": MAX_EXTENSION_DAYS, "already": approved}
            )
        return _one_pending(
            lambda: _create_request(
                application_id=review.application_id,
                review=review,
                days=days,
                reason=reason,
                by=by,
                now=now,
            )
        )


def joint_extension_request(
    *, application: Application, by: Staff, now: dt.datetime, days: int, reason: str
) -> ExtensionRequest:
    """The comprehensive window asks the government's head for more time for the joint
    handling of an application (Art. 42 para 2): at most 15 working days in all."""
    _reason_required(reason)
    with transaction.atomic():
        application = _lock_application(application, Application.State.IN_REVIEW)
        if not may_request_joint_extension(by):
            raise TransitionError(
                _("Only the comprehensive window or a center manager asks for a joint extension.")
            )
        if application.joint_deadline is None:
            raise TransitionError(
                _("This application is not handled jointly by several departments.")
            )
        if application.extension_requests.joint().pending().exists():
            raise TransitionError(
                _("An extension request is already waiting for approval; wait for its decision.")
            )
        used = application.joint_extension_days
        if days < 1 or used + days > clock.MAX_JOINT_EXTENSION_DAYS:
            raise TransitionError(
                _("A joint extension is 1 to %(max)d working days in all; %(already)d are used.")
                % {"max": clock.MAX_JOINT_EXTENSION_DAYS, "already": used}
            )
        return _one_pending(
            lambda: _create_request(
                application_id=application.pk,
                review=None,
                days=days,
                reason=reason,
                by=by,
                now=now,
            )
        )


def _create_request(
    *,
    application_id: int,
    review: DepartmentReview | None,
    days: int,
    reason: str,
    by: Staff,
    now: dt.datetime,
) -> ExtensionRequest:
    extension = ExtensionRequest(
        application_id=application_id,
        review=review,
        days=days,
        reason=reason,
        requested_by=by,
        requested_at=now,
    )
    extension._history_user, extension._history_date = by, now
    extension.save()
    return extension


def _lock_extension(extension: ExtensionRequest) -> ExtensionRequest:
    locked = ExtensionRequest.objects.select_for_update(of=("self",)).get(pk=extension.pk)
    if locked.state != ExtensionRequest.State.PENDING:
        raise TransitionError(
            _("This extension request is already “%(state)s”.")
            % {"state": locked.get_state_display()}
        )
    return locked


def _may_approve(extension: ExtensionRequest, by: Staff, now: dt.datetime) -> None:
    """Raise unless `by` may decide this request now: never its requester (four eyes); a
    signer of the item for a review's extension; the government's head for a joint one."""
    if by.pk == extension.requested_by_id:
        raise TransitionError(
            _("You asked for this extension yourself: another person must approve it (four eyes).")
        )
    if extension.review_id is None:
        if not is_government_head(by):
            raise TransitionError(
                _("Only the head of the government approves an extension of joint handling.")
            )
        return
    item = extension.review.item
    if authority.signing_basis(by, item, at=now) is None:
        raise TransitionError(
            _(
                "You hold no signing authority for “%(item)s” at this moment and cannot decide "
                "on its extension."
            )
            % {"item": item.name}
        )


def extension_approve(*, extension: ExtensionRequest, by: Staff, now: dt.datetime) -> Document:
    """Approve: the time limit moves now, and only now.

    1. Lock the application, then the review (the project's lock order), then the request; it
       must still be pending, and `by` must be allowed to approve it (`_may_approve`).
    2. A review's extension: the EXTEND line of its clock ledger (approved by `by`), its
       deadline recomputed, the application's due date moved with it.
       A joint extension: the days added to the application, its joint deadline stored again.
    3. The notice of extension, the applicant's message (days and reason), the request approved.
    """
    today = timezone.localdate(now)
    with transaction.atomic():
        application = _lock_application(extension.application, Application.State.IN_REVIEW)
        review = None
        if extension.review_id is not None:
            review = _lock_review(extension.review, *EXTENDABLE_STATES)
        extension = _lock_extension(extension)
        extension.review = review  # the locked one, with its item
        _may_approve(extension, by, now)
        event = None
        if review is not None:
            approved, _pending = extension_days_used(review)
            if approved + extension.days > MAX_EXTENSION_DAYS:
                raise TransitionError(
                    _("An extension is 1 to %(max)d working days in all; %(already)d are used.")
                    % {"max": MAX_EXTENSION_DAYS, "already": approved}
                )
            event = ClockEvent.objects.create(
                review=review,
                kind=ClockEvent.Kind.EXTEND,
                at=now,
                on=today,
                days=extension.days,
                reason=extension.reason,
                approved_by=by,
                by=by,
            )
            _recompute(review, today)
            _save(
                review,
                ["deadline", "statutory_deadline", "deadline_provisional"],
                by,
                extension.reason,
                at=now,
            )
            _move_due_date(application, review, by, now, extension.reason)
        else:
            used = application.joint_extension_days
            if used + extension.days > clock.MAX_JOINT_EXTENSION_DAYS:
                raise TransitionError(
                    _(
                        "A joint extension is 1 to %(max)d working days in all; "
                        "%(already)d are used."
                    )
                    % {"max": clock.MAX_JOINT_EXTENSION_DAYS, "already": used}
                )
            application.joint_extension_days = used + extension.days
            application_store_joint_deadline(application=application, by=by, now=now, save=False)
            _save(
                application,
                ["joint_extension_days", "joint_deadline"],
                by,
                extension.reason,
                at=now,
            )
        document = _issue(
            Document.Kind.EXTENSION,
            application_id=application.pk,
            review=review,
            event=event,
            by=by,
            now=now,
            text=extension.reason,
            extension=extension,
        )
        extension.state = ExtensionRequest.State.APPROVED
        extension.decided_by, extension.decided_at = by, now
        extension.clock_event, extension.document = event, document
        _save(
            extension,
            ["state", "decided_by", "decided_at", "clock_event", "document"],
            by,
            at=now,
        )
        notifications.applicant_event(
            application,
            notifications.Event.EXTENDED,
            review=review,
            clock_event=event,
            extension=extension,
            at=now,
        )
        case_event(
            application.pk,
            "extended",
            now,
            review=review,
            details={"days": extension.days, "joint": review is None, "notice": document.number},
        )
    return document


def extension_refuse(
    *, extension: ExtensionRequest, by: Staff, now: dt.datetime, note: str
) -> ExtensionRequest:
    """Refuse, saying why (the requester reads it); nothing else moves."""
    if not note.strip():
        raise TransitionError(_("Say why the extension is refused; the requester reads it."))
    with transaction.atomic():
        extension = _lock_extension(extension)
        _may_approve(extension, by, now)
        extension.state = ExtensionRequest.State.REFUSED
        extension.decided_by, extension.decided_at = by, now
        extension.decision_note = note
        _save(extension, ["state", "decided_by", "decided_at", "decision_note"], by, at=now)
    return extension


def extension_withdraw(
    *, extension: ExtensionRequest, by: Staff, now: dt.datetime
) -> ExtensionRequest:
    """The requester takes back a request still waiting (asked by mistake, or no longer needed)."""
    with transaction.atomic():
        extension = _lock_extension(extension)
        if by.pk != extension.requested_by_id:
            raise TransitionError(_("Only the person who asked can withdraw the request."))
        extension.state = ExtensionRequest.State.WITHDRAWN
        extension.decided_by, extension.decided_at = by, now
        _save(extension, ["state", "decided_by", "decided_at"], by, at=now)
    return extension


def _check_refusal_reasons(outcome: str, reasons: str) -> None:
    if outcome == DepartmentReview.Outcome.REFUSED and not reasons.strip():
        raise TransitionError(_("A refusal must give its reasons."))


def _signing_basis_or_refuse(
    review: DepartmentReview, by: Staff, now: dt.datetime, *, basis=_READ_NOW
):
    """The signer's basis (given when read along with the review), or TransitionError."""
    if basis is _READ_NOW:
        basis = authority.signing_basis(by, review.item, at=now)
    if basis is None:
        raise TransitionError(
            _(
                "You hold no signing authority for “%(item)s” at this moment: no letter of "
                "authorization or posting covers it."
            )
            % {"item": review.item.name}
        )
    return basis


def latest_draft(review: DepartmentReview) -> SigningStep | None:
    """The opinion and draft last sent for signature: what a signer signs or sends back."""
    return (
        review.signing_steps.filter(kind=SigningStep.Kind.SENT)
        .select_related("by")
        .order_by("-at", "-id")
        .first()
    )


def review_send_for_signature(
    *,
    review: DepartmentReview,
    by: Staff,
    now: dt.datetime,
    outcome: str,
    text: str,
    opinion: str,
) -> SigningStep:
    """The officer's part (承办): record the opinion and the draft decision, and send them to
    the people who may sign the item now. The clock keeps running while it waits.

    1. Check the draft: an outcome, reasons for a refusal, an opinion.
    2. Lock the review; it must be queued or in progress, and `by` one of its window's staff.
    3. Someone must hold signing authority for the item now, or nobody could sign it.
    4. Write the "sent" step with its signers, and move the review to awaiting signature.
    """
    if outcome not in DepartmentReview.Outcome.values:
        raise TransitionError(_("Choose grant or refuse."))
    _check_refusal_reasons(outcome, text)
    if not opinion.strip():
        raise TransitionError(_("Write the review opinion for the signer."))
    with transaction.atomic():
        review = _lock_review(
            review, DepartmentReview.State.QUEUED, DepartmentReview.State.IN_PROGRESS
        )
        if not (by.has_role(*WINDOW_ROLES) and by.window_id == review.window_id):
            raise TransitionError(
                _("Only the staff of window %(window)s work this review.")
                % {"window": review.window.number}
            )
        signers = list(authority.signers(review.item, at=now))
        if not signers:
            raise TransitionError(
                _(
                    "Nobody holds signing authority for “%(item)s” today: ask the department "
                    "for a letter of authorization or its stationed deputy head."
                )
                % {"item": review.item.name}
            )
        step = SigningStep.objects.create(
            review=review,
            kind=SigningStep.Kind.SENT,
            at=now,
            by=by,
            outcome=outcome,
            text=text,
            note=opinion,
        )
        step.sent_to.set(signers)
        review.state = DepartmentReview.State.AWAITING_SIGNATURE
        if review.officer_id is None:
            review.officer, review.claimed_at = by, now
        _save(review, ["state", "officer", "claimed_at"], by, _("Sent for signature"), at=now)
    return step


def review_send_back(
    *, review: DepartmentReview, by: Staff, now: dt.datetime, note: str
) -> SigningStep:
    """A signer returns the draft to the officer with a note; the review is in progress again."""
    if not note.strip():
        raise TransitionError(_("Say why it goes back, for the officer."))
    with transaction.atomic():
        review = _lock_review(review, DepartmentReview.State.AWAITING_SIGNATURE)
        _signing_basis_or_refuse(review, by, now)
        step = SigningStep.objects.create(
            review=review, kind=SigningStep.Kind.SENT_BACK, at=now, by=by, note=note
        )
        review.state = DepartmentReview.State.IN_PROGRESS
        _save(review, ["state"], by, note, at=now)
    return step


def review_decide(
    *,
    review: DepartmentReview,
    by: Staff,
    now: dt.datetime,
    outcome: str | None = None,
    reasons: str | None = None,
    may_act: Callable[[DepartmentReview], bool] | None = None,
) -> Document:
    """Grant or refuse, only with signing authority for the item at this moment. `may_act`:
    whether the person may act on the review (the view's check, `access.acts_at_window`),
    asked of the locked row: DoesNotExist when not.

    A review awaiting signature is signed as the officer drafted it: the outcome and reasons
    come from the latest draft sent (given ones must match it: to change the draft, send it
    back). Otherwise the signer decides directly and gives both.

    The decision is numbered in the department's series, issued in the department's name,
    stamped with the window's seal, and records the letter or posting it was signed under.
    """
    if outcome is not None:
        _check_refusal_reasons(outcome, reasons or "")
    with transaction.atomic():
        review = _decision_lock(review.pk, by, now)
        if review is None or (may_act is not None and not may_act(review)):
            raise DepartmentReview.DoesNotExist
        _refuse_unless(
            review,
            (
                DepartmentReview.State.QUEUED,
                DepartmentReview.State.IN_PROGRESS,
                DepartmentReview.State.AWAITING_SIGNATURE,
            ),
        )
        basis = _signing_basis_or_refuse(review, by, now, basis=review.basis)
        signing_draft = review.state == DepartmentReview.State.AWAITING_SIGNATURE
        if signing_draft:
            draft = latest_draft(review)
            if draft is None:  # every way into this state writes a draft: not expected
                raise TransitionError(_("No draft was sent for signature."))
            if (outcome is not None and outcome != draft.outcome) or (
                reasons is not None and reasons != draft.text
            ):
                raise TransitionError(
                    _(
                        "The draft sent for signature says otherwise: sign it as drafted, or "
                        "send it back with a note."
                    )
                )
            outcome, reasons = draft.outcome, draft.text
        elif outcome is None:  # a signature asked for, and no draft waits for one
            raise TransitionError(_("No draft of this review awaits signature."))
        reasons = reasons or ""
        seal = Seal.of(review.window)
        if seal is None:
            raise TransitionError(_("The window has no approval seal in use."))
        year = timezone.localdate(now).year
        department = review.department
        review.outcome = outcome
        review.reasons = reasons
        review.decision_number = (
            f"{department.short_name}许字〔{year}〕第"
            f"{next_number(f'decision:{department.code}', year)}号"
        )
        review.decided_at, review.signed_by, review.seal = now, by, seal
        # What the decision prints of its basis, as `signing_basis` read it along.
        review.signed_under_letter = (
            AuthorizationLetter(
                pk=basis.letter_id,
                number=basis.letter_number,
                delegating_official=basis.letter_official,
            )
            if basis.letter_id
            else None
        )
        review.signed_under_posting = (
            StationedDeputy(pk=basis.posting_id, appointment_ref=basis.posting_ref)
            if basis.posting_id
            else None
        )
        if review.officer_id is None:
            review.officer, review.claimed_at = by, now
        review.state = (
            DepartmentReview.State.AWAITING_COUNTERSIGN
            if review.item.needs_countersign
            else DepartmentReview.State.DECIDED
        )
        if review.state == DepartmentReview.State.DECIDED:
            review.return_due = after_decision_due(now, settings.RETURN_WORKING_DAYS)
        _save(
            review,
            [
                "return_due",
                "outcome",
                "reasons",
                "decision_number",
                "decided_at",
                "signed_by",
                "seal",
                "signed_under_letter",
                "signed_under_posting",
                "officer",
                "claimed_at",
                "state",
            ],
            by,
            at=now,
        )
        kind = (
            Document.Kind.APPROVAL
            if outcome == DepartmentReview.Outcome.GRANTED
            else Document.Kind.REFUSAL
        )
        application = review.application  # read with the lock: the document and the message
        told = review.state == DepartmentReview.State.DECIDED  # else once countersigned
        document = _issue(
            kind,
            application_id=review.application_id,
            review=review,
            by=by,
            now=now,
            number=review.decision_number,
            text=reasons,
            application=application,
            write=not told,  # else with the applicant's message, in one statement
        )
        if signing_draft:
            SigningStep.objects.create(
                review=review,
                kind=SigningStep.Kind.SIGNED,
                at=now,
                by=by,
                outcome=outcome,
                text=reasons,
            )
        if told:
            notifications.applicant_event(
                application, notifications.Event.DECIDED, review=review, at=now, together=document
            )
            # The licence of a grant (licences/), of the decision just written.
            hooks.collect("decision_final", review, by, now, document, application)
    return document


def review_countersign(*, review: DepartmentReview, by: Staff, now: dt.datetime) -> None:
    """The department leader's own signature on an item that needs it."""
    with transaction.atomic():
        review = _lock_review(review, DepartmentReview.State.AWAITING_COUNTERSIGN)
        if not (by.has_role(Role.DEPARTMENT_LEADER) and by.department_id == review.department_id):
            raise TransitionError(
                _("Only the leader of %(department)s can countersign.")
                % {"department": review.department}
            )
        review.countersigned_by, review.countersigned_at = by, now
        review.state = DepartmentReview.State.DECIDED
        review.return_due = after_decision_due(now, settings.RETURN_WORKING_DAYS)
        _save(review, ["countersigned_by", "countersigned_at", "state", "return_due"], by, at=now)
        application = _application_of(review)
        hooks.collect("decision_final", review, by, now, None, application)  # its licence
        notifications.applicant_event(
            application, notifications.Event.DECIDED, review=review, at=now
        )


def review_return(
    *, review: DepartmentReview, by: Staff, now: dt.datetime, among: QuerySet | None = None
) -> None:
    """The window closes its part; the document travels back to the comprehensive window.

    `among`: the reviews the person may act on (the view's check). The change is made only on
    a decided review among them, in one statement with its history on PostgreSQL; when it
    changes nothing, the review is read to say why (DoesNotExist, or its state)."""
    changes = {
        "state": DepartmentReview.State.RETURNED,
        "returned_at": now,
        "receive_due": after_decision_due(now, settings.RECEIVE_WORKING_DAYS),
    }
    decided = (among if among is not None else DepartmentReview.objects.all()).filter(
        pk=review.pk, state=DepartmentReview.State.DECIDED
    )
    with transaction.atomic():
        changed, _count = _change_one(decided, changes, by, at=now)
        if not changed:
            review = _lock_review(review, DepartmentReview.State.DECIDED, related=(), among=among)
            for name, value in changes.items():  # decided after all (changed since): as usual
                setattr(review, name, value)
            _save(review, list(changes), by, at=now)
        case_event(review.application_id, "returned", now, review=review)


def review_receive(
    *, review: DepartmentReview, by: Staff, now: dt.datetime, among: QuerySet | None = None
) -> Application:
    """The comprehensive window confirms receipt; the last one back makes the application ready.

    The application is locked first, so the last two reviews received at once make it ready
    once. `among`: the reviews the person may act on (the view's check): DoesNotExist for any
    other. Two statements on PostgreSQL (the lock, then the change with its history and the
    count of the reviews still out), besides the last one's (the application's change with its
    history, the message).
    """
    done = (DepartmentReview.State.RECEIVED, DepartmentReview.State.WITHDRAWN)
    with transaction.atomic():
        # The application, found through the review among those the person may act on (the
        # clerks see every review: the statement kept for that).
        if among is None or unconditioned(among):
            found = _RECEIVE_LOCK.objects(pk=review.pk)
        else:
            found = _receive_lock(among, review.pk)
        if not found:
            raise DepartmentReview.DoesNotExist
        application = found[0]
        _refuse_unless_application(application, (Application.State.IN_REVIEW,))
        # Every change of a review to received or withdrawn holds the application's lock, so
        # the others read after it (in the same statement as the change) are as they stand.
        changes = {
            "state": DepartmentReview.State.RECEIVED,
            "received_at": now,
            "received_by": by,
        }
        reviews = DepartmentReview.objects.filter(application_id=application.pk)
        changed, out = _change_one(
            reviews.filter(pk=review.pk, state=DepartmentReview.State.RETURNED),
            changes,
            by,
            at=now,
            count=reviews.exclude(pk=review.pk).exclude(state__in=done),
        )
        if not changed:  # not returned when the change looked: read it again to say why
            locked = _lock_review(
                review, DepartmentReview.State.RETURNED, related=(), among=reviews
            )
            for name, value in changes.items():  # returned since: as usual
                setattr(locked, name, value)
            _save(locked, list(changes), by, at=now)
            out = reviews.exclude(pk=review.pk).exclude(state__in=done).count()
        if out == 0:  # the last one back (its message names what the lock read along)
            application.state = Application.State.READY
            application.ready_at = now
            application.handover_due = after_decision_due(now, settings.HANDOVER_WORKING_DAYS)
            _save(application, ["state", "ready_at", "handover_due"], by, at=now)
            notifications.applicant_event(application, notifications.Event.READY, at=now)
    return application


def case_event(
    application_id: int,
    kind: str,
    at: dt.datetime,
    *,
    review: DepartmentReview | None = None,
    details: dict | None = None,
) -> None:
    """An event of the case for the apps that report it (`hooks.case_event`; outbox/ writes it
    for the provincial platform), in the step's transaction. The final decision is reported
    through `decision_final`."""
    hooks.collect(
        "case_event", application_id, kind, at, review.pk if review else None, details or {}
    )


def _issue(
    kind: str,
    *,
    application_id: int,
    by: Staff,
    now: dt.datetime,
    number: str = "",
    review: DepartmentReview | None = None,
    event: ClockEvent | None = None,
    text: str = "",
    extension: ExtensionRequest | None = None,
    application: Application | None = None,
    reviews: list[DepartmentReview] | None = None,
    lines: list[ApplicationMaterial] | None = None,
    write: bool = True,
) -> Document:
    """A numbered document, with what it prints as at this moment (documents.snapshot: a few
    queries; it is rendered at its first print, not here). `write=False`: not written yet,
    for the caller to write with the applicant's message (`notifications.applicant_event`)."""
    from . import documents  # documents reads services.stop_due

    if not number:
        year = timezone.localdate(now).year
        number = f"{DOCUMENT_PREFIX[kind]}〔{year}〕{next_number(f'document:{kind}', year)}号"
    document = Document(
        number=number,
        kind=kind,
        application_id=application_id,
        review=review,
        clock_event=event,
        issued_at=now,
        issued_by=by,
        text=text,
    )
    document.content = documents.snapshot(
        document,
        review=review,
        event=event,
        extension=extension,
        application=application,
        reviews=reviews,
        lines=lines,
    )
    if write:
        document.save(force_insert=True)
    return document
