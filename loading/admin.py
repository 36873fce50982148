from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import ImportRecord


@admin.register(ImportRecord)
class ImportRecordAdmin(SimpleHistoryAdmin):
    """Read-only: an import is recorded by the loading pages and the command, never edited."""

    list_display = ["id", "kind", "original_name", "state", "uploaded_at", "uploaded_by"]
    list_filter = ["kind", "state"]
    search_fields = ["original_name", "sha256"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
