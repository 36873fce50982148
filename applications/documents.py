"""The printed documents (DESIGN.md section 6): one template per `Document.Kind`, A4 PDF.

Documents are official Chinese texts, so they are always rendered in Chinese whatever the
reader's language, and their wording is written in the templates themselves
(`templates/applications/documents/<kind>.html`, each extending `base.html`). Everything that
came from a person (names, reasons, notes) goes through Django's auto-escaping.

Seal images are private files: they are read from storage and embedded as data URIs, so the PDF
needs no URL and WeasyPrint fetches nothing.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from typing import Any
from urllib.parse import urlencode

import segno
import weasyprint
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from windows.models import Seal, Window
from windows.workdays import WorkCalendar

from .models import (
    Application,
    ApplicationMaterial,
    ClockEvent,
    DepartmentReview,
    Document,
    ExtensionRequest,
)
from .notifications import track_page
from .services import Promise, promise_of, stop_due

log = logging.getLogger(__name__)

TEMPLATE = "applications/documents/{kind}.html"
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


def render_html(document: Document) -> str:
    """The document as HTML, in Chinese."""
    with translation.override("zh-hans"):
        return render_to_string(TEMPLATE.format(kind=document.kind), _context(document))


def render_pdf(document: Document) -> bytes:
    """The document as an A4 PDF.

    Everything a document shows is embedded (seal and QR code as data URIs, fonts through
    fontconfig), so the fetcher allows data URIs only: nothing printed can make the server
    read a local file or call out to the network.
    """
    return html_to_pdf(render_html(document))


_local = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread, kept between documents: building it again for every
    document costs a good part of a slip's time."""
    config = getattr(_local, "font_config", None)
    if config is None:
        config = _local.font_config = FontConfiguration()
    return config


def html_to_pdf(html: str) -> bytes:
    """Any printed page of the center as PDF, fetching nothing but data URIs."""
    fetcher = URLFetcher(allowed_protocols={"data"})
    return weasyprint.HTML(
        string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher
    ).write_pdf(font_config=_font_config())


def seal_uri(seal: Seal | None) -> str | None:
    """A seal's image for a page printed outside this module."""
    return _seal_uri(seal)


def track_url(application: Application) -> str:
    """The public status page for this application, as printed in the slip's QR code."""
    query = urlencode({"number": application.receipt_number, "code": application.access_code})
    return f"{track_page()}?{query}"


def _context(document: Document) -> dict[str, Any]:
    """What every document shows, plus what its kind needs.

    The document is read again with everything it prints joined in, so a document costs the
    same few queries whatever the caller had loaded.
    """
    related = ["application__applicant", "application__project", "application__accepted_by"]
    # Only what this document has: each table joined for nothing costs planning time.
    if document.review_id is not None:
        related += [
            "review__item",
            "review__department",
            "review__window",
            "review__signed_by",
            "review__signed_under_letter",
            "review__signed_under_posting",
            "review__seal",
            "review__countersigned_by",
        ]
    if document.clock_event_id is not None:
        related.append("clock_event__approved_by")
    document = Document.objects.select_related(*related).get(pk=document.pk)
    application = document.application
    intake = Window.objects.filter(kind=Window.Kind.COMPREHENSIVE).order_by("number").first()
    context: dict[str, Any] = {
        "document": document,
        "application": application,
        "applicant": application.applicant,
        "project": application.project,
        "review": document.review,
        "event": document.clock_event,
        "center_name": settings.CENTER_NAME,
        "complaint_phone": settings.CENTER_COMPLAINT_PHONE,
        "issued_on": timezone.localdate(document.issued_at),
        "intake_number": intake.number if intake else "A01",
        "text_lines": [line for line in document.text.splitlines() if line.strip()],
    }
    extra = _EXTRA.get(document.kind)
    if extra is not None:
        context.update(extra(document))
    return context


def _commitment(document: Document) -> dict[str, Any]:
    application = document.application
    reviews = list(
        application.reviews.select_related("item", "department", "window").order_by(
            "department__sort_order", "window__number", "item__code"
        )
    )
    url = track_url(application)
    return {
        "reviews": reviews,
        "to_follow": application.materials.filter(status=ApplicationMaterial.Status.TO_FOLLOW)
        .select_related("material")
        .order_by("promised_by", "id"),
        "track_url": url,
        "track_page": track_page(),
        "qr": segno.make(url, error="m").svg_data_uri(scale=4, border=2),
        "promise": _promise(application, reviews),
        "seal_uri": _seal_uri(_intake_seal()),
    }


def _promise(application: Application, reviews: list[DepartmentReview]) -> Promise | None:
    """Why the promised date is what it is, in parts the template words in Chinese.

    The reason stored with the application was written in the clerk's language, so the slip
    rebuilds it from the calendar (services.promise_of), and falls back to the stored text when
    the calendar no longer gives the promised date (an administrator edited it since).
    """
    if not reviews:
        return None
    return promise_of(application, reviews, WorkCalendar.load())


def _intake_notice(document: Document) -> dict[str, Any]:
    """The notice of non-acceptance: issued and sealed at intake."""
    return {
        "items": document.application.items.select_related("department").order_by(
            "department__sort_order", "code"
        ),
        "seal_uri": _seal_uri(_intake_seal()),
    }


def _missing(document: Document) -> dict[str, Any]:
    """The one-time notice: the numbered materials go in the table, the clerk's note below it."""
    missing, other = [], []
    for line in document.text.splitlines():
        if not line.strip():
            continue
        if NUMBERED_LINE.match(line):
            missing.append(NUMBERED_LINE.sub("", line, count=1))
        else:
            other.append(line)
    return {**_intake_notice(document), "missing_lines": missing, "other_lines": other}


def _clock_notice(document: Document) -> dict[str, Any]:
    """Stopped time, supplements and extension: the window's notice, with the window's seal.
    An extension of joint handling (no review) is the center's notice, with the intake seal."""
    event = document.clock_event
    if document.review_id is None:
        extension = (
            ExtensionRequest.objects.filter(document=document).select_related("decided_by").first()
        )
        return {"extension": extension, "seal_uri": _seal_uri(_intake_seal())}
    return {
        "cause": CAUSE_WORDING.get(event.cause, "") if event else "",
        # The end of the time the stop announced, as the sweep watches it (services.stop_due).
        "until": stop_due(event.on, event.days, WorkCalendar.load())
        if event and event.kind == ClockEvent.Kind.STOP and event.days
        else None,
        "seal_uri": _seal_uri(Seal.objects.of_window(document.review.window_id)),
    }


def _decision(document: Document) -> dict[str, Any]:
    review = document.review
    return {
        "letter": review.signed_under_letter,
        "posting": review.signed_under_posting,
        "decided_on": timezone.localdate(review.decided_at or document.issued_at),
        "seal_uri": _seal_uri(review.seal),
    }


_EXTRA = {
    Document.Kind.COMMITMENT_SLIP: _commitment,
    Document.Kind.MISSING_MATERIALS: _missing,
    Document.Kind.NOT_ACCEPTED: _intake_notice,
    Document.Kind.STOPPED_TIME: _clock_notice,
    Document.Kind.SUPPLEMENTS: _clock_notice,
    Document.Kind.EXTENSION: _clock_notice,
    Document.Kind.APPROVAL: _decision,
    Document.Kind.REFUSAL: _decision,
}


def _intake_seal() -> Seal | None:
    return Seal.objects.of_center()


def _seal_uri(seal: Seal | None) -> str | None:
    """The seal's PNG as a data URI, or None when there is no usable image.

    A document still prints without the image (the seal is then stamped by hand), so a missing
    or unreadable file is logged rather than raised.
    """
    if seal is None or not seal.image:
        return None
    try:
        with seal.image.storage.open(seal.image.name, "rb") as file:
            data = file.read()
    except OSError:
        log.warning("seal %s: image %s cannot be read", seal.number, seal.image.name)
        return None
    if not data.startswith(PNG_MAGIC):
        log.warning("seal %s: image %s is not a PNG", seal.number, seal.image.name)
        return None
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
