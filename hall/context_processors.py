from django.http import HttpRequest

from .services import may_call


def hall(request: HttpRequest) -> dict:
    """Whether the staff navigation links the window's panel. No query of its own: the roles
    were read for the header already (windows.context_processors.staff)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"hall_panel": may_call(user)}
