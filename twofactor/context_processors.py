from django.conf import settings
from django.http import HttpRequest

from . import services
from .middleware import half_signed_in


def second_factor(request: HttpRequest) -> dict:
    """What the header shows of the second factor: a link to one's own for the people it asks;
    a notice when this installation does not ask for it; no menu before it is passed."""
    user = getattr(request, "user", None)
    if not services.needs_second_factor(user):
        return {}
    return {
        "second_factor_link": True,
        "second_factor_off": not settings.OTP_REQUIRED,
        "second_factor_pending": half_signed_in(request),
    }
