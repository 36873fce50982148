"""The public verification of issued documents (/verify/), with the rules of the status page
(applications/track.py), whose mechanisms it uses:

- a document is found by its number *and* its verification code (16 characters printed under
  the QR code in the footer, carried in the QR's address): an unknown number and a wrong code
  take the same path (one query by number, one constant-time comparison, against a dummy code
  when the number is unknown) and get the same answer, so numbers cannot be tried one by one;
- lookups and uploads are counted per client address (IPv6 by its /64) in the status page's
  fixed windows (`track.fixed_window`, VERIFY_RATE_LIMIT per TRACK_RATE_WINDOW_SECONDS);
- the holder's name is shown partly masked, never the ID number, the mobile or any code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from applications import access, track
from applications.models import Document, PrintedDocument
from applications.services import ACCESS_CODE_ALPHABET

from . import signing
from .models import Licence, Verification

log = logging.getLogger(__name__)

CODE_LENGTH = 16
# Compared against when the number is unknown: the length of a code, a character none has.
DUMMY_CODE = "0" * CODE_LENGTH


def new_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalize_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch not in " -\t")


def code_is_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ACCESS_CODE_ALPHABET for ch in code)


def verify_page() -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("licences:verify")


def url_of(number: str, code: str) -> str:
    return f"{verify_page()}?{urlencode({'number': number, 'code': code})}"


def for_document(document: Document, *, now: dt.datetime) -> dict[str, str]:
    """The document's verification code (made at its first print) and the address its QR code
    carries. Two first prints at once keep one code."""
    row = Verification.objects.filter(document=document).first()
    if row is None:
        try:
            with transaction.atomic():
                row = Verification.objects.create(
                    document=document, code=new_code(), created_at=now
                )
        except IntegrityError:
            row = Verification.objects.get(document=document)
    return {
        "url": url_of(document.number, row.code),
        "code": grouped(row.code),
        "page": verify_page(),
    }


def find(number: str, code: str) -> Document | None:
    """The document with this number and verification code, or None, taking the same steps
    whether the number is unknown or the code is wrong."""
    row = (
        Verification.objects.filter(document__number=number)
        .values_list("document_id", "code")
        .first()
    )
    stored = row[1] if row else DUMMY_CODE
    matches = hmac.compare_digest(code.encode(), stored.encode())
    if row is None or not matches:
        return None
    return Document.objects.select_related("application__applicant").get(pk=row[0])


def count_attempt(address: str):
    """One lookup or upload from this address, in the status page's windows."""
    window = track.fixed_window(
        "verify", track.address_bucket(address), settings.TRACK_RATE_WINDOW_SECONDS
    )
    try:
        count = track.window_hit(window)
    except Exception:
        log.exception("verify page: the rate-limit cache is not answering; lookup allowed")
        return track.Allowance(True, window.retry_after)
    return track.Allowance(count <= settings.VERIFY_RATE_LIMIT, window.retry_after)


def log_attempt(address: str, number: str, result: str) -> None:
    log.info("verify lookup from %s for number %r: %s", address, number[:40], result)


@dataclass
class Found:
    document: Document
    issuer: str
    holder: str
    issued_on: dt.date
    sha256: str | None  # None while not final (a decision awaiting its countersign)
    licence: Licence | None
    licence_status: str
    licence_status_label: str


def describe(document: Document, today: dt.date) -> Found:
    content = document.content or {}
    review = content.get("review")
    issuer = review["department"]["name"] if review else content.get("center_name", "")
    if not issuer:
        issuer = settings.CENTER_NAME
    holder = (content.get("applicant") or {}).get("name") or document.application.applicant.name
    printed = PrintedDocument.objects.filter(document=document).values_list("sha256", flat=True)
    licence = (
        Licence.objects.filter(decision=document).select_related("item").first()
        if document.kind == Document.Kind.APPROVAL
        else None
    )
    return Found(
        document=document,
        issuer=issuer,
        holder=access.masked_name(holder),
        issued_on=timezone.localdate(document.issued_at),
        sha256=printed.first(),
        licence=licence,
        licence_status=licence.status_on(today) if licence else "",
        licence_status_label=licence.status_label_on(today) if licence else "",
    )


@dataclass
class Comparison:
    sha256: str
    identical: bool
    check: signing.Check


def compare(found: Found, data: bytes) -> Comparison:
    digest = hashlib.sha256(data).hexdigest()
    identical = found.sha256 is not None and hmac.compare_digest(digest, found.sha256)
    return Comparison(sha256=digest, identical=identical, check=signing.check(data))
