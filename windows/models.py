"""The organisation of the center and what it may sign (DESIGN.md sections 1, 3 and 8)."""

from __future__ import annotations

import datetime as dt
import uuid

import simple_history
from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from approval_center import uploads

from .roles import Role


class DepartmentQuerySet(models.QuerySet):
    def with_deputy(self, on: dt.date) -> DepartmentQuerySet:
        return self.filter(deputies__in=StationedDeputy.objects.active(on)).distinct()


class Department(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=30)
    leader_name = models.CharField(
        _("department leader"),
        max_length=50,
        blank=True,
        help_text=_("The official who heads the department, as printed on decisions."),
    )
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    objects = DepartmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    class Kind(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("Comprehensive window")
        DEPARTMENT = "department", _("Department window")

    number = models.CharField(
        _("number"),
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z]\d{2}$", _("Use a letter and two digits, such as A01."))
        ],
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DEPARTMENT)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="windows",
    )
    location = models.CharField(_("location in the hall"), max_length=50, blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("open"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service window")
        verbose_name_plural = _("service windows")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                name="window_department_matches_kind",
                condition=Q(kind="comprehensive", department__isnull=True)
                | Q(kind="department", department__isnull=False),
                violation_error_message=_(
                    "A department window belongs to a department; the comprehensive window to none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("windows:window", args=[self.number])

    @classmethod
    def intake(cls) -> Window | None:
        """The comprehensive window (the first, if there are several), where applicants are
        sent to hand in and collect: None when the center has none."""
        return cls._intake_windows().first()

    @classmethod
    def intake_number(cls) -> str:
        """The number of `intake()`: "" when the center has none."""
        return cls._intake_windows().values_list("number", flat=True).first() or ""

    @classmethod
    def intake_number_read_along(cls) -> Subquery:
        """`intake_number` as an expression, read along with another row (`annotate`): None
        when the center has none."""
        return Subquery(cls._intake_windows().values("number")[:1])

    @classmethod
    def _intake_windows(cls):
        return cls.objects.filter(kind=cls.Kind.COMPREHENSIVE).order_by("number")


class Staff(AbstractUser):
    """A person who works in the center. Roles are the groups named in `Role`."""

    full_name = models.CharField(_("full name"), max_length=50)
    title = models.CharField(_("title"), max_length=50, blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        help_text=_("The department that stations this person at the center, if any."),
    )
    window = models.ForeignKey(
        Window,
        verbose_name=_("window"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )

    # Password hashes and login times are not business history. Roles (groups) and permissions
    # given or taken away are: each change writes a row with who and when.
    history = HistoricalRecords(
        excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"]
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def roles(self) -> list[Role]:
        held = {g.name for g in self.groups.all()}
        return [role for role in Role if role.value in held]

    @property
    def primary_role(self) -> Role | None:
        if self.is_superuser and not self.roles:
            return Role.ADMINISTRATOR
        return self.roles[0] if self.roles else None

    def has_role(self, *roles: Role) -> bool:
        return self.is_superuser or any(role in self.roles for role in roles)

    def is_away(self, on: dt.date) -> bool:
        return self.absences.covering(on).exists()


# A role's own permissions (the group's) given or taken away leave history with who and when, as
# a person's groups and permissions do: "who gave the role group X permission Y, and when" is
# answered on the audit trail. Django's Group is not ours to declare a field on, hence register().
simple_history.register(Group, app="windows", m2m_fields=["permissions"])


class PostQuerySet(models.QuerySet):
    def with_absence(self, on: dt.date) -> PostQuerySet:
        """The posts with `a_away` and `b_away` for a day: the one definition of A/B cover
        (B works the post on the days A is away) that the queue, the window and department
        pages and the dashboard use."""
        away = Absence.objects.covering(on)
        return self.annotate(
            a_away=models.Exists(away.filter(staff_id=models.OuterRef("holder_a_id"))),
            b_away=models.Exists(away.filter(staff_id=models.OuterRef("holder_b_id"))),
        )

    def covered_on(self, on: dt.date) -> PostQuerySet:
        """The posts whose A holder is away on the day, so B covers them."""
        return self.with_absence(on).filter(a_away=True)


class Post(models.Model):
    """A post at a window with its A holder and the named B backup (AB岗工作制)."""

    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.CASCADE, related_name="posts"
    )
    name = models.CharField(_("post"), max_length=50)
    duties = models.TextField(_("duties"), blank=True)
    holder_a = models.ForeignKey(
        Staff, verbose_name=_("A holder"), on_delete=models.PROTECT, related_name="a_posts"
    )
    holder_b = models.ForeignKey(
        Staff, verbose_name=_("B backup"), on_delete=models.PROTECT, related_name="b_posts"
    )

    objects = PostQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("A/B post")
        verbose_name_plural = _("A/B posts")
        ordering = ["window__number", "name"]
        constraints = [
            models.UniqueConstraint(fields=["window", "name"], name="post_unique_per_window"),
            models.CheckConstraint(
                name="post_backup_is_someone_else",
                condition=~Q(holder_a=models.F("holder_b")),
                violation_error_message=_("The B backup must be someone other than the A holder."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window.number} {self.name}"

    def on_duty(self, on: dt.date) -> Staff:
        """Who works this post on a day: A, or B when A is away."""
        return self.holder_b if self.holder_a.is_away(on) else self.holder_a


class AbsenceQuerySet(models.QuerySet):
    def covering(self, on: dt.date) -> AbsenceQuerySet:
        return self.filter(starts_on__lte=on, ends_on__gte=on)


class Absence(models.Model):
    class Reason(models.TextChoices):
        LEAVE = "leave", _("Leave")
        SICK = "sick", _("Sick leave")
        TRAINING = "training", _("Training")
        MEETING = "meeting", _("Meeting or duty elsewhere")
        OTHER = "other", _("Other")

    staff = models.ForeignKey(
        Staff, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="absences"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = AbsenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                name="absence_ends_after_start",
                condition=Q(ends_on__gte=models.F("starts_on")),
                violation_error_message=_("An absence cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} {self.starts_on}–{self.ends_on}"


def _guide_file_path(material: Material, filename: str) -> str:
    # A random name: nothing of the uploader's file name reaches the disk or a URL. The extension
    # is the one `Material.clean` judged from the content (`approval_center.uploads`).
    return f"guide/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1].lower()}"


class Material(models.Model):
    """A document an applicant hands in; one material may be required by many items.

    The public guide (办事指南) offers its sample (样表: the form filled in as an example) and its
    blank form (空白表格) for download, through `windows.guide_views.material_file`, never from
    a public media address."""

    class File(models.TextChoices):
        SAMPLE = "sample", _("sample")
        BLANK = "blank", _("blank form")

    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    sample = models.FileField(
        _("sample (filled in as an example)"),
        upload_to=_guide_file_path,
        blank=True,
        help_text=_("PDF, Word (.docx), Excel (.xlsx), JPEG or PNG; shown in the public guide."),
    )
    blank_form = models.FileField(
        _("blank form"),
        upload_to=_guide_file_path,
        blank=True,
        help_text=_("PDF, Word (.docx), Excel (.xlsx), JPEG or PNG; shown in the public guide."),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A new file is judged by its content (`approval_center.uploads.guide_file_type`) and
        stored under the extension that content has."""
        errors = {}
        for field in ("sample", "blank_form"):
            upload = getattr(self, field)
            if not upload or upload._committed:
                continue  # nothing new: the file kept was checked when it came
            try:
                _kind, extension = uploads.guide_file_type(
                    upload.file, settings.GUIDE_FILE_MAX_BYTES
                )
            except ValidationError as error:
                errors[field] = error
                continue
            upload.name = f"{field}.{extension}"
        if errors:
            raise ValidationError(errors)

    def file_of(self, kind: str):
        """The stored sample or blank form (`File`), or None when there is none."""
        upload = self.sample if kind == self.File.SAMPLE else self.blank_form
        return upload or None


class Stage(models.Model):
    """A stage of a construction project (工程建设项目审批阶段, the national reform of 2019:
    立项用地规划许可 → 工程建设许可 → 施工许可 → 竣工验收), kept as catalog data: its items are
    those whose `Item.stage` names it. The project page (applications/projects.py) shows a
    project's path through them."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("project stage")
        verbose_name_plural = _("project stages")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ItemQuerySet(models.QuerySet):
    def active(self) -> ItemQuerySet:
        return self.filter(is_active=True)

    def approvals(self) -> ItemQuerySet:
        return self.filter(kind=Item.Kind.APPROVAL)

    def services(self) -> ItemQuerySet:
        return self.filter(kind=Item.Kind.SERVICE)


class Item(models.Model):
    """An approval item (行政许可事项) or service item (服务事项) of the catalog."""

    class Kind(models.TextChoices):
        APPROVAL = "approval", _("Approval item")
        SERVICE = "service", _("Service item")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.APPROVAL)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="items"
    )
    window = models.ForeignKey(
        Window, verbose_name=_("window"), on_delete=models.PROTECT, related_name="items"
    )
    legal_basis = models.TextField(_("legal basis"))
    statutory_days = models.PositiveSmallIntegerField(
        _("statutory working days"),
        validators=[MinValueValidator(1)],
        help_text=_("The time limit the law sets, in working days."),
    )
    promised_days = models.PositiveSmallIntegerField(
        _("promised working days"),
        validators=[MinValueValidator(1)],
        help_text=_("The center's promise to applicants; never longer than the statutory limit."),
    )
    fee = models.CharField(_("fee"), max_length=100, blank=True, default="")
    fixed_asset_parallel = models.BooleanField(
        _("fixed-asset investment parallel approval"),
        default=False,
        help_text=_("Part of the package the comprehensive window fans out in parallel."),
    )
    needs_countersign = models.BooleanField(
        _("needs the department leader's countersign"), default=False
    )
    handled_in_center = models.BooleanField(_("handled in the center"), default=True)
    is_active = models.BooleanField(_("in force"), default=True)
    # The public guide (办事指南): who may apply and what the application must meet, and the
    # steps from handing in to collecting the result, one per line.
    conditions = models.TextField(
        _("conditions for acceptance"),
        blank=True,
        help_text=_(
            "Who may apply and what the application must meet (受理条件), as the guide shows it."
        ),
    )
    procedure = models.TextField(
        _("procedure"),
        blank=True,
        help_text=_("The steps from handing in to collecting the result (办理流程), one per line."),
    )
    materials = models.ManyToManyField(
        Material, through="ItemMaterial", verbose_name=_("required materials"), related_name="items"
    )
    # 前置: the items whose approval a project must hold before this one is accepted for it
    # (applications/projects.py says what holding one means).
    prerequisites = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_for",
        verbose_name=_("prerequisites"),
        help_text=_(
            "Items whose approval the project must hold before this item is accepted for it (前置)."
        ),
    )
    stage = models.ForeignKey(
        Stage,
        verbose_name=_("project stage"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
    )

    objects = ItemQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[prerequisites])

    class Meta:
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")
        ordering = ["department__sort_order", "code"]
        permissions = [("sign_item", _("Can sign decisions on this item"))]
        constraints = [
            models.CheckConstraint(
                name="item_promise_within_statute",
                condition=Q(promised_days__lte=models.F("statutory_days")),
                violation_error_message=_(
                    "The promised working days cannot exceed the statutory working days."
                ),
            ),
            models.CheckConstraint(
                name="item_promise_positive",
                condition=Q(promised_days__gte=1),
                violation_error_message=_("The promised working days must be at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("windows:item", args=[self.code])

    def procedure_steps(self) -> list[str]:
        return [line.strip() for line in self.procedure.splitlines() if line.strip()]

    def clean(self) -> None:
        errors = {}
        if self.promised_days and self.statutory_days and self.promised_days > self.statutory_days:
            errors["promised_days"] = _(
                "The promise (%(promised)s working days) cannot exceed the statutory limit "
                "(%(statutory)s working days)."
            ) % {"promised": self.promised_days, "statutory": self.statutory_days}
        if (
            self.window_id
            and self.department_id
            and self.window.department_id != self.department_id
        ):
            errors["window"] = _("The window must be one of the item's department.")
        if errors:
            raise ValidationError(errors)

    def prerequisite_problems(self, chosen) -> list[str]:
        """Why `chosen` cannot be this item's prerequisites: itself, or an item that already
        needs this one (directly or through others), which would make a circle no project
        could ever pass."""
        problems = []
        chosen = list(chosen)
        if self.pk and any(item.pk == self.pk for item in chosen):
            problems.append(_("An item cannot be its own prerequisite."))
        if self.pk:
            needing = {self.pk}
            frontier = {self.pk}
            while frontier:  # every item that needs this one, however indirectly
                frontier = (
                    set(
                        Item.prerequisites.through.objects.filter(
                            to_item_id__in=frontier
                        ).values_list("from_item_id", flat=True)
                    )
                    - needing
                )
                needing |= frontier
            for item in chosen:
                if item.pk != self.pk and item.pk in needing:
                    problems.append(
                        _("“%(item)s” already needs this item first: that would be a circle.")
                        % {"item": item}
                    )
        return problems


class ItemUserObjectPermission(UserObjectPermissionBase):
    """Signing authority on an item: a direct table instead of guardian's generic one."""

    content_object = models.ForeignKey(Item, on_delete=models.CASCADE)
    # Each grant and withdrawal writes a row with who (None: the nightly sync) and when.
    history = HistoricalRecords()

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("signing authority")
        verbose_name_plural = _("signing authorities")


class ItemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Item, on_delete=models.CASCADE)


class ItemMaterial(models.Model):
    class Form(models.TextChoices):
        ORIGINAL = "original", _("Original")
        COPY = "copy", _("Copy")
        BOTH = "both", _("Original and copy")

    item = models.ForeignKey(
        Item, verbose_name=_("item"), on_delete=models.CASCADE, related_name="requirements"
    )
    material = models.ForeignKey(
        Material, verbose_name=_("material"), on_delete=models.PROTECT, related_name="requirements"
    )
    form = models.CharField(_("form"), max_length=10, choices=Form.choices, default=Form.ORIGINAL)
    copies = models.PositiveSmallIntegerField(
        _("copies"), default=1, validators=[MinValueValidator(1)]
    )
    may_follow = models.BooleanField(
        _("may follow later"),
        default=False,
        help_text=_("The clerk may accept without it on the applicant's signed commitment."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("required material")
        verbose_name_plural = _("required materials")
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "material"], name="item_material_once"),
            models.CheckConstraint(name="item_material_copies", condition=Q(copies__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.material} ({self.get_form_display()} ×{self.copies})"


class Package(models.Model):
    """A "one thing" (一件事): the items an applicant usually needs together for one purpose
    (to open a restaurant, to start building), offered together at intake. Kept by the
    administrators; choosing one at the counter only narrows the list of items."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    items = models.ManyToManyField(Item, verbose_name=_("items"), related_name="packages")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered at intake"), default=True)

    history = HistoricalRecords(m2m_fields=[items])

    class Meta:
        verbose_name = _("“one thing” package")
        verbose_name_plural = _("“one thing” packages")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CenterInfo(models.Model):
    """Where and when the center receives applicants, as the public guide shows it (办公地点和
    时间). One row, kept by the administrators; the guide says nothing of it until it exists."""

    address = models.CharField(_("address"), max_length=200)
    hours = models.TextField(
        _("opening hours"),
        help_text=_("One line per period, such as 周一至周五 上午9:00—12:00."),
    )
    phone = models.CharField(_("enquiries telephone"), max_length=30, blank=True)
    directions = models.TextField(_("how to get there"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("center's address and hours")
        verbose_name_plural = _("center's address and hours")

    def __str__(self) -> str:
        return self.address

    @classmethod
    def current(cls) -> CenterInfo | None:
        return cls.objects.order_by("pk").first()

    def hour_lines(self) -> list[str]:
        return [line.strip() for line in self.hours.splitlines() if line.strip()]


class StationedDeputyQuerySet(models.QuerySet):
    def active(self, on: dt.date) -> StationedDeputyQuerySet:
        return self.filter(term_start__lte=on, term_end__gte=on).filter(
            Q(ended_on__isnull=True) | Q(ended_on__gte=on)
        )


class StationedDeputy(models.Model):
    """A department's deputy head posted to the center for a term (常驻副职)."""

    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="deputies"
    )
    staff = models.ForeignKey(
        Staff, verbose_name=_("deputy head"), on_delete=models.PROTECT, related_name="postings"
    )
    appointment_ref = models.CharField(
        _("appointment document"),
        max_length=60,
        help_text=_("The organisation department's document that names the deputy."),
    )
    term_start = models.DateField(_("term starts"))
    term_end = models.DateField(_("term ends"))
    ended_on = models.DateField(
        _("ended early on"),
        null=True,
        blank=True,
        help_text=_("Last day of the posting if it ends before the term does."),
    )

    objects = StationedDeputyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("stationed deputy head")
        verbose_name_plural = _("stationed deputy heads")
        ordering = ["department__sort_order", "-term_start"]
        constraints = [
            models.CheckConstraint(
                name="deputy_term_order",
                condition=Q(term_end__gte=models.F("term_start")),
                violation_error_message=_("The term cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return _("%(person)s, stationed deputy of %(department)s") % {
            "person": self.staff,
            "department": self.department,
        }

    def is_active(self, on: dt.date) -> bool:
        last = min(self.term_end, self.ended_on) if self.ended_on else self.term_end
        return self.term_start <= on <= last

    def clean(self) -> None:
        if self.staff_id and self.department_id and self.staff.department_id != self.department_id:
            raise ValidationError({"staff": _("The deputy must be staff of the same department.")})


class AuthorizationLetterQuerySet(models.QuerySet):
    def active(self, at: dt.datetime, *, on: dt.date | None = None) -> AuthorizationLetterQuerySet:
        """In force at `at` (`on`: its local day, when the caller has it)."""
        on = timezone.localdate(at) if on is None else on
        return self.filter(valid_from__lte=on, valid_until__gte=on).filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=at)
        )


class AuthorizationLetter(models.Model):
    """A letter by which a department delegates its leaders' signing authority (委托书)."""

    number = models.CharField(_("letter number"), max_length=60, unique=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("delegating department"),
        on_delete=models.PROTECT,
        related_name="letters",
    )
    delegating_official = models.CharField(
        _("delegating official"),
        max_length=100,
        help_text=_("Name and title of the official whose authority is delegated."),
    )
    window_head = models.ForeignKey(
        Staff, verbose_name=_("window head"), on_delete=models.PROTECT, related_name="letters"
    )
    items = models.ManyToManyField(Item, verbose_name=_("items covered"), related_name="letters")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        Staff,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    revoke_reason = models.CharField(
        _("reason for revoking"), max_length=200, blank=True, editable=False
    )

    objects = AuthorizationLetterQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[items])

    class Meta:
        verbose_name = _("letter of authorization")
        verbose_name_plural = _("letters of authorization")
        ordering = ["department__sort_order", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                name="letter_validity_order",
                condition=Q(valid_until__gte=models.F("valid_from")),
                violation_error_message=_("A letter cannot expire before it takes effect."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def is_active(self, at: dt.datetime) -> bool:
        on = timezone.localdate(at)
        revoked = self.revoked_at is not None and self.revoked_at <= at
        return self.valid_from <= on <= self.valid_until and not revoked

    def clean(self) -> None:
        head = self.window_head if self.window_head_id else None
        if head and self.department_id and head.department_id != self.department_id:
            raise ValidationError(
                {"window_head": _("The window head must be staff of the delegating department.")}
            )


class SealQuerySet(models.QuerySet):
    def in_use(self) -> SealQuerySet:
        return self.filter(is_active=True)

    def of_window(self, window_id: int | None) -> Seal | None:
        """The seal a window stamps with now: its own, if in use (`in_use`; `Seal.of` reads it
        off a window fetched with its seal)."""
        return self.in_use().filter(window_id=window_id).first()

    def of_intake(self) -> Seal | None:
        """The comprehensive window's seal (综合受理专用章): it stamps what intake issues
        (commitment slips, one-time notices, notices of non-acceptance)."""
        return (
            self.in_use()
            .filter(window__kind=Window.Kind.COMPREHENSIVE)
            .order_by("window__number")
            .first()
        )

    def of_center(self) -> Seal | None:
        """The center's own seal, held by no window: it stamps what the center's office issues
        (urge notices, notices of a joint extension). None until an administrator enters one;
        such a document then prints without a seal image and is stamped by hand."""
        return self.in_use().filter(window__isnull=True).order_by("-issued_on", "pk").first()


class Seal(models.Model):
    """A window's dedicated administrative approval seal (行政审批专用章), or, with no window,
    the center's own seal."""

    window = models.OneToOneField(
        Window,
        verbose_name=_("window"),
        on_delete=models.PROTECT,
        related_name="seal",
        null=True,
        blank=True,
        help_text=_(
            "Empty for the center's own seal, which stamps urge notices and notices of a "
            "joint extension."
        ),
    )
    number = models.CharField(_("seal number"), max_length=30, unique=True)
    inscription = models.CharField(_("inscription"), max_length=100)
    image = models.FileField(
        _("image"),
        upload_to="seals/",
        blank=True,
        help_text=_("A PNG image of the impression, on a transparent background."),
    )
    issued_on = models.DateField(_("issued on"))
    is_active = models.BooleanField(_("in use"), default=True)

    objects = SealQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval seal")
        verbose_name_plural = _("approval seals")
        ordering = ["window__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(window__isnull=True, is_active=True),
                name="one_center_seal_in_use",
                violation_error_message=_("The center has one seal in use; retire the other."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.inscription} ({self.number})"

    @classmethod
    def of(cls, window: Window) -> Seal | None:
        """The seal `window` stamps with now, as `Seal.objects.of_window` finds it, from a window
        read with its seal (select_related("window__seal")): no query of its own."""
        try:
            seal = window.seal
        except cls.DoesNotExist:
            return None
        return seal if seal.is_active else None

    def clean(self) -> None:
        if self.image:
            head = self.image.read(8)
            self.image.seek(0)
            if head != b"\x89PNG\r\n\x1a\n":
                raise ValidationError({"image": _("The seal image must be a PNG file.")})


class CalendarYear(models.Model):
    """A year for which the holidays and adjusted working days are known."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("Seeded from the chinese-calendar package")
        MANUAL = "manual", _("Entered by an administrator")

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the plain week: a holiday, or a weekend day worked (调休)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        WORKDAY = "workday", _("Adjusted working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name} ({self.get_kind_display()})"

    def clean(self) -> None:
        if self.date and not CalendarYear.objects.filter(year=self.date.year).exists():
            raise ValidationError(
                {
                    "date": _("Add the year %(year)s to the calendar first.")
                    % {"year": self.date.year}
                }
            )
