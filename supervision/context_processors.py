from django.http import HttpRequest


def notices(request: HttpRequest) -> dict:
    """How many unread notices the signed-in person has, for the badge in the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notices": user.notices.filter(read_at__isnull=True).count()}
