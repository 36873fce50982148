"""Pages for acting on lateness: urge notices, notes of help, coordination meetings."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import access, projects
from applications.documents import html_to_pdf, seal_uri
from applications.views import run_service
from windows.models import Seal
from windows.workdays import WorkCalendar

from . import actions
from .acting import acts, get_meeting, get_urge, meetings_for, urges_for
from .forms import FollowUpForm, HelpNoteForm, MeetingForm, MinutesForm, ReplyForm, UrgeForm

# A reply to an urge notice is expected this many working days after it is issued, unless
# the manager sets another date.
REPLY_WORKING_DAYS = 2


def _manager(request: HttpRequest) -> None:
    if not acts(request.user):
        raise PermissionDenied


@login_required
def urge_new(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    review = access.get_review(request.user, pk)
    today = timezone.localdate()
    initial = {"reply_due": WorkCalendar.load().add_working_days(today, REPLY_WORKING_DAYS).end}
    standing = actions.open_urge(review)
    form = UrgeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        result = {}

        def issue():
            result["urge"] = actions.urge_issue(
                review=review,
                by=request.user,
                now=timezone.now(),
                text=form.cleaned_data["text"],
                reply_due=form.cleaned_data["reply_due"],
                # Only the escalation's own button, shown beside an open notice, says so.
                escalate="escalate" in request.POST,
            )

        if run_service(request, issue, _("Urge notice issued.")):
            return redirect("supervision:urge", result["urge"].pk)
        # Refused: the page names the notice still open, with its link (it may have been
        # issued by someone else since this page was opened).
        standing = actions.open_urge(review)
    return render(
        request,
        "supervision/urge_form.html",
        {"review": review, "form": form, "open_urge": standing},
    )


@login_required
def urge_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "open")
    urges = urges_for(request.user).select_related(
        "review__application__applicant", "review__item", "window", "officer", "issued_by"
    )
    if state == "open":
        urges = urges.open().order_by("reply_due", "id")
    elif state == "answered":
        urges = urges.filter(replied_at__isnull=False)
    page = Paginator(urges, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/urge_list.html",
        {
            "page": page,
            "state": state,
            "query": f"state={state}",
            "today": timezone.localdate(),
            "acts": acts(request.user),
        },
    )


@login_required
def urge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    urge = get_urge(request.user, pk)
    may_reply = urge.replied_at is None and actions.may_reply(urge, request.user)
    form = ReplyForm(request.POST or None)
    if request.method == "POST":
        if not may_reply:
            raise PermissionDenied
        if form.is_valid() and run_service(
            request,
            lambda: actions.urge_reply(
                urge=urge, by=request.user, now=timezone.now(), reply=form.cleaned_data["reply"]
            ),
            _("Reply sent to the center."),
        ):
            return redirect("supervision:urge", urge.pk)
    return render(
        request,
        "supervision/urge_detail.html",
        {
            "urge": urge,
            "form": form if may_reply else None,
            "today": timezone.localdate(),
        },
    )


@login_required
def urge_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The urge notice as printed: always in Chinese, like every document of the center."""
    urge = get_urge(request.user, pk)
    seal = Seal.objects.of_center()
    with translation.override("zh-hans"):
        html = render_to_string(
            "supervision/documents/urge.html",
            {
                "document": urge,
                "urge": urge,
                "review": urge.review,
                "application": urge.review.application,
                "center_name": settings.CENTER_NAME,
                "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
                "issued_on": timezone.localdate(urge.issued_at),
                "seal_uri": seal_uri(seal),
            },
        )
    response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="urge-{urge.pk}.pdf"'
    return response


@login_required
def help_new(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    application = access.get_application(request.user, pk)
    form = HelpNoteForm(request.POST or None, application=application)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            lambda: actions.help_note_add(
                application=application,
                review=form.cleaned_data["review"],
                by=request.user,
                now=timezone.now(),
                text=form.cleaned_data["text"],
            ),
            _("Note of help recorded on the timeline."),
        )
    ):
        return redirect("applications:timeline", application.pk)
    return render(request, "supervision/help_form.html", {"application": application, "form": form})


@login_required
def meeting_new(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    application = access.get_application(request.user, pk)
    waiting = application.reviews.open().values_list("department_id", flat=True)
    form = MeetingForm(request.POST or None, initial={"departments": list(waiting)})
    if request.method == "POST" and form.is_valid():
        result = {}

        def convene():
            result["meeting"] = actions.meeting_convene(
                application=application, by=request.user, now=timezone.now(), **form.cleaned_data
            )

        if run_service(request, convene, _("Coordination meeting convened.")):
            return redirect("supervision:meeting", result["meeting"].pk)
    return render(
        request, "supervision/meeting_form.html", {"application": application, "form": form}
    )


@login_required
def project_meeting_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Pre-filing coordination: a meeting on a project, before (or without) an application;
    the departments of the items its path shows next are ticked."""
    _manager(request)
    project = access.get_project(request.user, pk)
    form = MeetingForm(request.POST or None, initial={"departments": _next_departments(project)})
    if request.method == "POST" and form.is_valid():
        result = {}

        def convene():
            result["meeting"] = actions.meeting_convene(
                project=project, by=request.user, now=timezone.now(), **form.cleaned_data
            )

        if run_service(request, convene, _("Coordination meeting convened.")):
            return redirect("supervision:meeting", result["meeting"].pk)
    return render(request, "supervision/meeting_form.html", {"project": project, "form": form})


def _next_departments(project) -> list[int]:
    """The departments of the items the project's path shows in progress, next or blocked in
    the stage it is in (or the first)."""
    path = projects.project_path(project)
    current = next((row for row in path.stages if row.status != "done"), None)
    if current is None:
        return []
    wanted = {"in_progress", "filed", "next", "blocked"}
    return sorted({s.item.department_id for s in current.steps if s.status in wanted})


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    meetings = meetings_for(request.user).select_related(
        "application__applicant", "project__applicant"
    )
    page = Paginator(meetings.prefetch_related("departments"), 50).get_page(request.GET.get("page"))
    return render(request, "supervision/meeting_list.html", {"page": page})


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting(request.user, pk)
    manager = acts(request.user)
    minutes = MinutesForm(
        request.POST if "minutes" in request.POST else None,
        initial={"minutes": meeting.minutes, "decisions": meeting.decisions},
    )
    follow_up = FollowUpForm(request.POST if "action" in request.POST else None, meeting=meeting)
    if request.method == "POST":
        if not manager:
            raise PermissionDenied
        now = timezone.now()
        if minutes.is_bound and minutes.is_valid():
            if run_service(
                request,
                lambda: actions.meeting_record(
                    meeting=meeting, by=request.user, now=now, **minutes.cleaned_data
                ),
                _("Minutes saved."),
            ):
                return redirect("supervision:meeting", meeting.pk)
        elif follow_up.is_bound and follow_up.is_valid():
            if run_service(
                request,
                lambda: actions.follow_up_add(
                    meeting=meeting, by=request.user, now=now, **follow_up.cleaned_data
                ),
                _("Follow-up added."),
            ):
                return redirect("supervision:meeting", meeting.pk)
    return render(
        request,
        "supervision/meeting_detail.html",
        {
            "meeting": meeting,
            "departments": meeting.departments.all(),
            "follow_ups": meeting.follow_ups.select_related("department", "done_by"),
            "minutes_form": minutes if manager else None,
            "follow_up_form": follow_up if manager else None,
            "today": timezone.localdate(),
            "user_department": request.user.department_id,
            "manager": manager,
            "project_seen": meeting.project_id is not None
            and access.projects_for(request.user).filter(pk=meeting.project_id).exists(),
        },
    )


@require_POST
@login_required
def follow_up_done(request: HttpRequest, pk: int, follow_up: int) -> HttpResponse:
    meeting = get_meeting(request.user, pk)
    item = get_object_or_404(meeting.follow_ups, pk=follow_up)
    if not (acts(request.user) or request.user.department_id == item.department_id):
        raise PermissionDenied
    run_service(
        request,
        lambda: actions.follow_up_done(follow_up=item, by=request.user, now=timezone.now()),
        _("Follow-up marked done."),
    )
    return redirect("supervision:meeting", meeting.pk)
