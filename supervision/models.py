"""Yellow and red cards: rows written by the deadline sweep and never changed, so the
dashboard can be shown as it stood on any past day."""

from __future__ import annotations

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
