"""Validators for the numbers an applicant writes on a form.

- the unified social credit code of an organisation (统一社会信用代码, GB 32100-2015);
- the resident identity card number of a person (居民身份证号码, GB 11643-1999);
- a mainland mobile number;
- the project code given by the national investment project online approval platform (项目代码).

Each ``validate_*`` function is a Django validator: it returns ``None`` or raises
``ValidationError`` with a translatable message and a ``code``. The check-character helpers are
pure functions, usable anywhere (seed data, imports, tests).

Only ASCII letters are upper-cased, so a value's length never changes on the way in; the caller
is expected to strip surrounding whitespace (a form ``CharField`` does).
"""

from __future__ import annotations

import datetime as dt
import re
import string

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approval_center import uploads

__all__ = [
    "ID_LENGTH",
    "USCC_ALPHABET",
    "USCC_LENGTH",
    "id_birth_date",
    "id_check_char",
    "uscc_check_char",
    "validate_mobile",
    "validate_project_code",
    "validate_resident_id",
    "validate_uscc",
]

_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _upper(value: object) -> str:
    """``str(value)`` with ASCII letters in capitals and nothing else changed."""
    return str(value).translate(_ASCII_UPPER)


# --- Unified social credit code (GB 32100-2015) ------------------------------------------------

USCC_LENGTH = 18
#: The 31 characters of the code, in order of value 0–30: no I, O, Z, S or V.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}


def uscc_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code that starts with ``first17``.

    ``first17`` must be 17 characters of ``USCC_ALPHABET`` (capitals); ``ValueError`` otherwise.
    """
    if len(first17) != USCC_LENGTH - 1 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError(f"expected 17 characters of {USCC_ALPHABET!r}, got {first17!r}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: object) -> None:
    code = _upper(value)
    if len(code) != USCC_LENGTH:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(length)d."),
            code="uscc_length",
            params={"length": len(code)},
        )
    if any(c not in _USCC_VALUE for c in code):
        raise ValidationError(
            _(
                "A unified social credit code uses digits and capital letters other than "
                "I, O, Z, S and V."
            ),
            code="uscc_alphabet",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check character of this unified social credit code is wrong: "
                "the last character should be %(expected)s."
            ),
            code="uscc_check",
            params={"expected": expected},
        )


# --- Resident identity card number (GB 11643-1999) ---------------------------------------------

ID_LENGTH = 18
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_EARLIEST_BIRTH = dt.date(1900, 1, 1)
_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")  # explicit ranges: \d would take any Unicode digit


def id_check_char(first17: str) -> str:
    """The 18th character of a resident ID number that starts with ``first17``: a digit or X.

    ``first17`` must be 17 ASCII digits; ``ValueError`` otherwise.
    """
    if len(first17) != ID_LENGTH - 1 or any(c not in string.digits for c in first17):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def id_birth_date(number: str) -> dt.date | None:
    """The birth date in characters 7–14 of an 18-character ID number, or ``None`` when those
    characters are not a calendar date (no range check here)."""
    try:
        return dt.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return None


def _today() -> dt.date:
    # The center's own calendar day (Asia/Shanghai), not the server's.
    return timezone.localdate() if settings.USE_TZ else dt.date.today()


def validate_resident_id(value: object) -> None:
    number = _upper(value)
    if len(number) != ID_LENGTH:
        raise ValidationError(
            _("A resident ID number has 18 characters; this one has %(length)d."),
            code="id_length",
            params={"length": len(number)},
        )
    if not _ID_FORMAT.fullmatch(number):
        raise ValidationError(
            _("A resident ID number is 17 digits followed by a digit or X."),
            code="id_format",
        )
    born = id_birth_date(number)
    if born is None or not ID_EARLIEST_BIRTH <= born <= _today():
        raw = number[6:14]
        raise ValidationError(
            _("The birth date in this ID number (%(date)s) is not a real date."),
            code="id_birth_date",
            params={"date": f"{raw[:4]}-{raw[4:6]}-{raw[6:]}"},
        )
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _(
                "The check character of this ID number is wrong: "
                "the last character should be %(expected)s."
            ),
            code="id_check",
            params={"expected": expected},
        )


# --- Mainland mobile number --------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def validate_mobile(value: object) -> None:
    if not _MOBILE.fullmatch(str(value)):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number, such as 13800000000."),
            code="mobile",
        )


# --- National investment project code ----------------------------------------------------------

#: year - administrative division - industry - project type - serial number
_PROJECT_CODE = re.compile(r"([0-9]{4})-[0-9]{6}-[0-9]{2}-[0-9]{2}-[0-9]{6}")
PROJECT_CODE_YEARS = range(2000, 2101)


def validate_project_code(value: object) -> None:
    match = _PROJECT_CODE.fullmatch(str(value))
    if match is None or int(match.group(1)) not in PROJECT_CODE_YEARS:
        raise ValidationError(
            _(
                "A project code looks like 2026-330185-47-01-123456: year, division code, "
                "industry, type and serial number."
            ),
            code="project_code",
        )


# Scans: what a file is, by its first bytes, whatever its name says (the project's one table of
# signatures, approval_center/uploads.py: PDF, JPEG and PNG).
SCAN_SIGNATURES = uploads.SIGNATURES


def scan_type(upload, max_bytes: int) -> tuple[str, str]:
    """The content type and file extension of an uploaded scan, or a ValidationError.

    The content decides; a name that claims another type is refused, since a clerk who
    uploads "licence.pdf" and gets a picture has picked the wrong file.
    """
    head = uploads.first_bytes(
        upload,
        max_bytes,
        _("A scan may be at most %(max)s MB; this file is %(size)s MB."),
        code="scan_size",
    )
    name_ext = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    for signature, content_type, extensions in SCAN_SIGNATURES:
        if head.startswith(signature):
            if name_ext not in extensions:
                raise ValidationError(
                    _(
                        "This file is named “%(name)s” but its content is %(kind)s: choose the "
                        "right file."
                    ),
                    code="scan_mismatch",
                    params={"name": upload.name, "kind": extensions[0].upper()},
                )
            return content_type, extensions[0]
    raise ValidationError(
        _("Only PDF, JPEG or PNG scans are accepted; this file is none of them."),
        code="scan_type",
    )
