from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Appeal, Complaint, ComplaintMessage, Deduction, Patrol, Rule


@admin.register(Rule)
class RuleAdmin(SimpleHistoryAdmin):
    list_display = ("code", "title", "points", "is_active")


@admin.register(Complaint)
class ComplaintAdmin(SimpleHistoryAdmin):
    list_display = ("number", "source", "window", "due", "finding", "replied_at")
    readonly_fields = [f.name for f in Complaint._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Deduction)
class DeductionAdmin(SimpleHistoryAdmin):
    list_display = ("on", "window", "staff", "rule", "points", "restored_at")
    readonly_fields = [f.name for f in Deduction._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Appeal)
class AppealAdmin(SimpleHistoryAdmin):
    list_display = ("deduction", "filed_at", "decision")
    readonly_fields = [f.name for f in Appeal._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Patrol)
class PatrolAdmin(SimpleHistoryAdmin):
    list_display = ("day", "by", "started_at")
    readonly_fields = [f.name for f in Patrol._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ComplaintMessage)
class ComplaintMessageAdmin(admin.ModelAdmin):
    list_display = ("complaint", "kind", "channel", "created_at", "sent_at", "attempts")
    readonly_fields = [f.name for f in ComplaintMessage._meta.fields]

    def has_add_permission(self, request):
        return False
