"""What other pages read of licences: a project's and a holder's, with their status today."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import Licence


def _with_status(licences, today: dt.date) -> list[Licence]:
    rows = list(licences.select_related("item", "holder", "decision"))
    for licence in rows:
        licence.current_status = licence.status_on(today)
        licence.current_status_label = licence.status_label_on(today)
    return rows


def of_project(project, today: dt.date | None = None) -> list[Licence]:
    """The project's licences, newest first, each with `current_status` (valid, revoked,
    expired, superseded) and its label: for the project page
    (template `licences/_project_licences.html`, context `licences`)."""
    return _with_status(Licence.objects.filter(project=project), today or timezone.localdate())


def of_holder(applicant, today: dt.date | None = None) -> list[Licence]:
    return _with_status(Licence.objects.filter(holder=applicant), today or timezone.localdate())
