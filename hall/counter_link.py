"""The ticket served at the comprehensive window, carried through the intake pages.

The clerk presses "Start intake" (or "Hand over results") on the window's panel: the session
remembers the ticket (`remember`). The intake pages are the applications app's and know
nothing of the hall; when they create an application or hand results over, they call the
`served_application` hook (approval_center/hooks.py), and `link_served` links that application
to the ticket in the same request, through `services.link_application`.

Only the person's own ticket that they are serving now is linked: a ticket finished,
transferred or marked a no-show since, or anything else in the session, is forgotten and
nothing is linked.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from applications.services import TransitionError

from . import services
from .models import Ticket

SESSION_KEY = "hall_serving_ticket"


def remember(request: HttpRequest, ticket: Ticket) -> None:
    request.session[SESSION_KEY] = ticket.pk


def forget(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def remembered(request: HttpRequest) -> Ticket | None:
    """The ticket the session carries, if it is still the person's, being served now."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    ticket = services.current_ticket(request.user)
    if ticket is None or ticket.pk != pk or ticket.status != Ticket.Status.SERVING:
        forget(request)
        return None
    return ticket


def link_served(request: HttpRequest, application, now: dt.datetime) -> list:
    """The hook: link the application just created or handed over to the ticket served."""
    ticket = remembered(request)
    if ticket is None:
        return []
    try:
        services.link_application(
            ticket=ticket, application=application, staff=request.user, now=now
        )
    except TransitionError as error:
        messages.warning(request, str(error))
    else:
        messages.info(
            request,
            _("Linked to queue ticket %(number)s.") % {"number": ticket.number},
        )
    return []
