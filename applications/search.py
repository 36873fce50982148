"""The staff search: one box for a receipt number, a document or decision number, a credit code
or ID number, a phone, an applicant's or a project's name or code, within what the person may
see (`access.applications_for`; of another department's reviews on a shared application, not
even their decision numbers, as `access.reviews_seen_in_full` says).

A number typed in full (receipt, document, decision) is an exact hit: the page goes straight
to its application. Everything else is a list, newest first.
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


def _numbered(user: Staff, q: str) -> Q:
    """Applications with a document or decision of that number the person may see: of another
    department's review on a shared application, nothing (not even that its number exists)."""
    forms = number_forms(q)
    documents = Document.objects.filter(number__in=forms)
    decisions = DepartmentReview.objects.filter(decision_number__in=forms)
    if not access.sees_everything(user):
        own = access.reviews_for(user).values("pk")
        documents = documents.filter(Q(review__isnull=True) | Q(review__in=own))
        decisions = decisions.filter(pk__in=own)
    return Q(pk__in=documents.values("application_id")) | Q(
        pk__in=decisions.values("application_id")
    )


def exact_application(user: Staff, q: str) -> Application | None:
    """The one application a number typed in full names, if the person may see it."""
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return None
    found = list(access.applications_for(user).filter(Q(receipt_number=q) | _numbered(user, q))[:2])
    return found[0] if len(found) == 1 else None


def applications_matching(user: Staff, q: str) -> QuerySet[Application]:
    """The applications the person may see that the query names, newest first."""
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return Application.objects.none()
    match = (
        Q(applicant__name__icontains=q)
        | Q(project__name__icontains=q)
        | Q(applicant__id_number__istartswith=q)
        | Q(project__code__startswith=q)
        | _numbered(user, q)
    )
    if q.isdigit():
        match |= Q(receipt_number__startswith=q) | Q(applicant__mobile__startswith=q)
    return (
        access.applications_for(user)
        .filter(match)
        .select_related("applicant", "project")
        .order_by("-received_at", "-id")
    )


def applicants_matching(q: str) -> QuerySet[Applicant]:
    """Applicants by name, credit code or ID number, or mobile: for the comprehensive window,
    which registers them (an applicant need not have an application yet)."""
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return Applicant.objects.none()
    return Applicant.objects.filter(
        Q(name__icontains=q) | Q(id_number__istartswith=q) | Q(mobile__startswith=q)
    ).order_by("name")


def projects_matching(q: str) -> QuerySet[Project]:
    q = normalize(q)
    if len(q) < MIN_LENGTH:
        return Project.objects.none()
    return Project.objects.filter(Q(code__startswith=q) | Q(name__icontains=q)).select_related(
        "applicant"
    )
