"""Importing and exporting, as the pages and `manage.py import_center` do it.

`import_check` reads the file, checks every row (the dry run) and records the act with the file
kept; nothing of the center changes. `import_commit` checks the kept file again under a lock and,
if it is still clean and says what it said, writes it in one transaction with history. Export
writes the same columns, so an export imported again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from windows.models import Staff

from . import files
from .checking import Plan, check_table
from .kinds import KINDS, Kind
from .models import ImportRecord

# Problems kept on a record (and shown): the first ones are what a person fixes first.
PROBLEMS_KEPT = 500
CHANGES_KEPT = 500


class ImportRefused(Exception):
    """A file or an import that cannot go on: the message says why, in the reader's language."""


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ImportRefused(_("Unknown kind of sheet: %(kind)s.") % {"kind": name}) from None


def read(kind: Kind, data: bytes, name: str) -> files.Table:
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise files.UnreadableFile(too_large())
    return files.read_table(
        data,
        name,
        sheet_names=(kind.sheet, str(kind.label), kind.name),
        # The header row names the key column (a title row above it is passed over).
        is_header=lambda cells: all(
            any(kind.by_key[key].matches(cell) for cell in cells) for key in kind.key
        ),
    )


def too_large() -> str:
    return _("The file is larger than %(size)s MB; split it into several files.") % {
        "size": f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:g}"
    }


def check(kind: Kind, data: bytes, name: str) -> Plan:
    """The dry run in the reader's language; nothing is written."""
    return check_table(kind, read(kind, data, name))


def problems_in_every_language(kind: Kind, data: bytes, name: str, plan: Plan) -> list[dict]:
    """The plan's problems as kept on the record, each column and reason in every language (the
    check is run again in each other language: the reasons come from the models' own
    validation, in the language active when it runs)."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    runs = {current: plan.problems[:PROBLEMS_KEPT]}
    for language, _name in settings.LANGUAGES:
        if language not in runs:
            with translation.override(language):
                runs[language] = check(kind, data, name).problems[:PROBLEMS_KEPT]
    kept = []
    for index, problem in enumerate(runs[current]):
        column, reason = {}, {}
        for language, problems in runs.items():
            other = problems[index] if index < len(problems) else problem
            with translation.override(language):
                column[language] = other.column_text()
            reason[language] = other.reason
        kept.append(
            {"sheet": problem.sheet, "row": problem.row, "column": column, "reason": reason}
        )
    return kept


def import_check(*, kind_name: str, data: bytes, name: str, by: Staff | None, now: dt.datetime):
    """Check a file and record it (state checked or refused). Raises `files.UnreadableFile`
    for a file that is not a table, and records nothing then."""
    kind = kind_of(kind_name)
    plan = check(kind, data, name)
    file_format = files.file_format(data, name)
    record = ImportRecord(
        kind=kind.name,
        file_format=file_format,
        original_name=name[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        uploaded_at=now,
        uploaded_by=by,
        checked_at=now,
    )
    _set_plan(record, plan, kind, data, name)
    record._history_user = by
    record._history_date = now
    record.file.save(f"import.{file_format}", ContentFile(data), save=False)
    record.save()
    return record, plan


def _set_plan(record: ImportRecord, plan: Plan, kind: Kind, data: bytes, name: str) -> None:
    record.rows = plan.rows
    record.created, record.updated, record.unchanged = plan.created, plan.updated, plan.unchanged
    record.plan_digest = plan.digest()
    record.changes = [
        {
            "row": action.row,
            "key": " · ".join(str(part) for part in action.key),
            "new": action.is_new,
            "columns": [] if action.is_new else action.columns,
        }
        for action in plan.actions[:CHANGES_KEPT]
    ]
    record.problem_count = len(plan.problems)
    record.problems = problems_in_every_language(kind, data, name, plan) if plan.problems else []
    record.state = ImportRecord.State.REFUSED if plan.problems else ImportRecord.State.CHECKED


def import_commit(*, record: ImportRecord, by: Staff | None, now: dt.datetime) -> ImportRecord:
    """Write a checked import. Steps:

    1. lock the record (and, on PostgreSQL, every import: one is written at a time) and make
       sure it is still waiting and its kept file is the one checked (SHA-256);
    2. check the file again against what is stored now;
    3. if rows now have problems, or the plan differs from the one the person confirmed (rows
       and fields to write), the record says so and nothing is written;
    4. else write every row to create or change, with its history, then what follows (signing
       authority, the calendar), and mark the record written with the counts.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(b"loading")])
        record = ImportRecord.objects.select_for_update().get(pk=record.pk)
        if record.state != ImportRecord.State.CHECKED:
            raise ImportRefused(_("This import is not waiting for confirmation."))
        with record.file.open("rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != record.sha256:
            raise ImportRefused(_("The kept file does not match its SHA-256; upload it again."))
        kind = kind_of(record.kind)
        plan = check(kind, data, record.original_name)
        record._history_user = by
        record._history_date = now
        if plan.problems or plan.digest() != record.plan_digest:
            _set_plan(record, plan, kind, data, record.original_name)
            record.checked_at = now
            record.save()
            return record
        write(plan, by=by, now=now, reason=_("Import #%(number)d") % {"number": record.pk})
        record.state = ImportRecord.State.COMMITTED
        record.committed_at = now
        record.committed_by = by
        record.save()
    return record


def write(plan: Plan, *, by: Staff | None, now: dt.datetime, reason: str) -> None:
    """Create and change the rows of a clean plan, each with its history row (who, when, why);
    unchanged rows are not touched, so they get no history."""
    kind = plan.kind
    kind.before_write(plan.actions, by=by, now=now)
    for action in plan.actions:
        obj = action.obj
        obj._history_user = by
        obj._history_date = now
        obj._change_reason = reason
        if action.is_new:
            obj.save()
        elif action.fields:
            obj.save(update_fields=action.fields)
        for key, value in action.m2m.items():
            kind.set_m2m(obj, kind.by_key[key], value, plan.lookups)
    kind.after_write(plan.actions, by=by, now=now)


# --- templates and exports ---------------------------------------------------------------------


def headers(kind: Kind) -> list[str]:
    return [column.header for column in kind.columns]


def template_xlsx(kind: Kind) -> bytes:
    return files.write_xlsx(
        title=kind.sheet, headers=headers(kind), rows=[kind.example_row()], notes=notes(kind)
    )


def notes(kind: Kind) -> list[list[str]]:
    lines = [["列 / Column", "必填 / Required", "写法 / How to write it"]]
    for column in kind.columns:
        required = "是 / yes" if column.key in kind.key else ""
        lines.append([column.header, required, _how(column)])
    lines.append([])
    lines.append(
        [
            "导入只新增和修改，从不删除；与已有数据相同的行不作改动。",
            "",
            "An import adds and changes rows, never deletes; a row equal to the stored one is "
            "left alone.",
        ]
    )
    return lines


def _how(column) -> str:
    hints = {
        "text": "文字 / text",
        "int": "整数 / whole number",
        "bool": "是 / 否 (yes / no)",
        "date": "2026-03-01",
        "ref": "代码 / code",
        "refs": "代码，以“、”分隔 / codes separated by 、 or ,",
        "roles": "角色，以“、”分隔 / roles separated by 、 or ,",
    }
    if column.type == "choice":
        names = []
        for value, label in column.choices.choices:
            with translation.override("zh-hans"):
                zh = str(label)
            with translation.override("en"):
                en = str(label)
            names.append(f"{zh} / {en} ({value})")
        return "; ".join(names)
    if column.type == "roles":
        from windows.roles import Role

        names = []
        for value, label in Role.choices:
            with translation.override("zh-hans"):
                names.append(f"{label} ({value})")
        return hints["roles"] + ": " + "; ".join(names)
    return hints[column.type] + (f" — {column.note}" if column.note else "")


def export_rows(kind: Kind, file_format: str) -> list[list[object]]:
    return [
        [column.written(column.stored(obj), file_format) for column in kind.columns]
        for obj in kind.export_queryset()
    ]


def export(kind: Kind, file_format: str) -> bytes:
    rows = export_rows(kind, file_format)
    if file_format == "csv":
        return files.write_csv(headers=headers(kind), rows=rows)
    return files.write_xlsx(title=kind.sheet, headers=headers(kind), rows=rows)
