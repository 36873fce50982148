import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """When a periodic job last ran, one row per job, overwritten each time.

    Not a business record, so no history: the beat heartbeat alone would write a history row a
    minute. `/healthz` reads it to tell whether beat (and a worker to run what it sends) is alive.
    """

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    at = models.DateTimeField(_("last ran at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.name}: {self.at:%Y-%m-%d %H:%M:%S}"


class Backup(models.Model):
    """One backup set (operations/backups.py): the database dump and the private files, with the
    SHA-256 of each part. A row is written when a backup starts and completed when it ends, so
    an attempt that failed, or was killed, is on record too. Not a business record: no history,
    and the row stays after retention removes the set's files (`pruned_at`)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        OK = "ok", _("complete")
        FAILED = "failed", _("failed")

    name = models.CharField(_("name"), max_length=80, unique=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.RUNNING)
    engine = models.CharField(_("database"), max_length=20)
    # The database role pg_dump connected as (empty on SQLite).
    role = models.CharField(_("database role"), max_length=63, blank=True)
    trigger = models.CharField(_("started by"), max_length=20)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    # {file name: {"size": bytes, "sha256": hex}} for every part of the set.
    parts = models.JSONField(_("parts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    pruned_at = models.DateTimeField(_("removed by retention at"), null=True, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None
