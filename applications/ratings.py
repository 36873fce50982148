"""The applicant's rating of the service (好差评) and the center's follow-up of poor ones.

After delivery the applicant rates the application once on the status page: five levels and an
optional comment. The two lowest levels (差评) open a follow-up that a center manager must close,
with a note of what was done, within 15 working days. `open_followups()` is what the
supervision dashboard lists (through `templates/applications/_followups.html`);
`department_ratings()`, `window_ratings()` and `officer_ratings()` are what the efficiency
assessment counts.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from windows.models import Staff
from windows.roles import Role
from windows.workdays import WorkCalendar

from .models import Application, DepartmentReview, FollowUp, Rating
from .services import TransitionError, _save

# A poor rating must be followed up within this many working days of the rating.
FOLLOWUP_WORKING_DAYS = 15
COMMENT_MAX_LENGTH = 500


def rating_submit(
    *, application: Application, level: int, comment: str, now: dt.datetime
) -> Rating:
    """Record the applicant's rating; a poor one opens a follow-up due in 15 working days.

    1. Lock the application: it must be delivered and not rated yet (the one-to-one row also
       refuses a second rating made at the same moment).
    2. Write the rating; at level 2 or below, the follow-up with its due date.
    """
    if level not in Rating.Level.values:
        raise TransitionError(_("Choose one of the five levels."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise TransitionError(
            _("The comment can be at most %(max)d characters.") % {"max": COMMENT_MAX_LENGTH}
        )
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application.pk)
            if application.state != Application.State.DELIVERED:
                raise TransitionError(
                    _("The service can be rated once the results have been handed over.")
                )
            if Rating.objects.filter(application=application).exists():
                raise TransitionError(_("This application has already been rated. Thank you."))
            rating = Rating(application=application, level=level, comment=comment, rated_at=now)
            rating._history_date = now
            rating.save()
            if rating.is_poor:
                span = WorkCalendar.load().add_working_days(
                    timezone.localdate(now), FOLLOWUP_WORKING_DAYS
                )
                followup = FollowUp(
                    rating=rating, opened_at=now, due=span.end, due_provisional=span.provisional
                )
                followup._history_date = now
                followup.save()
    except IntegrityError as error:  # rated by another request between the check and the insert
        raise TransitionError(_("This application has already been rated. Thank you.")) from error
    return rating


def followup_close(*, followup: FollowUp, by: Staff, note: str, now: dt.datetime) -> FollowUp:
    """A center manager closes a follow-up, saying what was done; the history keeps it."""
    if not by.has_role(Role.CENTER_MANAGER):
        raise TransitionError(_("Only a center manager can close a follow-up."))
    note = note.strip()
    if not note:
        raise TransitionError(_("Say what was done about the rating."))
    with transaction.atomic():
        followup = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if followup.state != FollowUp.State.OPEN:
            raise TransitionError(_("This follow-up has already been closed."))
        followup.state = FollowUp.State.CLOSED
        followup.closed_at, followup.closed_by, followup.note = now, by, note
        _save(followup, ["state", "closed_at", "closed_by", "note"], by, at=now)
    return followup


def open_followups() -> QuerySet[FollowUp]:
    """Open follow-ups, worst rating first, then the oldest, with what a list shows joined in."""
    return (
        FollowUp.objects.open()
        .select_related("rating__application__applicant")
        .order_by("rating__level", "opened_at", "id")
    )


def department_ratings(start: dt.date, end: dt.date) -> dict[int, dict[str, float | int]]:
    """Ratings made from `start` to `end` (center days, both included), per department with a
    review in the rated application: {department id: {"count", "average", "poor"}}.

    An application's rating counts for every department that handled one of its items: the
    applicant rates the whole service, and each department had its part in it.
    """
    return _ratings_by("department_id", start, end)


def window_ratings(start: dt.date, end: dt.date) -> dict[int, dict[str, float | int]]:
    """The same per window: every window that handled an item of the rated application."""
    return _ratings_by("window_id", start, end)


def officer_ratings(start: dt.date, end: dt.date) -> dict[int, dict[str, float | int]]:
    """The same per officer: every officer who handled an item of the rated application (the
    per-person figures of the efficiency assessment)."""
    return _ratings_by("officer_id", start, end)


def _ratings_by(unit: str, start: dt.date, end: dt.date) -> dict[int, dict[str, float | int]]:
    # One query; one row per (unit, rated application), so an application with two items at
    # one unit counts once for it.
    rows = (
        DepartmentReview.objects.filter(
            application__rating__rated_at__date__gte=start,
            application__rating__rated_at__date__lte=end,
        )
        .exclude(state=DepartmentReview.State.WITHDRAWN)
        .values_list(unit, "application_id", "application__rating__level")
        .distinct()
    )
    levels: dict[int, list[int]] = {}
    for unit_id, _application_id, level in rows:
        levels.setdefault(unit_id, []).append(level)
    return {
        unit_id: {
            "count": len(found),
            "average": round(sum(found) / len(found), 2),
            "poor": sum(level <= Rating.POOR for level in found),
        }
        for unit_id, found in levels.items()
    }
