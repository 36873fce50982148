"""Every change of conduct/ is one transaction with its history (django-simple-history, with
who and when). A refusal is a `TransitionError` with the reason in the user's language, and
nothing changes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application
from applications.services import TransitionError, _save, next_number
from windows.models import Staff, Window
from windows.workdays import WorkCalendar

from . import notify
from .models import Appeal, Complaint, Deduction, Patrol, PatrolEntry, Rule


def _created(obj, by: Staff | None, at: dt.datetime) -> None:
    obj._history_user = by
    obj._history_date = at
    obj.save()


def complaint_due(received: dt.date, calendar: WorkCalendar | None = None):
    """The answer's due date: `COMPLAINT_WORKING_DAYS` working days after the day of receipt
    (the project's one definition, windows/workdays.py). Returns the Span (its reason)."""
    calendar = calendar or WorkCalendar.load()
    return calendar.add_working_days(received, settings.COMPLAINT_WORKING_DAYS)


# --- complaints -----------------------------------------------------------------------------


def complaint_file(
    *,
    source: str,
    phone: str,
    text: str,
    now: dt.datetime,
    name: str = "",
    email: str = "",
    receipt_number: str = "",
    application: Application | None = None,
    window: Window | None = None,
    language: str = settings.LANGUAGE_CODE,
    by: Staff | None = None,
) -> Complaint:
    """Receive a complaint: its number, its due date, and the receipt message to the
    complainant. A receipt number given is matched silently (`application`, for the staff):
    the complainant's answer is the same whether it exists or not."""
    if not text.strip():
        raise TransitionError(_("Say what the complaint is about."))
    if application is None and receipt_number:
        application = Application.objects.filter(receipt_number=receipt_number).first()
    span = complaint_due(timezone.localdate(now))
    with transaction.atomic():
        year = timezone.localdate(now).year
        complaint = Complaint(
            number=f"TS{year}{next_number('complaint', year):05d}",
            source=source,
            receipt_number=receipt_number,
            application=application,
            name=name.strip(),
            phone=phone,
            email=email,
            language=language,
            window=window,
            text=text.strip(),
            filed_at=now,
            filed_by=by,
            due=span.end,
            due_provisional=span.provisional,
        )
        _created(complaint, by, now)
        notify.write(complaint, notify.RECEIVED, now=now)
    return complaint


def _locked(complaint: Complaint) -> Complaint:
    return Complaint.objects.select_for_update().get(pk=complaint.pk)


def complaint_assign(*, complaint: Complaint, assignee: Staff, by: Staff, now: dt.datetime):
    with transaction.atomic():
        complaint = _locked(complaint)
        if complaint.is_answered:
            raise TransitionError(_("This complaint has been answered."))
        complaint.assignee = assignee
        _save(complaint, ["assignee"], by, "assigned", now)
    return complaint


def complaint_investigate(*, complaint: Complaint, record: str, by: Staff, now: dt.datetime):
    """Add a dated paragraph to the investigation record (what was done, who was heard)."""
    if not record.strip():
        raise TransitionError(_("Write what the investigation found."))
    with transaction.atomic():
        complaint = _locked(complaint)
        if complaint.is_answered:
            raise TransitionError(_("This complaint has been answered."))
        line = f"[{timezone.localtime(now):%Y-%m-%d %H:%M} {by}] {record.strip()}"
        complaint.investigation = "\n\n".join(p for p in (complaint.investigation, line) if p)
        _save(complaint, ["investigation"], by, "investigated", now)
    return complaint


def complaint_find(
    *,
    complaint: Complaint,
    finding: str,
    by: Staff,
    now: dt.datetime,
    rule: Rule | None = None,
    window: Window | None = None,
    staff: Staff | None = None,
) -> Complaint:
    """Record the finding, once. Substantiated, it names the rule broken, the window and the
    person, and deducts exactly the rule's points from them on the day of the finding."""
    Finding = Complaint.Finding
    if finding not in Finding.values:
        raise TransitionError(_("Choose a finding."))
    if finding == Finding.SUBSTANTIATED:
        if rule is None or window is None:
            raise TransitionError(
                _("A substantiated complaint names the rule broken and the window.")
            )
        if not rule.is_active:
            raise TransitionError(_("This rule is no longer in force."))
        if staff is not None and staff.window_id != window.pk:
            raise TransitionError(_("This person does not work at that window."))
    else:
        rule = window = staff = None
    with transaction.atomic():
        complaint = _locked(complaint)
        if complaint.finding:
            raise TransitionError(_("The finding on this complaint has been recorded already."))
        if not complaint.investigation.strip():
            raise TransitionError(_("Record the investigation before the finding."))
        complaint.finding = finding
        complaint.rule, complaint.found_window, complaint.found_staff = rule, window, staff
        complaint.found_at, complaint.found_by = now, by
        _save(
            complaint,
            ["finding", "rule", "found_window", "found_staff", "found_at", "found_by"],
            by,
            "finding",
            now,
        )
        if finding == Finding.SUBSTANTIATED:
            _created(
                Deduction(
                    rule=rule,
                    points=rule.points,
                    window=window,
                    staff=staff,
                    on=timezone.localdate(now),
                    complaint=complaint,
                    recorded_at=now,
                    recorded_by=by,
                ),
                by,
                now,
            )
    return complaint


def complaint_answer(*, complaint: Complaint, reply: str, by: Staff, now: dt.datetime):
    """Answer the complainant through their channel (SMS, and e-mail when given): once, after
    the finding."""
    if not reply.strip():
        raise TransitionError(_("Write the reply to the complainant."))
    with transaction.atomic():
        complaint = _locked(complaint)
        if complaint.is_answered:
            raise TransitionError(_("This complaint has been answered."))
        if not complaint.finding:
            raise TransitionError(_("Record the finding before answering."))
        complaint.reply, complaint.replied_at, complaint.replied_by = reply.strip(), now, by
        _save(complaint, ["reply", "replied_at", "replied_by"], by, "answered", now)
        notify.write(complaint, notify.ANSWERED, now=now)
    return complaint


# --- patrols --------------------------------------------------------------------------------


def patrol_start(*, by: Staff, now: dt.datetime, note: str = "") -> Patrol:
    with transaction.atomic():
        patrol = Patrol(day=timezone.localdate(now), started_at=now, by=by, note=note.strip())
        _created(patrol, by, now)
    return patrol


def patrol_record(
    *,
    patrol: Patrol,
    window: Window,
    status: str,
    by: Staff,
    now: dt.datetime,
    staff: Staff | None = None,
    rule: Rule | None = None,
    note: str = "",
    photo=None,
) -> PatrolEntry:
    """One window on the round: present, covered by B, or absent, at `now`; with a rule
    broken, a deduction from the window and the person on the patrol's day."""
    if status not in PatrolEntry.Status.values:
        raise TransitionError(_("Choose what was found at the window."))
    if timezone.localdate(now) != patrol.day:
        raise TransitionError(_("A patrol records its own day only; start today's patrol."))
    if staff is not None and staff.window_id != window.pk:
        raise TransitionError(_("This person does not work at that window."))
    if rule is not None and not rule.is_active:
        raise TransitionError(_("This rule is no longer in force."))
    with transaction.atomic():
        Patrol.objects.select_for_update().get(pk=patrol.pk)
        if PatrolEntry.objects.filter(patrol=patrol, window=window).exists():
            raise TransitionError(
                _("Window %(number)s is already on this patrol's sheet.")
                % {"number": window.number}
            )
        entry = PatrolEntry(
            patrol=patrol, window=window, status=status, at=now, staff=staff, note=note.strip()
        )
        if photo is not None:
            entry.photo = photo
        _created(entry, by, now)
        if rule is not None:
            _created(
                Deduction(
                    rule=rule,
                    points=rule.points,
                    window=window,
                    staff=staff,
                    on=patrol.day,
                    patrol_entry=entry,
                    note=note.strip(),
                    recorded_at=now,
                    recorded_by=by,
                ),
                by,
                now,
            )
    return entry


# --- appeals --------------------------------------------------------------------------------


def appeal_file(*, deduction: Deduction, reasons: str, by: Staff, now: dt.datetime) -> Appeal:
    """The window head contests a deduction of the window: once, with reasons."""
    from .access import may_appeal

    if not reasons.strip():
        raise TransitionError(_("Give the reasons for the appeal."))
    with transaction.atomic():
        deduction = Deduction.objects.select_for_update().get(pk=deduction.pk)
        if Appeal.objects.filter(deduction=deduction).exists():
            raise TransitionError(_("This deduction has been appealed already: once only."))
        if not may_appeal(by, deduction):
            raise TransitionError(_("Only the head of the window may appeal its deductions."))
        appeal = Appeal(deduction=deduction, reasons=reasons.strip(), filed_at=now, filed_by=by)
        _created(appeal, by, now)
    return appeal


def appeal_decide(
    *, appeal: Appeal, decision: str, note: str, by: Staff, now: dt.datetime
) -> Appeal:
    """A manager decides, with grounds. Upheld, the deduction's points are restored (it stays
    on the record, marked restored); rejected, it stands."""
    if decision not in Appeal.Decision.values:
        raise TransitionError(_("Choose a decision."))
    if not note.strip():
        raise TransitionError(_("Give the grounds of the decision."))
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.decision:
            raise TransitionError(_("This appeal has been decided already."))
        if appeal.filed_by_id == by.pk:
            raise TransitionError(_("An appeal is decided by someone other than its author."))
        appeal.decision, appeal.decision_note = decision, note.strip()
        appeal.decided_at, appeal.decided_by = now, by
        _save(appeal, ["decision", "decision_note", "decided_at", "decided_by"], by, "decided", now)
        if decision == Appeal.Decision.UPHELD:
            deduction = Deduction.objects.select_for_update().get(pk=appeal.deduction_id)
            deduction.restored_at = now
            _save(deduction, ["restored_at"], by, "appeal upheld", now)
    return appeal
