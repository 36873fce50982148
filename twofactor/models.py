from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class SecondFactor(models.Model):
    """A person's second factor as the audit reads it: when the authenticator was enrolled,
    when the recovery codes were issued, and the last reset (who, when, why).

    The secrets themselves are django-otp's devices (a TOTP device, a static device holding the
    recovery codes), which keep no history: a key copied into an append-only table would never
    go away, and every sign-in changes a device. Each change here is one row of history with who
    and when, so "who reset her second factor, and when" is one search of the audit trail.
    """

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="second_factor",
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    codes_issued_at = models.DateTimeField(_("recovery codes issued at"), null=True, blank=True)
    reset_at = models.DateTimeField(_("last reset at"), null=True, blank=True)
    reset_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last reset by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reset_reason = models.CharField(_("reason for the reset"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")

    def __str__(self) -> str:
        return str(self.staff)
