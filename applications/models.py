"""Intake at the comprehensive window and the department reviews (DESIGN.md sections 2, 4, 6).

State changes are made only by the functions in `services.py`, each in one transaction that
locks the row it changes; the models hold the data, the queries and the small derived facts.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from windows.models import (
    AuthorizationLetter,
    Department,
    Item,
    Material,
    Seal,
    StationedDeputy,
    Window,
)

from . import validators


class Applicant(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise or organisation")
        PERSON = "person", pgettext_lazy("applicant kind", "Person")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    id_number = models.CharField(
        _("credit code or ID number"),
        max_length=18,
        help_text=_(
            "Unified social credit code for an enterprise, resident ID number for a person."
        ),
    )
    contact_name = models.CharField(_("contact person"), max_length=50)
    mobile = models.CharField(_("mobile"), max_length=11, validators=[validators.validate_mobile])
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    language = models.CharField(
        _("language of messages"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("SMS and e-mail to the applicant are written in this language."),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["id_number"], name="applicant_id_number_unique"),
        ]
        indexes = [models.Index(fields=["name"], name="applicant_name_idx")]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A fixed-asset investment project with its national investment project code (项目代码)."""

    applicant = models.ForeignKey(
        Applicant, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="projects"
    )
    code = models.CharField(
        _("project code"),
        max_length=24,
        unique=True,
        validators=[validators.validate_project_code],
    )
    name = models.CharField(_("project name"), max_length=200)
    location = models.CharField(_("location"), max_length=200)
    total_investment = models.DecimalField(
        _("total investment (10,000 yuan)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    land_area = models.DecimalField(
        _("land area (m²)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    description = models.TextField(_("what is to be built"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="project_amounts_not_negative",
                condition=Q(total_investment__gte=0) & Q(land_area__gte=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Counter(models.Model):
    """The last number handed out in a series (receipts, a department's decisions, notices) in
    a year. Its row is locked while the next number is taken, so numbers are unique and without
    gaps even under concurrent intake (services.next_number)."""

    series = models.CharField(_("series"), max_length=40)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="counter_series_year"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.year}: {self.last}"


class ApplicationQuerySet(models.QuerySet):
    def open(self) -> ApplicationQuerySet:
        return self.filter(state__in=Application.OPEN_STATES)

    def to_pre_review(self) -> ApplicationQuerySet:
        """Filed online and waiting for the comprehensive window's pre-review (docs/filing.md):
        the online queue, read off the partial index `application_online_idx`."""
        return self.filter(state=Application.State.DRAFT, channel=Application.Channel.ONLINE)

    def waiting_at_the_counter(self) -> ApplicationQuerySet:
        """Waiting at the window, the online queue's aside: a draft being taken in at the
        counter, or a one-time notice outstanding (at the counter or online)."""
        return self.filter(
            Q(state=Application.State.AWAITING_MATERIALS)
            | Q(state=Application.State.DRAFT, channel=Application.Channel.COUNTER)
        )

    def not_handed_over(self, today: dt.date) -> ApplicationQuerySet:
        """Ready for pickup longer than `HANDOVER_WORKING_DAYS` allow."""
        return self.filter(state=Application.State.READY, handover_due__lt=today)


class Application(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AWAITING_MATERIALS = "awaiting_materials", _("Awaiting materials")
        NOT_ACCEPTED = "not_accepted", _("Not accepted")
        IN_REVIEW = "in_review", _("In review")
        READY = "ready", _("Ready for pickup")
        DELIVERED = "delivered", _("Delivered")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Channel(models.TextChoices):
        COUNTER = "counter", _("At the counter")
        ONLINE = "online", _("Filed online")

    OPEN_STATES = (State.IN_REVIEW, State.READY)
    WITHDRAWABLE = (State.DRAFT, State.AWAITING_MATERIALS, State.IN_REVIEW, State.READY)

    applicant = models.ForeignKey(
        Applicant,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    items = models.ManyToManyField(Item, verbose_name=_("items applied for"), blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.DRAFT)
    received_at = models.DateTimeField(
        _("materials received at"),
        help_text=_("The 5 working days of the one-time notice count from here (Art. 32)."),
    )
    # Filed online, no one of the staff received it: the applicant did (`channel`); its
    # history rows name no user and give the applicant's masked mobile as their reason.
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    channel = models.CharField(
        _("filed"),
        max_length=8,
        choices=Channel.choices,
        default=Channel.COUNTER,
        db_default=Channel.COUNTER,
    )
    submitted_at = models.DateTimeField(
        _("current submission received at"),
        null=True,
        blank=True,
        help_text=_(
            "When the materials now at the window were handed in: the first receipt, or the "
            "applicant's return after a one-time notice. Art. 32 counts from here."
        ),
    )
    notice_due = models.DateField(
        _("one-time notice due by"),
        help_text=_("After this day an application not told what is missing counts as accepted."),
    )
    # Database defaults too, so rows written by plain SQL (the benchmarks' generator, imports)
    # need not name the columns added later.
    deemed_accepted = models.BooleanField(
        _("accepted as of receipt (Art. 32)"),
        default=False,
        db_default=False,
        help_text=_(
            "The one-time notice was not given within 5 working days, so the application counts "
            "as accepted from the day its materials were received, and its clock runs from then."
        ),
    )
    receipt_number = models.CharField(
        _("receipt number"), max_length=12, unique=True, null=True, blank=True
    )
    access_code = models.CharField(_("access code"), max_length=8, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    with_gaps = models.BooleanField(_("accepted with gaps"), default=False)
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    promised_provisional = models.BooleanField(_("promised date provisional"), default=False)
    promised_reason = models.TextField(_("why the promised date is what it is"), blank=True)
    # The promise printed on the slip stays as printed; the date the application is due moves
    # with lawful extensions and stopped time, and is what the deadline sweep judges.
    due_date = models.DateField(
        _("due date"),
        null=True,
        blank=True,
        help_text=_("The promised date moved by lawful extensions and stopped time."),
    )
    refusal_reasons = models.TextField(_("reasons for not accepting"), blank=True)
    # Pre-review of an application filed online: the window asks the applicant to come with
    # the originals (services.application_invite); the Art. 32 window runs on meanwhile.
    invited_at = models.DateTimeField(_("invited to the counter at"), null=True, blank=True)
    invitation = models.CharField(_("what to bring to the counter"), max_length=500, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    handover_due = models.DateField(_("to be handed over by"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("delivered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    closing_note = models.CharField(_("note"), max_length=500, blank=True)
    # Art. 42 para 2: an application reviewed by two or more departments is bound by 45 working
    # days in all, plus what the government's head approves (services.
    # application_store_joint_deadline keeps it; clock.compute_joint derives it).
    joint_deadline = models.DateField(
        _("joint handling deadline"),
        null=True,
        blank=True,
        help_text=_("Only for an application reviewed by two or more departments (Art. 42)."),
    )
    joint_extension_days = models.PositiveSmallIntegerField(
        _("joint handling extension (working days)"), default=0, db_default=0
    )

    objects = ApplicationQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=["items"])

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["state", "-received_at"], name="application_state_idx"),
            # The staff search lists the newest first and stops at a page or at its limit
            # (applications/search.py): walked in this order, a broad query ends early.
            models.Index(fields=["-received_at", "-id"], name="application_received_idx"),
            # The few withdrawn: whether a late review's application was withdrawn before it
            # was late (supervision.assessment.overdue_undecided).
            models.Index(
                fields=["withdrawn_at"],
                condition=Q(withdrawn_at__isnull=False),
                name="application_withdrawn_idx",
            ),
            # The deadline sweep (supervision/sweep.py) reads applications under review by the
            # date they are due.
            models.Index(
                fields=["due_date"],
                name="application_due_idx",
                condition=Q(state="in_review"),
            ),
            # Applications accepted in a period: the supervision charts' received per day.
            models.Index(fields=["accepted_at"], name="application_accepted_idx"),
            # The intake desk's lists, most pressing first: waiting at the window by the
            # one-time notice's due date (`waiting_at_the_counter`: the online queue has its
            # own index below, so thousands filed online cost this list nothing), ready for
            # pickup by the day they became ready.
            models.Index(
                fields=["notice_due", "id"],
                name="application_counter_idx",
                condition=Q(state="awaiting_materials") | Q(state="draft", channel="counter"),
            ),
            models.Index(
                fields=["ready_at"], name="application_ready_idx", condition=Q(state="ready")
            ),
            # The online queue (filed online, waiting for pre-review), most pressing first:
            # 11 ms to 0.7 ms at 10,000 online drafts (benchmarks/notes.md, "Online filing").
            # With the id, the order is whole: a page's ids are read off the index alone,
            # however deep the page (benchmarks/notes.md, "Online pre-review queue").
            models.Index(
                fields=["notice_due", "submitted_at", "id"],
                name="application_online_idx",
                condition=Q(state="draft", channel="online"),
            ),
            # The sweep: applications handled jointly near or past their joint deadline.
            models.Index(
                fields=["joint_deadline"],
                name="application_joint_idx",
                condition=Q(state="in_review", joint_deadline__isnull=False),
            ),
            # The sweep: results ready and not handed over in time.
            models.Index(
                fields=["handover_due"],
                name="application_handover_idx",
                condition=Q(state="ready"),
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number or _("Application %(id)s (not accepted yet)") % {"id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.pk])

    def intake_window(self) -> str:
        """The comprehensive window's number (`Window.intake_number`): as read along with this
        application where a service did (`intake_window_number`), else read now."""
        if hasattr(self, "intake_window_number"):
            return self.intake_window_number or ""
        return Window.intake_number()

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def notice_lapsed(self, today: dt.date) -> bool:
        """Art. 32: the 5 working days for the one-time notice of this submission have passed
        without one, so the application counts as accepted as of the submission's receipt: no
        notice and no refusal to accept any more, only acceptance."""
        return self.state == self.State.DRAFT and self.notice_due < today

    @property
    def submission_received_on(self) -> dt.date:
        return timezone.localdate(self.submitted_at or self.received_at)


class ApplicationMaterial(models.Model):
    """One line of the application's checklist: a material, checked once even when several
    items require it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        MISSING = "missing", _("Missing")
        TO_FOLLOW = "to_follow", _("To follow")
        NOT_NEEDED = "not_needed", _("Not needed")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="materials",
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.MISSING
    )
    copies = models.PositiveSmallIntegerField(_("copies received"), default=0)
    promised_by = models.DateField(
        _("applicant promises it by"),
        null=True,
        blank=True,
        help_text=_("For a material accepted with gaps: the date in the signed commitment."),
    )
    supplied_at = models.DateTimeField(_("supplied at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist line")
        verbose_name_plural = _("checklist")
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "material"], name="application_material_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.material}: {self.get_status_display()}"


# What a review's deadlines mean, in one place for the queue, the sweep, the dashboard, the
# assessment and the documents. Deadlines close at the end of their day, so a review due today
# is overdue from tomorrow; only a running clock can be late (a stopped one is watched against
# the time announced for its stop instead).


def running_q() -> Q:
    return Q(state__in=DepartmentReview.RUNNING_STATES)


def overdue_q(today: dt.date) -> Q:
    """Late on the promise: the promised deadline has passed and the clock runs."""
    return running_q() & Q(deadline__lt=today)


def due_soon_q(today: dt.date, reach: dt.date) -> Q:
    """Due within the warning margin (`clock.warning_reach`)."""
    return running_q() & Q(deadline__gte=today, deadline__lte=reach)


def beyond_law_q(today: dt.date) -> Q:
    """Beyond the law: the statutory deadline (the law's ceiling, with lawful extensions and
    time not counted under Art. 45) has passed and the clock runs."""
    return running_q() & Q(statutory_deadline__lt=today)


def stop_overrun_q(today: dt.date) -> Q:
    """Stopped longer than the time announced to the applicant (Art. 45)."""
    return Q(state=DepartmentReview.State.SUSPENDED, stop_due__lt=today)


def way_back_late_q(today: dt.date) -> Q:
    """Decided and not returned in time (Art. 44), or returned and not received in time."""
    return Q(state=DepartmentReview.State.DECIDED, return_due__lt=today) | Q(
        state=DepartmentReview.State.RETURNED, receive_due__lt=today
    )


class ReviewQuerySet(models.QuerySet):
    def open(self) -> ReviewQuerySet:
        return self.filter(state__in=DepartmentReview.OPEN_STATES)

    def running(self) -> ReviewQuerySet:
        return self.filter(running_q())

    def overdue(self, today: dt.date) -> ReviewQuerySet:
        return self.filter(overdue_q(today))

    def due_soon(self, today: dt.date, reach: dt.date) -> ReviewQuerySet:
        return self.filter(due_soon_q(today, reach))

    def beyond_law(self, today: dt.date) -> ReviewQuerySet:
        return self.filter(beyond_law_q(today))

    def stop_overrun(self, today: dt.date) -> ReviewQuerySet:
        return self.filter(stop_overrun_q(today))

    def way_back_late(self, today: dt.date) -> ReviewQuerySet:
        return self.filter(way_back_late_q(today))

    def due_before(self, day: dt.date) -> ReviewQuerySet:
        return self.filter(deadline__lt=day)

    def for_window(self, window: Window) -> ReviewQuerySet:
        return self.filter(window=window)

    def listed(self) -> ReviewQuerySet:
        """The reviews as a queue lists them: with the application, its applicant and project,
        and the officer; the items (a few per window) in a query of their own, which costs less
        than joining them into every row."""
        return self.select_related(
            "application__applicant", "application__project", "officer"
        ).prefetch_related("item")


class DepartmentReview(models.Model):
    """One approval item of an application, reviewed at that item's window."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        IN_PROGRESS = "in_progress", _("In progress")
        SUSPENDED = "suspended", _("Clock stopped")
        AWAITING_SIGNATURE = "signature", _("Awaiting signature")
        AWAITING_COUNTERSIGN = "countersign", _("Awaiting the leader's countersign")
        DECIDED = "decided", _("Decided")
        RETURNED = "returned", _("Returned to the comprehensive window")
        RECEIVED = "received", _("Received back")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    # The clock runs in these states: the sweep cards them, the queues light them. The partial
    # indexes `review_running_deadline_idx` and `review_open_idx` below spell them out again
    # (Meta cannot see this class's names); tests/test_signing_desk.py holds them equal.
    RUNNING_STATES = (
        State.QUEUED,
        State.IN_PROGRESS,
        State.AWAITING_SIGNATURE,
        State.AWAITING_COUNTERSIGN,
    )
    # Open: running, or stopped (SUSPENDED); the rest are done.
    OPEN_STATES = (*RUNNING_STATES, State.SUSPENDED)

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="reviews",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.PROTECT, related_name="reviews"
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    started_on = models.DateField(_("clock starts after"))
    promised_days = models.PositiveSmallIntegerField(_("promised working days"))
    statutory_days = models.PositiveSmallIntegerField(_("statutory working days"))
    # Derived from the clock ledger and the calendar; kept here for the queue and the sweep.
    deadline = models.DateField(_("deadline"))
    deadline_provisional = models.BooleanField(_("deadline provisional"), default=False)
    statutory_deadline = models.DateField(_("statutory deadline"))
    # While stopped: the day the time announced for the stop runs out (Art. 45).
    stop_due = models.DateField(_("stop announced until"), null=True, blank=True)
    # After the decision: by when the window returns its document (Art. 44), and by when the
    # comprehensive window confirms it has it.
    return_due = models.DateField(_("to be returned by"), null=True, blank=True)
    receive_due = models.DateField(_("to be received by"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    decision_number = models.CharField(
        _("decision number"), max_length=40, unique=True, null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_under_letter = models.ForeignKey(
        AuthorizationLetter,
        verbose_name=_("signed under letter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    signed_under_posting = models.ForeignKey(
        StationedDeputy,
        verbose_name=_("signed under posting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    seal = models.ForeignKey(
        Seal,
        verbose_name=_("seal"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("countersigned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    countersigned_at = models.DateTimeField(_("countersigned at"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received back at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received back by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department review")
        verbose_name_plural = _("department reviews")
        ordering = ["deadline", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="review_item_once"),
            models.CheckConstraint(
                name="review_decision_has_outcome",
                condition=Q(decided_at__isnull=True) | ~Q(outcome=""),
            ),
        ]
        indexes = [
            # The window queue: a window's open reviews, earliest deadline first.
            models.Index(fields=["window", "state", "deadline"], name="review_queue_idx"),
            # The deadline sweep (supervision/sweep.py) reads only reviews whose clock runs,
            # by deadline: a partial index keeps finished and stopped reviews out of its way.
            # With the id, the late and due-soon lists (deadline, then id) read their first
            # page straight off it, however many reviews share a deadline.
            models.Index(
                fields=["deadline", "id"],
                name="review_running_deadline_idx",
                condition=Q(state__in=["queued", "in_progress", "signature", "countersign"]),
            ),
            # Open reviews only (a few percent of all, once the years pile up): a window's
            # queue in deadline order, read a page at a time, and the open and stopped counts
            # of the queue and the supervision pages.
            models.Index(
                fields=["window", "deadline", "id"],
                name="review_open_idx",
                condition=Q(
                    state__in=["queued", "in_progress", "signature", "countersign", "suspended"]
                ),
            ),
            # The sweep's other lines, each over the few reviews in one state: the law's
            # ceiling of running reviews, stops against the time announced, and the way back.
            models.Index(
                fields=["statutory_deadline", "id"],
                name="review_running_statutory_idx",
                condition=Q(state__in=["queued", "in_progress", "signature", "countersign"]),
            ),
            models.Index(
                fields=["stop_due"], name="review_stop_due_idx", condition=Q(state="suspended")
            ),
            models.Index(
                fields=["return_due"], name="review_return_due_idx", condition=Q(state="decided")
            ),
            models.Index(
                fields=["receive_due"],
                name="review_receive_due_idx",
                condition=Q(state="returned"),
            ),
            # Reviews decided in a period: finished today and this month, the charts and the
            # on-time rates of the supervision pages.
            models.Index(fields=["decided_at"], name="review_decided_idx"),
            # Documents back at the comprehensive window, waiting for the clerk's receipt.
            models.Index(
                fields=["returned_at"],
                name="review_returned_idx",
                condition=Q(state="returned"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.item.name}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class ClockEvent(models.Model):
    """One line of a review's clock ledger. Rows are written, never changed."""

    class Kind(models.TextChoices):
        START = "start", _("Clock started")
        STOP = "stop", _("Clock stopped")
        RESUME = "resume", _("Clock resumed")
        EXTEND = "extend", _("Time limit extended")
        # The calendar of holidays and adjusted working days changed under a running clock.
        CALENDAR = "calendar", _("Deadline moved by the calendar")

    class Cause(models.TextChoices):
        SUPPLEMENTS = "supplements", _("Waiting for the applicant's supplements")
        EXPERT_REVIEW = "expert_review", _("Expert review")
        HEARING = "hearing", _("Hearing")
        TESTING = "testing", _("Testing, inspection or appraisal")
        OTHER = "other", _("Other time not counted by law")

    review = models.ForeignKey(
        DepartmentReview,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="clock",
    )
    kind = models.CharField(_("event"), max_length=8, choices=Kind.choices)
    cause = models.CharField(_("cause"), max_length=16, choices=Cause.choices, blank=True)
    at = models.DateTimeField(_("at"))
    on = models.DateField(_("on"), help_text=_("The day in center time."))
    days = models.PositiveSmallIntegerField(
        _("working days"),
        default=0,
        help_text=_("Days added by an extension, or the time a stop is expected to need."),
    )
    reason = models.TextField(_("reason"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the center's calendar itself moved a deadline."),
    )

    class Meta:
        verbose_name = _("clock event")
        verbose_name_plural = _("clock ledger")
        ordering = ["at", "id"]
        indexes = [
            # The deadline sweep (supervision/sweep.py) looks at the clocks that changed since
            # its last run: started, stopped, resumed or extended.
            models.Index(fields=["at"], name="clock_event_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.on}"


class SigningStep(models.Model):
    """One step between the officer's desk and the signer's (承办 → 签发): the opinion and draft
    sent for signature, sent back with a note, or signed. Rows are written, never changed; the
    draft a signer signs is the review's latest "sent" step."""

    class Kind(models.TextChoices):
        SENT = "sent", _("Sent for signature")
        SENT_BACK = "sent_back", _("Sent back to the officer")
        SIGNED = "signed", _("Signed")

    review = models.ForeignKey(
        DepartmentReview,
        verbose_name=_("review"),
        on_delete=models.CASCADE,
        related_name="signing_steps",
    )
    kind = models.CharField(_("step"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(
        _("proposed decision"),
        max_length=8,
        choices=DepartmentReview.Outcome.choices,
        blank=True,
    )
    text = models.TextField(
        _("draft decision text"), blank=True, help_text=_("Reasons, as printed on the decision.")
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("The officer's opinion, or why it was sent back.")
    )
    # Who could sign it when it was sent: the signers of the item at that moment.
    sent_to = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("sent to"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("signing step")
        verbose_name_plural = _("signing steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class ExtensionRequestQuerySet(models.QuerySet):
    def pending(self) -> ExtensionRequestQuerySet:
        return self.filter(state=ExtensionRequest.State.PENDING)

    def actionable(self) -> ExtensionRequestQuerySet:
        """Pending, and what they would extend is still running: an open review of an
        application in review, or (joint) an application in review."""
        return self.pending().filter(
            Q(review__isnull=True) | Q(review__state__in=DepartmentReview.OPEN_STATES),
            application__state=Application.State.IN_REVIEW,
        )

    def joint(self) -> ExtensionRequestQuerySet:
        return self.filter(review__isnull=True)

    def awaiting(self, user, *, at: dt.datetime) -> ExtensionRequestQuerySet:
        """The requests `user` may approve now, never their own: a review's extension when they
        may sign its item at this moment (a stationed deputy or a window head under a letter;
        windows.authority), a joint one when they are the government's head."""
        from windows import authority
        from windows.roles import Role

        held = set(user.roles) if user.is_active else set()
        conditions = []
        if Role.GOVERNMENT_HEAD in held:
            conditions.append(Q(review__isnull=True))
        if held & {Role.STATIONED_DEPUTY, Role.WINDOW_HEAD}:
            signable = authority.signable_items(user, at=at).values("id")
            conditions.append(Q(review__isnull=False, review__item__in=signable))
        if not conditions:
            return self.none()
        mine = conditions[0] if len(conditions) == 1 else conditions[0] | conditions[1]
        return self.actionable().filter(mine).exclude(requested_by=user)

    def of_reviews(self) -> ExtensionRequestQuerySet:
        return self.filter(review__isnull=False)

    def watch(self) -> dict:
        """For the center's managers: how many wait, of each kind, and the oldest of them."""
        counts = self.aggregate(
            total=models.Count("id"),
            joint=models.Count("id", filter=Q(review__isnull=True)),
        )
        # With what the watch shows of it (templates/applications/_open_extensions.html): the
        # ten tables of `listed` cost PostgreSQL 6-7 ms to plan for one row.
        oldest = (
            self.select_related("application", "review__item", "review__window", "requested_by")
            .order_by("requested_at", "id")
            .first()
        )
        return {**counts, "oldest": oldest}

    def listed(self) -> ExtensionRequestQuerySet:
        return self.select_related(
            "application__applicant",
            "application__project",
            "review__item",
            "review__department",
            "review__window",
            "requested_by",
            "decided_by",
        )


class ExtensionRequest(models.Model):
    """A request to extend a time limit (Art. 42), which takes effect only when approved.

    A review's extension (para 1) is requested by the review's window staff and approved by
    someone who may sign the item at that moment, never the requester; a joint handling
    extension (para 2, `review` empty) is requested at the comprehensive window and approved by
    the head of the government. Approval writes the clock ledger line (for a review), the
    notice of extension and the applicant's message (services.extension_approve)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", pgettext_lazy("extension request", "Refused")
        WITHDRAWN = "withdrawn", _("Withdrawn by the requester")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="extension_requests",
    )
    review = models.ForeignKey(
        DepartmentReview,
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extension_requests",
        help_text=_("Empty for an extension of the joint handling of the whole application."),
    )
    days = models.PositiveSmallIntegerField(_("working days"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    clock_event = models.OneToOneField(
        ClockEvent,
        verbose_name=_("clock ledger line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extension_request",
    )
    document = models.OneToOneField(
        "Document",
        verbose_name=_("notice of extension"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="extension_request",
    )

    objects = ExtensionRequestQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "id"]
        constraints = [
            # One request waiting at a time: per review, and per application for joint handling.
            models.UniqueConstraint(
                fields=["review"],
                condition=Q(state="pending", review__isnull=False),
                name="extension_one_pending_per_review",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state="pending", review__isnull=True),
                name="extension_one_pending_joint",
            ),
            models.CheckConstraint(name="extension_days_positive", condition=Q(days__gte=1)),
            models.CheckConstraint(
                name="extension_refusal_has_note",
                condition=~Q(state="refused") | ~Q(decision_note=""),
            ),
            models.CheckConstraint(
                name="extension_decided_has_who_and_when",
                condition=Q(state="pending")
                | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
            ),
        ]
        indexes = [
            # The approvers' lists and the dashboard read the pending ones, oldest first.
            models.Index(
                fields=["requested_at"],
                name="extension_pending_idx",
                condition=Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        what = self.review.item.name if self.review_id else _("joint handling")
        return f"{self.application} · {what} · +{self.days}"

    @property
    def is_joint(self) -> bool:
        return self.review_id is None


class DocumentQuerySet(models.QuerySet):
    def listed(self) -> DocumentQuerySet:
        """For a list: without the content at issue, with the SHA-256 of the fixed bytes
        (`sha256`, None until the first print) and never the bytes themselves."""
        return self.defer("content").annotate(sha256=models.F("printed__sha256"))


class Document(models.Model):
    """A numbered document the center issued; the number can be checked against this row."""

    class Kind(models.TextChoices):
        COMMITMENT_SLIP = "commitment", _("Commitment slip")
        MISSING_MATERIALS = "missing", _("One-time notice of missing materials")
        NOT_ACCEPTED = "not_accepted", _("Notice of non-acceptance")
        STOPPED_TIME = "stopped", _("Notice of stopped time")
        EXTENSION = "extension", _("Notice of extension")
        SUPPLEMENTS = "supplements", _("Request for supplements")
        APPROVAL = "approval", _("Approval decision")
        REFUSAL = "refusal", _("Refusal decision")

    number = models.CharField(_("number"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="documents",
    )
    review = models.ForeignKey(
        DepartmentReview,
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="documents",
    )
    clock_event = models.ForeignKey(
        ClockEvent,
        verbose_name=_("clock event"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"), blank=True, help_text=_("Reasons or list, as printed."))
    # What the document prints, as it stood at issue (documents.snapshot): names, dates,
    # deadlines, signer. The first print renders from it, so a notice printed after the review
    # moved on still says what was true when it was issued. Null for documents issued before
    # it was kept: those are fixed at their first print, from the data as it then stands.
    content = models.JSONField(_("content at issue"), null=True, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("applications:document", args=[self.pk])


class PrintedDocument(models.Model):
    """The bytes of a document, fixed at its first print: every print after it serves these
    bytes, so a reprint is identical. Written once, never changed (append-only on PostgreSQL,
    like the document itself); the SHA-256 is what a reader compares."""

    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="printed",
    )
    pdf = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pages = models.PositiveSmallIntegerField(_("pages"))
    printed_at = models.DateTimeField(_("first printed at"))

    class Meta:
        verbose_name = _("printed document")
        verbose_name_plural = _("printed documents")

    def __str__(self) -> str:
        return f"{self.document_id} {self.sha256}"


class NotificationQuerySet(models.QuerySet):
    def pending(self) -> NotificationQuerySet:
        """Not sent and not being sent: what the next delivery sweep may queue again."""
        return self.filter(sent_at__isnull=True, claimed_at__isnull=True)


class Delivery(models.Model):
    """What a message's delivery keeps (`notifications.send_once`): a delivery claims the row
    before it sends, and `sent_at` is set once the sender has it; the attempts and the last
    error are for the retries and the administrators. Messages to the applicant, to a booker
    (hall) and sign-in codes (portal) are all delivered this way."""

    claimed_at = models.DateTimeField(_("being sent since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        abstract = True


class Notification(Delivery):
    """A message to the applicant. The row is written in the transaction of the change it
    reports, once per event and channel (`key` names the event: "accepted", "stopped:<clock
    event>", "decided:<review>"...); a task delivers it after commit through the configured
    sender, once (notifications.deliver)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("E-mail")

    class Event(models.TextChoices):
        ACCEPTED = "accepted", _("Application accepted")
        SUPPLEMENTS = "supplements", _("Supplements asked for")
        STOPPED = "stopped", _("Time limit stopped")
        EXTENDED = "extended", _("Time limit extended")
        DECIDED = "decided", _("Decision made")
        READY = "ready", _("Results ready")
        DELIVERED = "delivered", _("Results handed over")
        RESCHEDULED = "rescheduled", _("Due date moved by the calendar")
        NOTICE = "notice", _("One-time notice issued online")
        INVITED = "invited", _("Invited to the counter with the originals")

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    key = models.CharField(_("event key"), max_length=40)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "key", "channel"], name="notification_once_per_event"
            ),
        ]
        indexes = [
            # The delivery sweep (notifications.queue_pending) reads only unsent rows.
            models.Index(
                fields=["created_at"],
                name="notification_unsent_idx",
                condition=Q(sent_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}: {self.event}"

    @property
    def status(self) -> str:
        """sent; sending (claimed, not confirmed); retrying or failed (attempts used up) after
        an error; pending."""
        if self.sent_at:
            return "sent"
        if self.claimed_at:
            return "sending"
        if self.last_error:
            return "failed" if self.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS else "retrying"
        return "pending"


class Rating(models.Model):
    """The applicant's rating of the service (好差评), once per delivered application."""

    class Level(models.IntegerChoices):
        VERY_SATISFIED = 5, _("Very satisfied")
        SATISFIED = 4, _("Satisfied")
        FAIRLY_SATISFIED = 3, _("Fairly satisfied")
        DISSATISFIED = 2, _("Dissatisfied")
        VERY_DISSATISFIED = 1, _("Very dissatisfied")

    # A rating at or below this level is a poor rating (差评): it opens a follow-up.
    POOR = Level.DISSATISFIED

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="rating",
    )
    level = models.PositiveSmallIntegerField(_("rating"), choices=Level.choices)
    comment = models.TextField(_("comment"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("rated at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["-rated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="rating_level_1_to_5", condition=Q(level__gte=1) & Q(level__lte=5)
            ),
        ]
        indexes = [models.Index(fields=["rated_at"], name="rating_rated_at_idx")]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_level_display()}"

    @property
    def is_poor(self) -> bool:
        return self.level <= self.POOR


class RatingToken(models.Model):
    """The applicant's one-time key to rate a delivered application (the link of the DELIVERED
    message). Only a digest is stored: the key itself travels in the message alone, so no page
    and no table gives a member of staff what it takes to rate as the applicant."""

    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="rating_token",
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    # When it was made and used; not the digest, which the one table keeps.
    history = HistoricalRecords(excluded_fields=["digest"])

    class Meta:
        verbose_name = _("rating link")
        verbose_name_plural = _("rating links")

    def __str__(self) -> str:
        return f"{self.application}"


class FollowUpQuerySet(models.QuerySet):
    def open(self) -> FollowUpQuerySet:
        return self.filter(state=FollowUp.State.OPEN)


class FollowUp(models.Model):
    """A poor rating that a center manager must look into, within 15 working days."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="followup"
    )
    opened_at = models.DateTimeField(_("opened at"))
    due = models.DateField(_("due by"))
    due_provisional = models.BooleanField(_("due date provisional"), default=False)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("what was done"), blank=True)

    objects = FollowUpQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rating follow-up")
        verbose_name_plural = _("rating follow-ups")
        ordering = ["due", "id"]
        constraints = [
            models.CheckConstraint(
                name="followup_closed_has_note",
                condition=Q(state="open") | (Q(closed_at__isnull=False) & ~Q(note="")),
            ),
        ]
        indexes = [models.Index(fields=["state", "due"], name="followup_state_due_idx")]

    def __str__(self) -> str:
        return _("Follow-up of %(rating)s") % {"rating": self.rating}

    def get_absolute_url(self) -> str:
        return reverse("applications:followup", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.OPEN and self.due < timezone.localdate()


def _scan_path(scan: Scan, filename: str) -> str:
    # A random name: nothing of the applicant's file name reaches the disk or a URL.
    return f"scans/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class Scan(models.Model):
    """A scanned material, stored privately and served only to staff who may see the
    application (applications.views.scan_download)."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="scans",
    )
    line = models.ForeignKey(
        ApplicationMaterial,
        verbose_name=_("material"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scans",
    )
    file = models.FileField(_("file"), upload_to=_scan_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"))
    # None: uploaded by the applicant online (`uploaded_online`), never by staff for them.
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_online = models.BooleanField(
        _("uploaded by the applicant online"), default=False, db_default=False
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class PrerequisiteOverride(models.Model):
    """A center manager's recorded decision that an application may be accepted although its
    project does not hold a valid approval of a prerequisite item (前置) of one of its items:
    who, when and why, with history. Only `services.prerequisite_override` makes one."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="prerequisite_overrides",
    )
    prerequisite = models.ForeignKey(
        Item,
        verbose_name=_("prerequisite item"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("decided at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("prerequisite override")
        verbose_name_plural = _("prerequisite overrides")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "prerequisite"], name="prerequisite_override_once"
            ),
            models.CheckConstraint(
                name="prerequisite_override_has_reason", condition=~Q(reason="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.prerequisite.name}"
