"""The hall (DESIGN.md 5a): what a visitor takes a number for, the tickets, the calls, the
registered devices of the hall, appointments and the rating pad's ratings.

A day's numbers per business restart at 1 and have no gaps (`DayCounter`); a ticket's place in
the queue is its `queue_at` (when it took its number, or for an appointment checked in on time,
the start of its slot: it goes before the walk-ins of its slot). The steps of a ticket are
services (`hall.services`), each one transaction with the ticket's history.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from applications.models import Delivery
from windows.models import Department, Window


class BusinessQuerySet(models.QuerySet):
    def offered(self) -> BusinessQuerySet:
        return self.filter(is_active=True).order_by("position", "letter")


class Business(models.Model):
    """What a visitor takes a number for (业务): intake at the comprehensive window, pick-up
    of results, or a department's service. Its letter starts its tickets' numbers."""

    class Kind(models.TextChoices):
        INTAKE = "intake", _("Intake at the comprehensive window")
        PICKUP = "pickup", _("Pick-up of results")
        DEPARTMENT = "department", _("Department service")

    letter = models.CharField(
        _("letter"),
        max_length=1,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]$", _("Use one capital letter, such as A."))],
        help_text=_("The first character of this business's ticket numbers (A023)."),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hall_businesses",
    )
    windows = models.ManyToManyField(
        Window, verbose_name=_("windows serving it"), related_name="hall_businesses"
    )
    service_minutes = models.PositiveSmallIntegerField(
        _("usual service time (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text=_("Used for the waiting estimate until the day has its own figures."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = BusinessQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hall business")
        verbose_name_plural = _("hall businesses")
        ordering = ["position", "letter"]
        constraints = [
            models.CheckConstraint(
                name="business_department_matches_kind",
                condition=Q(kind="department", department__isnull=False)
                | (~Q(kind="department") & Q(department__isnull=True)),
                violation_error_message=_(
                    "A department's service names its department; intake and pick-up name none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} {self.name}"


class DayCounter(models.Model):
    """The last number given for a business on a day: taken under a row lock, so the day's
    numbers have no gaps and no repeats."""

    business = models.ForeignKey(Business, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["business", "day"], name="daycounter_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.business_id} {self.day}: {self.last}"


class Device(models.Model):
    """A device of the hall that works without a staff sign-in: the kiosk, a hall display or
    the rating pad facing the visitor at one window. An administrator registers it and opens
    the one-time enrolment link on it; the device then carries its key in a cookie. Only the
    key's SHA-256 is stored."""

    class Kind(models.TextChoices):
        KIOSK = "kiosk", _("Kiosk")
        DISPLAY = "display", _("Hall display")
        PAD = "pad", _("Rating pad")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    window = models.ForeignKey(
        Window,
        verbose_name=_("window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hall_devices",
        help_text=_("The window a rating pad faces."),
    )
    key_digest = models.CharField(max_length=64, unique=True, editable=False)
    enrol_digest = models.CharField(max_length=64, blank=True, editable=False)
    enrol_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    registered_at = models.DateTimeField(_("registered at"), editable=False)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords(excluded_fields=["last_seen_at"])

    class Meta:
        verbose_name = _("hall device")
        verbose_name_plural = _("hall devices")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                name="device_pad_faces_a_window",
                condition=Q(kind="pad", window__isnull=False) | ~Q(kind="pad"),
                violation_error_message=_("A rating pad faces one window: choose it."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class TicketQuerySet(models.QuerySet):
    def waiting(self) -> TicketQuerySet:
        return self.filter(status=Ticket.Status.WAITING)

    def in_queue_order(self) -> TicketQuerySet:
        return self.order_by("queue_at", "id")


class Ticket(models.Model):
    """A queue number (取号) taken at the kiosk, or an appointment checked in."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        SERVING = "serving", _("Being served")
        DONE = "done", _("Served")
        NO_SHOW = "no_show", _("Did not come")

    business = models.ForeignKey(
        Business, verbose_name=_("business"), on_delete=models.PROTECT, related_name="tickets"
    )
    day = models.DateField(_("day"))
    seq = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("number"), max_length=5)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    taken_at = models.DateTimeField(_("taken at"))
    queue_at = models.DateTimeField(_("place in the queue"))
    device = models.ForeignKey(
        Device,
        verbose_name=_("kiosk"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
    )
    mobile = models.CharField(_("mobile number"), max_length=20, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    # Only a transfer to one window sets this: the ticket then waits for that window alone.
    for_window = models.ForeignKey(
        Window,
        verbose_name=_("waiting for window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    window = models.ForeignKey(
        Window,
        verbose_name=_("window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hall_tickets",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hall_tickets",
    )
    called_at = models.DateTimeField(_("first called at"), null=True, blank=True)
    calls = models.PositiveSmallIntegerField(_("times called"), default=0)
    started_at = models.DateTimeField(_("service started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("service finished at"), null=True, blank=True)
    transfers = models.PositiveSmallIntegerField(_("times transferred"), default=0)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name=_("application"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hall_tickets",
    )
    # The key in the ticket's QR code: the visitor follows the queue with it on a phone.
    follow_key = models.CharField(max_length=32, unique=True, editable=False)

    objects = TicketQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        ordering = ["-day", "queue_at", "id"]
        constraints = [
            # The number says which business's counter gave it (its letter); a transfer moves
            # the ticket to another business and keeps the number.
            models.UniqueConstraint(fields=["day", "number"], name="ticket_number_once_a_day"),
            # One visitor at a time: a person has at most one ticket called or being served.
            models.UniqueConstraint(
                fields=["staff"],
                condition=Q(status__in=["called", "serving"]),
                name="ticket_one_at_a_time",
            ),
        ]
        indexes = [
            # call-next: the first waiting ticket of a business in queue order
            models.Index(
                fields=["business", "queue_at", "id"],
                name="ticket_waiting_idx",
                condition=Q(status="waiting"),
            ),
            models.Index(fields=["day", "status"], name="ticket_day_status_idx"),
            models.Index(fields=["window", "status"], name="ticket_window_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def wait(self) -> dt.timedelta | None:
        """From the place in the queue to the first call."""
        return self.called_at - self.queue_at if self.called_at else None

    @property
    def service_time(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at and self.started_at else None


class Call(models.Model):
    """One call of a ticket to a window (叫号), first or again: what the hall display shows and
    announces, and what the replay of a day walks through."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="call_log"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    again = models.BooleanField(_("called again"), default=False)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-id"]
        indexes = [models.Index(fields=["at"], name="call_at_idx")]

    def __str__(self) -> str:
        return f"{self.ticket.number} → {self.window.number}"


class SlotRule(models.Model):
    """Appointment capacity: on working days, a window takes `capacity` appointments of a
    business in each slot of `slot_minutes` between `opens` and `closes`."""

    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.CASCADE, related_name="slot_rules"
    )
    business = models.ForeignKey(
        Business, verbose_name=_("business"), on_delete=models.CASCADE, related_name="slot_rules"
    )
    opens = models.TimeField(_("first slot starts"))
    closes = models.TimeField(_("last slot ends"))
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=30,
        validators=[MinValueValidator(10), MaxValueValidator(240)],
    )
    capacity = models.PositiveSmallIntegerField(
        _("appointments per slot"), default=2, validators=[MinValueValidator(1)]
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment slots")
        verbose_name_plural = _("appointment slots")
        ordering = ["business", "window", "opens"]
        constraints = [
            models.CheckConstraint(
                name="slotrule_opens_before_closes",
                condition=Q(opens__lt=models.F("closes")),
                violation_error_message=_("The first slot must start before the last one ends."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business} {self.window.number} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Appointment(models.Model):
    """A visit booked from the public site (预约) for a business, day and slot."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CHECKED_IN = "checked_in", _("Checked in")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("Did not come")

    business = models.ForeignKey(
        Business, verbose_name=_("business"), on_delete=models.PROTECT, related_name="appointments"
    )
    day = models.DateField(_("day"))
    starts = models.TimeField(_("slot starts"))
    ends = models.TimeField(_("slot ends"))
    name = models.CharField(_("name"), max_length=50)
    mobile = models.CharField(_("mobile number"), max_length=20)
    code = models.CharField(_("check-in code"), max_length=12, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    booked_at = models.DateTimeField(_("booked at"))
    ticket = models.OneToOneField(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
    )
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # Added by the appointments part (hall/appointments.py): the booker's language for the SMS,
    # the SHA-256 of the key in the SMS's link to view or cancel, and when it changed state.
    language = models.CharField(_("language"), max_length=10, default=settings.LANGUAGE_CODE)
    # NULL, not "", for appointments made without a link (unique among those that have one).
    key_digest = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["day", "starts", "id"]
        indexes = [
            models.Index(fields=["business", "day", "starts"], name="appointment_slot_idx"),
            models.Index(fields=["mobile", "day"], name="appointment_mobile_idx"),
        ]
        constraints = [
            # One person (mobile) holds one live booking per business and day.
            models.UniqueConstraint(
                fields=["business", "day", "mobile"],
                condition=Q(status__in=["booked", "checked_in"]),
                name="appointment_one_live_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.business.letter} {self.day} {self.starts:%H:%M} {self.name}"


class AppointmentMessage(Delivery):
    """An SMS to the booker (confirmation, reminder): written once per appointment and kind in
    the transaction of the change, delivered after the commit by a task that claims it first,
    so it is sent once even when the task runs twice (hall.appointments.message_deliver)."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("Confirmation")
        REMINDER = "reminder", _("Reminder")

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("appointment"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    recipient = models.CharField(_("recipient"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("appointment SMS")
        verbose_name_plural = _("appointment SMS")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"], name="appointmentmessage_once_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"

    # What the pluggable sender reads (applications.notifications.ChannelSender).
    channel = "sms"


class ServiceRating(models.Model):
    """The visitor's rating of one service on the pad facing them (评价器): once per ticket,
    only from the pad of the window that served it, only after the service ended."""

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="rating"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.PROTECT, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("served by"),
        on_delete=models.PROTECT,
        related_name="hall_ratings",
    )
    device = models.ForeignKey(
        Device, verbose_name=_("rating pad"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("service rating")
        verbose_name_plural = _("service ratings")
        ordering = ["-at"]
        constraints = [
            models.CheckConstraint(
                name="servicerating_level_1_to_5", condition=Q(level__gte=1, level__lte=5)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.level}"
