"""The applicant's side: who signed in (a mobile number), the one-time codes sent to it, the
sessions opened with them, and the companies a person acts for (docs/portal.md).

Nothing secret is stored as it is: a code and a session key are kept as keyed digests
(`secrets_digest`), so neither the database nor a backup of it lets anyone sign in.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from applications import validators
from applications.models import Applicant, Application, Delivery, Project
from windows.models import Item, Material


class Account(models.Model):
    """A person who signed in: their mobile number is who they are."""

    mobile = models.CharField(
        _("mobile"), max_length=11, unique=True, validators=[validators.validate_mobile]
    )
    created_at = models.DateTimeField(_("first signed in at"))
    last_signed_in_at = models.DateTimeField(_("last signed in at"))

    class Meta:
        verbose_name = _("applicant account")
        verbose_name_plural = _("applicant accounts")
        ordering = ["mobile"]

    def __str__(self) -> str:
        return self.mobile


class SignInCodeQuerySet(models.QuerySet):
    def live(self) -> SignInCodeQuerySet:
        """Neither used nor voided (whether expired is the caller's check, with its clock)."""
        return self.filter(used_at__isnull=True, voided_at__isnull=True)


class SignInCode(models.Model):
    """A one-time code sent by SMS to a number: six digits, kept only as a keyed digest; good
    for `PORTAL_CODE_SECONDS`, for `PORTAL_CODE_ATTEMPTS` tries, once. A new code for the same
    number voids the one before."""

    mobile = models.CharField(_("mobile"), max_length=11, db_index=True)
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    address = models.CharField(_("asked from"), max_length=64, blank=True)

    objects = SignInCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one live code per number: the row is what a guess is counted against.
            models.UniqueConstraint(
                fields=["mobile"],
                condition=Q(used_at__isnull=True, voided_at__isnull=True),
                name="signincode_one_live_per_mobile",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mobile} @ {self.created_at:%Y-%m-%d %H:%M}"


class SignInMessage(Delivery):
    """The SMS that carries a code, for the configured sender (applications.notifications.
    send_once reads these fields). The code is in `text` only inside the transaction that
    sends it: the row is committed with the code masked."""

    recipient = models.CharField(_("recipient"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("sign-in SMS")
        verbose_name_plural = _("sign-in SMS")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"→ {self.recipient}"

    # What the pluggable sender reads (applications.notifications.ChannelSender).
    channel = "sms"


class Session(models.Model):
    """A signed-in browser: the cookie holds a random key, the row its digest. It ends at
    `expires_at`, after `PORTAL_SESSION_IDLE_SECONDS` without a request, or at sign-out."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="sessions"
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    expires_at = models.DateTimeField(_("expires at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    address = models.CharField(_("signed in from"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("applicant session")
        verbose_name_plural = _("applicant sessions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account} @ {self.created_at:%Y-%m-%d %H:%M}"


class Agency(models.Model):
    """A person acting for a company (代理人): bound when the center's record of the company
    (registered at the comprehensive window) has the person's number as its contact mobile.
    The binding holds only while that stays true (portal/access.py)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="agencies"
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("company"), on_delete=models.CASCADE, related_name="+"
    )
    bound_at = models.DateTimeField(_("bound at"))

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["bound_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "applicant"], name="agency_once"),
        ]

    def __str__(self) -> str:
        return f"{self.account} → {self.applicant}"


def _filing_path(upload: FilingFile, filename: str) -> str:
    # A random name, as the counter's scans: nothing of the applicant's file name on disk.
    return f"filing/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"


class Filing(models.Model):
    """An application being filed online (网上申报): the applicant's own until submitted, seen
    by no one of the staff. Submitting creates the application through the counter's service
    (`applications.services.application_create`, channel online) and its files become the
    application's scans; the filing then only points at it (portal/services.py)."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="filings"
    )
    applicant = models.ForeignKey(
        Applicant, verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    items = models.ManyToManyField(Item, verbose_name=_("items applied for"), related_name="+")
    created_at = models.DateTimeField(_("started at"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    application = models.OneToOneField(
        Application,
        verbose_name=_("application"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="filing",
    )

    class Meta:
        verbose_name = _("online filing")
        verbose_name_plural = _("online filings")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.applicant} @ {self.created_at:%Y-%m-%d %H:%M}"


class FilingFile(models.Model):
    """A material uploaded to a filing not yet submitted, checked as the counter's scans are."""

    filing = models.ForeignKey(
        Filing, verbose_name=_("online filing"), on_delete=models.CASCADE, related_name="files"
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=_filing_path)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("file of an online filing")
        verbose_name_plural = _("files of online filings")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
