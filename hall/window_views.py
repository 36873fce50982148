"""The window's panel (叫号): the person at a window calls the next visitor, calls again, marks
a no-show, serves, transfers and finishes; one view per step, each through hall.services and
shown with applications.views.run_service (a refused step is a message and changes nothing)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from applications.views import run_service
from windows.models import Window
from windows.roles import Role, require_role

from . import counter_link, services
from .models import Business, Ticket

# The numbers listed beside the current ticket: the next ones the person will call.
NEXT_SHOWN = 5
# The tickets served today listed under it, the latest first.
RECENT_SHOWN = 5


def _caller(request: HttpRequest) -> None:
    if not services.may_call(request.user):
        raise PermissionDenied


class TransferForm(forms.Form):
    """Where a visitor goes next: another business offered now, or another open window that
    serves the hall."""

    to = forms.ChoiceField(label=gettext_lazy("Transfer to"))

    def __init__(self, *args, ticket: Ticket, staff, **kwargs):
        super().__init__(*args, **kwargs)
        businesses = Business.objects.offered().exclude(pk=ticket.business_id)
        windows = (
            Window.objects.filter(is_active=True, hall_businesses__is_active=True)
            .exclude(pk=staff.window_id)
            .distinct()
            .order_by("number")
        )
        self.fields["to"].choices = [
            ("", _("Choose…")),
            (_("Another business"), [(f"b{b.pk}", f"{b.letter} · {b.name}") for b in businesses]),
            (_("Another window"), [(f"w{w.pk}", f"{w.number} · {w.name}") for w in windows]),
        ]
        self._businesses = {f"b{b.pk}": b for b in businesses}
        self._windows = {f"w{w.pk}": w for w in windows}

    def target(self) -> dict:
        """The service's keyword: business=… or window=…"""
        chosen = self.cleaned_data["to"]
        if chosen in self._businesses:
            return {"business": self._businesses[chosen]}
        return {"window": self._windows[chosen]}


def _waiting(waiting, now) -> dict:
    return {
        "now": now,
        "waiting_count": waiting.count(),
        "next_tickets": list(waiting.select_related("business", "for_window")[:NEXT_SHOWN]),
    }


@login_required
def panel(request: HttpRequest) -> HttpResponse:
    """The person's current ticket with the buttons of its state; beside it, who waits."""
    _caller(request)
    staff = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    waiting = services.waiting_for(staff, today)
    if request.GET.get("part") == "waiting":  # the list beside, refreshing itself
        return render(request, "hall/_panel_waiting.html", _waiting(waiting, now))
    ticket = services.current_ticket(staff)
    if ticket is None:
        counter_link.forget(request)
    served = Ticket.objects.filter(staff=staff, day=today, status=Ticket.Status.DONE)
    also = [pk for pk in services.windows_served(staff, today) if pk != staff.window_id]
    context = {
        "ticket": ticket,
        **_waiting(waiting, now),
        "served_count": served.count(),
        "recent": served.select_related("business", "application").order_by("-finished_at")[
            :RECENT_SHOWN
        ],
        "also_windows": Window.objects.filter(pk__in=also).order_by("number") if also else [],
        "no_show_calls": settings.HALL_NO_SHOW_CALLS,
    }
    if ticket is not None:
        context.update(
            may_no_show=ticket.calls >= settings.HALL_NO_SHOW_CALLS,
            transfer_form=TransferForm(ticket=ticket, staff=staff),
            offers_intake=ticket.status == Ticket.Status.SERVING
            and ticket.window.kind == Window.Kind.COMPREHENSIVE
            and staff.has_role(Role.INTAKE_CLERK),
            carried=counter_link.remembered(request) is not None,
        )
    return render(request, "hall/panel.html", context)


def _back() -> HttpResponse:
    return redirect("hall:panel")


@require_POST
@login_required
def call_next(request: HttpRequest) -> HttpResponse:
    _caller(request)
    run_service(
        request,
        lambda: services.call_next(staff=request.user, now=timezone.now()),
        lambda ticket: (
            _("Called %(number)s.") % {"number": ticket.number}
            if ticket is not None
            else _("Nobody is waiting for you now.")
        ),
    )
    return _back()


def _step(request: HttpRequest, pk: int, step, done: str, *, ends: bool = False) -> HttpResponse:
    """One step on a ticket; the service refuses a ticket that is not the person's or not in
    the right state. A step that ends the service forgets the ticket carried into intake."""
    _caller(request)
    ticket = get_object_or_404(Ticket, pk=pk)
    if (
        run_service(
            request,
            lambda: step(ticket=ticket, staff=request.user, now=timezone.now()),
            lambda t: done % {"number": t.number},
        )
        and ends
    ):
        counter_link.forget(request)
    return _back()


@require_POST
@login_required
def call_again(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, services.call_again, _("Called %(number)s again."))


@require_POST
@login_required
def start_service(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, services.start_service, _("Serving %(number)s."))


@require_POST
@login_required
def no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(request, pk, services.mark_no_show, _("%(number)s did not come."), ends=True)


@require_POST
@login_required
def finish_service(request: HttpRequest, pk: int) -> HttpResponse:
    return _step(
        request, pk, services.finish_service, _("Service of %(number)s finished."), ends=True
    )


@require_POST
@login_required
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    _caller(request)
    ticket = get_object_or_404(Ticket, pk=pk)
    form = TransferForm(request.POST, ticket=ticket, staff=request.user)
    if not form.is_valid():
        messages.error(request, _("Choose the business or the window to transfer to."))
        return _back()
    if run_service(
        request,
        lambda: services.transfer(
            ticket=ticket, staff=request.user, now=timezone.now(), **form.target()
        ),
        lambda t: (
            _("%(number)s transferred: the visitor waits again with the same number.")
            % {"number": t.number}
        ),
    ):
        counter_link.forget(request)
    return _back()


@require_POST
@login_required
def start_intake(request: HttpRequest, pk: int) -> HttpResponse:
    """Carry the ticket being served into the intake pages (the session remembers it), so the
    application created or handed over there is linked to it."""
    _caller(request)
    require_role(request.user, Role.INTAKE_CLERK)
    ticket = services.current_ticket(request.user)
    if ticket is None or ticket.pk != pk or ticket.status != Ticket.Status.SERVING:
        messages.error(request, _("Start serving the ticket before its intake."))
        return _back()
    counter_link.remember(request, ticket)
    return redirect("applications:intake")
