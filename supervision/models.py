"""Yellow and red cards: rows written by the deadline sweep and never changed, so the
dashboard can be shown as it stood on any past day."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications.models import Application, DepartmentReview


class Card(models.Model):
    class Level(models.TextChoices):
        YELLOW = "yellow", _("Yellow card (due soon)")
        RED = "red", _("Red card (overdue)")

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
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
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
