"""The integration API's clients (registered by an administrator), the record of every call,
and the ratings that came from the provincial platform (their idempotency key)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from applications.models import Rating
from windows.models import Department


class Scope(models.TextChoices):
    """What a client may do. A read scope gives one list of the API; write:ratings the ratings
    of the provincial 好差评 system."""

    READ_APPLICATIONS = "read:applications", _("Read applications")
    READ_REVIEWS = "read:reviews", _("Read department reviews")
    READ_DECISIONS = "read:decisions", _("Read decisions")
    READ_LICENCES = "read:licences", _("Read licences")
    WRITE_RATINGS = "write:ratings", _("Send ratings from the provincial platform")


class ClientQuerySet(models.QuerySet):
    def active(self) -> ClientQuerySet:
        return self.filter(revoked_at__isnull=True)


class Client(models.Model):
    """A system that calls the API with its token. Only the token's SHA-256 is stored; its
    first characters (`prefix`) tell an administrator which token a system holds. Rotating
    gives a new token and the old one stops working at once; a revoked client is refused."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    scopes = models.JSONField(_("scopes"), default=list)
    departments = models.ManyToManyField(
        Department,
        verbose_name=_("departments"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty for every department."),
    )
    rate_limit = models.PositiveIntegerField(
        _("calls per minute"), help_text=_("Calls past this number in a minute get 429.")
    )
    token_prefix = models.CharField(_("token begins with"), max_length=12, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("registered at"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    rotated_at = models.DateTimeField(_("token rotated at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    history = HistoricalRecords()
    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def scope_labels(self) -> list[str]:
        return [str(Scope(scope).label) for scope in Scope.values if scope in self.scopes]


class CallQuerySet(models.QuerySet):
    def before(self, moment) -> CallQuerySet:
        return self.filter(at__lt=moment)


class Call(models.Model):
    """One call of the API, allowed or refused: who (None when no valid token came), what,
    the answer's status and how long it took."""

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calls",
    )
    method = models.CharField(_("method"), max_length=8)
    endpoint = models.CharField(_("endpoint"), max_length=60)
    path = models.CharField(_("address"), max_length=300)
    status = models.PositiveSmallIntegerField(_("status"))
    at = models.DateTimeField(_("at"), db_index=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))

    objects = CallQuerySet.as_manager()

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"], name="api_call_client_at")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class ProvincialRating(models.Model):
    """A rating received from the provincial platform, under the platform's own id: the same id
    again gives the same answer and no second rating."""

    platform_id = models.CharField(_("platform's rating id"), max_length=64, unique=True)
    rating = models.OneToOneField(
        Rating, verbose_name=_("rating"), on_delete=models.PROTECT, related_name="provincial"
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received at"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rating from the provincial platform")
        verbose_name_plural = _("ratings from the provincial platform")

    def __str__(self) -> str:
        return self.platform_id
