from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from applications.admin import ReadOnlyMixin

from .models import AssessmentWeights, Card


@admin.register(Card)
class CardAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Cards are written by the sweep and never changed: the admin only shows them."""

    list_display = ["issued_at", "level", "application", "review", "deadline"]
    list_filter = ["level", ("review", admin.EmptyFieldListFilter)]
    date_hierarchy = "issued_at"
    list_select_related = ["application", "review__item"]
    search_fields = ["application__receipt_number"]


# --- Efficiency assessment (效能考核) -------------------------------------------------------


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(SimpleHistoryAdmin):
    """One row of weights and grade marks, edited in place; its history shows who changed what.
    The assessment page explains how they make the score."""

    list_display = [
        "__str__",
        "on_time",
        "lateness",
        "urges",
        "ratings",
        "procedure",
        "beyond_law",
        "overruns",
        "waiting",
        "excellent_from",
        "good_from",
        "pass_from",
        "changed_at",
    ]
    fieldsets = [
        (
            _("Weights of the score (out of their sum)"),
            {
                "fields": [
                    "on_time",
                    "lateness",
                    "urges",
                    "ratings",
                    "procedure",
                    "beyond_law",
                    "overruns",
                    "waiting",
                ]
            },
        ),
        (_("Grades"), {"fields": ["excellent_from", "good_from", "pass_from"]}),
    ]

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not AssessmentWeights.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
