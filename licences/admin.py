from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Licence, LicensedItem, MaterialByLicence


@admin.register(MaterialByLicence)
class MaterialByLicenceAdmin(SimpleHistoryAdmin):
    list_display = ("material", "item")
    autocomplete_fields = ("material", "item")
    search_fields = ("material__name", "item__name")


@admin.register(LicensedItem)
class LicensedItemAdmin(SimpleHistoryAdmin):
    list_display = ("item", "valid_years")
    autocomplete_fields = ("item",)


@admin.register(Licence)
class LicenceAdmin(SimpleHistoryAdmin):
    """Read only: licences are issued by decisions and revoked on their page."""

    list_display = ("number", "holder", "item", "valid_from", "valid_until", "status")
    list_filter = ("status",)
    search_fields = ("number", "holder__name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
