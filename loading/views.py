"""The administrators' pages for loading a center from spreadsheets (docs/access.md): the list of
imports with the upload form, templates and exports; an import's result (every bad row, or what
would be written) and its confirmation; the kept file."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from windows.roles import Role, require_role

from . import services
from .files import UnreadableFile
from .forms import ExportForm, UploadForm
from .kinds import KINDS
from .models import ImportRecord

log = logging.getLogger(__name__)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _get_record(request: HttpRequest, pk: int) -> ImportRecord:
    require_role(request.user, Role.ADMINISTRATOR)
    return get_object_or_404(
        ImportRecord.objects.select_related("uploaded_by", "committed_by"), pk=pk
    )


def _list_page(request: HttpRequest, form: UploadForm) -> HttpResponse:
    records = ImportRecord.objects.select_related("uploaded_by", "committed_by")
    page = Paginator(records, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "loading/imports.html",
        {
            "form": form,
            "page": page,
            "kinds": list(KINDS.values()),
            "max_mb": f"{settings.IMPORT_MAX_BYTES / 1024 / 1024:g}",
            "max_rows": settings.IMPORT_MAX_ROWS,
        },
    )


@login_required
def imports(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    return _list_page(request, UploadForm(initial={"kind": request.GET.get("kind", "")}))


@require_POST
@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """The dry run: check the file, keep it, and show the result; nothing else is written."""
    require_role(request.user, Role.ADMINISTRATOR)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMPORT_MAX_BYTES + 64 * 1024:
        # Refused before Django reads the body into a temporary file.
        form = UploadForm()
        form.add_error(None, services.too_large())
        return _list_page(request, form)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, form)
    upload_file = form.cleaned_data["file"]
    data = upload_file.read()
    try:
        record, _plan = services.import_check(
            kind_name=form.cleaned_data["kind"],
            data=data,
            name=upload_file.name or "upload",
            by=request.user,
            now=timezone.now(),
        )
    except (UnreadableFile, services.ImportRefused) as error:
        form.add_error("file", str(error))
        return _list_page(request, form)
    log.info(
        "import checked id=%s kind=%s user=%s state=%s",
        record.pk,
        record.kind,
        request.user.get_username(),
        record.state,
    )
    return redirect("loading:import", record.pk)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = _get_record(request, pk)
    kind = KINDS.get(record.kind)
    return render(
        request,
        "loading/import.html",
        {
            "record": record,
            "kind": kind,
            "problems": record.problems_shown(),
            "changes": record.changes_shown(),
            "more_changes": max(record.created + record.updated - len(record.changes), 0),
            "more_problems": max(record.problem_count - len(record.problems), 0),
        },
    )


@require_POST
@login_required
def commit(request: HttpRequest, pk: int) -> HttpResponse:
    """The person confirms: the kept file is checked again and written in one transaction."""
    record = _get_record(request, pk)
    try:
        record = services.import_commit(record=record, by=request.user, now=timezone.now())
    except (services.ImportRefused, UnreadableFile) as error:
        messages.error(request, str(error))
        return redirect("loading:import", record.pk)
    except DatabaseError:
        # The whole transaction rolled back (a lock timeout, a trigger's refusal, a lost
        # connection): nothing of the file was written.
        log.exception("import failed in the database id=%s", record.pk)
        messages.error(
            request,
            _(
                "The database could not complete this just now, so nothing was changed. "
                "Please try again."
            ),
        )
        return redirect("loading:import", record.pk)
    if record.state == ImportRecord.State.COMMITTED:
        log.info("import written id=%s user=%s", record.pk, request.user.get_username())
        messages.success(
            request,
            _("Written: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": record.created, "updated": record.updated, "unchanged": record.unchanged},
        )
    elif record.state == ImportRecord.State.REFUSED:
        messages.error(
            request,
            _(
                "Nothing was written: what is stored changed since the check, and rows now have "
                "errors."
            ),
        )
    else:
        messages.warning(
            request,
            _(
                "Nothing was written: what is stored changed since the check. Look at the new "
                "result and confirm again."
            ),
        )
    return redirect("loading:import", record.pk)


@login_required
def kept_file(request: HttpRequest, pk: int) -> FileResponse:
    record = _get_record(request, pk)
    if not record.file:
        raise Http404
    response = FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.original_name,
        content_type=XLSX_TYPE if record.file_format == "xlsx" else "text/csv",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _kind(name: str):
    kind = KINDS.get(name)
    if kind is None:
        raise Http404
    return kind


@login_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    found = _kind(kind)
    response = HttpResponse(services.template_xlsx(found), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="template-{found.name}.xlsx"'
    return response


@login_required
def export(request: HttpRequest, kind: str) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    found = _kind(kind)
    form = ExportForm(request.GET)
    file_format = (form.cleaned_data["format"] if form.is_valid() else "") or "xlsx"
    data = services.export(found, file_format)
    # Exports carry staff names and telephones: who took which, and when, is logged.
    log.info("export kind=%s format=%s user=%s", found.name, file_format, request.user.username)
    stamp = timezone.localdate().isoformat()
    content_type = XLSX_TYPE if file_format == "xlsx" else "text/csv; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.name}-{stamp}.{file_format}"'
    return response
