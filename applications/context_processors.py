from django.http import HttpRequest
from django.utils import timezone

from windows.roles import Role

# Who may approve extensions at all: signers of items and the government's head. Others are
# spared the query on every page.
APPROVER_ROLES = {Role.STATIONED_DEPUTY, Role.WINDOW_HEAD, Role.GOVERNMENT_HEAD}


def extensions(request: HttpRequest) -> dict:
    """How many extension requests wait for the signed-in person's approval, for the nav link
    (shown to those who have any, and always to the government's head, whose home it is)."""
    from .models import ExtensionRequest

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not (APPROVER_ROLES & set(user.roles)):
        return {}
    waiting = ExtensionRequest.objects.awaiting(user, at=timezone.now()).count()
    return {
        "extensions_waiting": waiting,
        "extensions_link": waiting > 0 or Role.GOVERNMENT_HEAD in user.roles,
    }
