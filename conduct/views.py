"""The staff pages of conduct/ (docs/conduct.md): rules, complaints, patrols, deductions and
appeals. Who may see and do what: conduct/access.py."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.clock import warning_reach
from applications.documents import html_to_pdf
from applications.views import run_service
from approval_center import uploads
from supervision.assessment import Period
from windows.models import Post, Window
from windows.workdays import WorkCalendar

from . import access, services
from .forms import (
    AnswerForm,
    AppealDecisionForm,
    AppealForm,
    AssignForm,
    FindingForm,
    InvestigationForm,
    PatrolEntryForm,
    PhoneComplaintForm,
    RuleForm,
)
from .models import Appeal, Complaint, Deduction, Patrol, PatrolEntry, Rule
from .sweep import level_of


def _handler(request: HttpRequest) -> None:
    if not access.handles(request.user):
        raise PermissionDenied


# --- rules ----------------------------------------------------------------------------------


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    if not (access.keeps_rules(request.user) or access.handles(request.user)):
        raise PermissionDenied
    return render(
        request,
        "conduct/rules.html",
        {"rules": Rule.objects.all(), "may_edit": access.keeps_rules(request.user)},
    )


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not access.keeps_rules(request.user):
        raise PermissionDenied
    rule = get_object_or_404(Rule, pk=pk) if pk else None
    form = RuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved._history_user = request.user
        saved._change_reason = "rule kept"
        saved.save()
        from django.contrib import messages

        messages.success(request, _("Rule saved."))
        return redirect("conduct:rules")
    history = rule.history.select_related("history_user")[:20] if rule else []
    return render(
        request, "conduct/rule_form.html", {"form": form, "rule": rule, "history": history}
    )


# --- complaints -----------------------------------------------------------------------------


def _lights(complaints, today: dt.date) -> None:
    reach = warning_reach(today, WorkCalendar.load())
    for complaint in complaints:
        complaint.light = None if complaint.is_answered else level_of(complaint.due, today, reach)


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    seen = access.complaints_for(request.user)
    state = request.GET.get("state", "open")
    if state == "open":
        seen = seen.filter(replied_at__isnull=True).order_by("due", "id")
    elif state == "answered":
        seen = seen.filter(replied_at__isnull=False)
    page = Paginator(seen.select_related("window", "assignee"), 50).get_page(
        request.GET.get("page")
    )
    today = timezone.localdate()
    _lights(page.object_list, today)
    return render(
        request,
        "conduct/complaints.html",
        {
            "page": page,
            "state": state,
            "query": f"state={state}",
            "handles": access.handles(request.user),
            "sees_contact": access.sees_contact(request.user),
            "today": today,
        },
    )


@login_required
def complaint_new(request: HttpRequest) -> HttpResponse:
    """A complaint taken by telephone, entered by a manager."""
    _handler(request)
    form = PhoneComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = {}
        data = form.cleaned_data

        def file():
            result["complaint"] = services.complaint_file(
                source=Complaint.Source.PHONE,
                phone=data["phone"],
                text=data["text"],
                name=data["name"],
                email=data["email"],
                receipt_number=data["receipt_number"],
                window=data["window"],
                by=request.user,
                now=timezone.now(),
            )

        if run_service(request, file, _("Complaint recorded; the caller is sent its number.")):
            return redirect("conduct:complaint", result["complaint"].pk)
    return render(request, "conduct/complaint_new.html", {"form": form})


ACTIONS = {
    "assign": AssignForm,
    "investigate": InvestigationForm,
    "find": FindingForm,
    "answer": AnswerForm,
}


@login_required
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = access.get_complaint(request.user, pk)
    handles = access.handles(request.user)
    posted = request.POST.get("action") if request.method == "POST" else None
    forms = {
        name: form_class(request.POST if posted == name else None, prefix=name)
        for name, form_class in ACTIONS.items()
    }
    if posted:
        if not handles:
            raise PermissionDenied
        form = forms.get(posted)
        if form is None:
            raise Http404
        if form.is_valid():
            data, now, by = form.cleaned_data, timezone.now(), request.user
            act = {
                "assign": lambda: services.complaint_assign(
                    complaint=complaint, assignee=data["assignee"], by=by, now=now
                ),
                "investigate": lambda: services.complaint_investigate(
                    complaint=complaint, record=data["record"], by=by, now=now
                ),
                "find": lambda: services.complaint_find(
                    complaint=complaint,
                    finding=data["finding"],
                    rule=data["rule"],
                    window=data["window"],
                    staff=data["staff"],
                    by=by,
                    now=now,
                ),
                "answer": lambda: services.complaint_answer(
                    complaint=complaint, reply=data["reply"], by=by, now=now
                ),
            }[posted]
            done = {
                "assign": _("Complaint assigned."),
                "investigate": _("Investigation record added."),
                "find": _("Finding recorded."),
                "answer": _("Answer sent to the complainant."),
            }[posted]
            if run_service(request, act, done):
                return redirect("conduct:complaint", complaint.pk)
    today = timezone.localdate()
    _lights([complaint], today)
    deduction = Deduction.objects.filter(complaint=complaint).first()
    return render(
        request,
        "conduct/complaint_detail.html",
        {
            "complaint": complaint,
            "forms": forms if handles else None,
            "handles": handles,
            "sees_contact": access.sees_contact(request.user),
            "deduction": deduction,
            "cards": complaint.cards.all(),
            "sent": complaint.messages.all() if access.sees_contact(request.user) else (),
            "today": today,
        },
    )


# --- deductions and appeals -----------------------------------------------------------------


@login_required
def deductions(request: HttpRequest) -> HttpResponse:
    """The deductions of a period, of a window, department or person: the assessment's
    drill-down."""
    seen = access.deductions_for(request.user).select_related(
        "rule", "window", "staff", "complaint", "patrol_entry__patrol", "appeal"
    )
    period = None
    if request.GET.get("period"):
        try:
            period = Period.parse(request.GET["period"])
        except ValueError:
            period = None
    if period is not None:
        seen = seen.filter(on__gte=period.start, on__lte=period.end)
    if request.GET.get("window"):
        seen = seen.filter(window__number=request.GET["window"])
    if request.GET.get("department"):
        seen = seen.filter(window__department__code=request.GET["department"])
    if request.GET.get("appeal") == "waiting":
        seen = seen.filter(appeal__isnull=False, appeal__decision="")
    if request.GET.get("staff", "").isdigit() and len(request.GET["staff"]) <= 9:
        seen = seen.filter(staff_id=int(request.GET["staff"]))
    standing = seen.standing().aggregate(points=Sum("points"))["points"] or 0
    page = Paginator(seen, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "conduct/deductions.html",
        {"page": page, "period": period, "standing": standing, "filters": request.GET},
    )


@login_required
def deduction_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deduction = access.get_deduction(request.user, pk)
    appeal = (
        Appeal.objects.filter(deduction=deduction).select_related("filed_by", "decided_by").first()
    )
    may_appeal = access.may_appeal(request.user, deduction)
    may_decide = appeal is not None and not appeal.decision and access.handles(request.user)
    appeal_form = AppealForm(request.POST if "reasons" in request.POST else None)
    decision_form = AppealDecisionForm(request.POST if "decision" in request.POST else None)
    if request.method == "POST":
        now = timezone.now()
        if appeal_form.is_bound:
            if not may_appeal:
                raise PermissionDenied
            if appeal_form.is_valid() and run_service(
                request,
                lambda: services.appeal_file(
                    deduction=deduction,
                    reasons=appeal_form.cleaned_data["reasons"],
                    by=request.user,
                    now=now,
                ),
                _("Appeal filed; a manager will decide."),
            ):
                return redirect("conduct:deduction", deduction.pk)
        elif decision_form.is_bound:
            if not may_decide:
                raise PermissionDenied
            if decision_form.is_valid() and run_service(
                request,
                lambda: services.appeal_decide(
                    appeal=appeal,
                    decision=decision_form.cleaned_data["decision"],
                    note=decision_form.cleaned_data["note"],
                    by=request.user,
                    now=now,
                ),
                _("Appeal decided."),
            ):
                return redirect("conduct:deduction", deduction.pk)
    return render(
        request,
        "conduct/deduction_detail.html",
        {
            "deduction": deduction,
            "appeal": appeal,
            "appeal_form": appeal_form if may_appeal else None,
            "decision_form": decision_form if may_decide else None,
            "history": deduction.history.select_related("history_user").order_by("history_date"),
        },
    )


# --- patrols --------------------------------------------------------------------------------


def _sheet(patrol: Patrol) -> list[dict]:
    """Every open window with what the patrol found there (or nothing yet), and who should be
    at its posts today by the A/B rule (windows.Post.with_absence)."""
    entries = {e.window_id: e for e in patrol.entries.select_related("staff", "deduction__rule")}
    posts: dict[int, list] = {}
    for post in Post.objects.with_absence(patrol.day).select_related("holder_a", "holder_b"):
        posts.setdefault(post.window_id, []).append(post)
    rows = []
    for window in Window.objects.filter(is_active=True).order_by("number"):
        rows.append(
            {"window": window, "entry": entries.get(window.pk), "posts": posts.get(window.pk, [])}
        )
    return rows


def _deduction_of(entry: PatrolEntry | None) -> Deduction | None:
    if entry is None:
        return None
    try:
        return entry.deduction
    except Deduction.DoesNotExist:
        return None


@login_required
def patrols(request: HttpRequest) -> HttpResponse:
    _handler(request)
    if request.method == "POST":
        result = {}

        def start():
            result["patrol"] = services.patrol_start(by=request.user, now=timezone.now())

        if run_service(request, start, _("Patrol started.")):
            return redirect("conduct:patrol", result["patrol"].pk)
    recent = Patrol.objects.select_related("by").prefetch_related("entries")[:30]
    return render(
        request, "conduct/patrols.html", {"patrols": recent, "today": timezone.localdate()}
    )


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _handler(request)
    patrol = get_object_or_404(Patrol.objects.select_related("by"), pk=pk)
    today = timezone.localdate()
    open_today = patrol.day == today
    initial = {"window": request.GET.get("window")} if request.GET.get("window") else None
    form = PatrolEntryForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if form.is_valid() and run_service(
            request,
            lambda: services.patrol_record(
                patrol=patrol,
                window=form.cleaned_data["window"],
                status=form.cleaned_data["status"],
                staff=form.cleaned_data["staff"],
                rule=form.cleaned_data["rule"],
                note=form.cleaned_data["note"],
                photo=form.cleaned_data["photo"] or None,
                by=request.user,
                now=timezone.now(),
            ),
            _("Recorded on the patrol sheet."),
        ):
            return redirect("conduct:patrol", patrol.pk)
    rows = _sheet(patrol)
    for row in rows:
        row["deduction"] = _deduction_of(row["entry"])
    return render(
        request,
        "conduct/patrol_detail.html",
        {"patrol": patrol, "rows": rows, "form": form if open_today else None},
    )


@login_required
def patrol_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The day's patrol sheet as printed: in Chinese, like every document of the center."""
    _handler(request)
    patrol = get_object_or_404(Patrol.objects.select_related("by"), pk=pk)
    rows = _sheet(patrol)
    for row in rows:
        row["deduction"] = _deduction_of(row["entry"])
    with translation.override("zh-hans"):
        html = render_to_string(
            "conduct/documents/patrol.html",
            {
                "patrol": patrol,
                "rows": rows,
                "center_name": settings.CENTER_NAME,
                "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
                "issued_on": patrol.day,
            },
        )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="patrol-{patrol.day:%Y%m%d}-{patrol.pk}.pdf"'
    )
    return response


@login_required
def patrol_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A patrol photo, from private storage, to the managers only."""
    _handler(request)
    entry = get_object_or_404(PatrolEntry, pk=pk)
    if not entry.photo:
        raise Http404
    ext = entry.photo.name.rsplit(".", 1)[-1]
    return FileResponse(
        entry.photo.open("rb"),
        content_type=uploads.CONTENT_TYPES.get(ext, "application/octet-stream"),
    )


def patrol_panel(user, today: dt.date) -> list[dict]:
    """Today's patrols for the supervision dashboard (the `dashboard_panels` hook)."""
    found = list(Patrol.objects.filter(day=today).select_related("by").prefetch_related("entries"))
    windows = Window.objects.filter(is_active=True).count()
    for patrol in found:
        entries = list(patrol.entries.all())
        patrol.counts = {
            status: sum(1 for e in entries if e.status == status)
            for status in PatrolEntry.Status.values
        }
        patrol.seen = len(entries)
    reach = warning_reach(today, WorkCalendar.load())
    unanswered = Complaint.objects.filter(replied_at__isnull=True).aggregate(
        late=Count("id", filter=Q(due__lt=today)),
        soon=Count("id", filter=Q(due__gte=today, due__lte=reach)),
    )
    return [
        {
            "template": "conduct/_dashboard_patrol.html",
            "patrols": found,
            "windows": windows,
            "complaints_late": unanswered["late"],
            "complaints_soon": unanswered["soon"],
            "appeals_waiting": Appeal.objects.filter(decision="").count(),
        }
    ]
