"""Who sees which urge notice and meeting, and what supervision shows on the applications
app's pages (through the hooks of approval_center/hooks.py)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from applications.models import Application
from applications.timeline import Event
from windows.models import Staff
from windows.roles import WINDOW_ROLES, Role

from .models import Card, HelpNote, Meeting, UrgeNotice

CENTER_WIDE = (Role.CENTER_MANAGER, Role.ADMINISTRATOR)


def acts(user: Staff) -> bool:
    """Urges, notes help and convenes meetings: the center's managers."""
    return user.has_role(Role.CENTER_MANAGER)


def urges_for(user: Staff) -> QuerySet[UrgeNotice]:
    """Managers see every urge notice; a department its own; a window its own."""
    urges = UrgeNotice.objects.all()
    if user.has_role(*CENTER_WIDE):
        return urges
    if user.has_role(Role.DEPARTMENT_LEADER) and user.department_id:
        return urges.filter(window__department_id=user.department_id)
    if user.has_role(*WINDOW_ROLES) and user.window_id:
        return urges.filter(Q(window_id=user.window_id) | Q(officer=user))
    return urges.none()


def meetings_for(user: Staff) -> QuerySet[Meeting]:
    meetings = Meeting.objects.all()
    if user.has_role(*CENTER_WIDE):
        return meetings
    if user.department_id:
        return meetings.filter(departments=user.department_id)
    return meetings.none()


def get_urge(user: Staff, pk: int) -> UrgeNotice:
    return get_object_or_404(
        urges_for(user).select_related(
            "review__application__applicant",
            "review__item",
            "review__department",
            "window",
            "officer",
            "issued_by",
            "replied_by",
        ),
        pk=pk,
    )


def get_meeting(user: Staff, pk: int) -> Meeting:
    return get_object_or_404(
        meetings_for(user).select_related(
            "application__applicant", "project__applicant", "convened_by"
        ),
        pk=pk,
    )


def timeline_events(application: Application) -> list[Event]:
    events: list[Event] = []
    # The sweep's cards: late on the promise, beyond the law, a stop outlasting its time, the
    # way back late, each named apart.
    for card in Card.objects.filter(application=application).select_related("review__item"):
        events.append(
            Event(
                card.issued_at,
                None,
                _("%(card)s: %(item)s")
                % {"card": card.get_level_display(), "item": card.review.item.name}
                if card.review_id
                else _("%(card)s: the application") % {"card": card.get_level_display()},
                _("Deadline judged: %(date)s")
                % {"date": date_format(card.deadline, "DATE_FORMAT")},
                kind=f"card-{card.level}",
                review_id=card.review_id,
            )
        )
    for urge in UrgeNotice.objects.filter(review__application=application).select_related(
        "issued_by", "replied_by", "review__item", "window"
    ):
        events.append(
            Event(
                urge.issued_at,
                urge.issued_by,
                _("Urge notice %(number)s to window %(window)s about %(item)s")
                % {
                    "number": urge.number,
                    "window": urge.window.number,
                    "item": urge.review.item.name,
                },
                _("Reply expected by %(date)s: %(text)s")
                % {"date": date_format(urge.reply_due, "DATE_FORMAT"), "text": urge.text},
                kind="supervision",
                review_id=urge.review_id,
            )
        )
        if urge.replied_at:
            events.append(
                Event(
                    urge.replied_at,
                    urge.replied_by,
                    _("Window %(window)s replied to %(number)s")
                    % {"window": urge.window.number, "number": urge.number},
                    urge.reply,
                    kind="supervision",
                    review_id=urge.review_id,
                )
            )
    for note in HelpNote.objects.filter(application=application).select_related(
        "by", "review__item"
    ):
        what = (
            _("Help given on %(item)s") % {"item": note.review.item.name}
            if note.review_id
            else _("Help given")
        )
        events.append(
            Event(note.at, note.by, what, note.text, kind="supervision", review_id=note.review_id)
        )
    for meeting in Meeting.objects.filter(application=application).select_related("convened_by"):
        events.append(
            Event(
                meeting.convened_at,
                meeting.convened_by,
                _("Coordination meeting %(number)s convened for %(when)s")
                % {
                    "number": meeting.number,
                    "when": date_format(
                        timezone.localtime(meeting.held_at), "SHORT_DATETIME_FORMAT"
                    ),
                },
                meeting.agenda,
                kind="supervision",
            )
        )
    return events


def application_actions(application: Application, user: Staff) -> list[tuple[str, str]]:
    if not acts(user):
        return []
    actions = [
        (_("Note help given"), reverse("supervision:help_new", args=[application.pk])),
    ]
    if application.is_open:
        actions.append(
            (
                _("Convene a coordination meeting"),
                reverse("supervision:meeting_new", args=[application.pk]),
            )
        )
        for review in application.reviews.open().select_related("item"):
            actions.append(
                (
                    _("Urge: %(item)s") % {"item": review.item.name},
                    reverse("supervision:urge_new", args=[review.pk]),
                )
            )
    return actions


def project_meetings(project, user: Staff) -> list[dict]:
    """The coordination meetings on a project the user may see: convened for it before filing,
    or for one of its applications."""
    meetings = (
        meetings_for(user).filter(Q(project=project) | Q(application__project=project)).distinct()
    )
    return [
        {
            "number": m.number,
            "url": reverse("supervision:meeting", args=[m.pk]),
            "held_at": m.held_at,
            "place": m.place,
            "agenda": m.agenda,
            "pre_filing": m.application_id is None,
        }
        for m in meetings.order_by("held_at", "id")
    ]


def project_actions(project, user: Staff) -> list[tuple[str, str]]:
    if not acts(user):
        return []
    return [
        (
            _("Convene a coordination meeting on the project"),
            reverse("supervision:project_meeting_new", args=[project.pk]),
        )
    ]


def queue_notices(user: Staff) -> list[dict]:
    """Urge notices to the user's window still waiting for a reply."""
    if user.window_id is None:
        return []
    today = timezone.localdate()
    return [
        {
            "text": _("Urge notice %(number)s: %(item)s, %(applicant)s")
            % {
                "number": urge.number,
                "item": urge.review.item.name,
                "applicant": urge.review.application.applicant.name,
            },
            "url": reverse("supervision:urge", args=[urge.pk]),
            "due": urge.reply_due,
            "late": urge.reply_due < today,
        }
        for urge in UrgeNotice.objects.open()
        .filter(window_id=user.window_id)
        .select_related("review__item", "review__application__applicant")
        .order_by("reply_due", "id")
    ]
