"""The staff search: one box for a receipt number, a document or decision number, a credit code
or ID number, a phone, an applicant's or a project's name or code, within what the person may
see (`access.applications_for`; of another department's reviews on a shared application, not
even their decision numbers, as `access.reviews_seen_in_full` says).

A number typed in full (receipt, document, decision) is an exact hit: the page goes straight
to its application. Everything else is a list, newest first, of at most `LISTED`: a query that
matches more is to be narrowed, and the database walks the applications newest first (an index)
until it has them, rather than finding and counting every match.

A query without a letter that has a case (Chinese, digits) is matched as typed, not folded to
upper case: the same rows, without folding every name the database reads.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Q, QuerySet

from windows.models import Staff

from . import access
from .models import Applicant, Application, DepartmentReview, Document, Project

# Shorter than this, a query matches too much to be worth the database's time.
MIN_LENGTH = 2
# The most applications a search lists (the newest); past it, the page asks for more words.
LISTED = 1000
# Brackets people type for the 〔〕 of a document number.
BRACKETS = str.maketrans({"[": "〔", "]": "〕", "(": "〔", ")": "〕", "【": "〔", "】": "〕"})
DOCUMENT_NUMBER = re.compile(r"^(?P<head>.*〔\d{4}〕)第?(?P<serial>\d+)号?$")


def normalize(q: str) -> str:
    """Full-width digits and letters as typed by a Chinese input method made plain, spaces
    taken out of numbers (1234 5678), the ends trimmed."""
    q = unicodedata.normalize("NFKC", q).strip()
    return re.sub(r"(?<=\d)\s+(?=\d)", "", q)


def number_forms(q: str) -> set[str]:
    """The ways a document or decision number may be written, for an exact match: with the
    brackets of the documents, with or without 第 and 号."""
    q = q.translate(BRACKETS).replace(" ", "")
    forms = {q}
    match = DOCUMENT_NUMBER.match(q)
    if match:
        head, serial = match["head"], match["serial"]
        forms |= {f"{head}{serial}号", f"{head}第{serial}号"}
    return forms


def _numbered(user: Staff, q: str) -> QuerySet:
    """The keys of the applications with a document or decision of that number the person may
    see: of another department's review on a shared application, nothing (not even that its
    number exists). Each found by its index, together in one subquery."""
    forms = number_forms(q)
    documents = Document.objects.filter(number__in=forms)
    decisions = DepartmentReview.objects.filter(decision_number__in=forms)
    if not access.sees_everything(user):
        own = access.reviews_for(user).values("pk")
        documents = documents.filter(Q(review__isnull=True) | Q(review__in=own))
        decisions = decisions.filter(pk__in=own)
    return (
        documents.order_by()
        .values("application_id")
        .union(decisions.order_by().values("application_id"))
    )


def exact_application(user: Staff, q: str) -> Application | None:
    """The one application a number typed in full names, if the person may see it."""
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return None
    receipts = Application.objects.filter(receipt_number=q).order_by().values("pk")
    named = receipts.union(_numbered(user, q))
    found = list(access.applications_for(user).filter(pk__in=named)[:2])
    return found[0] if len(found) == 1 else None


def _cased(q: str) -> bool:
    return q.upper() != q or q.lower() != q


def _contains(field: str, q: str) -> Q:
    return Q(**{f"{field}__{'icontains' if _cased(q) else 'contains'}": q})


def _starts(field: str, q: str) -> Q:
    return Q(**{f"{field}__{'istartswith' if _cased(q) else 'startswith'}": q})


def applications_matching(user: Staff, q: str) -> QuerySet[Application]:
    """The applications the person may see that the query names, newest first: by their
    applicant or project (each table searched once, the applications then by key), a number
    of theirs, or a receipt number's beginning."""
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return Application.objects.none()
    match = (
        Q(applicant__in=applicants_matching(q).order_by().values("pk"))
        | Q(project__in=projects_matching(q).order_by().values("pk"))
        | Q(pk__in=_numbered(user, q))
    )
    if q.isdigit():
        match |= Q(receipt_number__startswith=q)
    return (
        access.applications_for(user)
        .filter(match)
        .select_related("applicant", "project")
        .order_by("-received_at", "-id")
    )


def listed(applications: QuerySet[Application]) -> tuple[list[int], bool]:
    """The keys of the first `LISTED` of `applications`, in their order, and whether more
    match."""
    keys = list(applications.values_list("pk", flat=True)[: LISTED + 1])
    return keys[:LISTED], len(keys) > LISTED


def applicants_matching(q: str) -> QuerySet[Applicant]:
    """Applicants by name, credit code or ID number, or mobile: for the comprehensive window,
    which registers them (an applicant need not have an application yet)."""
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return Applicant.objects.none()
    return Applicant.objects.filter(
        _contains("name", q) | _starts("id_number", q) | Q(mobile__startswith=q)
    ).order_by("name")


def projects_matching(q: str) -> QuerySet[Project]:
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return Project.objects.none()
    return Project.objects.filter(Q(code__startswith=q) | _contains("name", q)).select_related(
        "applicant"
    )
