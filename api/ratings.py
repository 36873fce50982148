"""Ratings from the provincial 好差评 system (POST /api/v1/ratings/).

1. The platform's own id of the rating is the idempotency key: an id already received gives
   back what was recorded the first time (for the same application; for another one, 409).
2. The application is found by receipt number among those the client may read (else 404).
3. `applications.ratings.rating_submit_provincial` records it with the same checks as the
   center's own channels (delivered, once): a refusal is 409 with its reason. The rating and
   the platform's id are written in one transaction; two calls with the same id at once give
   one rating and the same answer (the second waits on the application's lock, then finds the
   first one's id).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from applications.models import Application
from applications.ratings import rating_submit_provincial
from applications.services import TransitionError

from .models import Client, ProvincialRating


class RatingRefused(Exception):
    """The rating cannot be recorded; `status` is the answer's status (404 or 409)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _received(platform_id: str, applications: QuerySet[Application]) -> ProvincialRating | None:
    """The rating received under this id, if its application is one the client may read: a
    client limited to some departments learns nothing of another department's ratings."""
    return (
        ProvincialRating.objects.select_related("rating__application")
        .filter(platform_id=platform_id, rating__application__in=applications)
        .first()
    )


def _same(found: ProvincialRating, receipt_number: str) -> ProvincialRating:
    if found.rating.application.receipt_number != receipt_number:
        raise RatingRefused(_("This rating id was already received for another application."), 409)
    return found


def provincial_rating_receive(
    *,
    client: Client,
    applications: QuerySet[Application],
    platform_id: str,
    receipt_number: str,
    level: int,
    comment: str,
    now: dt.datetime,
) -> tuple[ProvincialRating, bool]:
    """The recorded rating and whether it is new (False: this id was received before)."""
    found = _received(platform_id, applications)
    if found is not None:
        return _same(found, receipt_number), False
    application = applications.filter(receipt_number=receipt_number).first()
    if application is None:
        raise RatingRefused(_("No application with this receipt number."), 404)
    try:
        with transaction.atomic():
            rating = rating_submit_provincial(
                application=application, level=level, comment=comment, now=now
            )
            received = ProvincialRating(
                platform_id=platform_id, rating=rating, client=client, received_at=now
            )
            received._history_date = now
            received.save()
    except (TransitionError, IntegrityError) as error:
        found = _received(platform_id, applications)  # the same id, received in the meantime
        if found is not None:
            return _same(found, receipt_number), False
        message = str(error) if isinstance(error, TransitionError) else ""
        raise RatingRefused(
            message or _("This application has already been rated. Thank you."), 409
        ) from error
    return received, True
