"""Read-only views of the applications for administrators and managers: every change goes
through the pages and services.py, never through the admin."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Applicant,
    Application,
    DepartmentReview,
    Document,
    ExtensionRequest,
    FollowUp,
    Notification,
    Project,
    Rating,
)


class ReadOnlyMixin:
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    pass


@admin.register(Applicant)
class ApplicantAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "id_number", "contact_name", "mobile"]
    search_fields = ["name", "id_number", "mobile"]
    list_filter = ["kind"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "applicant", "location", "total_investment"]
    search_fields = ["code", "name"]
    list_select_related = ["applicant"]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "applicant", "state", "received_at", "promised_date"]
    list_filter = ["state", "with_gaps"]
    search_fields = ["receipt_number", "applicant__name"]
    list_select_related = ["applicant"]
    date_hierarchy = "received_at"


@admin.register(DepartmentReview)
class DepartmentReviewAdmin(ReadOnlyAdmin):
    list_display = ["application", "item", "window", "state", "deadline", "outcome"]
    list_filter = ["state", "outcome", "department"]
    search_fields = ["application__receipt_number", "item__name", "decision_number"]
    list_select_related = ["application", "item", "window"]


@admin.register(Document)
class DocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["number", "kind", "application", "issued_at", "issued_by", "sha256"]
    list_filter = ["kind"]
    search_fields = ["number"]

    def get_queryset(self, request):
        return super().get_queryset(request).listed()

    @admin.display(description=_("SHA-256 of the issued PDF"))
    def sha256(self, obj) -> str:
        return obj.sha256 or "—"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "application",
        "event",
        "channel",
        "recipient",
        "created_at",
        "sent_at",
        "attempts",
    ]
    list_filter = ["event", "channel", "language"]
    search_fields = ["recipient", "application__receipt_number"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["application", "level", "rated_at"]
    list_filter = ["level"]
    search_fields = ["application__receipt_number", "comment"]
    list_select_related = ["application"]
    date_hierarchy = "rated_at"


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["rating", "state", "due", "closed_at", "closed_by"]
    list_filter = ["state"]
    list_select_related = ["rating__application", "closed_by"]


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "application",
        "review",
        "days",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state"]
    search_fields = ["application__receipt_number", "reason"]
    list_select_related = ["application", "review__item", "requested_by", "decided_by"]
