from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from .roles import Role


def staff(request: HttpRequest) -> dict:
    """What the base layout shows: the center, and who is signed in with their role."""
    # The center's name in the page's language: a Chinese name on an English page would be read
    # in an English voice in the page's title (WCAG 3.1.2), where no lang="zh" can mark it.
    chinese = (get_language() or "zh").startswith("zh")
    context = {"center_name": settings.CENTER_NAME if chinese else settings.CENTER_NAME_EN}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        context.update(current_role=user.primary_role, Role=Role)
    return context
