"""Pages of the statistics of cases (supervision/statistics.py): the table for a month or a
year on the page, as a spreadsheet (XLSX) and as a printable PDF. The files go to the county
government, so they are in Chinese, like the center's other documents
(applications/documents.py), whatever the reader's language."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from applications.documents import html_to_pdf
from windows.models import Department, Staff
from windows.roles import Role

from . import statistics as s
from .assessment import Period
from .forms import StatisticsForm

# The files are for the county government: in Chinese, as the center's documents are.
FILE_LANGUAGE = "zh-hans"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _reader(user: Staff) -> Department | None:
    """Center managers, administrators and the head of the government read the whole center
    and may pick a department (None here); a department leader reads their department only.
    Anyone else: 403."""
    if user.has_role(Role.CENTER_MANAGER, Role.ADMINISTRATOR, Role.GOVERNMENT_HEAD):
        return None
    if user.has_role(Role.DEPARTMENT_LEADER) and user.department_id:
        return user.department
    raise PermissionDenied


def last_month(today: dt.date) -> Period:
    """The period a report is usually asked for: the last month that is over."""
    return Period.of(today).previous()


def _form(request: HttpRequest, today: dt.date, fixed: Department | None) -> StatisticsForm:
    data = request.GET
    if "year" not in data:  # first visit: the last month that is over
        period = last_month(today)
        data = {"year": period.year, "month": period.number}
    return StatisticsForm(data, today=today, departments=fixed is None)


def _compute(form: StatisticsForm, today: dt.date, fixed: Department | None) -> s.Statistics:
    department = fixed or form.cleaned_data.get("department")
    return s.compute(form.cleaned_data["period"], today=today, department=department)


def _query(form: StatisticsForm) -> str:
    """The period and department as the download links carry them."""
    data = form.cleaned_data
    params = {"year": data["year"], "month": data.get("month") or ""}
    if data.get("department"):
        params["department"] = data["department"].code
    return urlencode(params)


def _errors(form: StatisticsForm) -> HttpResponse:
    text = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")


def _filename(stats: s.Statistics, extension: str) -> str:
    suffix = f"-{stats.department.code}" if stats.department else ""
    return f"statistics-{stats.period.key}{suffix}.{extension}"


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    """The table of cases for a month or a year, by department and by item."""
    fixed = _reader(request.user)
    today = timezone.localdate()
    form = _form(request, today, fixed)
    context = {
        "form": form,
        "fixed": fixed,
        "today": today,
        "columns": s.COLUMNS,
        "case_note": s.CASE_NOTE,
    }
    if form.is_valid():
        stats = _compute(form, today, fixed)
        context.update({"stats": stats, "query": _query(form)})
    return render(request, "supervision/statistics.html", context)


def _header(stats: s.Statistics) -> dict:
    """The lines above the table of the files."""
    unit = settings.CENTER_NAME
    if stats.department is not None:
        unit = f"{unit}（{stats.department.name}）"
    return {
        "title": _("%(center)s %(period)s statistics of administrative approval cases")
        % {"center": settings.CENTER_NAME, "period": stats.period.label},
        "period": _("Period: %(start)s to %(end)s")
        % {
            "start": date_format(stats.period.start, "DATE_FORMAT"),
            "end": date_format(stats.period.end, "DATE_FORMAT"),
        }
        + (
            _(" (so far, up to %(today)s)") % {"today": date_format(stats.today, "DATE_FORMAT")}
            if stats.running
            else ""
        ),
        "unit": unit,
    }


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


THIN = Side(style="thin", color="444444")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
GREY = PatternFill("solid", fgColor="EEEEEE")


def _text(sheet, row: int, column: int, text: str):
    """A cell of text: never a formula, whatever the text (a name beginning with =)."""
    cell = sheet.cell(row=row, column=column, value=text)
    cell.data_type = "s"
    return cell


def _across(sheet, row: int, width: int, text: str, **font) -> None:
    """A line of text across the table's width."""
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = _text(sheet, row, 1, text)
    cell.font = Font(**font)
    cell.alignment = Alignment(
        horizontal="center" if font.get("bold") else "left", wrap_text=not font.get("bold")
    )


def _sheet(
    sheet,
    stats: s.Statistics,
    head: dict,
    filled: str,
    headings: list[str],
    rows: list[tuple[list[str], s.Line]],
) -> None:
    """One table: title, period, who filled it in, headings, rows, the total row, notes."""
    width = len(headings) + len(s.COLUMNS)
    _across(sheet, 1, width, head["title"], bold=True, size=14)
    _across(sheet, 2, width, head["period"])
    _across(sheet, 3, width, filled)
    for column, text in enumerate([*headings, *(str(c[1]) for c in s.COLUMNS)], start=1):
        cell = _text(sheet, 5, column, text)
        cell.font, cell.fill, cell.border = Font(bold=True), GREY, BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    total = ([pgettext("statistics", "Total"), *([""] * (len(headings) - 1))], stats.total)
    for row, (texts, line) in enumerate([*rows, total], start=6):
        for column, text in enumerate(texts, start=1):
            _text(sheet, row, column, text)
        for column, (code, value, _bad) in enumerate(line.cells(), start=len(texts) + 1):
            cell = sheet.cell(row=row, column=column)
            if code == "on_time_rate":
                cell.value = None if value is None else round(value / 100, 4)
                cell.number_format = "0.0%"
            else:
                cell.value = value
        for column in range(1, width + 1):
            cell = sheet.cell(row=row, column=column)
            cell.border = BOX
            if line is stats.total:
                cell.font, cell.fill = Font(bold=True), GREY
        if line is stats.total and len(headings) > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(headings))
    notes = 6 + len(rows) + 2
    sheet.cell(row=notes, column=1, value=pgettext("statistics", "Notes")).font = Font(bold=True)
    for n, (_code, label, note) in enumerate(s.COLUMNS, start=1):
        _across(sheet, notes + n, width, f"{n}. {label}：{note}")
        sheet.row_dimensions[notes + n].height = 30
    _across(sheet, notes + len(s.COLUMNS) + 1, width, str(s.CASE_NOTE))
    sheet.row_dimensions[notes + len(s.COLUMNS) + 1].height = 30
    for column in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 10
    for column, heading_width in enumerate((16, 30, 10)[: len(headings)], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = heading_width
    sheet.row_dimensions[5].height = 32
    sheet.freeze_panes = sheet.cell(row=6, column=len(headings) + 1)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def workbook(stats: s.Statistics, *, filled_by: str, filled_on: dt.date) -> bytes:
    """The table as an XLSX workbook: a sheet by department and a sheet by item, each with
    the title, the period, who filled it in, the columns with their total row, and the notes
    that define each figure. In the active language (the view sets Chinese)."""
    book = Workbook()
    head = _header(stats)
    book.properties.title = head["title"]
    book.properties.creator = settings.CENTER_NAME
    filled = "　　".join(
        [
            _("Reporting unit: %(unit)s") % {"unit": head["unit"]},
            _("Filled in by: %(name)s") % {"name": filled_by},
            _("Date: %(date)s") % {"date": date_format(filled_on, "DATE_FORMAT")},
        ]
    )
    by_department = book.active
    by_department.title = _("By department")
    _sheet(
        by_department,
        stats,
        head,
        filled,
        [_("Department")],
        [([r.name], r.line) for r in stats.departments],
    )
    _sheet(
        book.create_sheet(_("By item")),
        stats,
        head,
        filled,
        [_("Item code"), _("Item"), _("Department")],
        [([r.key, r.name, r.department], r.line) for r in stats.items],
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    fixed = _reader(request.user)
    today = timezone.localdate()
    form = _form(request, today, fixed)
    if not form.is_valid():
        return _errors(form)
    stats = _compute(form, today, fixed)
    with translation.override(FILE_LANGUAGE):
        content = workbook(
            stats,
            filled_by=request.user.full_name or request.user.username,
            filled_on=today,
        )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{_filename(stats, "xlsx")}"'
    return response


def render_pdf(
    stats: s.Statistics, *, filled_by: str, filled_on: dt.date, printed_at: dt.datetime
) -> bytes:
    """The table as an A4 landscape PDF, in Chinese; WeasyPrint may fetch nothing but data
    URIs (fonts come through fontconfig)."""
    with translation.override(FILE_LANGUAGE):
        html = render_to_string(
            "supervision/documents/statistics.html",
            {
                "stats": stats,
                "head": _header(stats),
                "columns": s.COLUMNS,
                "case_note": s.CASE_NOTE,
                "center_name": settings.CENTER_NAME,
                "filled_by": filled_by,
                "filled_on": filled_on,
                "printed_at": printed_at,
            },
        )
    return html_to_pdf(html)


@login_required
def statistics_pdf(request: HttpRequest) -> HttpResponse:
    fixed = _reader(request.user)
    today = timezone.localdate()
    form = _form(request, today, fixed)
    if not form.is_valid():
        return _errors(form)
    stats = _compute(form, today, fixed)
    content = render_pdf(
        stats,
        filled_by=request.user.full_name or request.user.username,
        filled_on=today,
        printed_at=timezone.now(),
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(stats, "pdf")}"'
    return response
