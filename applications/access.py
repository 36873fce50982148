"""Who may see which application and review: written once, used by every view.

- intake clerks and center managers see every application (the comprehensive window takes them
  all in and hands them all out; managers supervise);
- the staff of a department (officers, heads, deputies, the leader) see the applications that
  have a review of their department, and those reviews;
- the head of the government sees the applications with a joint handling extension request;
- nobody else sees anything: a 404, as if it did not exist.
- a project is seen by whoever sees one of its applications, and by those who see them all
  (`projects_for`).

Each department sees its own part (`reviews_seen_in_full`): on an application shared by several
departments, the staff of one see the application, its project and materials, and of the other
departments' reviews only the item, department, window, state and deadline; never their
officers, signers, decision numbers, signing basis, stop reasons, clock ledger, documents or
the applicant's messages about them (the review page and its documents answer 404). Clerks,
managers and administrators see every review in full.

The access code is the applicant's key to the status page (and to nothing else): no staff page
shows it. Only the commitment slip carries it, and printing or reprinting a slip is an act of the
comprehensive window (`may_print_slip`), logged to `audit.documents` by the view. Messages to the
applicant are shown to staff through `masked`, the stored text staying as it was sent.
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from approval_center.prepared import Prepared, unconditioned
from windows.models import Staff
from windows.roles import SIGNING_ROLES, WINDOW_ROLES, Role, require_role

from .models import (
    Application,
    ClockEvent,
    DepartmentReview,
    Document,
    ExtensionRequest,
    Notification,
    Project,
)

CENTER_WIDE = (Role.INTAKE_CLERK, Role.CENTER_MANAGER, Role.ADMINISTRATOR)


def sees_everything(user: Staff) -> bool:
    return user.has_role(*CENTER_WIDE)


def reviews_seen_in_full(user: Staff, application: Application) -> set[int]:
    """The ids of the application's reviews this person sees in full (see the module's text);
    of the others, only the state."""
    reviews = application.reviews.all()
    if not sees_everything(user):
        if user.department_id is None:
            return set()
        reviews = reviews.filter(department_id=user.department_id)
    return set(reviews.values_list("pk", flat=True))


def notification_review_id(note, clock_reviews: dict[int, int]) -> int | None:
    """The review a message to the applicant is about (its key names the review, or the clock
    ledger line of one: `notifications.event_key`), or None for the application's own."""
    parts = note.key.split(":")
    if len(parts) != 2 or not parts[1].isdigit():
        return None
    if parts[0] == Notification.Event.DECIDED:
        return int(parts[1])
    return clock_reviews.get(int(parts[1]))


def applications_for(user: Staff) -> QuerySet[Application]:
    if sees_everything(user):
        return Application.objects.all()
    if Role.GOVERNMENT_HEAD in user.roles:
        # The government's head decides on joint handling extensions: those applications.
        # (Not `extension_requests__review__isnull=True`: its outer join also matched every
        # application with no request at all.)
        return Application.objects.filter(
            pk__in=ExtensionRequest.objects.joint().values("application_id")
        )
    if user.department_id is None:
        return Application.objects.none()
    # A semi-join (EXISTS), not a join made distinct: a search or count over it can stop at
    # each application's first review of the department instead of reading all of them.
    return Application.objects.filter(
        Exists(
            DepartmentReview.objects.filter(
                application_id=OuterRef("pk"), department_id=user.department_id
            )
        )
    )


def projects_for(user: Staff) -> QuerySet[Project]:
    """The projects a person may open: every one to those who see every application; to
    others, those with an application they see (`applications_for`). The project page shows
    them the whole path (items and their states, as the application page shows other
    departments' reviews) but links only the applications they may open."""
    if sees_everything(user):
        return Project.objects.all()
    return Project.objects.filter(
        pk__in=applications_for(user).exclude(project=None).values("project_id")
    )


def get_project(user: Staff, pk: int) -> Project:
    return get_object_or_404(projects_for(user).select_related("applicant"), pk=pk)


def reviews_for(user: Staff) -> QuerySet[DepartmentReview]:
    if sees_everything(user):
        return DepartmentReview.objects.all()
    if user.department_id is None:
        return DepartmentReview.objects.none()
    return DepartmentReview.objects.filter(department_id=user.department_id)


def _with_names(applications: QuerySet[Application]) -> QuerySet[Application]:
    return applications.select_related("applicant", "project")


# For the people who see every application (no condition): the statement kept for the process
# and planned once per session (approval_center/prepared.py).
_EVERY_APPLICATION = Prepared(lambda pk: _with_names(Application.objects.filter(pk=pk)))


def get_application(user: Staff, pk: int) -> Application:
    seen = applications_for(user)
    if unconditioned(seen):  # every application: the kept statement
        found = _EVERY_APPLICATION.objects(pk=int(pk))
        if not found:
            raise Http404
        return found[0]
    return get_object_or_404(_with_names(seen), pk=pk)


def get_review(user: Staff, pk: int) -> DepartmentReview:
    """The review a page shows, among those the person sees (a 404 otherwise), with what the
    page names. Two reads, of five tables and of three: PostgreSQL plans a join of all seven
    in about 1.7 ms to run it in 0.15; the two plan in 0.28 and 0.18 ms (docs/performance.md)."""
    review = get_object_or_404(
        reviews_for(user).select_related("item", "window", "department", "officer"), pk=pk
    )
    review.application = Application.objects.select_related("applicant", "project").get(
        pk=review.application_id
    )
    return review


def get_review_to_act(user: Staff, pk: int) -> DepartmentReview:
    """The review an action is about, among those the person sees (a 404 otherwise): its row
    alone, one table and no join, so the check costs less to plan than to run. The service
    locks the row and reads what the change needs along with the lock."""
    return get_object_or_404(reviews_for(user), pk=pk)


def reviews_at_window(user: Staff) -> QuerySet[DepartmentReview]:
    """The reviews a person acts on at their window (claim, stop, resume, decide, return): those
    they see, of their own window. Decide and return pass these to the service, whose own lock
    or change is then the check (no read of its own); `get_review_at_window` says why not."""
    return reviews_for(user).filter(window_id=user.window_id)


def acts_at_window(user: Staff, review: DepartmentReview) -> bool:
    """`reviews_at_window` for a review in hand: the same rule read on its row, for a service
    that has locked it already (a test holds the two equal for every person and review)."""
    if user.window_id is None or review.window_id != user.window_id:
        return False
    if sees_everything(user):
        return True
    return user.department_id is not None and review.department_id == user.department_id


def get_review_at_window(user: Staff, pk: int) -> DepartmentReview:
    """A review among `reviews_at_window`: a 404 for one the person does not see, a 403 for one
    they see at another window."""
    review = get_review_to_act(user, pk)
    if user.window_id != review.window_id:
        raise PermissionDenied
    return review


def get_review_to_work(user: Staff, pk: int) -> DepartmentReview:
    """A review its window's staff work on (claim, draft, send for signature): others who may
    see it get a 403."""
    review = get_review_to_act(user, pk)
    if not (user.has_role(*WINDOW_ROLES) and user.window_id == review.window_id):
        raise PermissionDenied
    return review


def get_review_to_sign(user: Staff, pk: int) -> DepartmentReview:
    """A review a signer acts on (sign, send back): people in no signing role get a 403; the
    service checks the authority itself, for the item, at that moment."""
    review = get_review_to_act(user, pk)
    require_role(user, *SIGNING_ROLES)
    return review


def keeps_intake_desk(user: Staff) -> bool:
    """The intake desk and its online pre-review queue: the comprehensive window's clerks, and
    center managers, who look at them."""
    return user.has_role(Role.INTAKE_CLERK, Role.CENTER_MANAGER)


def may_print_slip(user: Staff) -> bool:
    """The commitment slip carries the access code: only the comprehensive window prints it."""
    return user.has_role(Role.INTAKE_CLERK)


CODE_MASK = "****"


# The one-time key of a rating link (ratings.py), wherever the link is written.
RATING_KEY = re.compile(r"(/track/rate/)[^/\s]+")


def masked(text: str, code: str) -> str:
    """The text with the access code hidden, however it was grouped (ABCD EFGH, ABCD-EFGH),
    and the key of a rating link hidden too: both are the applicant's alone."""
    text = RATING_KEY.sub(rf"\g<1>{CODE_MASK}", text)
    if not code:
        return text
    pattern = r"[\s-]?".join(re.escape(ch) for ch in code)
    return re.sub(pattern, CODE_MASK, text, flags=re.IGNORECASE)


def masked_name(name: str) -> str:
    """A name shown to those who may not see it whole (the public check of a document, the
    platform's API): a person's given name but its last character hidden (张*三, 李*), an
    organization's middle (临安**有限公司 keeps the first two and last four)."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    if len(name) <= 4:
        return name[0] + "*" * (len(name) - 2) + name[-1]
    keep_end = 4 if len(name) > 8 else 2
    return name[:2] + "*" * (len(name) - 2 - keep_end) + name[-keep_end:]


def get_document(user: Staff, pk: int) -> Document:
    """A document, to those who see what it is about; the commitment slip (it carries the
    access code) to the comprehensive window only: others who see the application get a 403."""
    document = get_object_or_404(Document.objects.select_related("review"), pk=pk)
    # A department sees the documents of its own reviews, and the application's own documents
    # (notices) when it has a review in it.
    if not sees_everything(user):
        get_application(user, document.application_id)
        if document.review_id and document.review.department_id != user.department_id:
            get_review(user, document.review_id)
    if document.kind == Document.Kind.COMMITMENT_SLIP and not may_print_slip(user):
        raise PermissionDenied
    return document


def get_extension(user: Staff, pk: int) -> ExtensionRequest:
    """An extension request, to those who see what it would extend (its review, or for a joint
    one its application); whether they may decide it is the service's check."""
    extension = get_object_or_404(ExtensionRequest.objects.listed(), pk=pk)
    get_application(user, extension.application_id)
    if extension.review_id is not None and not sees_everything(user):
        get_review(user, extension.review_id)
    return extension


def clock_reviews(application: Application) -> dict[int, int]:
    """Clock ledger line id → review id, for the application (one query)."""
    return dict(
        ClockEvent.objects.filter(review__application=application).values_list("pk", "review_id")
    )
