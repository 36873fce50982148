"""The applicant's rating of the service (好差评) and the center's follow-up of poor ones.

A rating counts only when it comes through the applicant's own channel:

1. At hand-over (`services.application_deliver`) `rating_token_issue` makes a one-time rating
   key: random, stored only as its SHA-256 digest, valid for `RATING_LINK_DAYS` days. The
   DELIVERED message (SMS and e-mail) carries the link `/track/rate/<key>/`; staff see that
   message with the key masked (`access.masked`), so no page gives them the key.
2. The rating form is reached only through that link (the status page says the link was sent);
   a signed-in staff session is refused there (`public_views.track_rate`).
3. `rating_submit` takes the key, and consumes it with the rating: one rating per application,
   a used or expired key rates nothing.
4. The applicant's own side (`/my/`, portal/) is the other channel: a person signed in with the
   SMS code sent to the applicant's registered mobile rates their own delivered application
   there (`rating_submit_signed_in`, given the application that portal/access.py found for
   them). It consumes the same key, so the link of the message rates nothing after it, and the
   rating's history says which channel it came through.

Five levels and an optional comment. The two lowest levels (差评) open a follow-up that a
center manager must close, with a note of what was done, within 15 working days.
`open_followups()` is what the supervision dashboard lists (through
`templates/applications/_followups.html`); `department_ratings()`, `window_ratings()` and
`officer_ratings()` are what the efficiency assessment counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from windows.models import Staff
from windows.roles import Role
from windows.workdays import WorkCalendar

from .models import Application, DepartmentReview, FollowUp, Rating, RatingToken
from .services import TransitionError, _save, case_event

# A poor rating must be followed up within this many working days of the rating.
FOLLOWUP_WORKING_DAYS = 15
COMMENT_MAX_LENGTH = 500
# The rating link of the DELIVERED message is good for this many days after the hand-over.
RATING_LINK_DAYS = 30


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def rating_token_issue(*, application: Application, now: dt.datetime) -> str:
    """Make the application's one-time rating key and return it (it is stored only as its
    digest: return value is the one chance to put it in a message). Call inside the hand-over's
    transaction, holding the application's lock. A key not used yet is replaced."""
    if Rating.objects.filter(application=application).exists():
        raise TransitionError(_("This application has already been rated. Thank you."))
    key = secrets.token_urlsafe(24)
    token = RatingToken.objects.filter(application=application).first() or RatingToken(
        application=application
    )
    token.digest = _digest(key)
    token.created_at, token.expires_at = now, now + dt.timedelta(days=RATING_LINK_DAYS)
    token.used_at = None
    token._history_date = now
    token.save()
    return key


def rating_link(key: str) -> str:
    """The address the applicant opens to rate (in the DELIVERED message)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("applications:track_rate", args=[key])


def rating_token_find(key: str) -> RatingToken | None:
    """The rating key's row (used or not, expired or not), or None for an unknown key."""
    if not key or len(key) > 100:
        return None
    return (
        RatingToken.objects.select_related("application__applicant")
        .filter(digest=_digest(key))
        .first()
    )


def rating_submit(*, token: str, level: int, comment: str, now: dt.datetime) -> Rating:
    """Record the applicant's rating given through their one-time key; a poor one opens a
    follow-up due in 15 working days.

    1. Find the key by its digest; lock the application, then the key: the key must be unused
       and not expired, the application delivered and not rated yet (the one-to-one row also
       refuses a second rating made at the same moment).
    2. Write the rating and mark the key used; at level 2 or below, the follow-up with its due
       date.
    """
    level, comment = _checked(level, comment)
    found = rating_token_find(token)
    if found is None:
        raise TransitionError(
            _(
                "This rating link is not valid. Use the link in the message sent to you when "
                "your results were handed over."
            )
        )
    return _rate(
        application_id=found.application_id,
        token_pk=found.pk,
        level=level,
        comment=comment,
        now=now,
        channel="link",
    )


def rating_submit_signed_in(
    *, application: Application, level: int, comment: str, now: dt.datetime
) -> Rating:
    """Record the rating of an applicant signed in on their own side (portal/): the caller
    found `application` among the person's own (portal/access.py). Consumes the application's
    rating key, if one was issued, with the rating."""
    return _rate_found(application, level, comment, now, channel="portal")


def _rate_found(
    application: Application, level: int, comment: str, now: dt.datetime, *, channel: str
) -> Rating:
    """A rating through a channel that found the application itself (the applicant's own side,
    the provincial platform): the application's rating key, if one was issued, is used up with
    it, so the link of the DELIVERED message rates nothing after."""
    level, comment = _checked(level, comment)
    token = RatingToken.objects.filter(application=application).values_list("pk", flat=True)
    return _rate(
        application_id=application.pk,
        token_pk=token.first(),
        level=level,
        comment=comment,
        now=now,
        channel=channel,
    )


def rating_open(application: Application, now: dt.datetime) -> bool:
    """Whether the applicant may still rate: delivered, not rated, within `RATING_LINK_DAYS` of
    the hand-over (the key's life; an application handed over without one has no limit)."""
    if application.state != Application.State.DELIVERED:
        return False
    if Rating.objects.filter(application=application).exists():
        return False
    key = RatingToken.objects.filter(application=application).first()
    return key is None or (key.used_at is None and key.expires_at > now)


def _checked(level: int, comment: str) -> tuple[int, str]:
    if level not in Rating.Level.values:
        raise TransitionError(_("Choose one of the five levels."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise TransitionError(
            _("The comment can be at most %(max)d characters.") % {"max": COMMENT_MAX_LENGTH}
        )
    return level, comment


def _rate(
    *,
    application_id: int,
    token_pk: int | None,
    level: int,
    comment: str,
    now: dt.datetime,
    channel: str,
) -> Rating:
    """Lock the application, then its key; check; write the rating (its history names the
    channel), use the key, open the follow-up of a poor rating. A key is needed for the link
    (`token_pk` set by the caller), not for the applicant's own side."""
    try:
        with transaction.atomic():
            application = Application.objects.select_for_update().get(pk=application_id)
            key = (
                RatingToken.objects.select_for_update().get(pk=token_pk)
                if token_pk is not None
                else None
            )
            if key is not None and key.used_at is not None:
                raise TransitionError(_("This application has already been rated. Thank you."))
            if key is not None and key.expires_at <= now:
                raise TransitionError(
                    _("This rating link has expired (it was valid for %(days)d days).")
                    % {"days": RATING_LINK_DAYS}
                    if channel == "link"
                    else _(
                        "The service can be rated within %(days)d days of the hand-over; "
                        "that time has passed."
                    )
                    % {"days": RATING_LINK_DAYS}
                )
            if application.state != Application.State.DELIVERED:
                raise TransitionError(
                    _("The service can be rated once the results have been handed over.")
                )
            if Rating.objects.filter(application=application).exists():
                raise TransitionError(_("This application has already been rated. Thank you."))
            rating = Rating(application=application, level=level, comment=comment, rated_at=now)
            rating._history_date = now
            rating._change_reason = channel
            rating.save()
            if key is not None:
                key.used_at = now
                key._history_date = now
                key.save(update_fields=["used_at"])
            if rating.is_poor:
                span = WorkCalendar.load().add_working_days(
                    timezone.localdate(now), FOLLOWUP_WORKING_DAYS
                )
                followup = FollowUp(
                    rating=rating, opened_at=now, due=span.end, due_provisional=span.provisional
                )
                followup._history_date = now
                followup.save()
            case_event(application.pk, "rated", now, details={"level": level, "channel": channel})
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


def rating_submit_provincial(
    *, application: Application, level: int, comment: str, now: dt.datetime
) -> Rating:
    """Record the rating the applicant gave on the provincial 好差评 system, received through
    the integration API (api/ratings.py, which found `application` among those its client may
    see). The same checks as the center's own channels (delivered, within the key's life, once);
    consumes the application's rating key, if one was issued, so the link rates nothing after."""
    return _rate_found(application, level, comment, now, channel="province")
