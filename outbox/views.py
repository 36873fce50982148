"""The administrators' pages: the outbox with its states, and what the test receiver got."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from windows.roles import Role, require_role

from . import push
from .models import OutboxEvent, ReceivedEvent


@login_required
@require_safe
def events(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    state = request.GET.get("state", "")
    if state not in OutboxEvent.State.values:
        state = ""
    listed = OutboxEvent.objects.with_state().select_related("application").order_by("-id")
    if state:
        listed = listed.in_state(state)
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    counts = OutboxEvent.objects.state_counts()
    return render(
        request,
        "outbox/events.html",
        {
            "page": page,
            "state": state,
            "states": [(value, label, counts[value]) for value, label in OutboxEvent.State.choices],
            "query": f"state={state}" if state else "",
            "platform_url": settings.OUTBOX_PLATFORM_URL,
            "max_attempts": settings.OUTBOX_MAX_ATTEMPTS,
            "receiver_enabled": settings.OUTBOX_RECEIVER_ENABLED,
        },
    )


@login_required
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    event = get_object_or_404(OutboxEvent, pk=pk)
    if event.pushed_at is not None:
        messages.info(request, _("This event was pushed already."))
    else:
        push.retry_now(event, by=request.user, now=timezone.now())
        if push.configured():
            messages.success(request, _("The event is queued to be pushed now."))
        else:
            messages.warning(
                request, _("No platform address is configured: the event waits for one.")
            )
    return redirect("outbox:events")


@login_required
@require_safe
def received(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    page = Paginator(ReceivedEvent.objects.all(), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outbox/received.html",
        {"page": page, "receiver_enabled": settings.OUTBOX_RECEIVER_ENABLED},
    )
