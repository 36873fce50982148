from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from windows.models import Department, Item
from windows.roles import Role


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The comprehensive window's desk, starting with the parallel approval package."""
    if not request.user.has_role(Role.INTAKE_CLERK, Role.CENTER_MANAGER):
        raise PermissionDenied
    package = (
        Item.objects.active()
        .filter(fixed_asset_parallel=True)
        .select_related("department", "window")
        .annotate(material_count=Count("requirements"))
        .order_by("department__sort_order", "code")
    )
    return render(
        request,
        "applications/intake.html",
        {
            "package": package,
            "departments": Department.objects.filter(items__in=package).distinct(),
        },
    )
