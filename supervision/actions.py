"""What center managers do about lateness (DESIGN.md section 5): urge notices (督办单), notes of
help and coordination meetings (并联审批协调会). Each change is one transaction with its
history, like the services of the applications app; a refused change raises TransitionError
with a message in the user's language and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import Application, DepartmentReview, Project
from applications.services import TransitionError, _save, next_number
from windows.models import Department, Staff

from .models import FollowUp, HelpNote, Meeting, UrgeNotice


def _created(obj, by: Staff, at: dt.datetime) -> None:
    obj._history_user = by
    obj._history_date = at
    obj.save()


class UrgeOpen(TransitionError):
    """A notice about the review is still open: a second one only as a deliberate escalation."""

    def __init__(self, urge: UrgeNotice) -> None:
        super().__init__(
            _(
                "Urge notice %(number)s about this review still waits for the window's reply "
                "(due %(date)s). Follow it up, or escalate it deliberately."
            )
            % {"number": urge.number, "date": date_format(urge.reply_due, "DATE_FORMAT")}
        )
        self.urge = urge


def open_urge(review: DepartmentReview) -> UrgeNotice | None:
    """The notice about the review still waiting for a reply (the latest, if escalated)."""
    return UrgeNotice.objects.open().filter(review=review).order_by("-issued_at", "-id").first()


def urge_issue(
    *,
    review: DepartmentReview,
    by: Staff,
    now: dt.datetime,
    text: str,
    reply_due: dt.date,
    escalate: bool = False,
) -> UrgeNotice:
    """Urge the review's window and officer; they reply in writing by `reply_due`. While a
    notice about the review is open, a second is refused (`UrgeOpen`) unless it is a deliberate
    escalation, which names the open notice it raises."""
    if not text.strip():
        raise TransitionError(_("Say what the center asks of the window."))
    if reply_due < timezone.localdate(now):
        raise TransitionError(_("The reply cannot be due before today."))
    with transaction.atomic():
        review = DepartmentReview.objects.select_for_update().get(pk=review.pk)
        if not review.is_open:
            raise TransitionError(
                _("This review is “%(state)s”: there is nothing left to urge.")
                % {"state": review.get_state_display()}
            )
        # Under the review's lock: two managers urging at once see each other's notice.
        standing = open_urge(review)
        if standing is not None and not escalate:
            raise UrgeOpen(standing)
        year = timezone.localdate(now).year
        urge = UrgeNotice(
            number=f"督办〔{year}〕{next_number('urge', year)}号",
            review=review,
            window_id=review.window_id,
            officer_id=review.officer_id,
            text=text.strip(),
            reply_due=reply_due,
            issued_at=now,
            issued_by=by,
            escalates=standing,
        )
        _created(urge, by, now)
    return urge


def may_reply(urge: UrgeNotice, user: Staff) -> bool:
    return user.window_id == urge.window_id or user.pk == urge.officer_id


def urge_reply(*, urge: UrgeNotice, by: Staff, now: dt.datetime, reply: str) -> UrgeNotice:
    if not reply.strip():
        raise TransitionError(_("Write the reply: what was done and when the review will end."))
    if not may_reply(urge, by):
        raise TransitionError(_("Only the urged window's staff can reply."))
    with transaction.atomic():
        urge = UrgeNotice.objects.select_for_update().get(pk=urge.pk)
        if urge.replied_at is not None:
            raise TransitionError(
                _("%(person)s has already replied to this notice.") % {"person": urge.replied_by}
            )
        urge.reply, urge.replied_at, urge.replied_by = reply.strip(), now, by
        _save(urge, ["reply", "replied_at", "replied_by"], by, at=now)
    return urge


def help_note_add(
    *,
    application: Application,
    by: Staff,
    now: dt.datetime,
    text: str,
    review: DepartmentReview | None = None,
) -> HelpNote:
    if not text.strip():
        raise TransitionError(_("Say what help was given."))
    if review is not None and review.application_id != application.pk:
        raise TransitionError(_("That review belongs to another application."))
    with transaction.atomic():
        note = HelpNote(application=application, review=review, text=text.strip(), at=now, by=by)
        _created(note, by, now)
    return note


def meeting_convene(
    *,
    application: Application | None = None,
    project: Project | None = None,
    by: Staff,
    now: dt.datetime,
    held_at: dt.datetime,
    place: str,
    departments: Iterable[Department],
    agenda: str,
) -> Meeting:
    """Convene a coordination meeting for an application, or for a project before anything
    is filed (pre-filing coordination): one of the two."""
    if (application is None) == (project is None):
        raise ValueError("A meeting is convened for an application or for a project.")
    departments = list(departments)
    if not departments:
        raise TransitionError(_("Invite at least one department."))
    if not agenda.strip():
        raise TransitionError(_("Write the agenda."))
    with transaction.atomic():
        year = timezone.localdate(now).year
        meeting = Meeting(
            number=f"协调〔{year}〕{next_number('meeting', year)}号",
            application=application,
            project=project,
            held_at=held_at,
            place=place.strip(),
            agenda=agenda.strip(),
            convened_by=by,
            convened_at=now,
        )
        _created(meeting, by, now)
        meeting.departments.set(departments)
    return meeting


def meeting_record(
    *, meeting: Meeting, by: Staff, now: dt.datetime, minutes: str, decisions: str
) -> Meeting:
    if not minutes.strip() and not decisions.strip():
        raise TransitionError(_("Write the minutes or the decisions."))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        meeting.minutes, meeting.decisions = minutes.strip(), decisions.strip()
        _save(meeting, ["minutes", "decisions"], by, at=now)
    return meeting


def follow_up_add(
    *,
    meeting: Meeting,
    by: Staff,
    now: dt.datetime,
    department: Department,
    action: str,
    due: dt.date,
) -> FollowUp:
    if not action.strip():
        raise TransitionError(_("Say what is to be done."))
    if not meeting.departments.filter(pk=department.pk).exists():
        raise TransitionError(_("Only a department invited to the meeting can be given a task."))
    with transaction.atomic():
        follow_up = FollowUp(meeting=meeting, department=department, action=action, due=due)
        _created(follow_up, by, now)
    return follow_up


def follow_up_done(*, follow_up: FollowUp, by: Staff, now: dt.datetime) -> FollowUp:
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if follow_up.done_at is not None:
            raise TransitionError(_("This follow-up is already done."))
        follow_up.done_at, follow_up.done_by = now, by
        _save(follow_up, ["done_at", "done_by"], by, at=now)
    return follow_up
