"""Reading and writing the spreadsheets: XLSX through openpyxl and CSV, as plain tables of cells.

A thin layer (rather than django-import-export): the columns, the checks and the writing live in
`kinds.py` and `services.py`, where they use the models' own validation and history; this module
only turns bytes into rows and rows into bytes, and refuses what it cannot read with a message a
person understands.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

# The first bytes of an XLSX (a ZIP archive) and of the old binary .xls (an OLE2 file).
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# More columns than any kind has, so a stray cell far to the right is not read forever.
MAX_COLUMNS = 40
# Rows a title may take above the header.
TITLE_ROWS = 5


class UnreadableFile(Exception):
    """The file cannot be read as a table: the message says why, in the reader's language."""


@dataclass
class Table:
    sheet: str  # the sheet's name (the file's name for a CSV)
    file_format: str  # "xlsx" or "csv"
    header_row: int = 0
    headers: list[str] = field(default_factory=list)
    # (row number as the spreadsheet shows it, cells)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


def file_format(data: bytes, name: str) -> str:
    """ "xlsx" or "csv", judged by the content (and for text, the name)."""
    if not data:
        raise UnreadableFile(_("The file is empty."))
    if data.startswith(ZIP_MAGIC):
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        raise UnreadableFile(
            _("This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV.")
        )
    if name.lower().endswith((".csv", ".txt")):
        return "csv"
    raise UnreadableFile(_("Upload an Excel workbook (.xlsx) or a CSV file."))


def read_table(
    data: bytes,
    name: str,
    *,
    sheet_names: tuple[str, ...] = (),
    is_header: Callable[[list[str]], bool] = lambda cells: True,
) -> Table:
    """The header and the non-empty rows of the file. For a workbook, the first sheet whose
    name is one of `sheet_names`, else the first sheet.

    The header is the first of the first TITLE_ROWS non-empty rows that `is_header` accepts
    (a title such as “临安市行政审批事项目录” above it is passed over), else the first non-empty
    row."""
    kind = file_format(data, name)
    if kind == "xlsx":
        rows, sheet = _xlsx_rows(data, sheet_names)
    else:
        rows, sheet = _csv_rows(data), name
    table = Table(sheet=sheet, file_format=kind)
    limit = settings.IMPORT_MAX_ROWS
    leading: list[tuple[int, list[object]]] = []  # non-empty rows while the header is unknown
    for number, cells in rows:
        if all(_blank(c) for c in cells):
            continue
        if not table.headers:
            leading.append((number, list(cells)))
            texts = [_text(c) for c in cells]
            if is_header(texts):
                _set_header(table, number, texts)
                leading = []
            elif len(leading) >= TITLE_ROWS:
                first_number, first_cells = leading[0]
                _set_header(table, first_number, [_text(c) for c in first_cells])
                table.rows.extend(leading[1:])
                leading = []
            continue
        if len(table.rows) >= limit:
            raise UnreadableFile(
                _("The file has more than %(limit)d rows; split it into several files.")
                % {"limit": limit}
            )
        table.rows.append((number, list(cells)))
    if not table.headers and leading:
        first_number, first_cells = leading[0]
        _set_header(table, first_number, [_text(c) for c in first_cells])
        table.rows.extend(leading[1:])
    if not table.headers:
        raise UnreadableFile(_("The file is empty."))
    if not table.rows:
        raise UnreadableFile(_("The file has a header but no rows below it."))
    return table


def _set_header(table: Table, number: int, texts: list[str]) -> None:
    table.header_row = number
    table.headers = texts
    while table.headers and not table.headers[-1]:
        table.headers.pop()


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


def _xlsx_rows(data: bytes, sheet_names: tuple[str, ...]):
    import openpyxl

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        # A small archive that unpacks to gigabytes (a "zip bomb") is refused before reading.
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableFile(_("The workbook is damaged and cannot be read.")) from error
    if unpacked > settings.IMPORT_MAX_BYTES * 20:
        raise UnreadableFile(_("The workbook unpacks to too much data; split it into files."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableFile(
            _("This is not an Excel workbook (.xlsx), or it is damaged.")
        ) from error
    names = workbook.sheetnames
    chosen = next((n for n in names if n.strip() in sheet_names), names[0] if names else None)
    if chosen is None:
        raise UnreadableFile(_("The file is empty."))
    sheet = workbook[chosen]

    def rows():
        try:
            for number, cells in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1
            ):
                yield number, list(cells)
        except Exception as error:
            raise UnreadableFile(_("The workbook is damaged and cannot be read.")) from error
        finally:
            workbook.close()

    return rows(), chosen


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without the byte order mark Excel writes) or GB18030 (which includes GBK,
    what Excel writes for "CSV" on a Chinese Windows); anything else is refused."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(
            _("The file is in UTF-16 (Excel's “Unicode text”). Save it as “CSV UTF-8” instead.")
        )
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise UnreadableFile(
        _(
            "The file is not text in UTF-8 or GB18030 (GBK). Save it from Excel as “CSV UTF-8 "
            "(comma delimited)”, or upload the workbook itself."
        )
    )


def _csv_rows(data: bytes):
    text = decode_text(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, 1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as error:
        raise UnreadableFile(
            _("The CSV file cannot be read: %(reason)s") % {"reason": error}
        ) from error


# --- writing -----------------------------------------------------------------------------------


def write_xlsx(
    *, title: str, headers: list[str], rows: list[list[object]], notes: list[list[str]] = ()
) -> bytes:
    import openpyxl
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
    for row in rows:
        sheet.append(row)
    for index, header in enumerate(headers, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(header) + 4))
    sheet.freeze_panes = "A2"
    if notes:
        sheet_notes = workbook.create_sheet("说明 Notes")
        for line in notes:
            sheet_notes.append(line)
        for cell in sheet_notes[1]:
            cell.font = Font(bold=True)
        for letter, width in zip("ABCD", (34, 12, 60, 40), strict=False):
            sheet_notes.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_csv(*, headers: list[str], rows: list[list[object]]) -> bytes:
    """UTF-8 with the byte order mark, so Excel opens the Chinese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
