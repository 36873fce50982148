from django.conf import settings
from django.http import HttpRequest

from .roles import Role


def staff(request: HttpRequest) -> dict:
    """What the base layout shows: the center, and who is signed in with their role."""
    context = {"center_name": settings.CENTER_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context.update(current_role=user.primary_role, Role=Role)
    return context
