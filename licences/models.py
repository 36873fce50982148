"""Licences (电子证照) issued by approval decisions, their reuse as materials, and the
verification codes of issued documents. See docs/licences.md."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from applications.models import Applicant, ApplicationMaterial, Document, Project
from windows.models import Item, Material


class Verification(models.Model):
    """The code a document prints under its QR code (and in the QR's address): with the
    document's number it opens the document on the public /verify/ page. 16 characters of the
    access code's alphabet (80 bits), made at the document's first print."""

    document = models.OneToOneField(
        Document,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="verification",
    )
    code = models.CharField(_("verification code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")

    def __str__(self) -> str:
        return f"{self.document_id}"


class LicensedItem(models.Model):
    """How long a licence of an item is valid (years from the decision); an item with no row
    issues licences without an end date. Kept by administrators."""

    item = models.OneToOneField(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="licence_term"
    )
    valid_years = models.PositiveSmallIntegerField(_("valid for (years)"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("licence term of an item")
        verbose_name_plural = _("licence terms of items")

    def __str__(self) -> str:
        return f"{self.item} · {self.valid_years}"


def in_force(day: dt.date) -> Q:
    """In force on `day`: not revoked or superseded, started, and not past its end (the one
    definition of expiry: `Licence.status_on` reads the same)."""
    return Q(status=Licence.Status.VALID, valid_from__lte=day) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


class LicenceQuerySet(models.QuerySet):
    def valid_on(self, day: dt.date) -> LicenceQuerySet:
        """The licences `in_force` on `day`."""
        return self.filter(in_force(day))


class Licence(models.Model):
    """A licence an approval decision issued: who holds it, for which item, from when until
    when, and its status. Expired is not stored: it is read from the date (`status_on`)."""

    class Status(models.TextChoices):
        VALID = "valid", pgettext_lazy("licence status", "Valid")
        REVOKED = "revoked", pgettext_lazy("licence status", "Revoked")
        SUPERSEDED = "superseded", pgettext_lazy("licence status", "Superseded")
        EXPIRED = "expired", pgettext_lazy("licence status", "Expired")  # never stored: status_on

    number = models.CharField(_("licence number"), max_length=60, unique=True)
    holder = models.ForeignKey(
        Applicant, verbose_name=_("holder"), on_delete=models.PROTECT, related_name="licences"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="licences",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="licences"
    )
    review = models.OneToOneField(
        "applications.DepartmentReview",
        verbose_name=_("review"),
        on_delete=models.PROTECT,
        related_name="licence",
    )
    decision = models.ForeignKey(
        Document,
        verbose_name=_("decision"),
        on_delete=models.PROTECT,
        related_name="licences",
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VALID
    )
    issued_at = models.DateTimeField(_("issued at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("superseded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
    )

    history = HistoricalRecords()
    objects = LicenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="expired"), name="licence_expired_not_stored"
            ),
            models.CheckConstraint(
                condition=Q(status="revoked", revoked_at__isnull=False) | ~Q(status="revoked"),
                name="licence_revoked_has_time",
            ),
        ]
        indexes = [models.Index(fields=["holder", "item", "status"], name="licence_holder_item")]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("licences:detail", args=[self.pk])

    def status_on(self, day: dt.date) -> str:
        if self.status == self.Status.VALID and self.valid_until and self.valid_until < day:
            return self.Status.EXPIRED
        return self.status

    def status_label_on(self, day: dt.date) -> str:
        return str(self.Status(self.status_on(day)).label)


class MaterialByLicence(models.Model):
    """A material of the catalog that a licence of `item` provides: a checklist line for it is
    filled by the applicant's (or its project's) valid licence of that item. Kept by
    administrators."""

    material = models.OneToOneField(
        Material,
        verbose_name=_("material"),
        on_delete=models.PROTECT,
        related_name="provided_by_licence",
    )
    item = models.ForeignKey(
        Item, verbose_name=_("licence of item"), on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("material provided by a licence")
        verbose_name_plural = _("materials provided by licences")

    def __str__(self) -> str:
        return f"{self.material} ← {self.item}"


class LicenceUse(models.Model):
    """A checklist line filled by a licence. Rows are never changed."""

    line = models.OneToOneField(
        ApplicationMaterial,
        verbose_name=_("checklist line"),
        on_delete=models.CASCADE,
        related_name="licence_use",
    )
    licence = models.ForeignKey(
        Licence, verbose_name=_("licence"), on_delete=models.PROTECT, related_name="uses"
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("use of a licence")
        verbose_name_plural = _("uses of licences")

    def __str__(self) -> str:
        return f"{self.licence} → {self.line_id}"
