from django.contrib import admin

from applications.admin import ReadOnlyMixin

from .models import Card


@admin.register(Card)
class CardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Cards are written by the sweep and never changed: the admin only shows them."""

    list_display = ["issued_at", "level", "application", "review", "deadline"]
    list_filter = ["level", ("review", admin.EmptyFieldListFilter)]
    date_hierarchy = "issued_at"
    list_select_related = ["application", "review__item"]
    search_fields = ["application__receipt_number"]
