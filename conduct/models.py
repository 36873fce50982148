"""Conduct at the windows (DESIGN.md sections 1 and 5, issue 18): the rules and their points,
complaints handled on a clock, hall patrols, deductions and appeals against them.

- `Rule`: the center's conduct rules and the assessment's deduction table, kept by
  administrators with history (`/conduct/rules/`).
- `Complaint` (投诉): from the public site, the status page or the telephone; a number, a due
  date in working days (`COMPLAINT_WORKING_DAYS`), an assignee, an investigation, a finding and
  a reply sent through the applicant's channel (`ComplaintMessage`, delivered like the
  applicant's notifications). `ComplaintCard`: yellow and red cards of an unanswered complaint,
  with supervision's `Card.Level` definitions.
- `Patrol` (巡查) and `PatrolEntry`: a manager's round of the hall, each window present,
  covered by its B holder, or absent, with the time and an optional photo.
- `Deduction`: the points a substantiated complaint or a patrol's finding takes from a window
  and a person in the period of the finding; `Appeal`: the window head's one contest of it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from applications.models import Application, Delivery, Notification
from supervision.models import Card
from windows.models import Window


class Rule(models.Model):
    """A conduct rule and its line of the deduction table: breaking it costs `points`."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    points = models.PositiveSmallIntegerField(
        _("points deducted"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(
        _("in force"),
        default=True,
        help_text=_("A rule no longer in force is kept with the deductions made under it."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conduct rule")
        verbose_name_plural = _("conduct rules")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                name="rule_points_1_to_100",
                condition=Q(points__gte=1) & Q(points__lte=100),
                violation_error_message=_("A rule deducts 1 to 100 points."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (−{self.points})"


class Complaint(models.Model):
    class Source(models.TextChoices):
        WEB = "web", _("Public site")
        TRACK = "track", _("Status page")
        PHONE = "phone", _("Telephone")

    class Finding(models.TextChoices):
        SUBSTANTIATED = "substantiated", _("Substantiated")
        UNSUBSTANTIATED = "unsubstantiated", _("Not substantiated")

    number = models.CharField(_("number"), max_length=20, unique=True)
    source = models.CharField(_("received through"), max_length=8, choices=Source.choices)
    receipt_number = models.CharField(
        _("receipt number given"),
        max_length=20,
        blank=True,
        help_text=_("As the complainant gave it."),
    )
    application = models.ForeignKey(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    name = models.CharField(_("complainant's name"), max_length=50, blank=True)
    phone = models.CharField(_("complainant's mobile"), max_length=20)
    email = models.EmailField(_("complainant's e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    window = models.ForeignKey(
        Window,
        verbose_name=_("window complained about"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    text = models.TextField(_("complaint"))
    filed_at = models.DateTimeField(_("received at"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    due = models.DateField(_("answer due"))
    due_provisional = models.BooleanField(_("due date provisional"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_assigned",
    )
    investigation = models.TextField(_("investigation record"), blank=True)
    finding = models.CharField(_("finding"), max_length=16, choices=Finding.choices, blank=True)
    rule = models.ForeignKey(
        Rule,
        verbose_name=_("rule broken"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    found_window = models.ForeignKey(
        Window,
        verbose_name=_("window found at fault"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    found_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person found at fault"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    found_at = models.DateTimeField(_("found at"), null=True, blank=True)
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("found by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reply = models.TextField(_("reply to the complainant"), blank=True)
    replied_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-filed_at", "-id"]
        indexes = [
            # The sweep and the list: the complaints still unanswered, by due date.
            models.Index(fields=["due"], name="complaint_open_idx", condition=Q(replied_at=None)),
        ]
        constraints = [
            models.CheckConstraint(
                name="complaint_substantiated_names_rule",
                condition=~Q(finding="substantiated")
                | (Q(rule__isnull=False) & Q(found_window__isnull=False)),
                violation_error_message=_(
                    "A substantiated complaint names the rule broken and the window."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_answered(self) -> bool:
        return self.replied_at is not None


class ComplaintCard(models.Model):
    """A yellow or red card of an unanswered complaint, written by the sweep
    (conduct/sweep.py) with supervision's levels. Kept here because `supervision.Card` points
    at an application or a review only; never changed."""

    LEVELS = (Card.Level.YELLOW, Card.Level.RED)

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="cards"
    )
    level = models.CharField(
        _("level"), max_length=16, choices=[(lv.value, lv.label) for lv in LEVELS]
    )
    deadline = models.DateField(_("deadline judged"))
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("complaint card")
        verbose_name_plural = _("complaint cards")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "level", "deadline"], name="complaintcard_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.complaint} {self.deadline}"


class ComplaintMessage(Delivery):
    """A message to the complainant (receipt, reply) through their channel: SMS to the mobile,
    e-mail when one was given. Written in the transaction of the change, once per complaint,
    kind and channel; delivered after the commit by `applications.notifications.send_once`."""

    class Kind(models.TextChoices):
        RECEIVED = "received", _("Complaint received")
        ANSWERED = "answered", _("Complaint answered")

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Notification.Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("message to a complainant")
        verbose_name_plural = _("messages to complainants")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "kind", "channel"], name="complaintmessage_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.channel}"


class Patrol(models.Model):
    """巡查: one manager's round of the hall on a day."""

    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started at"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("patrolled by"),
        on_delete=models.PROTECT,
        related_name="patrols",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["day"], name="patrol_day_idx")]

    def __str__(self) -> str:
        return f"{self.day} {self.by}"


def _photo_path(entry: PatrolEntry, filename: str) -> str:
    # A random name: nothing of the device's file name reaches the disk or a URL.
    return f"patrols/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class PatrolEntry(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        COVERED = "covered", _("Covered by B")
        ABSENT = "absent", _("Absent")

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.PROTECT, related_name="entries"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.PROTECT, related_name="patrol_entries"
    )
    status = models.CharField(_("found"), max_length=8, choices=Status.choices)
    at = models.DateTimeField(_("time"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Who was absent, or who broke a rule."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    photo = models.FileField(_("photo"), upload_to=_photo_path, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("patrol entry")
        verbose_name_plural = _("patrol entries")
        ordering = ["window__number", "at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patrol", "window"], name="patrolentry_once_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window.number} {self.get_status_display()}"


class DeductionQuerySet(models.QuerySet):
    def standing(self) -> DeductionQuerySet:
        """The deductions that count: not restored by a successful appeal."""
        return self.filter(restored_at__isnull=True)


class Deduction(models.Model):
    """Points taken from a window and a person under a rule, in the period of `on` (the day of
    the finding). `points` is the rule's at the time: changing the table later does not change
    a deduction already made."""

    rule = models.ForeignKey(
        Rule, verbose_name=_("rule broken"), on_delete=models.PROTECT, related_name="deductions"
    )
    points = models.PositiveSmallIntegerField(_("points"))
    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.PROTECT, related_name="deductions"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deductions",
    )
    on = models.DateField(_("day of the finding"))
    complaint = models.OneToOneField(
        Complaint,
        verbose_name=_("complaint"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deduction",
    )
    patrol_entry = models.OneToOneField(
        PatrolEntry,
        verbose_name=_("patrol finding"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deduction",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    restored_at = models.DateTimeField(
        _("restored at"),
        null=True,
        blank=True,
        help_text=_("Set when an appeal against the deduction succeeds."),
    )
    objects = DeductionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deduction")
        verbose_name_plural = _("deductions")
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["on"], name="deduction_on_idx")]
        constraints = [
            models.CheckConstraint(
                name="deduction_has_one_source",
                condition=(Q(complaint__isnull=False) & Q(patrol_entry__isnull=True))
                | (Q(complaint__isnull=True) & Q(patrol_entry__isnull=False)),
                violation_error_message=_("A deduction comes from a complaint or a patrol."),
            ),
        ]

    def __str__(self) -> str:
        return f"−{self.points} {self.window.number} {self.rule.code}"

    @property
    def source_label(self) -> str:
        return str(_("Complaint")) if self.complaint_id else str(_("Patrol"))


class Appeal(models.Model):
    """A window head's contest of a deduction: once per deduction; a manager decides. Upheld,
    the deduction's points are restored (`Deduction.restored_at`)."""

    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Upheld: points restored")
        REJECTED = "rejected", _("Rejected: deduction stands")

    deduction = models.OneToOneField(
        Deduction, verbose_name=_("deduction"), on_delete=models.PROTECT, related_name="appeal"
    )
    reasons = models.TextField(_("reasons"))
    filed_at = models.DateTimeField(_("filed at"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("grounds of the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.deduction}: {self.get_decision_display() or '…'}"
