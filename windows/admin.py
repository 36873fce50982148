from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import authority
from .models import (
    Absence,
    AuthorizationLetter,
    CalendarDay,
    CalendarYear,
    CenterInfo,
    Department,
    Item,
    ItemMaterial,
    Material,
    Package,
    Post,
    Seal,
    Staff,
    Stage,
    StationedDeputy,
    Window,
)
from .roles import Role
from .workdays import calendar_changed

admin.site.site_header = _("Approval center administration")
admin.site.unregister(Group)
admin.site.site_title = _("Approval center")
admin.site.index_title = _("Administration")


class SyncsAuthorityAdmin(SimpleHistoryAdmin):
    """Admin for a model whose rows decide signing authority: re-derive it after every save."""

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        drift = authority.sync_signing_authority(at=timezone.now(), by=request.user)
        if drift:
            self.message_user(
                request,
                _("Signing authority updated: %(granted)d granted, %(withdrawn)d withdrawn.")
                % {"granted": len(drift.missing), "withdrawn": len(drift.extra)},
            )


@admin.register(Group)
class RoleGroupAdmin(SimpleHistoryAdmin, GroupAdmin):
    """Groups are the roles: show each under its name in the user's language."""

    list_display = ["name", "role"]

    @admin.display(description=_("Role"))
    def role(self, group: Group) -> str:
        return Role(group.name).label if group.name in Role.values else "—"


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "short_name", "leader_name", "phone", "sort_order"]
    search_fields = ["code", "name", "short_name"]


@admin.register(Window)
class WindowAdmin(SimpleHistoryAdmin):
    list_display = ["number", "name", "kind", "department", "location", "is_active"]
    list_filter = ["kind", "is_active", "department"]
    search_fields = ["number", "name"]
    list_select_related = ["department"]


@admin.register(Staff)
class StaffAdmin(SimpleHistoryAdmin, UserAdmin):
    list_display = ["username", "full_name", "title", "department", "window", "is_active"]
    list_filter = ["groups", "is_active", "department"]
    search_fields = ["username", "full_name", "phone"]
    list_select_related = ["department", "window"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "title", "phone", "email")}),
        (_("Place in the center"), {"fields": ("department", "window", "groups")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")},
        ),
        (_("Place in the center"), {"fields": ("department", "window", "groups")}),
    )


@admin.register(Post)
class PostAdmin(SimpleHistoryAdmin):
    list_display = ["window", "name", "holder_a", "holder_b"]
    list_filter = ["window__department"]
    search_fields = ["name", "window__number", "holder_a__full_name", "holder_b__full_name"]
    list_select_related = ["window", "holder_a", "holder_b"]
    autocomplete_fields = ["holder_a", "holder_b"]


@admin.register(Absence)
class AbsenceAdmin(SimpleHistoryAdmin):
    list_display = ["staff", "starts_on", "ends_on", "reason", "note"]
    list_filter = ["reason"]
    date_hierarchy = "starts_on"
    search_fields = ["staff__full_name", "staff__username"]
    autocomplete_fields = ["staff"]


class ItemMaterialInline(admin.TabularInline):
    model = ItemMaterial
    extra = 1
    autocomplete_fields = ["material"]


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = "__all__"  # noqa: DJ007 (the admin's own fieldsets choose)

    def clean_prerequisites(self):
        chosen = self.cleaned_data.get("prerequisites") or Item.objects.none()
        problems = self.instance.prerequisite_problems(chosen)
        if problems:
            raise forms.ValidationError(problems)
        return chosen


@admin.register(Item)
class ItemAdmin(SyncsAuthorityAdmin):
    """Each item with its materials, its prerequisites (前置: a circle is refused) and stage."""

    form = ItemForm
    autocomplete_fields = ["prerequisites"]
    list_display = [
        "code",
        "name",
        "department",
        "window",
        "promised_days",
        "statutory_days",
        "fixed_asset_parallel",
        "needs_countersign",
        "stage",
    ]
    list_filter = [
        "kind",
        "stage",
        "fixed_asset_parallel",
        "needs_countersign",
        "handled_in_center",
        "is_active",
        ("conditions", admin.EmptyFieldListFilter),
        "department",
    ]
    search_fields = ["code", "name", "legal_basis"]
    list_select_related = ["department", "window"]
    inlines = [ItemMaterialInline]


@admin.register(Material)
class MaterialAdmin(SimpleHistoryAdmin):
    """A material's sample and blank form are checked by content when uploaded
    (`Material.clean`) and served by the public guide (`windows.guide_views.material_file`)."""

    list_display = ["name", "description", "has_sample", "has_blank_form"]
    list_filter = [
        ("sample", admin.EmptyFieldListFilter),
        ("blank_form", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name"]
    fields = ["name", "description", "sample", "blank_form"]

    @admin.display(description=_("Sample"), boolean=True)
    def has_sample(self, material: Material) -> bool:
        return bool(material.sample)

    @admin.display(description=_("Blank form"), boolean=True)
    def has_blank_form(self, material: Material) -> bool:
        return bool(material.blank_form)


@admin.register(CenterInfo)
class CenterInfoAdmin(SimpleHistoryAdmin):
    """One row: the address and opening hours the public guide shows."""

    list_display = ["address", "phone"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not CenterInfo.objects.exists()


@admin.register(Stage)
class StageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "position", "item_count"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description=_("Items"), ordering="item_total")
    def item_count(self, stage: Stage) -> int:
        return stage.item_total


@admin.register(Package)
class PackageAdmin(SimpleHistoryAdmin):
    list_display = ["name", "item_count", "position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "items__name", "items__code"]
    filter_horizontal = ["items"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(item_total=Count("items"))

    @admin.display(description=_("Items"), ordering="item_total")
    def item_count(self, package: Package) -> int:
        return package.item_total


@admin.register(StationedDeputy)
class StationedDeputyAdmin(SyncsAuthorityAdmin):
    list_display = ["staff", "department", "appointment_ref", "term_start", "term_end", "ended_on"]
    list_filter = ["department"]
    autocomplete_fields = ["staff"]
    list_select_related = ["staff", "department"]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason for revoking"), max_length=200)


class AuthorizationLetterForm(forms.ModelForm):
    class Meta:
        model = AuthorizationLetter
        fields = [
            "number",
            "department",
            "delegating_official",
            "window_head",
            "items",
            "valid_from",
            "valid_until",
        ]

    def clean(self):
        data = super().clean()
        for field, message in authority.letter_refusals(
            department=data.get("department"),
            items=list(data.get("items") or []),
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
        ).items():
            self.add_error(field, message)
        return data


@admin.register(AuthorizationLetter)
class AuthorizationLetterAdmin(SyncsAuthorityAdmin):
    form = AuthorizationLetterForm

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """The admin takes initial values from the address (`?items=3,4`); one that is not a
        list of keys would make the items' widget fail, so it is left out."""
        initial = super().get_changeform_initial_data(request)
        for name in ("items", "department", "window_head"):
            value = initial.get(name)
            parts = value if isinstance(value, list) else [value]
            if value is not None and not all(str(p).isdigit() and len(str(p)) < 10 for p in parts):
                del initial[name]
        return initial

    list_display = [
        "number",
        "department",
        "delegating_official",
        "window_head",
        "valid_from",
        "valid_until",
        "revoked_at",
    ]
    list_filter = ["department", ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["number", "delegating_official", "window_head__full_name"]
    filter_horizontal = ["items"]
    autocomplete_fields = ["window_head"]
    readonly_fields = ["revoked_at", "revoked_by", "revoke_reason"]
    list_select_related = ["department", "window_head"]
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected letters"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset) -> HttpResponse | None:
        form = RevokeForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            now = timezone.now()
            for letter in queryset.filter(revoked_at__isnull=True):
                authority.letter_revoke(
                    letter=letter, by=request.user, reason=form.cleaned_data["reason"], at=now
                )
            count = queryset.count()
            self.message_user(
                request,
                ngettext(
                    "%(count)d letter revoked; it signs nothing from now on.",
                    "%(count)d letters revoked; they sign nothing from now on.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/windows/revoke_letters.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Revoke letters of authorization"),
                "letters": queryset,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(Seal)
class SealAdmin(SimpleHistoryAdmin):
    list_display = ["number", "inscription", "window", "issued_on", "is_active"]
    search_fields = ["number", "inscription", "window__number"]
    list_select_related = ["window"]


class CalendarChangeAdmin(SimpleHistoryAdmin):
    """A change to the calendar moves the open deadlines that depend on it, in the same
    transaction (the admin's views are atomic), and says how many moved."""

    # The field whose year a row belongs to (`date` of a day, `year` of a year).
    year_field = ""

    def _years(self, obj) -> set[int]:
        return {self._year(getattr(obj, self.year_field))}

    @staticmethod
    def _year(value) -> int:
        return value if isinstance(value, int) else value.year

    def _moved(self, request: HttpRequest, years: set[int]) -> None:
        moved = calendar_changed(years, by=request.user, now=timezone.now())
        if moved:
            self.message_user(
                request,
                ngettext(
                    "The deadline of %(count)d open review moved with the calendar.",
                    "The deadlines of %(count)d open reviews moved with the calendar.",
                    moved,
                )
                % {"count": moved},
                messages.WARNING,
            )

    def save_model(self, request, obj, form, change) -> None:
        # The year before the edit too: a day moved to another year changes both.
        years = self._years(obj)
        if change and form.initial.get(self.year_field) is not None:
            years.add(self._year(form.initial[self.year_field]))
        super().save_model(request, obj, form, change)
        self._moved(request, years)

    def delete_model(self, request, obj) -> None:
        years = self._years(obj)
        super().delete_model(request, obj)
        self._moved(request, years)

    def delete_queryset(self, request, queryset) -> None:
        years = set().union(*(self._years(obj) for obj in queryset))
        super().delete_queryset(request, queryset)
        self._moved(request, years)


@admin.register(CalendarYear)
class CalendarYearAdmin(CalendarChangeAdmin):
    list_display = ["year", "source", "note"]
    year_field = "year"


@admin.register(CalendarDay)
class CalendarDayAdmin(CalendarChangeAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind", "date"]
    date_hierarchy = "date"
    search_fields = ["name"]
    year_field = "date"
