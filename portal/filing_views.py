"""Online filing on the applicant's side (docs/filing.md): start a filing from the guide or
`/my/`, upload each material, submit; answer a one-time notice or a stop with files. Every
page is `applicant_required` (a staff browser gets a 403: staff never file or upload as the
applicant); every object is found through access.py; every change is a service of
portal/services.py, which goes through the counter's own (applications/services.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.forms import ApplyForm, ProjectForm
from applications.models import Applicant, ApplicationMaterial
from applications.services import TransitionError
from windows import guide
from windows.models import Material, Package

from . import access, services, signin
from .forms import PersonForm
from .sessions import applicant_required
from .views import _page


def _chosen_items(request: HttpRequest) -> list[int]:
    """Items preselected by the guide's link: `item` codes, or a `package` of the guide."""
    found = guide.items().filter(handled_in_center=True)
    codes = [code for code in request.GET.getlist("item") if code][:50]
    package = request.GET.get("package", "")
    if package.isdigit():
        offered = Package.objects.filter(pk=int(package), is_active=True).first()
        if offered is not None:
            return list(found.filter(packages=offered).values_list("pk", flat=True))
    return list(found.filter(code__in=codes).values_list("pk", flat=True))


@require_http_methods(["GET", "POST"])
@applicant_required
def file_start(request: HttpRequest) -> HttpResponse:
    """Step 1: in whose name, the project and the items, validated as at the counter (the
    counter's ApplyForm)."""
    account = request.account
    applicants = list(access.filing_applicants(account))
    chosen_id = request.POST.get("applicant") or request.GET.get("applicant") or ""
    applicant = next((a for a in applicants if str(a.pk) == chosen_id), None)
    if applicant is None and applicants:
        applicant = applicants[0]
    form = None
    preselected = _chosen_items(request)
    if applicant is not None:
        data = request.POST if request.method == "POST" else None
        if data is not None and "package" in data:  # the counter's button, not offered here
            data = data.copy()
            data.pop("package")
        form = ApplyForm(
            data,
            applicant=applicant,
            initial={"items": preselected, "project": request.GET.get("project", "")},
        )
        if request.method == "POST" and form.is_valid():
            try:
                filing = services.filing_start(
                    account=account,
                    applicant=applicant,
                    project=form.cleaned_data["project"],
                    items=list(form.cleaned_data["items"]),
                    now=timezone.now(),
                )
            except TransitionError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Draft saved. Now upload each material."))
                return redirect("portal:filing", filing.pk)
    items = list(form.fields["items"].queryset) if form is not None else []
    picked = set(preselected)
    if form is not None and form.is_bound:
        picked = {int(v) for v in form.data.getlist("items") if v.isdigit()}
    return _page(
        request,
        "portal/file_start.html",
        {
            "form": form,
            "applicants": applicants,
            "applicant": applicant,
            "preselected": [item for item in items if item.pk in picked],
            "others": [item for item in items if item.pk not in picked],
            "picked": picked,
            "query": request.GET.urlencode(),
            "project_query": _query_with(request, applicant=applicant.pk if applicant else ""),
            "may_register": not any(a.kind == Applicant.Kind.PERSON for a in applicants),
            "mobile": signin.masked_mobile(account.mobile),
        },
    )


def _query_with(request: HttpRequest, **chosen) -> str:
    query = request.GET.copy()
    for key, value in chosen.items():
        query[key] = value
    return query.urlencode()


def _back_to_start(request: HttpRequest, **chosen) -> str:
    """The start page with the items the guide chose and what was just registered."""
    return f"{reverse('portal:file')}?{_query_with(request, **chosen)}"


@require_http_methods(["GET", "POST"])
@applicant_required
def person_new(request: HttpRequest) -> HttpResponse:
    """Register oneself as a person to file online (the counter's applicant form and checks)."""
    form = PersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_register(
                account=request.account, now=timezone.now(), **form.cleaned_data
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            return redirect(_back_to_start(request, applicant=person.pk))
    return _page(
        request,
        "portal/person_form.html",
        {"form": form, "query": request.GET.urlencode(), "mobile": _masked(request)},
    )


@require_http_methods(["GET", "POST"])
@applicant_required
def project_new(request: HttpRequest) -> HttpResponse:
    """A new project of an applicant the person files for (the counter's project form)."""
    chosen = request.GET.get("applicant", "")
    applicant = (
        access.filing_applicants(request.account).filter(pk=int(chosen)).first()
        if chosen.isdigit()
        else None
    )
    if applicant is None:
        raise Http404
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_register(
                account=request.account,
                applicant=applicant,
                project=form.save(commit=False),
                now=timezone.now(),
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            return redirect(_back_to_start(request, project=project.pk))
    return _page(
        request,
        "portal/project_form.html",
        {
            "form": form,
            "applicant": applicant,
            "query": request.GET.urlencode(),
            "mobile": _masked(request),
        },
    )


def _masked(request: HttpRequest) -> str:
    return signin.masked_mobile(request.account.mobile)


@require_GET
@applicant_required
def filing(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: the draft: each material with its files and a field to upload one; submit."""
    found = access.get_filing(request.account, pk)
    files = list(found.files.all())
    materials = services.filing_materials(found)
    for material in materials:
        material.uploads = [f for f in files if f.material_id == material.pk]
    return _page(
        request,
        "portal/filing.html",
        {
            "filing": found,
            "items": list(found.items.select_related("department")),
            "materials": materials,
            "file_count": len(files),
            "max_mb": settings.SCAN_MAX_BYTES // (1024 * 1024),
            "keep_days": settings.PORTAL_DRAFT_KEEP_DAYS,
            "mobile": signin.masked_mobile(request.account.mobile),
        },
    )


def _upload_from(request: HttpRequest):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
    return upload


@require_POST
@applicant_required
def filing_upload(request: HttpRequest, pk: int) -> HttpResponse:
    found = access.get_filing(request.account, pk)
    material_id = request.POST.get("material", "")
    material = (
        Material.objects.filter(pk=int(material_id)).first() if material_id.isdigit() else None
    )
    upload = _upload_from(request)
    anchor = f"#material-{material.pk}" if material else ""
    if upload is not None and material is None:
        messages.error(request, _("Choose the material this file is for."))
    elif upload is not None:
        try:
            services.filing_upload(
                filing=found, material=material, upload=upload, now=timezone.now()
            )
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("“%(name)s” is uploaded.") % {"name": material.name})
    return redirect(reverse("portal:filing", args=[found.pk]) + anchor)


@require_POST
@applicant_required
def filing_file_remove(request: HttpRequest, pk: int, file_pk: int) -> HttpResponse:
    found = access.get_filing(request.account, pk)
    try:
        services.filing_file_remove(filing=found, file_id=file_pk)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The file is removed."))
    return redirect("portal:filing", found.pk)


@require_GET
@applicant_required
def filing_file(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    """A draft's file, to the person who uploaded it; always a download, never rendered."""
    found = access.get_filing(request.account, pk)
    stored = found.files.filter(pk=file_pk).first()
    if stored is None:
        raise Http404
    return _download(stored.file, stored.original_name, stored.content_type)


def _download(file, name: str, content_type: str) -> FileResponse:
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_POST
@applicant_required
def filing_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 3: submit. The moment of submission is the receipt (Art. 32)."""
    found = access.get_filing(request.account, pk)
    try:
        application = services.filing_submit(filing=found, now=timezone.now())
    except TransitionError as error:
        messages.error(request, str(error))
        return redirect("portal:filing", found.pk)
    messages.success(
        request,
        _(
            "Submitted. The comprehensive window checks your materials: within 5 working days "
            "it accepts them or tells you, at once, everything to correct."
        ),
    )
    return redirect("portal:application", application.pk)


@require_POST
@applicant_required
def filing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant deletes their own draft with its files (a submitted one is a 404 here:
    access.get_filing finds drafts only)."""
    found = access.get_filing(request.account, pk)
    try:
        services.filing_delete(filing=found, now=timezone.now())
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The draft and its files are deleted."))
    return redirect("portal:applications")


@require_GET
@applicant_required
def scan(request: HttpRequest, pk: int) -> FileResponse:
    """A scan of one of the person's applications (their upload or the counter's)."""
    found = access.get_scan(request.account, pk)
    return _download(found.file, found.original_name, found.content_type)


@require_POST
@applicant_required
def supplement_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """A file in answer to the one-time notice or to a stop."""
    found = access.get_application(request.account, pk)
    line_id = request.POST.get("line", "")
    line = (
        ApplicationMaterial.objects.filter(pk=int(line_id), application=found)
        .select_related("material")
        .first()
        if line_id.isdigit()
        else None
    )
    upload = _upload_from(request)
    if upload is not None:
        try:
            services.supplement_upload(
                account=request.account,
                application=found,
                line=line,
                upload=upload,
                now=timezone.now(),
            )
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The file is uploaded."))
    return redirect(reverse("portal:application", args=[found.pk]) + "#supplements")


@require_POST
@applicant_required
def supplements_send(request: HttpRequest, pk: int) -> HttpResponse:
    found = access.get_application(request.account, pk)
    try:
        services.supplements_send(account=request.account, application=found, now=timezone.now())
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Sent. The comprehensive window checks your supplements within 5 working days."),
        )
    return redirect("portal:application", found.pk)
