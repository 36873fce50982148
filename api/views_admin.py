"""The administrators' pages of the API (docs/access.md): the clients with the register form,
a client's token shown once after registering or rotating, rotating and revoking, and the
record of calls. The steps are api.clients' services.

The token is shown in the answer to the POST that made it (never stored: not in the session
either, whose rows are in the database and its backups); the page is not cached (no-store). A
reload asks the browser to send the POST again: registering again is refused (the name is
taken), rotating again gives another token and refuses this one."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications.services import TransitionError
from windows.roles import Role, require_role

from .clients import client_register, client_revoke, client_rotate
from .forms import CallFilterForm, ClientForm
from .models import Call, Client


def _get_client(request: HttpRequest, pk: int) -> Client:
    require_role(request.user, Role.ADMINISTRATOR)
    return get_object_or_404(Client, pk=pk)


def _list_page(request: HttpRequest, form: ClientForm) -> HttpResponse:
    found = (
        Client.objects.select_related("created_by")
        .prefetch_related("departments")
        .annotate(last_call=Max("calls__at"))
        .order_by("revoked_at", "name")
    )
    return render(
        request,
        "api/clients.html",
        {
            "clients": found,
            "form": form,
            "docs_url": reverse("api:docs"),
            "retention_days": settings.API_CALL_RETENTION_DAYS,
        },
    )


def _show_token(request: HttpRequest, client: Client, token: str) -> HttpResponse:
    response = render(request, "api/token.html", {"client": client, "token": token})
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def clients(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    return _list_page(request, ClientForm())


@login_required
@require_POST
def register(request: HttpRequest) -> HttpResponse:
    require_role(request.user, Role.ADMINISTRATOR)
    form = ClientForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form)
    data = form.cleaned_data
    client, token = client_register(
        name=data["name"],
        scopes=data["scopes"],
        departments=data["departments"],
        rate_limit=data["rate_limit"],
        by=request.user,
        now=timezone.now(),
    )
    return _show_token(request, client, token)


@login_required
@require_POST
def rotate(request: HttpRequest, pk: int) -> HttpResponse:
    client = _get_client(request, pk)
    try:
        new = client_rotate(client=client, by=request.user, now=timezone.now())
    except TransitionError as error:
        messages.error(request, str(error))
        return redirect("api_clients:clients")
    return _show_token(request, client, new)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    client = _get_client(request, pk)
    try:
        client_revoke(client=client, by=request.user, now=timezone.now())
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(client)s is revoked: its token is refused from now on.") % {"client": client},
        )
    return redirect("api_clients:clients")


@login_required
@require_GET
def calls(request: HttpRequest) -> HttpResponse:
    """The record of calls, newest first, by client, answer and day."""
    require_role(request.user, Role.ADMINISTRATOR)
    form = CallFilterForm(request.GET or None)
    found = Call.objects.select_related("client")
    if form.is_valid():
        data = form.cleaned_data
        if data["client"]:
            found = found.filter(client=data["client"])
        if data["status"] == "ok":
            found = found.filter(status__lt=300)
        elif data["status"] == "refused":
            found = found.filter(status__gte=400, status__lt=500)
        elif data["status"] == "failed":
            found = found.filter(status__gte=500)
        if data["day"]:
            start = timezone.make_aware(dt.datetime.combine(data["day"], dt.time.min))
            found = found.filter(at__gte=start, at__lt=start + dt.timedelta(days=1))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "api/calls.html",
        {
            "form": form,
            "page": Paginator(found, 50).get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "retention_days": settings.API_CALL_RETENTION_DAYS,
        },
    )
