"""The outbox of case events for the provincial platform (办件数据汇聚), and what the local test
receiver got. docs/outbox.md describes both."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from applications.models import Application


def state_conditions() -> dict[str, Q]:
    """The one definition of an event's state (`OutboxEvent.State`): pushed; else waiting until
    a push fails; failing, retried with back-off; failed once `OUTBOX_MAX_ATTEMPTS` attempts
    failed (still tried at the longest back-off)."""
    unpushed, erred = Q(pushed_at__isnull=True), ~Q(last_error="")
    failed = Q(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS)
    return {
        OutboxEvent.State.PENDING: unpushed & Q(last_error=""),
        OutboxEvent.State.FAILING: unpushed & erred & ~failed,
        OutboxEvent.State.FAILED: unpushed & erred & failed,
        OutboxEvent.State.PUSHED: Q(pushed_at__isnull=False),
    }


class OutboxEventQuerySet(models.QuerySet):
    def unpushed(self) -> OutboxEventQuerySet:
        return self.filter(pushed_at__isnull=True)

    def in_state(self, state: str) -> OutboxEventQuerySet:
        """The events of one of `OutboxEvent.State`, as the administrators' page filters them."""
        return self.filter(state_conditions()[state])

    def with_state(self) -> OutboxEventQuerySet:
        """Each event with its `state`, a value of `OutboxEvent.State` (`state_label` names it)."""
        cases = state_conditions().items()
        return self.annotate(
            state=Case(*(When(c, then=Value(s)) for s, c in cases), output_field=CharField())
        )

    def state_counts(self) -> dict[str, int]:
        """How many events are in each state, in one statement."""
        return self.aggregate(**{s: Count("pk", filter=c) for s, c in state_conditions().items()})


class OutboxEvent(models.Model):
    """One event of a case, written in the transaction of the step itself (`events.record`),
    pushed once to the platform in order per application (`push.push_application`).

    Written by one INSERT (no history row: the step's own history is the record of what
    happened); marked pushed or failing by UPDATEs; an administrator's "retry now" saves it
    with its history row (who asked, when)."""

    class Kind(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("case event", "received")
        ACCEPTED = "accepted", pgettext_lazy("case event", "accepted")
        NOTICE = "notice", pgettext_lazy("case event", "one-time notice")
        STOPPED = "stopped", pgettext_lazy("case event", "stopped")
        EXTENDED = "extended", pgettext_lazy("case event", "extended")
        DECIDED = "decided", pgettext_lazy("case event", "decided")
        RETURNED = "returned", pgettext_lazy("case event", "returned")
        DELIVERED = "delivered", pgettext_lazy("case event", "delivered")
        RATED = "rated", pgettext_lazy("case event", "rated")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting to be pushed")
        FAILING = "failing", _("failing, retried with back-off")
        FAILED = "failed", _("failed too often")
        PUSHED = "pushed", _("pushed")

    # The idempotency key the platform receives: the same at every attempt.
    key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="outbox_events",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("event"), max_length=12, choices=Kind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("written at"))
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True, default="")
    history = HistoricalRecords()

    objects = OutboxEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        ordering = ["id"]
        indexes = [
            # The oldest unpushed event of an application; the sweep's list of them.
            models.Index(
                fields=["application", "id"],
                condition=Q(pushed_at__isnull=True),
                name="outbox_unpushed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def state_label(self) -> str:
        """The label of the `state` that `OutboxEventQuerySet.with_state` read along."""
        return self.State(self.state).label


class ReceivedEvent(models.Model):
    """What the local test receiver got (`receiver.receive`): one row per idempotency key;
    `deliveries` counts the POSTs of that key (more than one: the same event came again)."""

    key = models.UUIDField(_("idempotency key"), unique=True)
    kind = models.CharField(_("event"), max_length=12)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"))
    deliveries = models.PositiveIntegerField(_("deliveries"), default=1)

    class Meta:
        verbose_name = _("event received (test receiver)")
        verbose_name_plural = _("events received (test receiver)")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"

    @property
    def kind_label(self) -> str:
        """The event's name as the outbox names it (the receiver keeps what came, as sent)."""
        kinds = OutboxEvent.Kind
        return kinds(self.kind).label if self.kind in kinds.values else self.kind
