"""What an uploaded file is, judged by its content, never by its name or the browser's word.

One table of signatures for every upload of the project: the scans of applications
(`applications.validators.scan_type`) and the guide's sample and blank forms
(`windows.models.Material`, `guide_file_type` below). Word and Excel files are ZIP archives
(Office Open XML): they are recognised by the parts inside, and one that carries macros
(`vbaProject.bin`) is refused. Nothing is unpacked: only the archive's list of names is read.
"""

from __future__ import annotations

import zipfile

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# (first bytes, content type, extensions with the one to store under first)
SIGNATURES = (
    (b"%PDF-", "application/pdf", ("pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", ("jpg", "jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", ("png",)),
)
ZIP_MAGIC = b"PK\x03\x04"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# An Office Open XML archive: the part that names it, and the content type and extension.
OFFICE_PARTS = (
    ("word/document.xml", DOCX, ("docx",)),
    ("xl/workbook.xml", XLSX, ("xlsx",)),
)
# The content type of each extension a stored file may have (the download views send it).
CONTENT_TYPES = {extensions[0]: kind for _first, kind, extensions in SIGNATURES + OFFICE_PARTS}


def _office_kind(upload) -> tuple[str, tuple[str, ...]] | None:
    """The content type and extensions of a Word or Excel archive, None for anything else;
    a ValidationError for one with macros."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ValidationError(
            _("This file carries macros; upload a copy saved without them (.docx or .xlsx)."),
            code="file_macros",
        )
    for part, content_type, extensions in OFFICE_PARTS:
        if part in names:
            return content_type, extensions
    return None


def first_bytes(upload, max_bytes: int, too_large: str, *, code: str) -> bytes:
    """The first bytes of an upload, which say what it is (the file is left at its start); a
    ValidationError `too_large` (with its size and the most allowed, in MB) beyond `max_bytes`."""
    if upload.size > max_bytes:
        raise ValidationError(
            too_large,
            code=code,
            params={"max": max_bytes // (1024 * 1024), "size": round(upload.size / 2**20, 1)},
        )
    head = upload.read(16)
    upload.seek(0)
    return head


def guide_file_type(upload, max_bytes: int) -> tuple[str, str]:
    """The content type and extension to store a guide's form under (PDF, Word, Excel, JPEG or
    PNG), or a ValidationError saying what is wrong in words an administrator understands."""
    head = first_bytes(
        upload,
        max_bytes,
        _("A form may be at most %(max)s MB; this file is %(size)s MB."),
        code="file_size",
    )
    found: tuple[str, tuple[str, ...]] | None = None
    for signature, content_type, extensions in SIGNATURES:
        if head.startswith(signature):
            found = content_type, extensions
    if found is None and head.startswith(ZIP_MAGIC):
        found = _office_kind(upload)
    if found is None:
        raise ValidationError(
            _(
                "Only PDF, Word (.docx), Excel (.xlsx), JPEG or PNG files are accepted; this "
                "file is none of them."
            ),
            code="file_type",
        )
    content_type, extensions = found
    name = upload.name or ""
    name_ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if name_ext not in extensions:
        raise ValidationError(
            _("This file is named “%(name)s” but its content is %(kind)s: choose the right file."),
            code="file_mismatch",
            params={"name": name, "kind": extensions[0].upper()},
        )
    return content_type, extensions[0]
