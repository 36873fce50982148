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
