"""Changes of licences, each one transaction with its history (django-simple-history):

- `licence_issue`: an approval decision that became final issues the holder's licence of the
  item, numbered `<department>证字〔year〕第N号` per department and year, and supersedes the
  holder's earlier licences of the same item (called by the decision's own transaction through
  the `decision_final` hook: applications/services.py);
- `licence_revoke`: with a reason, by someone `access.may_revoke` allows, asked again of the
  locked row; checklist lines it filled on applications still at intake go back to missing;
- `fill_from_licences`: checklist lines whose material a licence provides (`MaterialByLicence`)
  are received by the applicant's or the project's valid licence of that item (`LicenceUse`),
  through the `checklist_lines_added` hook of the one place the checklist is built.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from applications.models import Application, ApplicationMaterial, DepartmentReview, Document
from applications.services import (
    ACCEPTABLE,
    TransitionError,
    insert_and_change_with_history,
    next_number,
    next_number_reading,
)
from windows.models import Staff

from . import access
from .models import Licence, LicenceUse, LicensedItem, MaterialByLicence


def _save(licence: Licence, by: Staff | None, at: dt.datetime, reason: str = "") -> None:
    licence._history_user, licence._history_date = by, at
    if reason:
        licence._change_reason = reason
    licence.save()


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def licence_issue(
    *,
    review: DepartmentReview,
    by: Staff,
    now: dt.datetime,
    decision: Document | None = None,
    application: Application | None = None,
) -> Licence | None:
    """The licence of a final approval (None for a refusal). Runs in the caller's transaction,
    which holds the review's lock; a review issues one licence (a unique column), and is final
    once. `decision` and `application`: the caller's, else read. Two statements on PostgreSQL:
    the number with the term and the row's key; the licence with its history and the holder's
    earlier ones superseded with theirs."""
    if review.outcome != DepartmentReview.Outcome.GRANTED:
        return None
    if decision is None:
        decision = Document.objects.get(review_id=review.pk, kind=Document.Kind.APPROVAL)
    if application is None:
        application = Application.objects.only("applicant_id", "project_id").get(
            pk=review.application_id
        )
    department = review.department
    today = timezone.localdate(now)
    number, valid_years, key = _number_term_and_key(
        f"licence:{department.code}", today.year, review.item_id
    )
    licence = Licence(
        pk=key,
        number=f"{department.short_name}证字〔{today.year}〕第{number}号",
        holder_id=application.applicant_id,
        project_id=application.project_id,
        item_id=review.item_id,
        review=review,
        decision=decision,
        valid_from=today,
        valid_until=(
            _add_years(today, valid_years) - dt.timedelta(days=1)
            if valid_years is not None
            else None
        ),
        issued_at=now,
    )
    # The holder's earlier licences of the item that still stand: superseded by this one (on
    # PostgreSQL in the licence's own statement, each with its history row: applications.services).
    insert_and_change_with_history(
        licence,
        Licence.objects.filter(
            holder_id=licence.holder_id, item_id=licence.item_id, status=Licence.Status.VALID
        ),
        {"status": Licence.Status.SUPERSEDED, "superseded_by": licence},
        by,
        at=now,
        reason=licence.number,
    )
    return licence


def _number_term_and_key(
    series: str, year: int, item_id: int
) -> tuple[int, int | None, int | None]:
    """The licence's number, its item's term in years (None: no term) and, on PostgreSQL, the key
    of its row to be, read in the number's statement."""
    if connection.vendor != "postgresql":
        term = LicensedItem.objects.filter(item_id=item_id).first()
        return next_number(series, year), (term.valid_years if term else None), None
    quote = connection.ops.quote_name
    return next_number_reading(
        series,
        year,
        f"(SELECT valid_years FROM {quote(LicensedItem._meta.db_table)} WHERE item_id = %s),"  # noqa: S608
        " nextval(pg_get_serial_sequence(%s, 'id'))",
        [item_id, Licence._meta.db_table],
    )


def licence_revoke(*, licence: Licence, by: Staff, reason: str, now: dt.datetime) -> Licence:
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError(_("Give the reason for revoking the licence."))
    with transaction.atomic():
        # FOR NO KEY UPDATE: a line's use of it (a foreign key) does not wait on the revocation.
        locked = (
            Licence.objects.select_for_update(no_key=True, of=("self",))
            .select_related("item")
            .get(pk=licence.pk)
        )
        if not access.may_revoke(by, locked):
            raise TransitionError(
                _(
                    "Only the leader of the issuing department or a center manager can revoke "
                    "a licence."
                )
            )
        if locked.status != Licence.Status.VALID:
            raise TransitionError(
                _("This licence is %(status)s: it cannot be revoked.")
                % {"status": locked.get_status_display()}
            )
        locked.status = Licence.Status.REVOKED
        locked.revoked_at, locked.revoked_by, locked.revoke_reason = now, by, reason
        _save(locked, by, now, reason=reason)
        # Lines it filled on applications still at intake: the applicant brings the material.
        lines = list(
            ApplicationMaterial.objects.select_for_update()
            .filter(
                licence_use__licence=locked,
                application__state__in=ACCEPTABLE,
                status=ApplicationMaterial.Status.RECEIVED,
            )
            .order_by("pk")
        )
        for line in lines:
            line.status, line.supplied_at, line.copies = ApplicationMaterial.Status.MISSING, None, 0
        if lines:
            bulk_update_with_history(
                lines,
                ApplicationMaterial,
                ["status", "supplied_at", "copies"],
                default_user=by,
                default_date=now,
            )
    return locked


def providing_licence(application: Application, item_id: int, today: dt.date) -> Licence | None:
    """The applicant's or the project's licence of the item in force today, newest first,
    locked (FOR NO KEY UPDATE, as `licence_revoke` locks it): a revocation at the same moment
    either comes first, and the licence is no longer in force here, or waits for this line and
    then finds it (the order is the licence, then the lines, in both)."""
    holders = Q(holder_id=application.applicant_id)
    if application.project_id:
        holders |= Q(project_id=application.project_id)
    return (
        Licence.objects.select_for_update(no_key=True)
        .valid_on(today)
        .filter(holders, item_id=item_id)
        .order_by("-issued_at", "-pk")
        .first()
    )


def fill_from_licences(
    *, application: Application, lines, by: Staff | None, now: dt.datetime
) -> list[LicenceUse]:
    """Receive the new lines a valid licence provides; `lines`: the material ids added. One
    query when no material of them is provided by a licence."""
    provided = dict(
        MaterialByLicence.objects.filter(material_id__in=list(lines)).values_list(
            "material_id", "item_id"
        )
    )
    if not provided:
        return []
    today = timezone.localdate(now)
    uses, changed = [], []
    for line in application.materials.filter(material_id__in=provided).order_by("pk"):
        licence = providing_licence(application, provided[line.material_id], today)
        if licence is None:
            continue
        line.status, line.copies, line.supplied_at = ApplicationMaterial.Status.RECEIVED, 0, now
        changed.append(line)
        uses.append(LicenceUse(line=line, licence=licence, at=now))
    if changed:
        bulk_update_with_history(
            changed,
            ApplicationMaterial,
            ["status", "copies", "supplied_at"],
            default_user=by,
            default_date=now,
        )
        LicenceUse.objects.bulk_create(uses)
    return uses


def provided_lines(application: Application, today: dt.date) -> list[tuple[int, Licence]]:
    """The application's lines filled by a licence: (line id, licence with its status today)."""
    found = []
    for use in LicenceUse.objects.filter(line__application=application).select_related("licence"):
        licence = use.licence
        licence.current_status = licence.status_on(today)
        licence.current_status_label = licence.status_label_on(today)
        found.append((use.line_id, licence))
    return found


def timeline_events(application: Application) -> list:
    """Licences issued from the application's reviews, lines a licence filled, and the
    revocation of any of them."""
    from applications.timeline import Event

    events = []
    issued = Licence.objects.filter(review__application=application).select_related(
        "item", "revoked_by"
    )
    used = LicenceUse.objects.filter(line__application=application).select_related(
        "licence__revoked_by", "line__material"
    )
    for licence in issued:
        events.append(
            Event(
                at=licence.issued_at,
                who=None,
                what=_("Licence %(number)s issued") % {"number": licence.number},
                detail=str(licence.item),
                kind="licence",
                review_id=licence.review_id,
            )
        )
    issued = list(issued)
    own = {licence.pk for licence in issued}
    revoked = {licence.pk: licence for licence in issued if licence.revoked_at}
    for use in used:
        events.append(
            Event(
                at=use.at,
                who=None,
                what=_("%(material)s provided by licence %(number)s")
                % {"material": use.line.material, "number": use.licence.number},
                kind="licence",
            )
        )
        if use.licence.revoked_at:
            revoked[use.licence.pk] = use.licence
    for licence in revoked.values():
        events.append(
            Event(
                at=licence.revoked_at,
                who=licence.revoked_by,
                what=_("Licence %(number)s revoked") % {"number": licence.number},
                detail=licence.revoke_reason,
                kind="licence",
                review_id=licence.review_id if licence.pk in own else None,
            )
        )
    return events
