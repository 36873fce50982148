"""What a signed-in applicant sees: written once, used by every page of `/my/`.

1. A person is their mobile number. They see the applications of every applicant the center
   registered with that number as its mobile (`Applicant.mobile`): themselves as a person, and
   the companies whose contact mobile it is (the comprehensive window registered them as the
   company's agent). The rule is read live: when the counter changes a company's contact
   mobile, the old number sees its applications no more, on the next request.
2. Companies are bound by their unified social credit code (`company_bind`, the "my companies"
   page): only a company whose record has this number as its contact mobile. A binding names
   the companies the person acts for (online filing will file in their name); it never shows
   more than rule 1, and it lapses with the contact mobile.
3. Anything else is a 404, the same page as for an id that does not exist: no one learns
   whether another's application, document or rating is there.
4. Documents: those the center issued for the person's applications, a decision once its review
   is decided (after a countersign, once countersigned: the PDF is fixed at its first print).
   The commitment slip too: it is the applicant's own voucher of acceptance (Art. 32) and the
   access code it carries opens only `/track/`, which shows less than this side does; each
   download is logged to `audit.documents` as the counter's prints are.
5. Online filing: a person files in the name of themselves (a person registered with their
   number) or of a company they are bound to (rule 2), and only they see their filing until it
   is submitted (no staff page lists a filing). Scans of their applications, the counter's and
   their own, are theirs to download (rule 1).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from applications.models import Applicant, Application, DepartmentReview, Document, Scan

from .models import Account, Filing

# A decision is the applicant's once its review is decided (countersigned where needed).
DECIDED = (
    DepartmentReview.State.DECIDED,
    DepartmentReview.State.RETURNED,
    DepartmentReview.State.RECEIVED,
)
DECISIONS = (Document.Kind.APPROVAL, Document.Kind.REFUSAL)


def applicants_of(account: Account) -> QuerySet[Applicant]:
    """The applicants this person is (rule 1)."""
    return Applicant.objects.filter(mobile=account.mobile)


def applications_of(account: Account) -> QuerySet[Application]:
    return Application.objects.filter(applicant__mobile=account.mobile)


def get_application(account: Account, pk: int) -> Application:
    application = (
        applications_of(account).select_related("applicant", "project").filter(pk=pk).first()
    )
    if application is None:
        raise Http404
    return application


def documents_of(account: Account) -> QuerySet[Document]:
    """The documents issued to this person: every notice, and decisions once decided."""
    return (
        Document.objects.filter(application__applicant__mobile=account.mobile)
        .exclude(kind__in=DECISIONS, review__isnull=True)
        .exclude(kind__in=DECISIONS, review__state__in=_undecided())
    )


def _undecided() -> list[str]:
    return [state for state in DepartmentReview.State.values if state not in DECIDED]


def get_document(account: Account, pk: int) -> Document:
    document = documents_of(account).filter(pk=pk).first()
    if document is None:
        raise Http404
    return document


def companies_of(account: Account) -> QuerySet[Applicant]:
    """The companies this person is bound to act for, while their contact mobile is theirs."""
    return Applicant.objects.filter(
        kind=Applicant.Kind.ENTERPRISE,
        mobile=account.mobile,
        pk__in=account.agencies.values("applicant_id"),
    )


# --- online filing (docs/filing.md) -----------------------------------------------------------


def filing_applicants(account: Account) -> QuerySet[Applicant]:
    """Those in whose name the person may file: themselves as a person registered with their
    number, and the companies they are bound to act for (rule 2)."""
    return Applicant.objects.filter(mobile=account.mobile).filter(
        Q(kind=Applicant.Kind.PERSON) | Q(pk__in=companies_of(account).values("pk"))
    )


def get_filing(account: Account, pk: int, *, open_only: bool = True) -> Filing:
    """One of the person's own filings (a draft unless `open_only` is False), while its
    applicant is still one they may file for; a 404 for anything else."""
    found = (
        Filing.objects.filter(
            account=account, pk=pk, applicant__in=filing_applicants(account).values("pk")
        )
        .select_related("applicant", "project")
        .first()
    )
    if found is None or (open_only and found.submitted_at is not None):
        raise Http404
    return found


def get_scan(account: Account, pk: int) -> Scan:
    """A scan of one of the person's applications (the counter's and their own uploads)."""
    found = Scan.objects.filter(pk=pk, application__in=applications_of(account)).first()
    if found is None:
        raise Http404
    return found
