"""The printed documents (DESIGN.md section 6): one template per `Document.Kind`, A4 PDF.

Documents are official Chinese texts, so they are always rendered in Chinese whatever the
reader's language, and their wording is written in the templates themselves
(`templates/applications/documents/<kind>.html`, each extending `base.html`). Everything that
came from a person (names, reasons, notes) goes through Django's auto-escaping.

A document is a record: its bytes are fixed at issue, and a reprint is identical.
1. At issue (`services._issue`), `snapshot` writes down everything the document prints, as plain
   JSON on the row (`Document.content`): a few queries, no rendering on the path of the
   service.
2. The first print renders that content and stores the PDF with its SHA-256
   (`PrintedDocument`, append-only); every later print serves those bytes (`printed`).
A decision that waits for the leader's countersign is not final: it prints from its content
with the countersign still to come, and is fixed once countersigned (the countersign itself
never changes once given: audit/final_decisions.py). Documents issued before the content was
kept are fixed at their first print, from the data as it then stands.

Seal images are private files: they are read from storage and embedded as data URIs, so the PDF
needs no URL and WeasyPrint fetches nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import re
import threading
from typing import Any
from urllib.parse import urlencode

import segno
import weasyprint
from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint.text.ffi import ffi, fontconfig, pangoft2
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from approval_center import hooks
from windows.models import Seal, Staff
from windows.workdays import WorkCalendar

from . import document_fonts
from .models import (
    Application,
    ApplicationMaterial,
    ClockEvent,
    DepartmentReview,
    Document,
    ExtensionRequest,
    PrintedDocument,
)
from .notifications import track_page
from .services import promise_of

log = logging.getLogger(__name__)

TEMPLATE = "applications/documents/{kind}.html"
# What a printed PDF says about itself (pdfinfo): the author is the issuing organ, the language
# the documents' own. PDF/A-3a: an archival PDF (fonts embedded, colour defined) that is tagged.
PDF_VARIANT = "pdf/a-3a"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# A line of the one-time notice as services.application_notify_missing numbers it: "3. 申请表".
NUMBERED_LINE = re.compile(r"^\s*\d+[.、．]\s*")

# The causes of stopped time in the words of Art. 45. The model's labels are translatable
# interface strings; a document uses the statute's own wording, whatever the catalog holds.
CAUSE_WORDING = {
    ClockEvent.Cause.SUPPLEMENTS: "等待申请人补正材料",
    ClockEvent.Cause.EXPERT_REVIEW: "专家评审",
    ClockEvent.Cause.HEARING: "听证",
    ClockEvent.Cause.TESTING: "检验、检测、检疫或者鉴定",
    ClockEvent.Cause.OTHER: "法定不计入审批时限的其他程序",
}


# --- what a document prints, fixed at issue -------------------------------------------------


def snapshot(
    document: Document,
    *,
    review: DepartmentReview | None = None,
    event: ClockEvent | None = None,
    extension: ExtensionRequest | None = None,
    application: Application | None = None,
    reviews: list[DepartmentReview] | None = None,
    lines: list[ApplicationMaterial] | None = None,
) -> dict[str, Any]:
    """Everything `document` prints, as plain JSON: written at issue (services._issue), before
    the row exists, with the review, clock event or extension the service holds and has just
    saved (what it has not loaded of them is read here).

    Names and dates are copied, not referenced, so a later change (the review decided, a
    deadline moved, a department renamed) leaves the document as it was issued.
    """
    if application is None:  # else the service's, read with its applicant, project, clerk
        application = (
            Application.objects.select_related("applicant", "project", "accepted_by")
            .only(*_APPLICATION_FIELDS)
            .get(pk=document.application_id)
        )
    applicant, project = application.applicant, application.project
    content: dict[str, Any] = {
        "number": document.number,
        "kind": document.kind,
        "issued_on": _day(timezone.localdate(document.issued_at)),
        "center_name": settings.CENTER_NAME,
        "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
        "intake_number": _intake_number(application),
        "text_lines": [line for line in document.text.splitlines() if line.strip()],
        "application": {
            "receipt_number": application.receipt_number,
            "accepted_at": _moment(application.accepted_at),
            "accepted_by": str(application.accepted_by) if application.accepted_by else "",
            "received_at": _moment(application.received_at),
            "submission_received_on": _day(application.submission_received_on),
            "deemed_accepted": application.deemed_accepted,
            "with_gaps": application.with_gaps,
            "promised_date": _day(application.promised_date),
            "promised_provisional": application.promised_provisional,
            "promised_reason": application.promised_reason,
            "joint_deadline": _day(application.joint_deadline),
        },
        "applicant": {
            "kind": applicant.kind,
            "name": applicant.name,
            "id_number": applicant.id_number,
            "contact_name": applicant.contact_name,
            "mobile": applicant.mobile,
        },
        "project": {
            "name": project.name,
            "code": project.code,
            "location": project.location,
            "total_investment": str(project.total_investment),
            "land_area": str(project.land_area),
        }
        if project
        else None,
        "review": None,
        "event": None,
        "seal": None,
    }
    if document.review_id is not None:
        if review is None or review.pk != document.review_id:
            review = _review_for(document)
        content["review"] = {
            "item": {"name": review.item.name, "legal_basis": review.item.legal_basis},
            "department": {"name": review.department.name},
            "window": {"number": review.window.number},
            "deadline": _day(review.deadline),
            "deadline_provisional": review.deadline_provisional,
        }
    if document.clock_event_id is not None:
        if event is None or event.pk != document.clock_event_id:
            event = ClockEvent.objects.select_related("approved_by").get(pk=document.clock_event_id)
        content["event"] = {
            "kind": event.kind,
            "on": _day(event.on),
            "days": event.days,
            "approved_by": _person(event.approved_by),
        }
    if document.kind == Document.Kind.COMMITMENT_SLIP:
        content.update(_commitment(application, reviews=reviews, lines=lines))
    else:
        content.update(
            _KIND_CONTENT[document.kind](document, application, review, event, extension)
        )
    return content


_APPLICATION_FIELDS = (
    "receipt_number",
    "access_code",
    "accepted_at",
    "received_at",
    "submitted_at",
    "deemed_accepted",
    "with_gaps",
    "promised_date",
    "promised_provisional",
    "promised_reason",
    "joint_deadline",
    "applicant__kind",
    "applicant__name",
    "applicant__id_number",
    "applicant__contact_name",
    "applicant__mobile",
    "project__name",
    "project__code",
    "project__location",
    "project__total_investment",
    "project__land_area",
    "accepted_by__username",
    "accepted_by__full_name",
)


def _review_for(document: Document) -> DepartmentReview:
    """The review with what a document prints of it (a decision: signer, letter or posting,
    seal), in one query of those columns only."""
    related, fields = ["item", "department", "window"], _REVIEW_FIELDS
    if document.kind in DECISIONS:
        related += ["signed_by", "signed_under_letter", "signed_under_posting", "seal"]
        fields += _DECISION_FIELDS
    return (
        DepartmentReview.objects.select_related(*related).only(*fields).get(pk=document.review_id)
    )


_REVIEW_FIELDS = (
    "window_id",
    "deadline",
    "deadline_provisional",
    "item__name",
    "item__legal_basis",
    "item__needs_countersign",
    "department__name",
    "window__number",
)
_DECISION_FIELDS = (
    "decision_number",
    "decided_at",
    "signed_by__username",
    "signed_by__full_name",
    "signed_by__title",
    "signed_under_letter__delegating_official",
    "signed_under_letter__number",
    "signed_under_posting__appointment_ref",
    "seal__number",
    "seal__inscription",
    "seal__image",
)


def _commitment(
    application: Application,
    *,
    reviews: list[DepartmentReview] | None = None,
    lines: list[ApplicationMaterial] | None = None,
) -> dict[str, Any]:
    """The slip; `reviews` and `lines`: the acceptance's own, with their item, department,
    window and material (else read)."""
    if reviews is None:
        reviews = list(application.reviews.select_related("item", "department", "window"))
    reviews = sorted(
        reviews, key=lambda r: (r.department.sort_order, r.window.number, r.item.code, r.pk)
    )
    if lines is None:
        lines = list(
            application.materials.filter(
                status=ApplicationMaterial.Status.TO_FOLLOW
            ).select_related("material")
        )
    to_follow = sorted(
        (line for line in lines if line.status == ApplicationMaterial.Status.TO_FOLLOW),
        key=lambda line: (line.promised_by, line.pk),
    )
    url = track_url(application)
    promise = _promise(application, reviews)
    return {
        "access_code": application.access_code,
        "reviews": [
            {
                "item": r.item.name,
                "department": r.department.name,
                "window": r.window.number,
                "promised_days": r.promised_days,
                "deadline": _day(r.deadline),
                "deadline_provisional": r.deadline_provisional,
            }
            for r in reviews
        ],
        "to_follow": [
            {"material": line.material.name, "promised_by": _day(line.promised_by)}
            for line in to_follow
        ],
        "track_url": url,
        "track_page": track_page(),
        "promise": promise,
        "seal": _seal(Seal.objects.of_intake()),
    }


def _promise(application: Application, reviews: list[DepartmentReview]) -> dict[str, Any] | None:
    """Why the promised date is what it is, in parts the template words in Chinese.

    The reason stored with the application was written in the clerk's language, so the slip
    rebuilds it from the calendar (services.promise_of), and falls back to the stored text when
    the calendar no longer gives the promised date (an administrator edited it since).
    """
    if not reviews:
        return None
    promise = promise_of(application, reviews, WorkCalendar.load())
    if promise is None:
        return None
    review, span = promise.review, promise.span
    return {
        "item": review.item.name,
        "department": review.department.name,
        "promised_days": review.promised_days,
        "end": _day(span.end),
        "holidays": len(span.holidays),
        "adjusted_workdays": len(span.adjusted_workdays),
        "provisional": span.provisional,
    }


def _intake_notice(document, application, review, event, extension) -> dict[str, Any]:
    """The notice of non-acceptance: issued and sealed at intake."""
    return {
        "items": [
            item.name
            for item in application.items.select_related("department").order_by(
                "department__sort_order", "code"
            )
        ],
        "seal": _seal(Seal.objects.of_intake()),
    }


def _missing(document, application, review, event, extension) -> dict[str, Any]:
    """The one-time notice: the numbered materials go in the table, the clerk's note below it."""
    missing, other = [], []
    for line in document.text.splitlines():
        if not line.strip():
            continue
        if NUMBERED_LINE.match(line):
            missing.append(NUMBERED_LINE.sub("", line, count=1))
        else:
            other.append(line)
    return {
        **_intake_notice(document, application, review, event, extension),
        "missing_lines": missing,
        "other_lines": other,
    }


def _clock_notice(document, application, review, event, extension) -> dict[str, Any]:
    """Stopped time, supplements and extension: the window's notice, with the window's seal.
    An extension of joint handling (no review) is the center's notice, with the center's seal,
    approved by the head of the government (the document's issuer)."""
    if document.review_id is None:
        if extension is None:
            extension = (
                ExtensionRequest.objects.filter(document=document)
                .select_related("decided_by")
                .first()
            )
        return {
            "extension": {
                "days": extension.days if extension else None,
                "decided_by": _person(
                    extension.decided_by
                    if extension and extension.decided_by_id
                    else document.issued_by
                ),
                "decided_on": _day(timezone.localdate(document.issued_at)),
            },
            "seal": _seal(Seal.objects.of_center()),
        }
    from .services import stop_due

    return {
        "cause": CAUSE_WORDING.get(event.cause, "") if event else "",
        # The end of the time the stop announced, as the sweep watches it (services.stop_due).
        "until": _day(stop_due(event.on, event.days, WorkCalendar.load()))
        if event and event.kind == ClockEvent.Kind.STOP and event.days
        else None,
        "seal": _seal(Seal.objects.of_window(review.window_id)),
    }


def _decision(document, application, review, event, extension) -> dict[str, Any]:
    letter, posting = review.signed_under_letter, review.signed_under_posting
    return {
        "decision": {
            "number": review.decision_number,
            "signed_by": _person(review.signed_by),
            "letter": {"delegating_official": letter.delegating_official, "number": letter.number}
            if letter
            else None,
            "posting": {"appointment_ref": posting.appointment_ref} if posting else None,
            "seal": {"inscription": review.seal.inscription, "number": review.seal.number}
            if review.seal
            else None,
            "decided_on": _day(timezone.localdate(review.decided_at or document.issued_at)),
            "needs_countersign": review.item.needs_countersign,
        },
        "seal": _seal(review.seal),
    }


DECISIONS = (Document.Kind.APPROVAL, Document.Kind.REFUSAL)

_KIND_CONTENT = {
    Document.Kind.MISSING_MATERIALS: _missing,
    Document.Kind.NOT_ACCEPTED: _intake_notice,
    Document.Kind.STOPPED_TIME: _clock_notice,
    Document.Kind.SUPPLEMENTS: _clock_notice,
    Document.Kind.EXTENSION: _clock_notice,
    Document.Kind.APPROVAL: _decision,
    Document.Kind.REFUSAL: _decision,
}


def _intake_number(application: Application) -> str:
    return application.intake_window() or "A01"


def _person(staff: Staff | None) -> dict[str, str] | None:
    return {"name": str(staff), "title": staff.title} if staff else None


def _seal(seal: Seal | None) -> dict[str, str] | None:
    """The seal a document is stamped with: its number and the stored image's name (an image
    replaced later is stored under a new name, so the old name still reads the old image)."""
    if seal is None:
        return None
    return {"number": seal.number, "image": seal.image.name if seal.image else ""}


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: dt.datetime | None) -> str | None:
    """A time as printed: local time of the center, to the minute."""
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


# --- rendering ------------------------------------------------------------------------------


def content_of(document: Document) -> dict[str, Any]:
    """What the document prints: its content at issue, or for a document issued before the
    content was kept, the same built from the data as it stands now."""
    return document.content if document.content is not None else snapshot(document)


def render_html(
    document: Document,
    content: dict[str, Any] | None = None,
    *,
    verify: dict[str, str] | None = None,
) -> str:
    """The document as HTML, in Chinese; `verify`: the address and code of its public
    verification (licences/verification.py), printed with their QR code in the footer."""
    if content is None:
        content = content_of(document)
    context = _render_context(document, content)
    if verify:
        context["verify"] = {**verify, "qr": qr_code(verify["url"])}
    with translation.override("zh-hans"):
        return render_to_string(TEMPLATE.format(kind=document.kind), context)


def _render_context(document: Document, content: dict[str, Any]) -> dict[str, Any]:
    """The content plus what is drawn from it: the QR code, the seal image, the countersign."""
    context = {**content, "document": {"number": document.number}}
    seal = content.get("seal")
    context["seal_uri"] = _seal_uri_of(seal["image"], seal["number"]) if seal else None
    if content.get("track_url"):
        context["qr"] = qr_code(content["track_url"])
    decision = content.get("decision")
    if decision and decision["needs_countersign"]:
        context["countersign"] = _countersign(document)
    return context


def qr_code(url: str) -> str:
    """The slip's QR code of the status page, as an SVG data URI."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def _countersign(document: Document) -> dict[str, Any] | None:
    """The leader's countersign of a decision, once given (it never changes after)."""
    review = (
        DepartmentReview.objects.select_related("countersigned_by")
        .only("countersigned_at", "countersigned_by")
        .get(pk=document.review_id)
    )
    if review.countersigned_by is None:
        return None
    return {
        "by": _person(review.countersigned_by),
        "on": _day(timezone.localdate(review.countersigned_at)),
    }


def render_pdf(document: Document, content: dict[str, Any] | None = None) -> bytes:
    """The document rendered now, as an A4 PDF (a fresh rendering: `printed` is what a reader
    gets, the bytes fixed at the first print).

    Everything a document shows is embedded (seal and QR code as data URIs, fonts through
    fontconfig), so the fetcher allows data URIs only: nothing printed can make the server
    read a local file or call out to the network.
    """
    return html_to_pdf(render_html(document, content))


def printed(document: Document, *, now: dt.datetime) -> tuple[bytes, PrintedDocument | None]:
    """The document's PDF as a reader gets it, and its fixed record (None while not final).

    1. Fixed already: the stored bytes.
    2. Else render from the content at issue. A decision waiting for its countersign is
       printed, not fixed.
    3. Else store the bytes with their SHA-256. Two first prints at once both render; the
       first stored wins and the other serves its bytes, so every reader gets the same.
    """
    stored = PrintedDocument.objects.filter(document=document).first()
    if stored is not None:
        return bytes(stored.pdf), stored
    content = content_of(document)
    verify = hooks.collect("document_verification", document, now)
    pdf, pages = _write(render_html(document, content, verify=verify[0] if verify else None))
    signed = hooks.collect(
        "document_signed", pdf, signing_reason(document, content), settings.CENTER_NAME
    )
    pdf = signed[0] if signed else pdf
    decision = content.get("decision")
    if decision and decision["needs_countersign"] and _countersign(document) is None:
        return pdf, None
    try:
        with transaction.atomic():
            stored = PrintedDocument.objects.create(
                document=document,
                pdf=pdf,
                sha256=hashlib.sha256(pdf).hexdigest(),
                pages=pages,
                printed_at=now,
            )
    except IntegrityError:
        stored = PrintedDocument.objects.get(document=document)
        return bytes(stored.pdf), stored
    return pdf, stored


def signing_reason(document: Document, content: dict[str, Any]) -> str:
    """What the signature says of the document: its issuer (the department for a review's
    documents, else the center), kind and number, in Chinese as the document is."""
    review = content.get("review")
    issuer = review["department"]["name"] if review else content.get("center_name", "")
    with translation.override("zh-hans"):
        kind = str(Document.Kind(document.kind).label)
    return f"{issuer}签发 {kind} {document.number}"


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept between documents: building it again for every
    document costs a good part of a slip's time."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
        _add_document_fonts(config)
    return config


def _add_document_fonts(config: FontConfiguration) -> None:
    """Give the configuration the documents' own font (document_fonts.py), when made. WeasyPrint
    adds the fonts of an @font-face the same way (text/fonts.py, `add_font_face`)."""
    added = False
    for path in document_fonts.made():
        added |= bool(fontconfig.FcConfigAppFontAddFile(config._config, str(path).encode()))
    if added:
        pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
    else:
        log.info("documents print from Noto Sans CJK SC: manage.py make_document_fonts cuts theirs")


def html_to_pdf(html: str) -> bytes:
    """Any printed page of the center as PDF, fetching nothing but data URIs."""
    return _write(html)[0]


def _write(html: str) -> tuple[bytes, int]:
    """The PDF and its number of pages. PDF/A-3a: fonts embedded, tagged, with the title,
    author, subject and language that the page's <title>, <meta> and lang give."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    rendered = weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher
    ).render(font_config=_font_config())
    return rendered.write_pdf(pdf_variant=PDF_VARIANT), len(rendered.pages)


def seal_uri(seal: Seal | None) -> str | None:
    """A seal's image for a page printed outside this module."""
    return _seal_uri_of(seal.image.name, seal.number) if seal and seal.image else None


def track_url(application: Application) -> str:
    """The public status page for this application, as printed in the slip's QR code."""
    query = urlencode({"number": application.receipt_number, "code": application.access_code})
    return f"{track_page()}?{query}"


def _seal_uri_of(name: str, number: str) -> str | None:
    """The seal's PNG as a data URI, or None when there is no usable image.

    A document still prints without the image (the seal is then stamped by hand), so a missing
    or unreadable file is logged rather than raised.
    """
    if not name:
        return None
    storage = Seal._meta.get_field("image").storage
    try:
        with storage.open(name, "rb") as file:
            data = file.read()
    except OSError:
        log.warning("seal %s: image %s cannot be read", number, name)
        return None
    if not data.startswith(PNG_MAGIC):
        log.warning("seal %s: image %s is not a PNG", number, name)
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
