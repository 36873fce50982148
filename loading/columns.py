"""The columns of a sheet: the header in Chinese and English, how a cell is read, how the stored
value is written out. Reading and writing go through the same column, so an export imported
again compares equal, row by row."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from windows.roles import Role

# Separators between the codes of a list cell (items of a letter, roles of a person): the
# Chinese enumeration comma first, as the export writes it.
LIST_SEPARATORS = re.compile(r"[、,，;；\n]+")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
YES = {"是", "yes", "y", "true", "1", "√", "✓", "t"}
NO = {"否", "no", "n", "false", "0", "×", "f"}


class Empty:
    """A cell left empty: the field's own empty value (its default, or none)."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = Empty()


class CellError(Exception):
    pass


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    type: str = "text"  # text | int | bool | date | choice | ref | refs | roles
    field: str = ""  # the model field it fills (default: key); "" with type refs/roles
    choices: type | None = None  # a TextChoices for type "choice"
    ref: str = ""  # the kind of object a ref names: department, window, staff, item, material
    example: object = ""
    note: str = ""  # a hint printed in the template's notes, in both languages

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"

    @property
    def model_field(self) -> str:
        return self.field or self.key

    def label(self) -> str:
        """The column's name in the reader's language."""
        return self.zh if (translation.get_language() or "").startswith("zh") else self.en

    def matches(self, header: str) -> bool:
        wanted = {_fold(self.header), _fold(self.zh), _fold(self.en)}
        return _fold(header) in wanted

    # --- reading ---------------------------------------------------------------------------

    def read(self, cell: object, lookups) -> object:
        """The value of a cell, or EMPTY; CellError with the reason when it cannot be read."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            return () if self.type in ("refs", "roles") else EMPTY
        reader = getattr(self, f"_read_{self.type}")
        return reader(cell, lookups)

    def _read_text(self, cell, lookups) -> str:
        if isinstance(cell, bool):
            return yes_no(cell)
        if isinstance(cell, float) and cell.is_integer():
            return str(int(cell))
        if isinstance(cell, dt.datetime):
            return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()
        if isinstance(cell, dt.date):
            return cell.isoformat()
        return str(cell).strip()

    def _read_int(self, cell, lookups) -> int:
        if isinstance(cell, bool):
            raise CellError(_("Write a whole number."))
        if isinstance(cell, int):
            return cell
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        text = str(cell).strip()
        if re.fullmatch(r"-?\d{1,9}(\.0+)?", text):
            return int(float(text))
        raise CellError(_("Write a whole number."))

    def _read_bool(self, cell, lookups) -> bool:
        if isinstance(cell, bool):
            return cell
        text = str(cell).strip().lower()
        if isinstance(cell, float) and cell.is_integer():
            text = str(int(cell))
        if text in YES or text == yes_no(True).lower():
            return True
        if text in NO or text == yes_no(False).lower():
            return False
        raise CellError(_("Write 是 or 否 (yes or no)."))

    def _read_date(self, cell, lookups) -> dt.date:
        if isinstance(cell, dt.datetime):
            return cell.date()
        if isinstance(cell, dt.date):
            return cell
        text = str(cell).strip()
        for pattern in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise CellError(_("Write a date such as 2026-03-01."))

    def _read_choice(self, cell, lookups) -> str:
        value = choice_value(self.choices, str(cell))
        if value is None:
            raise CellError(
                _("Use one of: %(choices)s.")
                % {"choices": "、".join(str(label) for label in self.choices.labels)}
            )
        return value

    def _read_ref(self, cell, lookups) -> str:
        code = self._read_text(cell, lookups)
        if code not in lookups.of(self.ref):
            raise CellError(unknown(self.ref, [code]))
        return code

    def _read_refs(self, cell, lookups) -> tuple[str, ...]:
        codes = split_list(self._read_text(cell, lookups))
        missing = [code for code in codes if code not in lookups.of(self.ref)]
        if missing:
            raise CellError(unknown(self.ref, missing))
        return tuple(sorted(codes))

    def _read_roles(self, cell, lookups) -> tuple[str, ...]:
        values, missing = [], []
        for text in split_list(self._read_text(cell, lookups)):
            value = choice_value(Role, text)
            (values if value else missing).append(value or text)
        if missing:
            raise CellError(
                _("Unknown role: %(values)s. Use one of: %(choices)s.")
                % {
                    "values": "、".join(missing),
                    "choices": "、".join(str(label) for label in Role.labels),
                }
            )
        return tuple(sorted(set(values)))

    # --- the stored value, and writing it out ---------------------------------------------

    def stored(self, obj) -> object:
        """The object's value as this column compares it: codes for references."""
        if self.type == "refs":
            return tuple(
                sorted(getattr(o, REF_KEYS[self.ref]) for o in getattr(obj, self.key).all())
            )
        if self.type == "roles":
            return tuple(sorted(g.name for g in obj.groups.all() if g.name in Role.values))
        value = getattr(obj, self.model_field)
        if self.type == "ref":
            return getattr(value, REF_KEYS[self.ref]) if value is not None else None
        return value

    def written(self, value: object, file_format: str) -> object:
        """A stored value as a cell of an export, in the reader's language."""
        if value is None:
            return ""
        if self.type == "bool":
            return yes_no(value)
        if self.type == "choice":
            return str(self.choices(value).label) if value in self.choices.values else value
        if self.type == "refs":
            return "、".join(value)
        if self.type == "roles":
            return "、".join(str(Role(v).label) for v in value)
        if self.type == "date" and file_format == "csv":
            return value.isoformat()
        return value


# The attribute that names an object of each kind in a sheet.
REF_KEYS = {
    "department": "code",
    "window": "number",
    "staff": "username",
    "item": "code",
    "material": "name",
}


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).replace("／", "/")).strip().casefold()


def split_list(text: str) -> list[str]:
    seen: list[str] = []
    for part in LIST_SEPARATORS.split(text):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def yes_no(value: bool) -> str:
    return pgettext("spreadsheet cell", "yes") if value else pgettext("spreadsheet cell", "no")


def choice_value(choices, text: str) -> str | None:
    """The value of a choice written as its value or its label in any of the languages."""
    return _choice_names(choices).get(_fold(text))


@functools.cache
def _choice_names(choices) -> dict[str, str]:
    names = {}
    for value, label in choices.choices:
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                names.setdefault(_fold(str(label)), value)
        names[_fold(value)] = value
    return names


def unknown(ref: str, codes: list[str]) -> str:
    joined = "、".join(codes)
    messages = {
        "department": _("Unknown department code: %(codes)s. Load the departments first."),
        "window": _("Unknown window number: %(codes)s. Load the windows first."),
        "staff": _("Unknown user name: %(codes)s. Load the staff first."),
        "item": _("Unknown item code: %(codes)s. Load the items first."),
        "material": _("Unknown material: %(codes)s. Load the materials first."),
    }
    return messages[ref] % {"codes": joined}
