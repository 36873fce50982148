"""Yellow and red cards: rows written by the deadline sweep and never changed, so the
dashboard can be shown as it stood on any past day."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from applications.models import Application, DepartmentReview


class Card(models.Model):
    class Level(models.TextChoices):
        # The promise: due within the warning margin, then past it.
        YELLOW = "yellow", _("Yellow card (due soon)")
        RED = "red", _("Red card (overdue)")
        # The law's ceiling, apart from the promise: a review past its statutory deadline, an
        # application handled by several departments near or past its 45 working days.
        LAW_SOON = "law_soon", _("Near the legal limit")
        LAW = "law", _("Beyond the law")
        # A stop that outlasts the time the applicant was told it needs (Art. 45).
        STOP = "stop", _("Stop outlasts the time announced")
        # The way back after the decision.
        NOT_RETURNED = "not_returned", _("Decided, not returned in time")
        NOT_RECEIVED = "not_received", _("Returned, not received in time")
        NOT_DELIVERED = "not_delivered", _("Ready, not handed over in time")

    # The levels of a review's clock (the rest watch the way back after the decision).
    CLOCK_LEVELS = (Level.YELLOW, Level.RED, Level.LAW, Level.STOP)

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="cards",
    )
    review = models.ForeignKey(
        DepartmentReview,
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cards",
        help_text=_("Empty for a card on the application's overall promised date."),
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    deadline = models.DateField(_("deadline judged"))
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-issued_at", "-id"]
        constraints = [
            # One card per level and deadline: a second sweep, or two at once, writes nothing
            # new; a deadline moved by an extension or a resumed clock gets its own card.
            models.UniqueConstraint(
                fields=["review", "level", "deadline"],
                condition=Q(review__isnull=False),
                name="card_review_once",
            ),
            models.UniqueConstraint(
                fields=["application", "level", "deadline"],
                condition=Q(review__isnull=True),
                name="card_application_once",
            ),
        ]
        indexes = [models.Index(fields=["issued_at"], name="card_issued_idx")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.review or self.application} {self.deadline}"


class StaffNotice(models.Model):
    """An in-app message to a member of staff about a card: written once per card and person,
    so a task delivered twice tells nobody twice."""

    card = models.ForeignKey(
        Card, verbose_name=_("card"), on_delete=models.PROTECT, related_name="notices"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff notice")
        verbose_name_plural = _("staff notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["card", "staff"], name="notice_once_per_card"),
        ]

    def __str__(self) -> str:
        return f"{self.staff}: {self.text[:40]}"

    # What the pluggable sender reads (see applications.notifications.LogSender).
    channel = "sms"

    @property
    def recipient(self) -> str:
        return self.staff.phone or self.staff.username


class SweepMark(models.Model):
    """Where the last sweep stopped: the next one reads only the deadlines that crossed a line
    since then and the clocks that changed since then, so its cost follows the cards it may
    write, not the number of open reviews (see sweep.py). One row."""

    swept_at = models.DateTimeField(_("swept at"))
    day = models.DateField(_("day"))
    until = models.DateField(_("warning reaches"))
    margin = models.PositiveSmallIntegerField(_("warning margin in working days"))

    class Meta:
        verbose_name = _("sweep mark")
        verbose_name_plural = _("sweep marks")

    def __str__(self) -> str:
        return f"{self.swept_at:%Y-%m-%d %H:%M}"


class UrgeNoticeQuerySet(models.QuerySet):
    def open(self) -> UrgeNoticeQuerySet:
        """Still waiting for the window's reply."""
        return self.filter(replied_at__isnull=True)


class UrgeNotice(models.Model):
    """督办单: the center urges a window and its officer about a review, and expects a written
    reply by a date. Shown on the window's queue until answered. One is open per review at a
    time; a second while it is open is an escalation of it, marked as such (`escalates`)."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    review = models.ForeignKey(
        DepartmentReview, verbose_name=_("review"), on_delete=models.PROTECT, related_name="urges"
    )
    window = models.ForeignKey(
        "windows.Window", verbose_name=_("window"), on_delete=models.PROTECT, related_name="urges"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="urges_received",
    )
    text = models.TextField(_("what the center asks"))
    reply_due = models.DateField(_("reply expected by"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        related_name="urges_issued",
    )
    escalates = models.ForeignKey(
        "self",
        verbose_name=_("escalates"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalations",
        help_text=_("The notice still open when this one was issued: this one raises it."),
    )
    reply = models.TextField(_("reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    objects = UrgeNoticeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("urge notice")
        verbose_name_plural = _("urge notices")
        ordering = ["-issued_at", "-id"]
        indexes = [
            # The queue's banner: a window's notices still waiting for a reply.
            models.Index(
                fields=["window", "reply_due"],
                name="urge_open_idx",
                condition=Q(replied_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_answered(self) -> bool:
        return self.replied_at is not None


class HelpNote(models.Model):
    """A note of help the center gave on an application: who helped, how. Shown on the
    timeline; written once."""

    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        related_name="help_notes",
    )
    review = models.ForeignKey(
        DepartmentReview,
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="help_notes",
    )
    text = models.TextField(_("help given"))
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("note of help")
        verbose_name_plural = _("notes of help")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class Meeting(models.Model):
    """并联（前置）审批协调会: the departments an application waits on meet to settle it; or,
    before anything is filed, the departments a project will need meet on it (pre-filing
    coordination). One of application and project is set (a check constraint); a meeting on an
    application concerns its project too."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
    )
    project = models.ForeignKey(
        "applications.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
    )
    held_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=100)
    departments = models.ManyToManyField(
        "windows.Department", verbose_name=_("departments invited"), related_name="+"
    )
    agenda = models.TextField(_("agenda"))
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("convened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    convened_at = models.DateTimeField(_("convened at"))
    history = HistoricalRecords(m2m_fields=[departments])

    class Meta:
        verbose_name = _("coordination meeting")
        verbose_name_plural = _("coordination meetings")
        ordering = ["-held_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="meeting_for_application_or_project",
                condition=Q(application__isnull=False) | Q(project__isnull=False),
                violation_error_message=_("A meeting is for an application or a project."),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class FollowUp(models.Model):
    """A decision of a coordination meeting that a department must carry out by a date."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    department = models.ForeignKey(
        "windows.Department",
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    action = models.CharField(_("what is to be done"), max_length=300)
    due = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return self.action[:40]


class AssessmentWeights(models.Model):
    """How the efficiency assessment (效能考核) turns a unit's figures into a score out of 100,
    and where the grades begin. An administrator sets them in the admin; the latest row is in
    force (`current()`), and supervision/assessment.py applies them."""

    on_time = models.PositiveSmallIntegerField(
        _("weight of the on-time rate"),
        default=40,
        help_text=_("Share of the items decided in the period that were decided by the deadline."),
    )
    lateness = models.PositiveSmallIntegerField(
        _("weight of lateness"),
        default=20,
        help_text=_("Working days late, measured against the working days promised."),
    )
    urges = models.PositiveSmallIntegerField(
        _("weight of urge notices"),
        default=15,
        help_text=_("Urge notices received, per item decided."),
    )
    ratings = models.PositiveSmallIntegerField(
        _("weight of applicants' ratings"),
        default=15,
        help_text=_(
            "Left out, and the other weights scaled up to 100, while a unit has no ratings."
        ),
    )
    procedure = models.PositiveSmallIntegerField(
        _("weight of extensions and stops"),
        default=10,
        help_text=_("Extensions granted and clocks stopped, per item decided."),
    )
    beyond_law = models.PositiveSmallIntegerField(
        _("weight of beyond the law"),
        default=50,
        help_text=_(
            "Reviews decided after their statutory time limit, or still undecided past it, per "
            "item judged. Such a review is late on the promise too: this weight comes on top, "
            "so breaking the law costs more than breaking the promise."
        ),
    )
    overruns = models.PositiveSmallIntegerField(
        _("weight of overrun stops"),
        default=10,
        help_text=_(
            "Clock stops that lasted longer than the working days the applicant was told, per "
            "stop standing in the period."
        ),
    )
    waiting = models.PositiveSmallIntegerField(
        _("weight of visitors called in time"),
        default=10,
        help_text=_(
            "Share of the hall's visitors called to the window within the set minutes of "
            "taking their number (HALL_CALLED_WITHIN_MINUTES); left out while a unit has none."
        ),
    )
    excellent_from = models.PositiveSmallIntegerField(_("grade Excellent from"), default=90)
    good_from = models.PositiveSmallIntegerField(_("grade Good from"), default=80)
    pass_from = models.PositiveSmallIntegerField(
        _("grade Pass from"), default=60, help_text=_("Below this score the grade is Fail.")
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)
    history = HistoricalRecords()

    WEIGHTS = (
        "on_time",
        "lateness",
        "urges",
        "ratings",
        "procedure",
        "beyond_law",
        "overruns",
        "waiting",
    )

    class Meta:
        verbose_name = _("assessment weights")
        verbose_name_plural = _("assessment weights")
        constraints = [
            models.CheckConstraint(
                name="assessment_weights_in_range",
                condition=Q(on_time__lte=100)
                & Q(lateness__lte=100)
                & Q(urges__lte=100)
                & Q(ratings__lte=100)
                & Q(procedure__lte=100)
                & Q(beyond_law__lte=100)
                & Q(overruns__lte=100)
                & Q(waiting__lte=100)
                & (
                    Q(on_time__gt=0)
                    | Q(lateness__gt=0)
                    | Q(urges__gt=0)
                    | Q(ratings__gt=0)
                    | Q(procedure__gt=0)
                    | Q(beyond_law__gt=0)
                    | Q(overruns__gt=0)
                    | Q(waiting__gt=0)
                ),
                violation_error_message=_(
                    "Each weight is 0 to 100 and at least one is above zero."
                ),
            ),
            models.CheckConstraint(
                name="assessment_grades_in_order",
                condition=Q(excellent_from__lte=100)
                & Q(good_from__lt=models.F("excellent_from"))
                & Q(pass_from__lt=models.F("good_from")),
                violation_error_message=_(
                    "The grades must rise in order: Pass below Good, Good below Excellent, "
                    "Excellent at most 100."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Assessment weights"))

    def clean(self) -> None:
        errors = {}
        for name in (*self.WEIGHTS, "excellent_from", "good_from", "pass_from"):
            value = getattr(self, name)
            if value is not None and value > 100:
                errors[name] = _("At most 100.")
        if not errors and not any(getattr(self, name) for name in self.WEIGHTS):
            errors["on_time"] = _("At least one weight must be above zero.")
        marks = (self.pass_from, self.good_from, self.excellent_from)
        if None not in marks and not errors and not marks[0] < marks[1] < marks[2]:
            errors["good_from"] = _(
                "The grades must rise in order: Pass below Good, Good below Excellent."
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> AssessmentWeights:
        """The weights in force: the latest row, or the defaults while none was saved."""
        return cls.objects.order_by("-pk").first() or cls()
