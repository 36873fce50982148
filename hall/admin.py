from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Business, SlotRule


@admin.register(Business)
class BusinessAdmin(SimpleHistoryAdmin):
    list_display = ["letter", "name", "kind", "department", "service_minutes", "is_active"]
    list_filter = ["kind", "is_active"]
    filter_horizontal = ["windows"]
    search_fields = ["letter", "name"]


@admin.register(SlotRule)
class SlotRuleAdmin(SimpleHistoryAdmin):
    list_display = ["business", "window", "opens", "closes", "slot_minutes", "capacity"]
    list_filter = ["business"]
