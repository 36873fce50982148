"""The pages of the second factor: enrolment, the verification step, one's own second factor
with its recovery codes, and the administrators' list with the reset (docs/access.md)."""

from __future__ import annotations

import logging
from base64 import b32encode
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from audit.logins import address
from windows.models import Staff
from windows.roles import Role, require_role

from . import services
from .forms import CodeForm, ResetForm
from .services import SecondFactorError

log = logging.getLogger("audit.auth")


def _log(request: HttpRequest, event: str, *, warning: bool = False, **details: str) -> None:
    """One line of the sign-in log (audit.auth): the event, the person and the address."""
    extra = "".join(f" {key}={value}" for key, value in details.items())
    log.log(
        logging.WARNING if warning else logging.INFO,
        "%s user=%s address=%s%s",
        event,
        request.user.get_username(),
        address(request),
        extra,
    )


def _asked(request: HttpRequest) -> None:
    if not services.needs_second_factor(request.user):
        raise PermissionDenied


def _next_page(request: HttpRequest) -> str:
    """Where to go once past the step: a path on this site from `next`, else the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _passed(request: HttpRequest, device) -> None:
    """The session is past the second factor, under a new key (no session fixed before it
    carries over)."""
    otp_login(request, device)
    request.session.cycle_key()


def _secret(device) -> str:
    """The key as an authenticator app takes it by hand: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """A QR code and the key as text for an authenticator app; its first code confirms it, and
    the recovery codes are shown once."""
    _asked(request)
    user = request.user
    if services.authenticator(user) is not None:
        return redirect("twofactor:device")  # half signed in: the middleware asks for a code
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = services.second_factor_enrol(
                staff=user, code=form.cleaned_data["code"], now=timezone.now()
            )
        except SecondFactorError as error:
            form.add_error("code", str(error))
            _log(request, "second factor enrolment refused", warning=True)
        else:
            _passed(request, device)
            _log(request, "second factor enrolled")
            return render(
                request,
                "twofactor/recovery_codes.html",
                {"codes": codes, "next": _next_page(request), "enrolled": True},
            )
    device = services.pending_authenticator(user)
    return render(
        request,
        "twofactor/enrol.html",
        {
            "form": form,
            "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2),
            "secret": _secret(device),
            "next": _next_page(request),
        },
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The step after the password: a code of the authenticator, or a recovery code."""
    _asked(request)
    user = request.user
    if user.is_verified():
        return redirect(_next_page(request))
    if services.authenticator(user) is None:
        return redirect(reverse("twofactor:enrol") + "?" + urlencode({"next": _next_page(request)}))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.second_factor_verify(staff=user, code=form.cleaned_data["code"])
        except SecondFactorError as error:
            form.add_error("code", str(error))
            _log(request, "second factor refused", warning=True)
        else:
            _passed(request, device)
            used = "recovery_code" if isinstance(device, StaticDevice) else "authenticator"
            _log(request, "second factor passed", used=used)
            if isinstance(device, StaticDevice):
                left = services.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code: %(left)d is left. Make new ones on "
                        "the page of your second factor.",
                        "You signed in with a recovery code: %(left)d are left. Make new ones on "
                        "the page of your second factor.",
                        left,
                    )
                    % {"left": left},
                )
            return redirect(_next_page(request))
    return render(request, "twofactor/verify.html", {"form": form, "next": _next_page(request)})


def _device_page(request: HttpRequest, form: CodeForm) -> HttpResponse:
    user = request.user
    device = services.authenticator(user)
    return render(
        request,
        "twofactor/device.html",
        {
            "device": device,
            "record": services.record_of(user),
            "codes_left": services.recovery_codes_left(user) if device else 0,
            "form": form,
            "required": settings.OTP_REQUIRED,
        },
    )


@login_required
def device(request: HttpRequest) -> HttpResponse:
    """One's own second factor: when enrolled and last used, recovery codes left, new ones."""
    _asked(request)
    return _device_page(request, CodeForm())


@require_POST
@login_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes for the current code of the authenticator, shown once."""
    _asked(request)
    user = request.user
    if services.authenticator(user) is None:
        return redirect("twofactor:enrol")
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            codes = services.recovery_codes_renew(
                staff=user, code=form.cleaned_data["code"], now=timezone.now()
            )
        except SecondFactorError as error:
            form.add_error("code", str(error))
            _log(request, "recovery codes refused", warning=True)
        else:
            _log(request, "recovery codes renewed")
            return render(
                request,
                "twofactor/recovery_codes.html",
                {"codes": codes, "next": reverse("twofactor:device")},
            )
    return _device_page(request, form)


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    """Administrators: every person asked for a second factor, its state, and the reset."""
    require_role(request.user, Role.ADMINISTRATOR)
    return render(
        request,
        "twofactor/staff.html",
        {"people": services.privileged_staff_states(), "required": settings.OTP_REQUIRED},
    )


@require_POST
@login_required
def reset(request: HttpRequest, pk: int) -> HttpResponse:
    """Administrators take away another person's authenticator and recovery codes."""
    require_role(request.user, Role.ADMINISTRATOR)
    person = get_object_or_404(Staff, pk=pk)
    form = ResetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the second factor is reset."))
        return redirect("twofactor:staff")
    try:
        services.second_factor_reset(
            staff=person, by=request.user, reason=form.cleaned_data["reason"], now=timezone.now()
        )
    except SecondFactorError as error:
        messages.error(request, str(error))
    else:
        _log(request, "second factor reset", warning=True, of=person.username)
        messages.success(
            request,
            _("The second factor of %(person)s is reset: they enrol again at their next sign-in.")
            % {"person": person},
        )
    return redirect("twofactor:staff")
