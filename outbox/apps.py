from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = _("Reporting to the provincial platform")

    # Hooks (approval_center/hooks.py): every event of a case, written in its transaction.

    def case_event(self, application_id, kind, at, review_id, details) -> list:
        from .events import record

        record(
            application_id=application_id,
            kind=kind,
            at=at,
            review_id=review_id,
            details=details,
        )
        return []

    def decision_final(self, review, by, now, document, application) -> list:
        """A decision became final (decided, or countersigned): the "decided" event."""
        from .events import record

        record(
            application_id=review.application_id,
            kind="decided",
            at=now,
            review_id=review.pk,
            details={},
        )
        return []
