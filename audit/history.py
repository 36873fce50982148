"""The audit trail: every history row of every model, searchable by who, when, model and object.

Each model with django-simple-history has its own history table; the search is one UNION ALL of
the same few columns over those tables, newest first, and only the rows of the page shown are
then read in full to say what changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.db.models import CharField, F, Model, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format

# The records that are about a person (their account, roles and permissions; their signing
# authority on an item; their second factor enrolled and reset), by the fields that name that
# person: "who made her an administrator, and when" is one search by her name.
PERSON_FIELDS = {
    "windows.staff": ("username", "full_name"),
    "windows.itemuserobjectpermission": ("user__username", "user__full_name"),
    "twofactor.secondfactor": ("staff__username", "staff__full_name"),
}
COLUMNS = ("history_id", "history_date", "history_type", "history_user_id", "object_id", "model")


def history_models() -> dict[str, type[Model]]:
    """{"app_label.modelname" of the tracked model: its history model}, in a stable order."""
    found = {}
    for model in apps.get_models():
        if not model.__name__.startswith("Historical") or not hasattr(model, "instance_type"):
            continue
        if not any(f.name == "history_type" for f in model._meta.fields):
            continue  # the m2m history of a letter's items: read with its letter
        tracked = model.instance_type._meta
        found[f"{tracked.app_label}.{tracked.model_name}"] = model
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Search:
    model: str = ""
    who: str = ""
    person: str = ""
    object_id: str = ""
    kind: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _one(label: str, model: type[Model], search: Search) -> QuerySet:
    # The tracked object's key as text: most keys are numbers, a calendar day's is its date.
    key = model.instance_type._meta.pk.attname
    rows = model.objects.annotate(
        object_id=Cast(F(key), CharField()), model=Value(label, output_field=CharField())
    )
    if search.who:
        rows = rows.filter(history_user__username__icontains=search.who) | rows.filter(
            history_user__full_name__icontains=search.who
        )
    if search.person:
        username, full_name = PERSON_FIELDS[label]
        rows = rows.filter(
            Q(**{f"{username}__icontains": search.person})
            | Q(**{f"{full_name}__icontains": search.person})
        )
    if search.object_id:
        rows = rows.filter(object_id=search.object_id)
    if search.kind:
        rows = rows.filter(history_type=search.kind)
    if search.since:
        rows = rows.filter(history_date__date__gte=search.since)
    if search.until:
        rows = rows.filter(history_date__date__lte=search.until)
    return rows.order_by().values_list(*COLUMNS)


def search(query: Search) -> QuerySet:
    """The matching history rows as tuples of COLUMNS, newest first."""
    models = history_models()
    chosen = {query.model: models[query.model]} if query.model in models else models
    if query.person:
        chosen = {label: model for label, model in chosen.items() if label in PERSON_FIELDS}
        if not chosen:
            return models["windows.staff"].objects.none()
    parts = [_one(label, model, query) for label, model in chosen.items()]
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return rows.order_by("-history_date", "-history_id")


@dataclass
class Entry:
    at: dt.datetime
    kind: str
    user: Model | None
    model: type[Model]
    object_id: str
    record: Model
    changes: list[tuple[str, object, object]]

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def admin_url(self) -> str:
        """The object's history in the admin, where the admin has it."""
        meta = self.model._meta
        try:
            return reverse(
                f"admin:{meta.app_label}_{meta.model_name}_history", args=[self.object_id]
            )
        except NoReverseMatch:
            return ""


def readable(field, value, cache: dict) -> object:
    """A stored value as a person reads it: a choice's label, a related object's name, a time
    in the center's zone."""
    if value is None or value == "":
        return None
    if field.many_to_many:
        return _members(field, value, cache)
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation and field.related_model is not None:
        key = (field.related_model, value)
        if key not in cache:
            cache[key] = field.related_model._default_manager.filter(pk=value).first() or value
        return cache[key]
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return value


def _members(field, rows: list[dict], cache: dict) -> str | None:
    """A many-to-many field's value in a history row (the rows of its through table, as
    simple-history's diff gives them) as the names of the related objects: a letter's items, a
    meeting's departments, a person's groups."""
    target = field.m2m_reverse_field_name()
    keys = [row[target] for row in rows if row.get(target) is not None]
    missing = [key for key in keys if (field.related_model, key) not in cache]
    if missing:
        found = field.related_model._default_manager.in_bulk(missing)
        for key in missing:
            cache[(field.related_model, key)] = found.get(key, key)
    names = [_name(cache[(field.related_model, key)]) for key in keys]
    return ", ".join(names) or None


def _taken_and_given(field, old: list[dict], new: list[dict]) -> tuple[list, list]:
    """A many-to-many change as what was taken away and what was given (the rows of its through
    table on each side), rather than the whole lists: "who gave this role that permission" reads
    in one line even when the role holds thirty."""
    target = field.m2m_reverse_field_name()
    before = {row.get(target) for row in old or []}
    after = {row.get(target) for row in new or []}
    taken = [row for row in old or [] if row.get(target) not in after]
    given = [row for row in new or [] if row.get(target) not in before]
    return taken, given


def _name(obj) -> str:
    """A role's group under the role's name in the reader's language; anything else as it
    reads."""
    from django.contrib.auth.models import Group

    from windows.roles import Role

    if isinstance(obj, Group) and obj.name in Role.values:
        return str(Role(obj.name).label)
    return str(obj)


def entries(rows: list[tuple]) -> list[Entry]:
    """Read the page's rows in full: the record, who, and each field changed since the one
    before (one query per model on the page, one per changed row for the row before it)."""
    from windows.models import Staff

    models = history_models()
    wanted: dict[str, list[int]] = {}
    for row in rows:
        wanted.setdefault(row[5], []).append(row[0])
    records = {
        (label, record.history_id): record
        for label, ids in wanted.items()
        for record in models[label].objects.filter(history_id__in=ids)
    }
    users = Staff.objects.in_bulk({row[3] for row in rows if row[3]})
    related: dict = {}
    result = []
    for history_id, at, kind, user_id, object_id, label in rows:
        record = records[(label, history_id)]
        changes = []
        if kind == "~":
            # The row written before this one for the same object (several changes can share an
            # instant, so by the order they were written rather than by their date).
            key = record.instance_type._meta.pk.attname
            previous = (
                type(record)
                .objects.filter(**{key: getattr(record, key)}, history_id__lt=record.history_id)
                .order_by("-history_id")
                .first()
            )
            if previous is not None:
                delta = record.diff_against(previous, foreign_keys_are_objs=False)
                for change in delta.changes:
                    field = record.instance_type._meta.get_field(change.field)
                    old, new = change.old, change.new
                    if field.many_to_many:
                        old, new = _taken_and_given(field, old, new)
                    changes.append(
                        (
                            str(field.verbose_name),
                            readable(field, old, related),
                            readable(field, new, related),
                        )
                    )
        result.append(
            Entry(
                at=timezone.localtime(at),
                kind=kind,
                user=users.get(user_id),
                model=record.instance_type,
                object_id=object_id,
                record=record,
                changes=changes,
            )
        )
    return result
