from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from functools import partial

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from approval_center import hooks
from windows import authority
from windows.models import ItemMaterial, Package, Post
from windows.roles import SIGNING_ROLES, WINDOW_ROLES, Role, require_role
from windows.workdays import WorkCalendar

from . import access, clock, projects, ratings, services, timeline
from . import search as finder
from .clock import MAX_JOINT_EXTENSION_DAYS
from .forms import (
    ApplicantForm,
    ApplyForm,
    ChecklistFormSet,
    ChecklistLineForm,
    CloseFollowUpForm,
    DecideForm,
    ExtensionRequestForm,
    InviteForm,
    NoteForm,
    PrerequisiteOverrideForm,
    ProjectForm,
    ReasonsForm,
    RefuseExtensionForm,
    ScanForm,
    SendBackForm,
    SendForSignatureForm,
    StopForm,
)
from .models import (
    Applicant,
    Application,
    ApplicationMaterial,
    DepartmentReview,
    Document,
    ExtensionRequest,
    FollowUp,
    Rating,
    Scan,
    SigningStep,
    beyond_law_q,
    due_soon_q,
    overdue_q,
)

logger = logging.getLogger(__name__)
# Acts kept on record: printing the commitment slip (it carries the access code).
audit_log = logging.getLogger("audit.documents")

# Open reviews on one page of a window's queue, earliest deadline first.
QUEUE_PAGE_SIZE = 50
# Rows in each list of the intake desk (drafts, documents back, ready, ...).
INTAKE_LIST_SIZE = 25
# The most pressing applications filed online shown on the desk; the rest on their own page,
# a page at a time, the most pressing Art. 32 date first (`application_online_idx` holds it).
INTAKE_ONLINE_SIZE = 5
ONLINE_PAGE_SIZE = 50
ONLINE_ORDER = ("notice_due", "submitted_at", "id")
# Extension requests listed for an approver at once, oldest first.
EXTENSIONS_PAGE_SIZE = 100


def _clerk(request: HttpRequest) -> None:
    require_role(request.user, Role.INTAKE_CLERK)


def run_service(
    request: HttpRequest, action: Callable[[], object], done: str | Callable[[object], str]
) -> bool:
    """Run a service; report its refusal as a message instead of an error page. `done` is the
    message of success, or makes it from what the service returned.

    A database that gives up on the change (a deadlock broken, a lock or statement timeout, a
    connection lost) rolled the whole transaction back: the person is told that nothing
    changed and may try again, and the error is logged for the administrators."""
    try:
        result = action()
    except services.TransitionError as error:
        messages.error(request, str(error))
        return False
    except DatabaseError:
        logger.exception("service failed in the database", extra={"path": request.path})
        messages.error(
            request,
            _(
                "The database could not complete this just now, so nothing was changed. "
                "Please try again."
            ),
        )
        return False
    messages.success(request, done(result) if callable(done) else done)
    return True


# --- the comprehensive window ---------------------------------------------------------------


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The clerk's desk: find or register the applicant; what is waiting at the window."""
    if not access.keeps_intake_desk(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    base = Application.objects.select_related("applicant", "project")
    # Filed online and waiting for pre-review (docs/filing.md) have a page of their own
    # (`online_queue`); the desk shows how many and the few most pressing.
    online = base.to_pre_review().order_by(*ONLINE_ORDER)
    drafts = base.waiting_at_the_counter().order_by("notice_due", "id")
    # Documents back from the windows, the newest first, a page at a time: none is ever out
    # of reach, and those past their time to be received are counted apart.
    back = DepartmentReview.objects.filter(state=DepartmentReview.State.RETURNED)
    returned_counts = back.aggregate(
        total=Count("id"), late=Count("id", filter=Q(receive_due__lt=today))
    )
    returned_pages = Paginator(
        back.select_related("application__applicant", "item", "window").order_by(
            "-returned_at", "-id"
        ),
        INTAKE_LIST_SIZE,
    )
    returned_pages.count = returned_counts["total"]  # counted above: no second COUNT
    returned = returned_pages.get_page(request.GET.get("returned"))
    ready = base.filter(state=Application.State.READY).order_by("ready_at")
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    accepted_today = base.filter(
        accepted_at__gte=midnight, accepted_at__lt=midnight + dt.timedelta(days=1)
    ).order_by("-accepted_at")
    # Materials promised under 容缺 and not yet supplied, earliest promise first.
    promised = (
        ApplicationMaterial.objects.filter(
            status=ApplicationMaterial.Status.TO_FOLLOW,
            application__state__in=Application.OPEN_STATES,
        )
        .select_related("application__applicant", "material")
        .order_by("promised_by")
    )
    lists = {
        "drafts": drafts,
        "ready": ready,
        "accepted_today": accepted_today,
        "promised": promised,
    }
    # Each list shows the most pressing screenful and says how many there are in all: a
    # center holds thousands of results waiting for pickup, and the desk must still answer
    # at once (the clerk finds any one of them by searching for the applicant).
    shown = {name: list(rows[:INTAKE_LIST_SIZE]) for name, rows in lists.items()}
    shown["online"] = _online_rows(list(online[:INTAKE_ONLINE_SIZE]), today)
    lists["online"] = online
    return render(
        request,
        "applications/intake.html",
        {
            **shown,
            "counts": {name: rows.count() for name, rows in lists.items()}
            | {"returned": returned_counts["total"], "returned_late": returned_counts["late"]},
            "returned": returned,
            "list_size": INTAKE_LIST_SIZE,
            "today": today,
        },
    )


def _online_rows(rows: list[Application], today: dt.date) -> list[Application]:
    """What a row of the online queue shows beside the application: the Art. 32 countdown
    and the names of its items (in one statement for all the rows)."""
    clock.notice_countdown(rows, today, WorkCalendar.load())
    names: dict[int, list[str]] = {}
    links = Application.items.through.objects.filter(application_id__in=[a.pk for a in rows])
    for application_id, name in links.order_by("application_id", "item__code").values_list(
        "application_id", "item__name"
    ):
        names.setdefault(application_id, []).append(name)
    for application in rows:
        application.item_names = names.get(application.pk, [])
    return rows


@login_required
def online_queue(request: HttpRequest) -> HttpResponse:
    """The online pre-review queue (docs/filing.md): every application filed online waiting
    for the comprehensive window, the most pressing Art. 32 date first, a page at a time;
    searched by applicant (name, ID or credit code, mobile) or project."""
    if not access.keeps_intake_desk(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    q = request.GET.get("q", "")[:100].strip()
    waiting = Application.objects.to_pre_review()
    if q:
        # Not accepted yet, they have no receipt or document number: the applicant and the
        # project are what a clerk asks by, as on the desk's search (applications/search.py).
        waiting = waiting.filter(
            Q(applicant__in=finder.applicants_matching(q).order_by().values("pk"))
            | Q(project__in=finder.projects_matching(q).order_by().values("pk"))
        )
    # A page's ids first, off the partial index alone (an OFFSET of thousands then costs a
    # scan of index entries, not of joined rows), then those rows with their applicants.
    pages = Paginator(
        waiting.order_by(*ONLINE_ORDER).values_list("pk", flat=True), ONLINE_PAGE_SIZE
    )
    page = pages.get_page(request.GET.get("page"))
    ids = list(page.object_list)
    found = Application.objects.select_related("applicant", "project").in_bulk(ids)
    rows = _online_rows([found[pk] for pk in ids if pk in found], today)
    return render(
        request,
        "applications/online_queue.html",
        {
            "page": page,
            "rows": rows,
            "q": q,
            "short": bool(q) and len(finder.normalize(q)) < finder.MIN_LENGTH,
            "query": urlencode({"q": q}) if q else "",
            "today": today,
        },
    )


# Applications on one page of the search's results; the desk's live list shows fewer.
SEARCH_PAGE_SIZE = 25
SEARCH_LIVE_SIZE = 10


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """The staff search (applications/search.py): as a page, where a number typed in full goes
    straight to its application; as you type on the desk, an HTML fragment. The comprehensive
    window also finds applicants and projects, to start an intake."""
    q = request.GET.get("q", "")[:100]
    live = request.headers.get("X-Requested-With") == "fetch"
    if not live:
        hit = finder.exact_application(request.user, q)
        if hit is not None:
            return redirect("applications:detail", hit.pk)
    clerk = request.user.has_role(Role.INTAKE_CLERK)
    found = finder.applications_matching(request.user, q)
    context = {
        "q": q.strip(),
        "short": len(finder.normalize(q)) < finder.MIN_LENGTH,
        "applicants": finder.applicants_matching(q)[:10] if clerk else [],
        "projects": finder.projects_matching(q)[:10] if clerk else [],
        "clerk": clerk,
    }
    if live:
        context["applications"] = found[:SEARCH_LIVE_SIZE]
        return render(request, "applications/_search_results.html", context)
    # The keys first, newest first up to the search's limit; then the page's rows.
    keys, more = finder.listed(found)
    page = Paginator(keys, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = Application.objects.select_related("applicant", "project").in_bulk(page.object_list)
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return render(
        request,
        "applications/search.html",
        {
            **context,
            "page": page,
            "more": more,
            "listed": finder.LISTED,
            "query": urlencode({"q": q.strip()}),
        },
    )


@login_required
def applicant_new(request: HttpRequest) -> HttpResponse:
    _clerk(request)
    form = ApplicantForm(request.POST or None, initial={"kind": Applicant.Kind.ENTERPRISE})
    if request.method == "POST" and form.is_valid():
        applicant = form.save()
        messages.success(request, _("Applicant registered."))
        return redirect("applications:applicant", applicant.pk)
    return render(request, "applications/applicant_form.html", {"form": form})


@login_required
def applicant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _clerk(request)
    applicant = get_object_or_404(Applicant, pk=pk)
    return render(
        request,
        "applications/applicant.html",
        {
            "applicant": applicant,
            "projects": applicant.projects.annotate(application_count=Count("applications")),
            "applications": applicant.applications.select_related("project").order_by(
                "-received_at"
            ),
        },
    )


@login_required
def project_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Register a project, also on the way from a new application: the items chosen there
    travel along (hidden) and come back with the new project chosen."""
    _clerk(request)
    applicant = get_object_or_404(Applicant, pk=pk)
    chosen = [v for v in request.POST.getlist("items") if v.isdigit()]
    # Arriving from the new application's page: an empty form, its items kept.
    arriving = "register_project" in request.POST
    form = ProjectForm(None if arriving else request.POST or None)
    if request.method == "POST" and not arriving and form.is_valid():
        project = form.save(commit=False)
        project.applicant = applicant
        project.save()
        messages.success(request, _("Project registered."))
        return _back_to_apply(applicant, project=project.pk, items=chosen)
    return render(
        request,
        "applications/project_form.html",
        {
            "form": form,
            "applicant": applicant,
            "chosen": chosen,
            "back": _apply_url(applicant, items=chosen),
        },
    )


def _apply_url(applicant: Applicant, **query) -> str:
    params = urlencode({k: v for k, v in query.items() if v}, doseq=True)
    url = reverse("applications:apply", args=[applicant.pk])
    return f"{url}?{params}" if params else url


def _back_to_apply(applicant: Applicant, **query) -> HttpResponse:
    return redirect(_apply_url(applicant, **query))


@login_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the project and the items; the draft gets its checklist. Coming back from
    registering a project, that project is chosen and the items are as they were."""
    _clerk(request)
    applicant = get_object_or_404(Applicant, pk=pk)
    initial = {
        "project": request.GET.get("project", ""),
        "items": [v for v in request.GET.getlist("items") if v.isdigit()],
    }
    form = ApplyForm(request.POST or None, applicant=applicant, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(
                applicant=applicant,
                project=form.cleaned_data["project"],
                items=form.cleaned_data["items"],
                by=request.user,
                now=timezone.now(),
            )
        except services.TransitionError as error:
            form.add_error(None, str(error))
        else:
            hooks.collect("served_application", request, application, application.received_at)
            return redirect("applications:detail", application.pk)
    items = list(
        form.fields["items"].queryset.prefetch_related(
            Prefetch("packages", Package.objects.filter(is_active=True), to_attr="offered_in")
        )
    )
    packages = {p.pk: p for item in items for p in item.offered_in}
    departments = {item.department_id: item.department for item in items}
    for item in items:
        item.package_ids = " ".join(str(p.pk) for p in item.offered_in)
    return render(
        request,
        "applications/apply.html",
        {
            "form": form,
            "applicant": applicant,
            "items": items,
            "departments": list(departments.values()),
            "packages": sorted(packages.values(), key=lambda p: (p.position, p.name)),
            "chosen": {str(v) for v in form["items"].value() or []},
        },
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = access.get_application(request.user, pk)
    formset = None
    if request.method == "POST" and _checklist_editable(request, application):
        formset, lines = _posted_checklist(request, application)
        if lines is not None and run_service(
            request,
            lambda: services.checklist_update(
                application=application, lines=lines, by=request.user, now=timezone.now()
            ),
            _("Checklist saved."),
        ):
            return redirect("applications:detail", application.pk)
    return _application_page(request, application, formset)


def _checklist_editable(request: HttpRequest, application: Application) -> bool:
    return request.user.has_role(Role.INTAKE_CLERK) and application.state in (
        Application.State.DRAFT,
        Application.State.AWAITING_MATERIALS,
    )


def _checklist_lines(application: Application):
    return application.materials.select_related("material").order_by("id")


def _checklist_formset(application: Application, data=None) -> ChecklistFormSet:
    return ChecklistFormSet(data, queryset=_checklist_lines(application), prefix="m")


def _checklist_changes(formset: ChecklistFormSet) -> dict[int, dict]:
    """{line id: {status, copies, promised_by, note}} of a valid checklist formset."""
    return {
        f.instance.pk: {k: f.cleaned_data[k] for k in ChecklistLineForm.Meta.fields}
        for f in formset.forms
    }


def _checklist_rows(formset: ChecklistFormSet, items) -> list[dict]:
    """Each line of the checklist with what the items ask of it: the items that require it (for
    "all received" per item), the copies and form asked, and whether it may follow (容缺)."""
    asked: dict[int, list[ItemMaterial]] = {}
    for requirement in ItemMaterial.objects.filter(item__in=items):
        asked.setdefault(requirement.material_id, []).append(requirement)
    rows = []
    for form in formset.forms:
        requirements = asked.get(form.instance.material_id, [])
        rows.append(
            {
                "form": form,
                "material": form.instance.material,
                "item_ids": " ".join(str(r.item_id) for r in requirements),
                "copies": max((r.copies for r in requirements), default=1),
                "forms": sorted({r.get_form_display() for r in requirements}),
                # As the service judges it (services._follow_problems): every item allows it.
                "may_follow": bool(requirements) and all(r.may_follow for r in requirements),
            }
        )
    return rows


def _application_page(
    request: HttpRequest, application: Application, formset: ChecklistFormSet | None = None
) -> HttpResponse:
    """The application page; `formset` is the checklist as the clerk posted it, when it comes
    back with errors or a refusal (what was set on the screen is never lost)."""
    is_clerk = request.user.has_role(Role.INTAKE_CLERK)
    editable = _checklist_editable(request, application)
    lines = _checklist_lines(application)
    if formset is not None and any(f.instance.pk is None for f in formset.forms):
        # A posted line that is not (or no longer) one of this checklist's: show it as stored.
        messages.error(
            request, _("The checklist changed since the page was opened: it is shown as stored.")
        )
        formset = None
    if formset is None:
        formset = _checklist_formset(application)
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    reviews = list(
        application.reviews.select_related("item", "window", "department", "officer").order_by(
            "deadline"
        )
    )
    _traffic_light(reviews, today, calendar)
    # Each department sees its own part: of the others' reviews, the state (access.py).
    full = access.reviews_seen_in_full(request.user, application)
    for review in reviews:
        review.in_full = review.pk in full
    items = list(
        projects.with_prerequisite_flag(application.items.select_related("department", "window"))
    )
    scans = list(application.scans.select_related("line__material", "uploaded_by"))
    checklist = _checklist_rows(formset, items) if editable else None
    # Lines a licence provided (licences/): {line id: the licence, with its status today}.
    provided = dict(hooks.collect("checklist_provided", application, today))
    for row in checklist or []:
        # Pre-review: each material beside its files (filed online, or scanned here).
        row["scans"] = [scan for scan in scans if scan.line_id == row["form"].instance.pk]
        row["licence"] = provided.get(row["form"].instance.pk)
    for line in lines:
        line.licence = provided.get(line.pk)
    return render(
        request,
        "applications/application.html",
        {
            "application": application,
            "formset": formset,
            "checklist": checklist,
            "lines": lines,
            "editable": editable,
            "is_clerk": is_clerk,
            "reviews": reviews,
            "documents": [
                d
                for d in application.documents.listed().order_by("issued_at", "id")
                if d.review_id is None or d.review_id in full
            ],
            "notifications": _masked_notifications(application, full),
            "may_print_slip": access.may_print_slip(request.user),
            "rating": Rating.objects.filter(application=application)
            .select_related("followup")
            .first(),
            "items": items,
            "notice_lapsed": application.notice_lapsed(today),
            "notice_soon": _notice_soon(application, today, calendar),
            **_joint_context(request, application, today),
            "today": today,
            "promise_text": services.promise_explained(application, calendar)
            if application.promised_date
            else "",
            "refuse_form": ReasonsForm(),
            "invite_form": InviteForm(prefix="invite"),
            "note_form": NoteForm(),
            "withdrawable": application.state in Application.WITHDRAWABLE,
            "scans": scans,
            "scan_form": ScanForm(application=application),
            **_prerequisites_context(request, application, items),
        },
    )


def _notice_soon(application: Application, today: dt.date, calendar: WorkCalendar) -> bool:
    clock.notice_countdown([application], today, calendar)
    return application.notice_soon


def _prerequisites_context(request: HttpRequest, application: Application, items) -> dict:
    """The prerequisites (前置) of the application's items for its project, as acceptance
    judges them (projects.application_prerequisites), and the manager's override form."""
    lines = projects.application_prerequisites(application, items)
    before_acceptance = application.state in services.ACCEPTABLE
    return {
        "prerequisites": lines,
        "prerequisites_missing": [p for p in lines if p.missing] if before_acceptance else [],
        "may_override": before_acceptance and request.user.has_role(Role.CENTER_MANAGER),
        "override_form": PrerequisiteOverrideForm(),
    }


@require_POST
@login_required
def prerequisite_override(request: HttpRequest, pk: int) -> HttpResponse:
    """A center manager records an override of a missing prerequisite (services)."""
    application = access.get_application(request.user, pk)
    require_role(request.user, Role.CENTER_MANAGER)
    form = PrerequisiteOverrideForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        run_service(
            request,
            lambda: services.prerequisite_override(
                application=application,
                prerequisite=form.cleaned_data["prerequisite"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                now=timezone.now(),
            ),
            _("Override recorded: the application may be accepted without this prerequisite."),
        )
    return redirect("applications:detail", application.pk)


# --- projects ---------------------------------------------------------------------------------

PROJECTS_PAGE_SIZE = 50


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The projects the person may open (access.projects_for), found by name, code or
    applicant."""
    q = request.GET.get("q", "")[:100].strip()
    found = access.projects_for(request.user).select_related("applicant")
    if q:
        found = found.filter(
            Q(name__icontains=q) | Q(code__icontains=q) | Q(applicant__name__icontains=q)
        )
    found = found.annotate(application_count=Count("applications")).order_by("-id")
    page = Paginator(found, PROJECTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "applications/projects.html",
        {"page": page, "q": q, "query": urlencode({"q": q})},
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's whole path through the stages (projects.project_path), its applications
    (linked where the person may open them), its coordination meetings."""
    project = access.get_project(request.user, pk)
    seen = set(
        access.applications_for(request.user).filter(project=project).values_list("pk", flat=True)
    )
    applications = list(project.applications.order_by("received_at", "id"))
    for application in applications:
        application.seen = application.pk in seen
    path = projects.project_path(project)
    return render(
        request,
        "applications/project.html",
        {
            "project": project,
            "path": path,
            "applications": applications,
            "seen": seen,
            "meetings": hooks.collect("project_meetings", project, request.user),
            "licences": hooks.collect("project_licences", project),
            "licences_kept": apps.is_installed("licences"),
            "actions": hooks.collect("project_actions", project, request.user),
        },
    )


def _masked_notifications(application: Application, full: set[int]) -> list:
    """The messages to the applicant, their text shown with the access code masked; the text of
    one about another department's review is not shown."""
    notifications = list(application.notifications.all()[:50])
    ledger = access.clock_reviews(application)
    for note in notifications:
        about = access.notification_review_id(note, ledger)
        note.shown_text = (
            access.masked(note.text, application.access_code)
            if about is None or about in full
            else _("(about another department's item: not shown)")
        )
    return notifications


def _joint_context(request: HttpRequest, application: Application, today: dt.date) -> dict:
    """The joint handling deadline (Art. 42 para 2) with its reason, its extension requests,
    and the form to ask the government's head for more time."""
    if application.joint_deadline is None:
        return {"joint": None}
    joint = services.joint_deadline_of(application, calendar=WorkCalendar.load(), today=today)
    remaining = (
        MAX_JOINT_EXTENSION_DAYS
        - application.joint_extension_days
        - services.joint_extension_days_pending(application)
    )
    can_ask = (
        application.state == Application.State.IN_REVIEW
        and services.may_request_joint_extension(request.user)
        and remaining > 0
    )
    return {
        "joint": joint,
        "joint_late": application.due_date is not None
        and joint is not None
        and application.due_date > joint.deadline,
        "joint_requests": application.extension_requests.joint().listed(),
        "joint_form": ExtensionRequestForm(remaining=remaining) if can_ask else None,
        "joint_remaining": remaining,
    }


@require_POST
@login_required
def joint_extension_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The comprehensive window asks the government's head to extend the joint handling."""
    application = access.get_application(request.user, pk)
    if not services.may_request_joint_extension(request.user):
        raise PermissionDenied
    remaining = MAX_JOINT_EXTENSION_DAYS - application.joint_extension_days
    form = ExtensionRequestForm(request.POST, remaining=max(remaining, 1))
    if form.is_valid():
        run_service(
            request,
            lambda: services.joint_extension_request(
                application=application,
                by=request.user,
                now=timezone.now(),
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            ),
            _("Asked. The head of the government decides; nothing moves until then."),
        )
    else:
        _form_errors(request, form)
    return redirect("applications:detail", application.pk)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@require_POST
@login_required
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _clerk(request)
    application = access.get_application(request.user, pk)
    now, user = timezone.now(), request.user
    if action == "accept":
        return _accept(request, application)
    if action == "notify":
        return _notify_missing(request, application)
    if action == "reopen":
        run_service(
            request,
            lambda: services.application_reopen(application=application, by=user, now=now),
            _("The applicant is back: intake goes on."),
        )
    elif action == "refuse":
        form = ReasonsForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reasons for not accepting."))
        else:
            run_service(
                request,
                lambda: services.application_refuse(
                    application=application, by=user, now=now, reasons=form.cleaned_data["reasons"]
                ),
                _("Not accepted. Print the notice for the applicant."),
            )
    elif action == "withdraw":
        form = NoteForm(request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        run_service(
            request,
            lambda: services.application_withdraw(
                application=application, by=user, now=now, note=note
            ),
            _("The application is withdrawn."),
        )
    elif action == "supplied":
        run_service(
            request,
            lambda: services.material_supplied(
                application=application,
                line_id=int(request.POST.get("line", 0) or 0),
                by=user,
                now=now,
            ),
            _("The promised material is recorded as supplied."),
        )
    elif action == "deliver":
        if run_service(
            request,
            lambda: services.application_deliver(application=application, by=user, now=now),
            _("Results handed over: the application is closed."),
        ):
            hooks.collect("served_application", request, application, now)
    else:
        raise PermissionDenied
    return redirect("applications:detail", application.pk)


@require_POST
@login_required
def application_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Pre-review of an application filed online: ask the applicant to the counter with the
    originals (docs/filing.md)."""
    _clerk(request)
    application = access.get_application(request.user, pk)
    form = InviteForm(request.POST, prefix="invite")
    if not form.is_valid():
        messages.error(request, _("Say what the applicant should bring to the counter."))
    else:
        run_service(
            request,
            lambda: services.application_invite(
                application=application,
                by=request.user,
                now=timezone.now(),
                note=form.cleaned_data["note"],
            ),
            _("The applicant is invited to the counter and told by SMS."),
        )
    return redirect("applications:detail", application.pk)


def _posted_checklist(request: HttpRequest, application: Application):
    """The checklist posted with an act of intake (one form carries the lines and the act), as
    (formset, changes): formset None when the act came without lines; changes None when the
    lines need correcting (the page says so)."""
    if "m-TOTAL_FORMS" not in request.POST:
        return None, {}
    formset = _checklist_formset(application, request.POST)
    if any(f.instance.pk is None for f in formset.forms):
        # A line that is not (or no longer) one of this checklist's: the page says so.
        return formset, None
    if not formset.is_valid():
        messages.error(request, _("Some lines of the checklist need correcting."))
        return formset, None
    return formset, _checklist_changes(formset)


def _accept(request: HttpRequest, application: Application) -> HttpResponse:
    """Accept with the checklist as set on the page, saved in the same transaction. Refused,
    the page comes back with the clerk's lines as they were set; nothing is saved."""
    formset, lines = _posted_checklist(request, application)
    if lines is None:
        return _application_page(request, application, formset)

    def accept():
        return services.application_accept_with_checklist(
            application=application, lines=lines, by=request.user, now=timezone.now()
        )

    if run_service(request, accept, _accepted_message):
        return redirect("applications:detail", application.pk)
    if formset is None:
        return redirect("applications:detail", application.pk)
    return _application_page(request, application, formset)


def _accepted_message(application: Application) -> str:
    """Print where the eye is: the success message opens the commitment slip."""
    return _print_message(
        _("Accepted: receipt number %(number)s.") % {"number": application.receipt_number},
        # The slip the service just issued (else read).
        getattr(application, "commitment_slip", None)
        or application.documents.get(kind=Document.Kind.COMMITMENT_SLIP),
        _("Print the commitment slip"),
        "print-slip",
    )


def _print_message(text: str, document: Document, button: str, testid: str) -> str:
    """A success message with the button that opens the document just issued, in a new tab
    for printing; it takes the focus, so Enter prints."""
    return format_html(
        '{} <a class="button primary" href="{}" target="_blank" rel="noopener" autofocus '
        'data-testid="{}">{}</a>',
        text,
        reverse("applications:document", args=[document.pk]),
        testid,
        button,
    )


def _notify_missing(request: HttpRequest, application: Application) -> HttpResponse:
    """The one-time notice lists the lines marked missing, with their notes, as set on the
    page: saved with the notice in one transaction, or neither."""
    formset, lines = _posted_checklist(request, application)
    if lines is None:
        return _application_page(request, application, formset)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if (
        run_service(
            request,
            lambda: services.application_notify_missing_with_checklist(
                application=application, lines=lines, by=request.user, now=timezone.now(), note=note
            ),
            lambda notice: _print_message(
                _("One-time notice %(number)s issued.") % {"number": notice.number},
                notice,
                _("Print the one-time notice"),
                "print-notice",
            ),
        )
        or formset is None
    ):
        return redirect("applications:detail", application.pk)
    return _application_page(request, application, formset)


@require_POST
@login_required
def review_receive(request: HttpRequest, pk: int) -> HttpResponse:
    _clerk(request)
    # The check is the service's own lock, among the reviews the clerk sees (a 404 otherwise).
    received: list[Application] = []

    def receive() -> None:
        received.append(
            services.review_receive(
                review=DepartmentReview(pk=pk),
                by=request.user,
                now=timezone.now(),
                among=access.reviews_for(request.user),
            )
        )

    try:
        run_service(request, receive, _("Receipt confirmed."))
    except DepartmentReview.DoesNotExist:
        raise Http404 from None
    # Back to the desk when confirmed from there; only a path on this site is followed.
    back = _safe_back(request)
    if back:
        return redirect(back)
    if received:
        return redirect("applications:detail", received[0].pk)
    review = access.get_review_to_act(request.user, pk)
    return redirect("applications:detail", review.application_id)


@require_POST
@login_required
def scan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    _clerk(request)
    application = access.get_application(request.user, pk)
    form = ScanForm(request.POST, request.FILES, application=application)
    if form.is_valid():
        run_service(
            request,
            lambda: services.scan_add(
                application=application,
                upload=form.cleaned_data["file"],
                line=form.cleaned_data["line"],
                by=request.user,
                now=timezone.now(),
            ),
            _("Scan stored."),
        )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("applications:detail", application.pk)


@login_required
def scan_download(request: HttpRequest, pk: int) -> FileResponse:
    """A scan, to staff who may see its application; always as a download, never rendered."""
    scan = get_object_or_404(Scan, pk=pk)
    access.get_application(request.user, scan.application_id)
    response = FileResponse(
        scan.file.open("rb"),
        as_attachment=True,
        filename=scan.original_name,
        content_type=scan.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def application_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    application = access.get_application(request.user, pk)
    return render(
        request,
        "applications/timeline.html",
        {
            "application": application,
            "joint": services.joint_deadline_of(
                application, calendar=WorkCalendar.load(), today=timezone.localdate()
            )
            if application.joint_deadline
            else None,
            "events": timeline.events(application, viewer=request.user),
            "may_print_slip": access.may_print_slip(request.user),
            "actions": hooks.collect("application_actions", application, request.user),
        },
    )


@login_required
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The document as issued: the bytes fixed at its first print (documents.printed)."""
    from . import documents

    document = access.get_document(request.user, pk)
    pdf, record = documents.printed(document, now=timezone.now())
    if document.kind == Document.Kind.COMMITMENT_SLIP:
        # The slip carries the access code: who printed it, and when, is on record.
        audit_log.info(
            "commitment slip printed document=%s number=%s application=%s sha256=%s "
            "user=%s address=%s",
            document.pk,
            document.number,
            document.application_id,
            record.sha256 if record else "-",
            request.user.get_username(),
            request.META.get("REMOTE_ADDR", "-"),
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.kind}-{document.pk}.pdf"'
    if record is not None:
        response["X-Document-SHA256"] = record.sha256
    return response


# --- the department windows -----------------------------------------------------------------


def _traffic_light(reviews, today: dt.date, calendar: WorkCalendar) -> None:
    reach = clock.warning_reach(today, calendar)
    for review in reviews:
        review.light = clock.light(
            state=review.state,
            deadline=review.deadline,
            statutory_deadline=review.statutory_deadline,
            today=today,
            reach=reach,
        )
        if review.light in ("red", "law"):
            review.days_late = calendar.count_working_days(review.deadline, today).working_days
        # Stopped longer than the applicant was told (the sweep's "stop" card).
        review.stop_overrun = review.light == "stopped" and bool(
            review.stop_due and review.stop_due < today
        )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """A window's open reviews, due dates first, a page at a time; work of an away A holder
    is marked for B. The counts cover the whole queue in one query, so the page costs the
    same whether the window has twenty open reviews or two thousand."""
    user = request.user
    if not user.has_role(*WINDOW_ROLES) or user.window_id is None:
        raise PermissionDenied
    today = timezone.localdate()
    calendar = WorkCalendar.load()
    open_reviews = DepartmentReview.objects.open().for_window(user.window)
    counts = open_reviews.aggregate(
        total=Count("id"),
        red=Count("id", filter=overdue_q(today)),
        law=Count("id", filter=beyond_law_q(today)),
        yellow=Count("id", filter=due_soon_q(today, clock.warning_reach(today, calendar))),
        stopped=Count("id", filter=Q(state=DepartmentReview.State.SUSPENDED)),
    )
    paginator = Paginator(open_reviews.listed().order_by("deadline", "id"), QUEUE_PAGE_SIZE)
    paginator.count = counts["total"]  # counted above with the lights: no second COUNT
    page = paginator.get_page(request.GET.get("page"))
    reviews = list(page.object_list)
    covering_for = {
        post.holder_a_id: post.holder_a
        for post in Post.objects.covered_on(today).filter(holder_b=user).select_related("holder_a")
    }
    _traffic_light(reviews, today, calendar)
    for review in reviews:
        review.covering = review.officer_id in covering_for
    finished = (
        DepartmentReview.objects.for_window(user.window)
        .filter(state__in=[DepartmentReview.State.DECIDED, DepartmentReview.State.RETURNED])
        .select_related("application__applicant", "item")
        .order_by("-decided_at")[:20]
    )
    return render(
        request,
        "applications/queue.html",
        {
            "window": user.window,
            "reviews": reviews,
            "finished": finished,
            "covering_for": covering_for.values(),
            "notices": hooks.collect("queue_notices", user),
            "today": today,
            "counts": counts,
            "page": page,
        },
    )


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _review_page(request, access.get_review(request.user, pk))


def _review_page(
    request: HttpRequest,
    review: DepartmentReview,
    *,
    send_form: SendForSignatureForm | None = None,
) -> HttpResponse:
    """The review page; `send_form` is the officer's draft when it came back with errors."""
    now = timezone.now()
    today = timezone.localdate(now)
    calendar = WorkCalendar.load()
    ledger = list(review.clock.select_related("by", "approved_by").order_by("at", "id"))
    due = clock.compute(
        start=review.started_on,
        promised_days=review.promised_days,
        statutory_days=review.statutory_days,
        ledger=ledger,
        calendar=calendar,
        today=today,
    )
    _traffic_light([review], today, calendar)
    basis = authority.signing_basis(request.user, review.item, at=now)
    at_window = request.user.window_id == review.window_id
    steps = list(
        review.signing_steps.select_related("by").prefetch_related("sent_to").order_by("at", "id")
    )
    draft = next((s for s in reversed(steps) if s.kind == SigningStep.Kind.SENT), None)
    if send_form is None:
        # After a send-back the officer starts from the draft that went up.
        send_form = SendForSignatureForm(
            initial={"outcome": draft.outcome, "text": draft.text, "opinion": draft.note}
            if draft
            else None
        )
    approved, pending = services.extension_days_used(review)
    remaining = services.MAX_EXTENSION_DAYS - approved - pending
    can_ask = (
        review.state in services.EXTENDABLE_STATES
        and services.may_request_review_extension(request.user, review)
        and remaining > 0
        and not pending
    )
    return render(
        request,
        "applications/review.html",
        {
            "review": review,
            "steps": steps,
            "draft": draft,
            "roster": authority.signer_roster(review.item, at=now),
            "send_form": send_form,
            "send_back_form": SendBackForm(),
            "application": review.application,
            "ledger": ledger,
            "due": due,
            "basis": basis,
            "at_window": at_window,
            "can_countersign": (
                review.state == DepartmentReview.State.AWAITING_COUNTERSIGN
                and request.user.has_role(Role.DEPARTMENT_LEADER)
                and request.user.department_id == review.department_id
            ),
            "lines": review.application.materials.select_related("material")
            .filter(material__requirements__item=review.item)
            .distinct(),
            "documents": review.documents.listed(),
            "stop_form": StopForm(),
            "extension_form": ExtensionRequestForm(remaining=remaining) if can_ask else None,
            "extension_requests": review.extension_requests.listed(),
            "extension_days": {
                "approved": approved,
                "pending": pending,
                "max": services.MAX_EXTENSION_DAYS,
            },
            "decide_form": DecideForm(),
        },
    )


@require_POST
@login_required
def review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user, now = request.user, timezone.now()
    if action in ("decide", "return"):
        return _decide_or_return(request, pk, action, now)
    review = access.get_review_to_act(user, pk)
    if action == "countersign":
        run_service(
            request,
            lambda: services.review_countersign(review=review, by=user, now=now),
            _("Countersigned."),
        )
        return redirect("applications:review", review.pk)
    review = access.get_review_at_window(user, pk)
    if action == "claim":
        run_service(
            request,
            lambda: services.review_claim(review=review, by=user, now=now),
            _("The review is yours."),
        )
    elif action == "stop":
        form = StopForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            run_service(
                request,
                lambda: services.review_stop(
                    review=review,
                    by=user,
                    now=now,
                    cause=data["cause"],
                    days_needed=data["days_needed"],
                    reason=data["reason"],
                ),
                _("The clock is stopped. Print the notice for the applicant."),
            )
        else:
            messages.error(request, _("Say what is needed and why, for the written notice."))
    elif action == "resume":
        run_service(
            request,
            lambda: services.review_resume(review=review, by=user, now=now),
            _("The clock runs again with the remaining days."),
        )
    else:
        raise PermissionDenied
    return redirect("applications:review", review.pk)


def _decide_or_return(request: HttpRequest, pk: int, action: str, now: dt.datetime):
    """Decide and return, steps of the way back: the person's check is made by the service,
    on the row it locks (decide: `access.acts_at_window`) or in the change itself (return:
    `access.reviews_at_window`), so no read of its own; `_run_among` answers a review outside
    them as the check would (404 or 403)."""
    user, review = request.user, DepartmentReview(pk=pk)
    if action == "return":
        _run_among(
            request,
            pk,
            lambda: services.review_return(
                review=review, by=user, now=now, among=access.reviews_at_window(user)
            ),
            _("Returned to the comprehensive window."),
        )
        return redirect("applications:review", pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        access.get_review_at_window(user, pk)
        messages.error(request, _("Choose grant or refuse."))
        return redirect("applications:review", pk)
    data = form.cleaned_data
    _run_among(
        request,
        pk,
        lambda: services.review_decide(
            review=review,
            by=user,
            now=now,
            outcome=data["outcome"],
            reasons=data["reasons"],
            may_act=partial(access.acts_at_window, user),
        ),
        _("Decision signed and numbered."),
    )
    return redirect("applications:review", pk)


def _run_among(request: HttpRequest, pk: int, work: Callable[[], object], done: str) -> bool:
    """`run_service` for a service given who may act (the reviews the person acts on at their
    window, or the same rule on the locked row); a review outside them changed nothing, and is
    answered as `get_review_at_window` answers (404 unseen, 403 another window's)."""
    try:
        return run_service(request, work, done)
    except DepartmentReview.DoesNotExist:
        access.get_review_at_window(request.user, pk)
        raise Http404 from None  # among them after all: gone since


@require_POST
@login_required
def review_send(request: HttpRequest, pk: int) -> HttpResponse:
    """The officer records the opinion and the draft and sends them for signature."""
    review = access.get_review_to_work(request.user, pk)
    form = SendForSignatureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The opinion and draft need correcting."))
        return _review_page(request, access.get_review(request.user, pk), send_form=form)
    data = form.cleaned_data
    run_service(
        request,
        lambda: services.review_send_for_signature(
            review=review,
            by=request.user,
            now=timezone.now(),
            outcome=data["outcome"],
            text=data["text"],
            opinion=data["opinion"],
        ),
        _("Sent for signature."),
    )
    return redirect("applications:review", review.pk)


@require_POST
@login_required
def review_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """The signer signs the draft as sent: the decision is numbered, sealed and issued."""
    review = access.get_review_to_sign(request.user, pk)
    run_service(
        request,
        lambda: services.review_decide(review=review, by=request.user, now=timezone.now()),
        _("Decision signed and numbered."),
    )
    return redirect("applications:review", review.pk)


@require_POST
@login_required
def review_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    review = access.get_review_to_sign(request.user, pk)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why it goes back, for the officer."))
        return redirect("applications:review", review.pk)
    if run_service(
        request,
        lambda: services.review_send_back(
            review=review, by=request.user, now=timezone.now(), note=form.cleaned_data["note"]
        ),
        _("Sent back to the officer."),
    ):
        return redirect("applications:signature")
    return redirect("applications:review", review.pk)


@login_required
def signature_queue(request: HttpRequest) -> HttpResponse:
    """Reviews awaiting signature on items the user may sign right now, earliest deadline
    first, with the queue's lights and the draft's proposal. A fixed number of queries."""
    user = request.user
    require_role(user, *SIGNING_ROLES)
    now = timezone.now()
    today = timezone.localdate(now)
    calendar = WorkCalendar.load()
    signable = authority.signable_items(user, at=now)
    waiting = DepartmentReview.objects.filter(
        state=DepartmentReview.State.AWAITING_SIGNATURE,
        item__in=signable.values("id"),
    )
    paginator = Paginator(
        waiting.listed()
        .select_related("window")
        .prefetch_related(
            Prefetch(
                "signing_steps",
                SigningStep.objects.filter(kind=SigningStep.Kind.SENT)
                .select_related("by")
                .order_by("-at", "-id"),
                to_attr="drafts",
            )
        )
        .order_by("deadline", "id"),
        QUEUE_PAGE_SIZE,
    )
    page = paginator.get_page(request.GET.get("page"))
    reviews = list(page.object_list)
    _traffic_light(reviews, today, calendar)
    for review in reviews:
        review.draft = review.drafts[0] if review.drafts else None
    return render(
        request,
        "applications/signature.html",
        {"reviews": reviews, "page": page, "signable": signable, "today": today},
    )


def _countersigns(department_id: int, today: dt.date):
    """The department's decisions waiting for the leader's countersign, earliest deadline
    first, with the queue's lights."""
    reviews = list(
        DepartmentReview.objects.filter(
            department_id=department_id, state=DepartmentReview.State.AWAITING_COUNTERSIGN
        )
        .select_related("application__applicant", "item", "signed_by", "window")
        .order_by("deadline", "id")
    )
    _traffic_light(reviews, today, WorkCalendar.load())
    return reviews


@require_POST
@login_required
def review_extension_request(request: HttpRequest, pk: int) -> HttpResponse:
    """The review's officer asks for more time; a signer of the item approves or refuses."""
    review = access.get_review(request.user, pk)
    if not services.may_request_review_extension(request.user, review):
        raise PermissionDenied
    form = ExtensionRequestForm(request.POST, remaining=services.MAX_EXTENSION_DAYS)
    if form.is_valid():
        run_service(
            request,
            lambda: services.extension_request(
                review=review,
                by=request.user,
                now=timezone.now(),
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            ),
            _("Asked. The time limit moves only when a person who may sign the item approves."),
        )
    else:
        _form_errors(request, form)
    return redirect("applications:review", review.pk)


@login_required
def extensions(request: HttpRequest) -> HttpResponse:
    """The extension requests waiting for this person's approval, oldest first, with their age
    in working days; and the ones they decided lately."""
    now = timezone.now()
    today = timezone.localdate(now)
    calendar = WorkCalendar.load()
    waiting = list(
        ExtensionRequest.objects.awaiting(request.user, at=now)
        .listed()
        .order_by("requested_at", "id")[:EXTENSIONS_PAGE_SIZE]
    )
    for extension in waiting:
        extension.age = calendar.count_working_days(
            timezone.localdate(extension.requested_at), today
        ).working_days
    decided = (
        ExtensionRequest.objects.filter(decided_by=request.user)
        .exclude(requested_by=request.user)
        .listed()
        .order_by("-decided_at")[:20]
    )
    return render(
        request,
        "applications/extensions.html",
        {
            "waiting": waiting,
            "decided": decided,
            "refuse_form": RefuseExtensionForm(),
            "page_size": EXTENSIONS_PAGE_SIZE,
        },
    )


def _back_from_extension(request: HttpRequest, extension: ExtensionRequest) -> HttpResponse:
    back = _safe_back(request)
    if back:
        return redirect(back)
    return redirect("applications:extensions")


def _safe_back(request: HttpRequest) -> str:
    """The page to go back to, from the form's `next`: a path on this site, or nothing (a bare
    word would be taken by `redirect` for the name of a URL)."""
    back = request.POST.get("next", "")
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return back
    return ""


@require_POST
@login_required
def extension_approve(request: HttpRequest, pk: int) -> HttpResponse:
    extension = access.get_extension(request.user, pk)
    run_service(
        request,
        lambda: services.extension_approve(
            extension=extension, by=request.user, now=timezone.now()
        ),
        _("Approved: the time limit is extended, the notice issued and the applicant told."),
    )
    return _back_from_extension(request, extension)


@require_POST
@login_required
def extension_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    extension = access.get_extension(request.user, pk)
    form = RefuseExtensionForm(request.POST)
    if form.is_valid():
        run_service(
            request,
            lambda: services.extension_refuse(
                extension=extension,
                by=request.user,
                now=timezone.now(),
                note=form.cleaned_data["note"],
            ),
            _("Refused. The requester sees why; the time limit stays as it was."),
        )
    else:
        messages.error(request, _("Say why the extension is refused; the requester reads it."))
    return _back_from_extension(request, extension)


@require_POST
@login_required
def extension_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    extension = access.get_extension(request.user, pk)
    run_service(
        request,
        lambda: services.extension_withdraw(
            extension=extension, by=request.user, now=timezone.now()
        ),
        _("The request is withdrawn."),
    )
    if extension.review_id is not None:
        return redirect("applications:review", extension.review_id)
    return redirect("applications:detail", extension.application_id)


@login_required
def countersign_queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_role(Role.DEPARTMENT_LEADER) or user.department_id is None:
        raise PermissionDenied
    return render(
        request,
        "applications/countersign.html",
        {"reviews": _countersigns(user.department_id, timezone.localdate())},
    )


def pending_countersigns(department, user) -> list[dict]:
    """For the department's page (the leader's home): what waits for this leader's countersign,
    first thing on the page (nothing for anyone else). The `department_notices` hook."""
    if not (
        user.has_role(Role.DEPARTMENT_LEADER)
        and user.department_id is not None
        and user.department_id == department.pk
    ):
        return []
    return [
        {
            "text": _("Countersign %(item)s · %(receipt)s · %(applicant)s, signed by %(signer)s")
            % {
                "item": review.item.name,
                "receipt": review.application.receipt_number,
                "applicant": review.application.applicant.name,
                "signer": review.signed_by,
            },
            "url": reverse("applications:review", args=[review.pk]),
            "due": review.deadline,
            "light": review.light,
            "days_late": getattr(review, "days_late", 0),
        }
        for review in _countersigns(department.pk, timezone.localdate())
    ]


# --- follow-ups of poor ratings (center managers) -------------------------------------------


def _manager(request: HttpRequest) -> None:
    require_role(request.user, Role.CENTER_MANAGER)


@login_required
def followups(request: HttpRequest) -> HttpResponse:
    """Open follow-ups of poor ratings, worst and oldest first; the latest closed below."""
    _manager(request)
    closed = (
        FollowUp.objects.filter(state=FollowUp.State.CLOSED)
        .select_related("rating__application__applicant", "closed_by")
        .order_by("-closed_at")[:20]
    )
    return render(
        request,
        "applications/followups.html",
        {
            "followups": ratings.open_followups(),
            "closed": closed,
            "recent": Rating.objects.select_related("application__applicant").order_by("-rated_at")[
                :20
            ],
        },
    )


@login_required
def followup_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    followup = get_object_or_404(
        FollowUp.objects.select_related(
            "rating__application__applicant", "rating__application__project", "closed_by"
        ),
        pk=pk,
    )
    form = CloseFollowUpForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            if run_service(
                request,
                lambda: ratings.followup_close(
                    followup=followup,
                    by=request.user,
                    note=form.cleaned_data["note"],
                    now=timezone.now(),
                ),
                _("The follow-up is closed."),
            ):
                return redirect("applications:followups")
        else:
            messages.error(request, _("Say what was done about the rating."))
    application = followup.rating.application
    return render(
        request,
        "applications/followup.html",
        {
            "followup": followup,
            "rating": followup.rating,
            "application": application,
            "reviews": application.reviews.select_related("item", "department", "officer"),
            "history": followup.history.select_related("history_user").order_by(
                "history_date", "history_id"
            ),
            "form": form,
        },
    )
