"""A project across its applications: the approvals it holds, the prerequisites (前置) an item
still lacks, and its path through the stages of the catalog (docs/projects.md).

What "the project holds a valid approval of an item" means is written once, in
`valid_approvals`: acceptance (services._accept), the application page, the project page and
its path all ask it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from approval_center import hooks
from windows.models import Item, Stage
from windows.workdays import Span, WorkCalendar

from .models import Application, DepartmentReview, Document, PrerequisiteOverride, Project

# A decision is in the project's hands once it is decided (countersigned where the item asks
# it): decided at the window, returned to the comprehensive window, received there.
ISSUED_STATES = (
    DepartmentReview.State.DECIDED,
    DepartmentReview.State.RETURNED,
    DepartmentReview.State.RECEIVED,
)


def valid_approvals(project: Project | None) -> QuerySet[DepartmentReview]:
    """THE definition: the reviews by which `project` holds a valid approval of their item.

    An approval (granted) decided and issued (its approval decision document exists) on one of
    the project's applications, whose licence, if it has one, is in force today (the
    `approval_conditions` hook: licences/, where a licence's status is defined; a revoked,
    superseded or expired licence holds nothing). No project holds nothing.
    """
    if project is None:
        return DepartmentReview.objects.none()
    reviews = DepartmentReview.objects.filter(
        application__project=project,
        outcome=DepartmentReview.Outcome.GRANTED,
        state__in=ISSUED_STATES,
    ).filter(Exists(Document.objects.filter(review=OuterRef("pk"), kind=Document.Kind.APPROVAL)))
    for condition in hooks.collect("approval_conditions", timezone.localdate()):
        reviews = reviews.filter(condition)
    return reviews


def held_item_ids(project: Project | None) -> set[int]:
    """The items `project` holds a valid approval of (`valid_approvals`)."""
    return set(valid_approvals(project).values_list("item_id", flat=True))


@dataclass(frozen=True)
class Prerequisite:
    """One prerequisite of one item of an application, and how it stands."""

    item: Item  # the later item
    prerequisite: Item  # the item needed first (with its department and window)
    held: bool
    override: PrerequisiteOverride | None = None

    @property
    def missing(self) -> bool:
        """Blocks acceptance: not held and no override recorded."""
        return not self.held and self.override is None


def prerequisites_of(
    project: Project | None,
    items: Iterable[Item],
    overrides: Iterable[PrerequisiteOverride] = (),
) -> list[Prerequisite]:
    """Every prerequisite of `items` for `project`, held or not, with its override if any."""
    items = list(items)
    pairs = list(
        Item.prerequisites.through.objects.filter(from_item__in=items).values_list(
            "from_item_id", "to_item_id"
        )
    )
    if not pairs:
        return []
    needed = {
        item.pk: item
        for item in Item.objects.filter(pk__in={p for _i, p in pairs}).select_related(
            "department", "window"
        )
    }
    by_id = {item.pk: item for item in items}
    held = held_item_ids(project)
    overridden = {o.prerequisite_id: o for o in overrides}
    return sorted(
        (
            Prerequisite(
                item=by_id[item_id],
                prerequisite=needed[pre_id],
                held=pre_id in held,
                override=None if pre_id in held else overridden.get(pre_id),
            )
            for item_id, pre_id in pairs
        ),
        key=lambda p: (p.item.code, p.prerequisite.code),
    )


def with_prerequisite_flag(items: QuerySet[Item]) -> QuerySet[Item]:
    """`items`, each with `has_prerequisites`, read along (no statement of its own)."""
    return items.annotate(
        has_prerequisites=Exists(
            Item.prerequisites.through.objects.filter(from_item=OuterRef("pk"))
        )
    )


def application_prerequisites(
    application: Application, items: list[Item] | None = None
) -> list[Prerequisite]:
    """The prerequisites of the application's items for its project, as acceptance judges
    them (overrides recorded on this application count). `items`: the application's items
    already read with `with_prerequisite_flag`: when none has any, nothing more is read."""
    if items is not None and not any(item.has_prerequisites for item in items):
        return []
    return prerequisites_of(
        application.project,
        items if items is not None else application.items.all(),
        application.prerequisite_overrides.select_related("by"),
    )


def missing_text(missing: Iterable[Prerequisite]) -> str:
    """ "A (needs B: 建设局, window A07)、…": what is missing and where to get it."""
    return "、".join(
        str(
            _("%(item)s needs %(prerequisite)s first (%(department)s, window %(window)s)")
            % {
                "item": p.item.name,
                "prerequisite": p.prerequisite.name,
                "department": p.prerequisite.department.name,
                "window": p.prerequisite.window.number,
            }
        )
        for p in missing
    )


# --- the path through the stages -----------------------------------------------------------


class Step:
    DONE = "done"
    IN_PROGRESS = "in_progress"
    FILED = "filed"
    REFUSED = "refused"
    NEXT = "next"
    BLOCKED = "blocked"
    # In a stage the project has passed: an item it did without (核准 or 备案, not both).
    NOT_APPLIED = "not_applied"

    LABELS = {
        DONE: pgettext_lazy("project path", "Done"),
        IN_PROGRESS: pgettext_lazy("project path", "In progress"),
        FILED: pgettext_lazy("project path", "Filed, not yet accepted"),
        REFUSED: pgettext_lazy("project path", "Refused"),
        NEXT: pgettext_lazy("project path", "Next: may be filed"),
        BLOCKED: pgettext_lazy("project path", "Blocked"),
        NOT_APPLIED: pgettext_lazy("project path", "Not applied for"),
    }


@dataclass
class ItemStep:
    item: Item
    status: str
    review: DepartmentReview | None = None
    application: Application | None = None
    missing: list[Item] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(Step.LABELS[self.status])

    @property
    def engaged(self) -> bool:
        """The project has done something about this item."""
        return self.status not in (Step.NEXT, Step.BLOCKED, Step.NOT_APPLIED)


@dataclass
class StageRow:
    stage: Stage | None
    steps: list[ItemStep]
    status: str = Step.NEXT
    span: Span | None = None

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.status])


NOT_STARTED = "not_started"
STAGE_LABELS = {
    Step.DONE: pgettext_lazy("project path", "Done"),
    Step.IN_PROGRESS: pgettext_lazy("project path", "In progress"),
    Step.NEXT: pgettext_lazy("project path", "Next"),
    NOT_STARTED: pgettext_lazy("project path", "Not started"),
}


@dataclass
class ProjectPath:
    stages: list[StageRow]
    others: StageRow | None
    started_on: dt.date | None
    ended_on: dt.date | None
    span: Span | None
    target: int

    @property
    def days_used(self) -> int:
        return self.span.working_days if self.span else 0

    @property
    def days_left(self) -> int:
        return self.target - self.days_used

    @property
    def days_over(self) -> int:
        return max(0, self.days_used - self.target)

    @property
    def over(self) -> bool:
        return self.days_used > self.target

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.days_used / self.target)) if self.target else 0


ACTIVE_APPLICATION = (Application.State.DRAFT, Application.State.AWAITING_MATERIALS)


def project_path(project: Project, *, today: dt.date | None = None) -> ProjectPath:
    """The whole path of `project`: per stage and item, done, in progress, next or blocked by
    what; and the working days used from its first filing (to today, or to its last approval
    once every stage is done) against `PROJECT_TARGET_WORKING_DAYS`."""
    today = today or timezone.localdate()
    calendar = WorkCalendar.load()
    applications = list(project.applications.exclude(received_at=None).order_by("received_at"))
    reviews = list(
        DepartmentReview.objects.filter(application__project=project)
        .select_related("application")
        .order_by("application__received_at", "id")
    )
    latest: dict[int, DepartmentReview] = {}
    for review in reviews:  # the latest review of each item, on whatever application
        latest[review.item_id] = review
    approvals = {r.item_id: r for r in valid_approvals(project).select_related("application")}
    held = set(approvals)  # `held_item_ids`, from the rows read here
    filed: dict[int, Application] = {}
    active = project.applications.filter(state__in=ACTIVE_APPLICATION).prefetch_related("items")
    for application in active:
        for item in application.items.all():
            filed.setdefault(item.pk, application)
    stages = list(Stage.objects.order_by("position", "id"))
    stage_items: dict[int, list[Item]] = {stage.pk: [] for stage in stages}
    for item in Item.objects.filter(stage__in=stages, is_active=True).select_related(
        "department", "window"
    ):
        stage_items[item.stage_id].append(item)
    in_stages = {item.pk for items in stage_items.values() for item in items}
    other_ids = (set(latest) | set(filed)) - in_stages
    other_items = list(Item.objects.filter(pk__in=other_ids).select_related("department", "window"))
    every = [item for items in stage_items.values() for item in items] + other_items
    prereqs: dict[int, list[int]] = {}
    for item_id, pre_id in Item.prerequisites.through.objects.filter(
        from_item__in=[i.pk for i in every]
    ).values_list("from_item_id", "to_item_id"):
        prereqs.setdefault(item_id, []).append(pre_id)
    names = {
        i.pk: i
        for i in Item.objects.filter(
            pk__in={p for ps in prereqs.values() for p in ps}
        ).select_related("department", "window")
    }

    def step(item: Item) -> ItemStep:
        missing = [names[p] for p in prereqs.get(item.pk, []) if p not in held]
        if item.pk in held:
            review = approvals[item.pk]
            return ItemStep(item, Step.DONE, review, review.application)
        review = latest.get(item.pk)
        if review is not None and review.is_open:
            return ItemStep(item, Step.IN_PROGRESS, review, review.application)
        if item.pk in filed:
            return ItemStep(item, Step.FILED, None, filed[item.pk], missing)
        if review is not None and review.outcome == DepartmentReview.Outcome.REFUSED:
            return ItemStep(item, Step.REFUSED, review, review.application, missing)
        return ItemStep(item, Step.BLOCKED if missing else Step.NEXT, missing=missing)

    rows = [StageRow(stage, [step(item) for item in stage_items[stage.pk]]) for stage in stages]
    for row in rows:
        engaged = [s for s in row.steps if s.engaged]
        if not engaged:
            row.status = NOT_STARTED
        elif all(s.status == Step.DONE for s in engaged):
            row.status = Step.DONE
            for s in row.steps:
                if s.status == Step.NEXT:
                    s.status = Step.NOT_APPLIED
        else:
            row.status = Step.IN_PROGRESS
        row.span = _span(engaged, row.status == Step.DONE, today, calendar)
    # The first stage not started after the last one the project has reached comes next.
    reached = [i for i, row in enumerate(rows) if row.status != NOT_STARTED]
    after = (reached[-1] + 1) if reached else 0
    if after < len(rows) and (not reached or rows[reached[-1]].status == Step.DONE):
        rows[after].status = Step.NEXT
    others = StageRow(None, [step(item) for item in other_items]) if other_items else None

    started = timezone.localdate(applications[0].received_at) if applications else None
    finished = bool(rows) and all(row.status == Step.DONE for row in rows)
    ended = None
    if finished and approvals:
        ended = max(timezone.localdate(r.decided_at) for r in approvals.values())
    span = calendar.count_working_days(started, ended or today) if started else None
    return ProjectPath(
        stages=rows,
        others=others,
        started_on=started,
        ended_on=ended,
        span=span,
        target=settings.PROJECT_TARGET_WORKING_DAYS,
    )


def _span(steps: list[ItemStep], done: bool, today: dt.date, calendar: WorkCalendar):
    """Working days a stage took (done) or has taken so far: from its first filing."""
    starts = [timezone.localdate(s.application.received_at) for s in steps if s.application]
    if not starts:
        return None
    end = today
    if done:
        end = max(timezone.localdate(s.review.decided_at) for s in steps if s.review)
    return calendar.count_working_days(min(starts), end)
