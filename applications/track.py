"""The public status page's rules: finding an application by receipt number and access code
without telling which of the two was wrong, counting attempts per client address, and what the
applicant may see.

- An unknown number and a wrong code take the same path: one query by number, one
  constant-time comparison (against a dummy code when the number is unknown), the same answer.
- Attempts are counted in the shared cache (Redis or the database table, see settings.CACHES)
  per client address, IPv6 by its /64 (one customer's block), in fixed windows. If the cache is
  down the page stays open rather than shut every applicant out, and says so in the log.
- The log records each attempt's address, number and result, never the code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from windows.models import Window

from .models import Application, ApplicationMaterial, ClockEvent, DepartmentReview, Rating
from .services import ACCESS_CODE_ALPHABET

log = logging.getLogger(__name__)

# Compared against when the number is unknown, so that path costs what a wrong code costs. It
# has the length of a real code and a character no code has, so nothing matches it by chance.
DUMMY_CODE = "0" * 8


def normalize_number(value: str) -> str:
    return "".join(value.split())


def normalize_code(value: str) -> str:
    """Codes are printed in capitals in groups; people type them any way."""
    return "".join(ch for ch in value.upper() if ch not in " -\t")


def code_is_well_formed(code: str) -> bool:
    return len(code) == 8 and all(ch in ACCESS_CODE_ALPHABET for ch in code)


def find(number: str, code: str) -> Application | None:
    """The application with this receipt number and access code, or None, taking the same
    steps whether the number is unknown or the code is wrong."""
    row = (
        Application.objects.filter(receipt_number=number)
        .exclude(access_code="")
        .values_list("pk", "access_code")
        .first()
    )
    stored = row[1] if row else DUMMY_CODE
    matches = hmac.compare_digest(code.encode(), stored.encode())
    if row is None or not matches:
        return None
    return Application.objects.get(pk=row[0])


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or the one the trusted proxies recorded."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return address


def _bucket(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


# What counts as one client for a rate limit (the hall's appointments count bookings the same way).
address_bucket = _bucket


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    retry_after: int  # seconds until the window ends


@dataclass(frozen=True)
class FixedWindow:
    """A client's counter in the current window of a rate limit (the status page's lookups,
    the hall's bookings and follow-page misses): its cache key and the seconds left."""

    key: str
    retry_after: int
    seconds: int


def fixed_window(name: str, client: str, seconds: int, *, now: float | None = None) -> FixedWindow:
    """The window of `seconds` that `now` falls in, for `client` (an address's bucket, a
    mobile number: kept in the key only as part of a SHA-256)."""
    now = time.time() if now is None else now
    start = int(now // seconds) * seconds
    digest = hashlib.sha256(client.encode()).hexdigest()[:24]
    return FixedWindow(f"{name}:{digest}:{start}", max(1, int(start + seconds - now)), seconds)


def window_hit(window: FixedWindow) -> int:
    """Count one in the window and return the count. Raises when the cache does not answer:
    each caller says what that means for it."""
    timeout = window.seconds + 60
    cache.add(window.key, 0, timeout=timeout)
    try:
        return cache.incr(window.key)
    except ValueError:  # expired between add and incr
        cache.set(window.key, 1, timeout=timeout)
        return 1


def count_attempt(address: str, *, now: float | None = None) -> Allowance:
    """Count one lookup from this address; not allowed once the window's limit is passed."""
    window = fixed_window("track", _bucket(address), settings.TRACK_RATE_WINDOW_SECONDS, now=now)
    try:
        count = window_hit(window)
    except Exception:
        log.exception("status page: the rate-limit cache is not answering; lookup allowed")
        return Allowance(True, window.retry_after)
    return Allowance(count <= settings.TRACK_RATE_LIMIT, window.retry_after)


def log_attempt(address: str, number: str, result: str) -> None:
    # Never the code: the log is read by more people than the slip is.
    log.info("status lookup from %s for number %r: %s", address, number[:20], result)


# --- what the applicant sees ----------------------------------------------------------------


@dataclass
class ItemStatus:
    """One item as the applicant sees it: no officer, no signer, no internal note."""

    name: str
    department: str
    window: str
    state: str
    label: str
    deadline: dt.date
    provisional: bool
    overdue: bool
    outcome: str
    decision_number: str
    clock: list[ClockEvent]
    # While stopped: the end of the time announced (for supplements, the applicant's due date).
    supply_by: dt.date | None = None


@dataclass
class Status:
    application: Application
    label: str
    items: list[ItemStatus]
    supplements: list[tuple[ItemStatus, ClockEvent]]
    to_follow: list[ApplicationMaterial]
    rating: Rating | None
    can_rate: bool
    intake_window: str


def _item_label(review: DepartmentReview) -> str:
    State = DepartmentReview.State
    outcome = review.get_outcome_display()
    return {
        State.QUEUED: _("Received by the department"),
        State.IN_PROGRESS: _("Under review"),
        State.SUSPENDED: _("Time stopped"),
        State.AWAITING_SIGNATURE: _("Decision being signed"),
        State.AWAITING_COUNTERSIGN: _("Decision being signed"),
        State.DECIDED: _("Decided: %(outcome)s") % {"outcome": outcome},
        State.RETURNED: _("Decided: %(outcome)s") % {"outcome": outcome},
        State.RECEIVED: _("Decided: %(outcome)s") % {"outcome": outcome},
        State.WITHDRAWN: _("Withdrawn"),
    }.get(review.state, review.get_state_display())


def _application_label(application: Application) -> str:
    State = Application.State
    return {
        State.IN_REVIEW: _("Under review at the departments"),
        State.READY: _("Results ready for pickup"),
        State.DELIVERED: _("Completed: results handed over"),
        State.WITHDRAWN: _("Withdrawn"),
    }.get(application.state, application.get_state_display())


def status_of(application: Application, today: dt.date) -> Status:
    """Everything the status page shows, in a fixed handful of queries."""
    reviews = list(
        application.reviews.select_related("item", "department", "window").order_by(
            "department__sort_order", "window__number", "item__code"
        )
    )
    ledger: dict[int, list[ClockEvent]] = {}
    for event in ClockEvent.objects.filter(review__application=application).exclude(
        kind=ClockEvent.Kind.START
    ):
        ledger.setdefault(event.review_id, []).append(event)
    items, supplements = [], []
    for review in reviews:
        clock = ledger.get(review.pk, [])
        item = ItemStatus(
            name=review.item.name,
            department=review.department.name,
            window=review.window.number,
            state=review.state,
            label=_item_label(review),
            deadline=review.deadline,
            provisional=review.deadline_provisional,
            overdue=review.state in DepartmentReview.RUNNING_STATES and review.deadline < today,
            outcome=review.outcome,
            decision_number=review.decision_number or "",
            clock=clock,
            supply_by=review.stop_due if review.state == DepartmentReview.State.SUSPENDED else None,
        )
        items.append(item)
        stops = [e for e in clock if e.kind == ClockEvent.Kind.STOP]
        if (
            review.state == DepartmentReview.State.SUSPENDED
            and stops
            and stops[-1].cause == ClockEvent.Cause.SUPPLEMENTS
        ):
            supplements.append((item, stops[-1]))
    rating = Rating.objects.filter(application=application).first()
    intake = Window.objects.filter(kind=Window.Kind.COMPREHENSIVE).order_by("number").first()
    return Status(
        application=application,
        label=_application_label(application),
        items=items,
        supplements=supplements,
        to_follow=list(
            application.materials.filter(status=ApplicationMaterial.Status.TO_FOLLOW)
            .select_related("material")
            .order_by("promised_by", "id")
        )
        if application.is_open
        else [],
        rating=rating,
        can_rate=application.state == Application.State.DELIVERED and rating is None,
        intake_window=intake.number if intake else "",
    )
