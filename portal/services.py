"""What a signed-in applicant changes: `<entity>_<action>(*, …, now)` as elsewhere."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applications import validators
from applications.models import (
    Applicant,
    Application,
    ApplicationMaterial,
    DepartmentReview,
    Document,
    Project,
    Scan,
)
from applications.services import (
    TransitionError,
    application_create,
    application_reopen,
    scan_add,
)
from applications.validators import validate_uscc
from approval_center import clamd
from windows.models import Item, ItemMaterial, Material

from . import access
from .models import Account, Agency, Filing, FilingFile
from .signin import masked_mobile

log = logging.getLogger("audit.portal")


def company_bind(*, account: Account, credit_code: str, now: dt.datetime) -> Applicant:
    """Bind the company with this unified social credit code to the person, as its agent: only
    if the center's record of the company has the person's number as its contact mobile. An
    unknown company and a company of another contact get the same refusal (no one learns which
    companies have applied). Raises ValidationError for a malformed code, TransitionError for a
    refusal."""
    code = "".join(credit_code.split()).upper()
    validate_uscc(code)
    company = Applicant.objects.filter(kind=Applicant.Kind.ENTERPRISE, id_number=code).first()
    if company is None or company.mobile != account.mobile:
        log.info("portal company refused mobile=%s code=%s", masked_mobile(account.mobile), code)
        raise TransitionError(
            _(
                "The center's record of this company does not list your mobile number as its "
                "contact, so you cannot act for it here. Ask the comprehensive window to register "
                "you as the company's agent (bring the company's letter of authorization and "
                "your ID card)."
            )
        )
    try:
        with transaction.atomic():
            Agency.objects.get_or_create(
                account=account, applicant=company, defaults={"bound_at": now}
            )
    except IntegrityError:  # bound by another request at the same moment
        pass
    log.info("portal company bound mobile=%s code=%s", masked_mobile(account.mobile), code)
    return company


# --- online filing (docs/filing.md) -----------------------------------------------------------


def _by(account: Account) -> str:
    """Who acted, for the history rows of an application (no staff user: the applicant)."""
    return _("Online, by the applicant %(mobile)s") % {"mobile": masked_mobile(account.mobile)}


def filing_start(
    *,
    account: Account,
    applicant: Applicant,
    project: Project | None,
    items: list[Item],
    now: dt.datetime,
) -> Filing:
    """A draft in the name of an applicant the person may file for (access.filing_applicants),
    with the project and items as the counter's form validated them."""
    if not access.filing_applicants(account).filter(pk=applicant.pk).exists():
        raise TransitionError(_("You cannot file in the name of this applicant."))
    if project is not None and project.applicant_id != applicant.pk:
        raise TransitionError(_("This project is not the applicant's."))
    with transaction.atomic():
        filing = Filing.objects.create(
            account=account, applicant=applicant, project=project, created_at=now
        )
        filing.items.set(items)
    log.info("portal filing started filing=%s mobile=%s", filing.pk, masked_mobile(account.mobile))
    return filing


def person_register(
    *, account: Account, name: str, id_number: str, email: str, address: str, now: dt.datetime
) -> Applicant:
    """The person registers themselves to file online, with the signed-in number as their
    mobile; the ID number is checked as at the counter. A number registered already is theirs
    only when the center has it with this mobile (the counter checks the ID card at the
    latest when the originals are seen, before acceptance)."""
    with transaction.atomic():
        found = Applicant.objects.select_for_update().filter(id_number=id_number).first()
        if found is not None:
            if found.kind == Applicant.Kind.PERSON and found.mobile == account.mobile:
                return found
            raise TransitionError(
                _(
                    "This ID number is registered at the center with another mobile number. Ask "
                    "the comprehensive window to change it (bring your ID card)."
                )
            )
        person = Applicant(
            kind=Applicant.Kind.PERSON,
            name=name,
            id_number=id_number,
            contact_name=name[:50],
            mobile=account.mobile,
            email=email,
            address=address,
        )
        person._change_reason = _by(account)[:100]
        person._history_date = now
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:  # registered at the same moment by another request
            raise TransitionError(_("This ID number was registered just now; try again.")) from None
    log.info("portal person registered mobile=%s", masked_mobile(account.mobile))
    return person


def project_register(*, account: Account, applicant: Applicant, project: Project, now) -> Project:
    """A project of an applicant the person may file for, as the counter's form validated it."""
    if not access.filing_applicants(account).filter(pk=applicant.pk).exists():
        raise TransitionError(_("You cannot file in the name of this applicant."))
    project.applicant = applicant
    project._change_reason = _by(account)[:100]
    project._history_date = now
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError:
        raise TransitionError(_("A project with this code is registered already.")) from None
    return project


def filing_materials(filing: Filing) -> list[Material]:
    """The materials the filing's items require, each once, in the items' order."""
    seen: dict[int, Material] = {}
    for requirement in (
        ItemMaterial.objects.filter(item__in=filing.items.all())
        .select_related("material")
        .order_by("item__code", "position", "id")
    ):
        seen.setdefault(requirement.material_id, requirement.material)
    return list(seen.values())


def _checked(upload) -> tuple[str, str]:
    """The content checks of the counter's scans and the virus scan; a TransitionError."""
    try:
        found = validators.scan_type(upload, settings.SCAN_MAX_BYTES)
        clamd.refuse_infected(upload)
    except ValidationError as error:
        raise TransitionError(" ".join(error.messages)) from None
    return found


def _locked_draft(filing: Filing, *related: str) -> Filing:
    """The filing's row locked, with `related`; a TransitionError once deleted (by the
    applicant in another tab, or by the nightly sweep)."""
    found = (
        Filing.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=filing.pk)
        .first()
    )
    if found is None:
        raise TransitionError(_("This draft is deleted."))
    return found


def filing_upload(*, filing: Filing, material: Material, upload, now: dt.datetime) -> FilingFile:
    """A material's file for a draft: checked as a scan at the counter, stored privately."""
    if material.pk not in {m.pk for m in filing_materials(filing)}:
        raise TransitionError(_("The items you chose do not ask for this material."))
    content_type, extension = _checked(upload)
    original = (upload.name or "")[:200]
    upload.name = f"upload.{extension}"
    with transaction.atomic():
        locked = _locked_draft(filing)
        if locked.submitted_at is not None:
            raise TransitionError(_("This application was submitted already."))
        if locked.files.count() >= settings.FILING_MAX_FILES:
            raise TransitionError(
                _("An application filed online may carry at most %(max)s files.")
                % {"max": settings.FILING_MAX_FILES}
            )
        stored = FilingFile(
            filing=locked,
            material=material,
            original_name=original,
            content_type=content_type,
            size=upload.size,
            uploaded_at=now,
        )
        stored.file.save(upload.name, upload, save=False)
        stored.save()
    return stored


def filing_file_remove(*, filing: Filing, file_id: int) -> None:
    with transaction.atomic():
        locked = _locked_draft(filing)
        if locked.submitted_at is not None:
            raise TransitionError(_("This application was submitted already."))
        stored = locked.files.filter(pk=file_id).first()
        if stored is None:
            raise TransitionError(_("This file is not in your application any more."))
        name = stored.file.name
        stored.delete()
        transaction.on_commit(lambda: stored.file.storage.delete(name))


def _filing_remove(locked: Filing) -> None:
    """Delete a locked draft with its rows; its files leave the disk once that is committed."""
    files = list(locked.files.all())
    names = [stored.file.name for stored in files]
    locked.delete()  # its FilingFile rows go with it (CASCADE)
    if names:
        storage = files[0].file.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


def filing_delete(*, filing: Filing, now: dt.datetime) -> None:
    """The applicant deletes their own draft with its files. A submitted filing is an
    application received under Art. 32 and stays (TransitionError)."""
    with transaction.atomic():
        locked = _locked_draft(filing, "account")
        if locked.submitted_at is not None:
            raise TransitionError(_("This application was submitted already."))
        _filing_remove(locked)
    log.info(
        "portal filing deleted filing=%s mobile=%s", filing.pk, masked_mobile(locked.account.mobile)
    )


def drafts_forget(*, now: dt.datetime) -> int:
    """Drafts left `PORTAL_DRAFT_KEEP_DAYS` since they were started and since their last upload
    are removed with their files (the nightly task `portal.tasks.forget_old_drafts`). Each in
    its own transaction under the draft's lock, checked again there: a draft submitted or
    uploaded to in the meantime stays. Returns how many were removed; idempotent."""
    before = now - dt.timedelta(days=settings.PORTAL_DRAFT_KEEP_DAYS)
    stale = (
        Filing.objects.filter(submitted_at__isnull=True, created_at__lt=before)
        .exclude(files__uploaded_at__gte=before)
        .order_by("pk")
    )
    removed = 0
    for pk in list(stale.values_list("pk", flat=True)):
        with transaction.atomic():
            locked = stale.select_for_update(skip_locked=True).filter(pk=pk).first()
            if locked is not None:
                _filing_remove(locked)
                removed += 1
    return removed


def filing_submit(*, filing: Filing, now: dt.datetime) -> Application:
    """Submit (提交): the receipt under Art. 32, from this moment.

    1. Lock the draft; one submission only (a second click finds it submitted).
    2. The application through the counter's own service, `application_create`, with the
       online channel and no staff user: the same checklist and the same Art. 32 clock.
    3. Each file becomes a scan of its checklist line through `scan_add`, so the comprehensive
       window and the departments see it as they see the counter's scans.
    4. The draft's own copies are removed once all of it is committed.
    """
    with transaction.atomic():
        locked = _locked_draft(filing, "account", "applicant", "project")
        if locked.submitted_at is not None:
            raise TransitionError(_("This application was submitted already."))
        if not access.filing_applicants(locked.account).filter(pk=locked.applicant_id).exists():
            raise TransitionError(_("You cannot file in the name of this applicant."))
        files = list(locked.files.all())
        if not files:
            raise TransitionError(_("Upload the materials before submitting."))
        reason = _by(locked.account)
        application = application_create(
            applicant=locked.applicant,
            project=locked.project,
            items=list(locked.items.all()),
            by=None,
            now=now,
            channel=Application.Channel.ONLINE,
            reason=reason,
        )
        lines = {line.material_id: line for line in application.materials.all()}
        for stored in files:
            with stored.file.open("rb") as handle:
                upload = File(handle, name=stored.original_name)
                scan_add(
                    application=application,
                    upload=upload,
                    line=lines.get(stored.material_id),
                    by=None,
                    now=now,
                    states=(Application.State.DRAFT,),
                    reason=reason,
                )
        locked.submitted_at, locked.application = now, application
        locked.save(update_fields=["submitted_at", "application"])
        names = [stored.file.name for stored in files]
        locked.files.all().delete()
        storage = files[0].file.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    log.info(
        "portal filing submitted filing=%s application=%s mobile=%s",
        filing.pk,
        application.pk,
        masked_mobile(locked.account.mobile),
    )
    return application


# States in which the applicant may add files to an application filed: answering the one-time
# notice, or a review stopped for supplements (Art. 45).
def supplement_allowed(application: Application) -> bool:
    if application.state == Application.State.AWAITING_MATERIALS:
        return True
    return (
        application.state == Application.State.IN_REVIEW
        and application.reviews.filter(state=DepartmentReview.State.SUSPENDED).exists()
    )


def supplement_upload(
    *,
    account: Account,
    application: Application,
    line: ApplicationMaterial | None,
    upload,
    now: dt.datetime,
) -> Scan:
    """A file in answer to a one-time notice or a stop: a scan of the application, as the
    counter's, uploaded by the applicant (no staff user)."""
    if not supplement_allowed(application):
        raise TransitionError(
            _("Nothing is asked of you for this application now, so no file can be added.")
        )
    if line is not None and line.application_id != application.pk:
        raise TransitionError(_("This material is not one of this application's."))
    if application.scans.filter(uploaded_online=True).count() >= settings.FILING_MAX_FILES:
        raise TransitionError(
            _("An application filed online may carry at most %(max)s files.")
            % {"max": settings.FILING_MAX_FILES}
        )
    return scan_add(
        application=application,
        upload=upload,
        line=line,
        by=None,
        now=now,
        states=(Application.State.AWAITING_MATERIALS, Application.State.IN_REVIEW),
        reason=_by(account),
    )


def supplements_send(*, account: Account, application: Application, now: dt.datetime) -> None:
    """The notice answered online: the application goes back to the comprehensive window's
    queue as a new submission, with its own 5 working days (Art. 32), as at the counter."""
    notice = application.documents.filter(kind=Document.Kind.MISSING_MATERIALS).latest(
        "issued_at", "id"
    )
    if not application.scans.filter(
        uploaded_online=True, uploaded_at__gt=notice.issued_at
    ).exists():
        raise TransitionError(_("Upload what the notice asks for before sending it."))
    application_reopen(application=application, by=None, now=now, reason=_by(account))


def notice_lines(application: Application) -> list[ApplicationMaterial]:
    """What the one-time notice asks for: every line marked missing, with the window's note
    (the reason it does not conform), all at once."""
    return list(
        application.materials.filter(status=ApplicationMaterial.Status.MISSING).select_related(
            "material"
        )
    )
