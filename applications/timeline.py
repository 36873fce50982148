"""An application's timeline, built from its history: who did what, when, under which authority,
with the clock's stops and extensions. A handful of queries, whatever the application's size."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from approval_center import hooks

from .access import clock_reviews, masked, notification_review_id, reviews_seen_in_full
from .models import (
    Application,
    ClockEvent,
    DepartmentReview,
    Document,
    ExtensionRequest,
    Rating,
    SigningStep,
)


@dataclass
class Event:
    at: dt.datetime
    who: object
    what: str
    detail: str = ""
    kind: str = "state"
    document: Document | None = None
    # Events of the same instant: the last review received comes before "ready" it causes.
    rank: int = 0
    # The review it is about, if any: a department sees the details of its own reviews only.
    review_id: int | None = None


def events(application: Application, viewer=None) -> list[Event]:
    """The story of the application. Given a `viewer`, what they may see of it: of another
    department's review only its state changes (access.reviews_seen_in_full)."""
    result: list[Event] = []
    full = reviews_seen_in_full(viewer, application) if viewer is not None else None

    def shown(review_id: int | None) -> bool:
        return full is None or review_id is None or review_id in full

    states = dict(Application.State.choices)
    previous = None
    for row in application.history.order_by("history_date", "history_id").select_related(
        "history_user"
    ):
        online = row.channel == Application.Channel.ONLINE and row.history_user is None
        # What the applicant did online has no staff user: the timeline names them.
        who = _("the applicant, online") if online else row.history_user
        if previous is None:
            result.append(
                Event(
                    row.history_date,
                    who,
                    _("Filed online by the applicant: the materials received (Art. 32)")
                    if online
                    else _("Materials received at the comprehensive window"),
                )
            )
        elif row.state != previous.state:
            detail = ""
            if row.state == Application.State.IN_REVIEW and row.receipt_number:
                detail = _("Receipt number %(number)s; promised date %(date)s") % {
                    "number": row.receipt_number,
                    "date": date_format(row.promised_date, "DATE_FORMAT"),
                }
                if row.deemed_accepted:
                    detail += _(
                        "; accepted as of the receipt of its materials on %(date)s, the "
                        "one-time notice not given in time (Art. 32)"
                    ) % {
                        "date": date_format(
                            timezone.localdate(row.submitted_at or row.received_at), "DATE_FORMAT"
                        )
                    }
            elif (
                row.state == Application.State.DRAFT
                and previous.state == Application.State.AWAITING_MATERIALS
            ):
                detail = (
                    _(
                        "The applicant sent supplements online: a new submission, one-time "
                        "notice due by %(date)s"
                    )
                    if online
                    else _(
                        "The applicant brought materials: a new submission, one-time notice due "
                        "by %(date)s"
                    )
                ) % {"date": date_format(row.notice_due, "DATE_FORMAT")}
            elif row.state == Application.State.NOT_ACCEPTED:
                detail = row.refusal_reasons
            elif row.closing_note:
                detail = row.closing_note
            result.append(
                Event(
                    row.history_date,
                    who,
                    states.get(row.state, row.state),
                    detail,
                    rank=1 if row.state == Application.State.READY else 0,
                )
            )
        elif row.invited_at and row.invited_at != previous.invited_at:
            result.append(
                Event(
                    row.history_date,
                    who,
                    _("Invited to the counter with the originals"),
                    row.invitation,
                )
            )
        previous = row

    review_states = dict(DepartmentReview.State.choices)
    names = {
        r.pk: f"{r.item.name}（{r.department.short_name}）"
        for r in application.reviews.select_related("item", "department")
    }
    last_state: dict[int, str] = {}
    signature = DepartmentReview.State.AWAITING_SIGNATURE
    for row in (
        DepartmentReview.history.filter(application_id=application.pk)
        .order_by("history_date", "history_id")
        .select_related("history_user", "signed_under_letter", "signed_under_posting")
    ):
        before = last_state.get(row.id)
        if before == row.state:
            continue
        last_state[row.id] = row.state
        # Sent for signature and sent back: the signing steps below tell it, with more.
        if row.state == signature or (
            before == signature and row.state == DepartmentReview.State.IN_PROGRESS
        ):
            continue
        detail = ""
        if (
            row.decision_number
            and row.state
            in (DepartmentReview.State.DECIDED, DepartmentReview.State.AWAITING_COUNTERSIGN)
            and before
            in (DepartmentReview.State.QUEUED, DepartmentReview.State.IN_PROGRESS, signature)
        ):
            basis = (
                _("under letter of authorization %(number)s")
                % {"number": row.signed_under_letter.number}
                if row.signed_under_letter_id
                else _("as stationed deputy head (%(ref)s)")
                % {"ref": row.signed_under_posting.appointment_ref}
                if row.signed_under_posting_id
                else ""
            )
            detail = _("%(outcome)s, decision %(number)s, signed %(basis)s") % {
                "outcome": dict(DepartmentReview.Outcome.choices).get(row.outcome, ""),
                "number": row.decision_number,
                "basis": basis,
            }
        if before is None:
            what = _("Sent to %(review)s") % {"review": names.get(row.id, "")}
        else:
            what = f"{names.get(row.id, '')}: {review_states.get(row.state, row.state)}"
        if not shown(row.id):  # another department's: its state, nobody's name, no detail
            result.append(Event(row.history_date, None, what, kind="review", review_id=row.id))
            continue
        result.append(
            Event(row.history_date, row.history_user, what, detail, kind="review", review_id=row.id)
        )

    for step in (
        SigningStep.objects.filter(review__application=application)
        .select_related("by")
        .prefetch_related("sent_to")
    ):
        if shown(step.review_id):
            result.append(signing_event(step, names.get(step.review_id, "")))

    for event in (
        ClockEvent.objects.filter(review__application=application)
        .exclude(kind=ClockEvent.Kind.START)
        .select_related("by", "approved_by", "review__item")
    ):
        if not shown(event.review_id):
            continue
        detail = event.reason
        if event.cause:
            detail = f"{event.get_cause_display()}: {detail}"
        if event.kind == ClockEvent.Kind.EXTEND:
            detail = _("%(days)d working days, approved by %(person)s: %(reason)s") % {
                "days": event.days,
                "person": event.approved_by,
                "reason": event.reason,
            }
        result.append(
            Event(
                event.at,
                event.by,
                f"{event.review.item.name}: {event.get_kind_display()}",
                detail,
                kind="clock",
            )
        )

    # Extension requests: asked for, then refused or withdrawn (an approved review extension
    # shows as its clock ledger line above; an approved joint one here).
    extension_states = dict(ExtensionRequest.State.choices)
    for extension in application.extension_requests.select_related(
        "requested_by", "decided_by", "review__item"
    ):
        if not shown(extension.review_id):
            continue
        subject = extension.review.item.name if extension.review_id else _("Joint handling")
        result.append(
            Event(
                extension.requested_at,
                extension.requested_by,
                _("%(subject)s: extension of %(days)d working days asked for")
                % {"subject": subject, "days": extension.days},
                extension.reason,
                kind="clock",
            )
        )
        if extension.decided_at is None or (
            extension.review_id and extension.state == ExtensionRequest.State.APPROVED
        ):
            continue
        result.append(
            Event(
                extension.decided_at,
                extension.decided_by,
                _("%(subject)s: extension %(state)s")
                % {"subject": subject, "state": extension_states[extension.state]},
                extension.decision_note
                or (
                    _("%(days)d working days, approved by the head of the government")
                    % {"days": extension.days}
                    if extension.state == ExtensionRequest.State.APPROVED
                    else ""
                ),
                kind="clock",
            )
        )

    for document in application.documents.select_related("issued_by"):
        if not shown(document.review_id):
            continue
        result.append(
            Event(
                document.issued_at,
                document.issued_by,
                _("Document issued: %(kind)s") % {"kind": document.get_kind_display()},
                document.number,
                kind="document",
                document=document,
            )
        )

    ledger = clock_reviews(application)
    for note in application.notifications.all():
        text = masked(note.text, application.access_code)
        if not shown(notification_review_id(note, ledger)):
            text = _("(about another department's item: not shown)")
        sent = (
            _("sent %(time)s")
            % {"time": date_format(timezone.localtime(note.sent_at), "SHORT_DATETIME_FORMAT")}
            if note.sent_at
            else _("not sent yet")
        )
        result.append(
            Event(
                note.created_at,
                None,
                _("Applicant told by %(channel)s: %(event)s")
                % {"channel": note.get_channel_display(), "event": note.get_event_display()},
                # The code is the applicant's; staff see the message without it.
                f"{note.recipient} · {sent} · {text}",
                kind="notice",
                rank=1,
            )
        )
    rating = (
        Rating.objects.filter(application=application).select_related("followup__closed_by").first()
    )
    if rating is not None:
        # Its channel is in the history (ratings.py): the link of the SMS, or the applicant's
        # own side.
        channel = (
            rating.history.filter(history_type="+")
            .values_list("history_change_reason", flat=True)
            .first()
        )
        result.append(
            Event(
                rating.rated_at,
                None,
                (
                    _("Rated by the applicant in My applications: %(level)s")
                    if channel == "portal"
                    else _("Rated by the applicant: %(level)s")
                )
                % {"level": rating.get_level_display()},
                rating.comment,
                kind="notice",
                rank=2,
            )
        )
        followup = getattr(rating, "followup", None)
        if followup is not None and followup.closed_at:
            result.append(
                Event(
                    followup.closed_at,
                    followup.closed_by,
                    _("Follow-up of the rating closed"),
                    followup.note,
                )
            )
    result.extend(e for e in hooks.collect("timeline_events", application) if shown(e.review_id))
    result.sort(key=lambda e: (e.at, e.rank))
    return result


def signing_event(step: SigningStep, review_name: str) -> Event:
    """A step between the officer and the signer: sent (to whom, proposing what), sent back
    (why), signed. The signature comes just before the decision it makes."""
    if step.kind == SigningStep.Kind.SENT:
        detail = _("to %(signers)s; proposes: %(outcome)s; opinion: %(opinion)s") % {
            "signers": "、".join(str(person) for person in step.sent_to.all()),
            "outcome": step.get_outcome_display(),
            "opinion": step.note,
        }
    elif step.kind == SigningStep.Kind.SENT_BACK:
        detail = step.note
    else:
        detail = _("as drafted: %(outcome)s") % {"outcome": step.get_outcome_display()}
    return Event(
        step.at,
        step.by,
        f"{review_name}: {step.get_kind_display()}",
        detail,
        kind="review",
        rank=-1 if step.kind == SigningStep.Kind.SIGNED else 0,
    )
