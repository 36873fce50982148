"""The dry run: every row of a table checked as the admin's forms check it, against what is
stored, into a plan (rows to create, rows to update with the fields that change, rows unchanged)
and the problems, each with its sheet, row, column and reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from .columns import EMPTY, CellError, Column
from .files import Table
from .kinds import Action, Kind, Lookups


@dataclass
class Problem:
    sheet: str
    row: int
    column: Column | str | None  # a known column, an unknown header's text, or the whole row
    reason: str

    def column_text(self) -> str:
        if isinstance(self.column, Column):
            return self.column.label()
        return self.column or "—"


@dataclass
class Plan:
    kind: Kind
    rows: int = 0
    actions: list[Action] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    lookups: Lookups = field(default_factory=Lookups)

    @property
    def created(self) -> int:
        return sum(1 for a in self.actions if a.is_new)

    @property
    def updated(self) -> int:
        return sum(1 for a in self.actions if not a.is_new)

    def digest(self) -> str:
        """What this plan would write, as a fingerprint: the rows, new or changed, and which
        fields of each."""
        import hashlib

        text = repr(
            [(a.row, a.is_new, sorted(a.fields), sorted(a.m2m.items())) for a in self.actions]
        )
        return hashlib.sha256(text.encode()).hexdigest()


def header_columns(kind: Kind, table: Table, plan: Plan) -> dict[Column, int]:
    """The kind's columns found in the header, by position; problems for the rest."""
    found: dict[Column, int] = {}
    for index, header in enumerate(table.headers):
        if not header:
            continue
        column = next((c for c in kind.columns if c.matches(header)), None)
        if column is None:
            plan.problems.append(
                Problem(
                    table.sheet,
                    table.header_row,
                    header,
                    _("Unknown column. The columns of this kind are: %(columns)s.")
                    % {"columns": "、".join(c.label() for c in kind.columns)},
                )
            )
        elif column in found:
            plan.problems.append(
                Problem(table.sheet, table.header_row, column, _("This column appears twice."))
            )
        else:
            found[column] = index
    for key in kind.key:
        column = kind.by_key[key]
        if column not in found:
            plan.problems.append(
                Problem(
                    table.sheet,
                    table.header_row,
                    column,
                    _("This column is missing: it says which row is which."),
                )
            )
    return found


def check_table(kind: Kind, table: Table) -> Plan:
    """Steps:

    1. match the header to the kind's columns (either language); stop at a problem there;
    2. read each row's cells (types, choices, references to stored objects);
    3. find the stored object by the key; a key or unique value twice in the file is refused;
    4. compare the row with the stored object column by column: equal rows are left alone;
    5. set the changed values on the object and validate it as the admin would (fields,
       `clean()`, constraints, uniqueness, the kind's own refusals).
    """
    plan = Plan(kind=kind, rows=len(table.rows))
    found = header_columns(kind, table, plan)
    if plan.problems:
        return plan
    stored = {_key_of(kind, obj): obj for obj in kind.queryset()}
    seen: dict[tuple[str, object], int] = {}
    for number, cells in table.rows:
        values: dict[Column, object] = {}
        row_problems: list[Problem] = []
        for column, index in found.items():
            cell = cells[index] if index < len(cells) else None
            try:
                values[column] = column.read(cell, plan.lookups)
            except CellError as error:
                row_problems.append(Problem(table.sheet, number, column, str(error)))
        for key in kind.key:
            column = kind.by_key[key]
            if column in values and values[column] is EMPTY:
                row_problems.append(
                    Problem(table.sheet, number, column, _("This cell must be filled in."))
                )
        if row_problems:
            plan.problems += row_problems
            continue
        key = tuple(values[kind.by_key[k]] for k in kind.key)
        twice = False
        for name in ("key", *kind.unique_in_file):
            column = kind.by_key.get(name)
            if name != "key" and column not in values:
                continue
            marker = (name, key if name == "key" else values[column])
            if marker in seen:
                shown = kind.by_key[kind.key[-1]] if name == "key" else column
                plan.problems.append(
                    Problem(
                        table.sheet,
                        number,
                        shown,
                        _("The same as row %(row)d: each row must be a different one.")
                        % {"row": seen[marker]},
                    )
                )
                twice = True
            else:
                seen[marker] = number
        if twice:
            continue
        obj = stored.get(key)
        is_new = obj is None
        if is_new:
            obj = kind.new()
        changed, m2m, columns = [], {}, []
        for column, value in values.items():
            effective = _effective(kind, column, value)
            if not is_new and column.stored(obj) == effective:
                continue
            columns.append(column.key)
            if column.type in ("refs", "roles"):
                m2m[column.key] = effective
            else:
                kind.assign(obj, column, effective, plan.lookups)
                changed.append(column.model_field)
        if not is_new and not changed and not m2m:
            plan.unchanged += 1
            continue
        problems = validate(kind, obj, m2m, plan.lookups)
        if problems:
            for model_field, reasons in problems.items():
                column = _column_of(kind, model_field)
                for reason in reasons:
                    plan.problems.append(Problem(table.sheet, number, column, reason))
            continue
        plan.actions.append(
            Action(
                row=number,
                obj=obj,
                is_new=is_new,
                key=key,
                fields=changed,
                m2m=m2m,
                columns=columns,
            )
        )
    return plan


def _key_of(kind: Kind, obj) -> tuple:
    return tuple(kind.by_key[k].stored(obj) for k in kind.key)


def _effective(kind: Kind, column: Column, value: object) -> object:
    """What an empty cell stands for: the field's default, or none."""
    if value is not EMPTY:
        return value
    if column.type == "ref":
        return None
    model_field = kind.model._meta.get_field(column.model_field)
    if model_field.null:
        return None
    if model_field.has_default():
        return model_field.get_default()
    if column.type == "text":
        return ""
    return None


def _column_of(kind: Kind, model_field: str) -> Column | None:
    for column in kind.columns:
        if column.model_field == model_field or column.key == model_field:
            return column
    return None


def validate(kind: Kind, obj, m2m: dict, lookups: Lookups) -> dict:
    """The model's own validation, as the admin's forms run it: {model field or None: reasons}."""
    problems: dict[str | None, list[str]] = {}

    def collect(error: ValidationError) -> None:
        for name, messages in error.update_error_dict({}).items():
            target = None if name == NON_FIELD_ERRORS else name
            for message in ValidationError(messages).messages:
                if message not in problems.get(target, []):
                    problems.setdefault(target, []).append(message)

    try:
        obj.clean_fields(exclude=set(kind.clean_exclude))
    except ValidationError as error:
        collect(error)
    if kind.model_clean and not problems:
        try:
            obj.clean()
        except ValidationError as error:
            collect(error)
    try:
        obj.validate_unique(exclude=set(kind.clean_exclude))
    except ValidationError as error:
        collect(error)
    for constraint in kind.model._meta.constraints:
        target = kind.constraint_columns.get(constraint.name)
        try:
            constraint.validate(kind.model, obj)
        except ValidationError as error:
            if target and problems.get(target):
                continue  # the field's own message says it already
            for message in error.messages:
                problems.setdefault(target, []).append(message)
    for name, messages in kind.extra_problems(obj, m2m, lookups).items():
        problems.setdefault(name, []).extend(messages)
    return problems
