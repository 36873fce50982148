"""The public service guide (办事指南): what the catalog tells an applicant, read for the pages
of `guide_views.py`. Only items in force and packages offered are shown; every query here is a
fixed number of statements whatever the size of the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When

from .models import Department, Item, ItemMaterial, Material, Package


def items() -> QuerySet[Item]:
    """The items of the guide, with what a list of them shows."""
    return Item.objects.active().select_related("department", "window")


def packages() -> QuerySet[Package]:
    """The "one thing" packages offered, with how many of their items are in force."""
    return (
        Package.objects.filter(is_active=True)
        .annotate(item_total=Count("items", filter=Q(items__is_active=True)))
        .filter(item_total__gt=0)
    )


def departments() -> QuerySet[Department]:
    """The departments that have items in the guide, with how many."""
    return (
        Department.objects.annotate(item_total=Count("items", filter=Q(items__is_active=True)))
        .filter(item_total__gt=0)
        .order_by("sort_order", "code")
    )


def search(query: str = "", *, department: Department | None = None, kind: str = "") -> QuerySet:
    """Items whose name, code, department or one of whose materials contains `query` (a plain
    substring: Chinese has no words to split), in the department and of the kind asked."""
    found = items()
    query = query.strip()
    if query:
        needs = ItemMaterial.objects.filter(item=OuterRef("pk"), material__name__icontains=query)
        in_name = Q(name__icontains=query) | Q(code__icontains=query)
        found = (
            found.filter(
                in_name
                | Q(department__name__icontains=query)
                | Q(department__short_name__icontains=query)
                | Exists(needs)
            )
            # Items named by the words first, then those that only need such a material.
            .annotate(rank=Case(When(in_name, then=Value(0)), default=Value(1)))
            .order_by("rank", "department__sort_order", "code")
        )
    if department is not None:
        found = found.filter(department=department)
    if kind:
        found = found.filter(kind=kind)
    return found


def item(code: str) -> Item | None:
    """An item in force with its materials in order and the packages offered it belongs to."""
    return (
        items()
        .prefetch_related(
            Prefetch(
                "requirements",
                ItemMaterial.objects.select_related("material").order_by("position", "id"),
            ),
            Prefetch("packages", Package.objects.filter(is_active=True)),
        )
        .filter(code=code)
        .first()
    )


@dataclass
class Need:
    """A material of a package, once, with each item that needs it (and how)."""

    material: Material
    requirements: list[ItemMaterial] = field(default_factory=list)


def package_needs(package: Package) -> tuple[list[Item], list[Need]]:
    """A package's items in force, and the union of their materials: each material once, in
    the order the items ask for them, with the items that need it."""
    package_items = list(
        items().filter(packages=package).order_by("department__sort_order", "code")
    )
    order = {one.pk: position for position, one in enumerate(package_items)}
    needs: dict[int, Need] = {}
    requirements = sorted(
        ItemMaterial.objects.filter(item__in=package_items).select_related("material", "item"),
        key=lambda r: (order[r.item_id], r.position, r.pk),
    )
    for requirement in requirements:
        need = needs.setdefault(requirement.material_id, Need(requirement.material))
        need.requirements.append(requirement)
    return package_items, list(needs.values())


def offers_file(material: Material) -> bool:
    """Whether the guide shows the material at all: some item in force requires it. Another
    material's files (of a withdrawn item only, or of none) are not served."""
    return ItemMaterial.objects.filter(material=material, item__is_active=True).exists()
