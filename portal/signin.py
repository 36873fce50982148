"""Signing in with a mobile number and a one-time SMS code (docs/portal.md).

1. `code_send`: any well-formed mainland number gets a code, whether or not the center knows it
   (the answer never tells who has applied; online filing will need new people too). Sends are
   counted per number and per client address (`applications.track.fixed_window`), and one
   number gets at most one code per `PORTAL_RESEND_SECONDS`. The new code voids the live one.
2. The code: six digits from `secrets`, kept as a keyed digest (a six-digit code has a million
   values: a plain hash would be read back at once), good for `PORTAL_CODE_SECONDS`.
3. The SMS goes through the configured sender and gateway (`notifications.send_once`), inside
   the transaction that writes the code: the message row is committed with the code masked, so
   the code is never stored. Only the development log gateway shows it (in the terminal).
4. `code_check`: the number's live code, locked; wrong answers count, and at
   `PORTAL_CODE_ATTEMPTS` the code is void. A right answer uses it (once) and opens the account.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from applications import notifications
from applications.track import address_bucket, fixed_window, window_hit

from .models import Account, SignInCode, SignInMessage

log = logging.getLogger("audit.portal")

CODE_DIGITS = 6
MASK = "******"


class SignInError(Exception):
    """A refusal the person reads (in their language)."""

    def __init__(self, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def normalize_mobile(value: str) -> str:
    return "".join(str(value).replace("-", " ").replace("+86", " ").split())


def digest(mobile: str, code: str) -> str:
    return salted_hmac("portal.sign-in-code", f"{mobile}:{code}", algorithm="sha256").hexdigest()


def masked_mobile(mobile: str) -> str:
    """For the log and the page: 138****0000."""
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) == 11 else "-"


@dataclass(frozen=True)
class Limit:
    name: str
    limit: int
    seconds: int


def _limits() -> list[tuple[Limit, str]]:
    return [
        (Limit("portal:resend", 1, settings.PORTAL_RESEND_SECONDS), "mobile"),
        (
            Limit(
                "portal:mobile",
                settings.PORTAL_SEND_LIMIT_PER_MOBILE,
                settings.PORTAL_SEND_WINDOW_SECONDS,
            ),
            "mobile",
        ),
        (
            Limit(
                "portal:address",
                settings.PORTAL_SEND_LIMIT_PER_ADDRESS,
                settings.PORTAL_SEND_WINDOW_SECONDS,
            ),
            "address",
        ),
    ]


def send_allowed(mobile: str, address: str, *, now: float | None = None) -> None:
    """Count one send for the number and for the address; raise SignInError past a limit.

    Unlike the status page, a cache that does not answer refuses: a code is an SMS to someone's
    phone, paid for by the center, and an open door would let anyone flood a number."""
    for limit, kind in _limits():
        client = mobile if kind == "mobile" else address_bucket(address)
        window = fixed_window(limit.name, client, limit.seconds, now=now)
        try:
            count = window_hit(window)
        except Exception as error:
            log.exception("portal: the rate-limit cache is not answering; no code sent")
            raise SignInError(
                _("Codes cannot be sent just now. Please try again in a few minutes.")
            ) from error
        if count > limit.limit:
            minutes = max(1, -(-window.retry_after // 60))
            if limit.name == "portal:resend":
                text = _("A code was just sent to this number. Wait a minute before asking again.")
            elif kind == "mobile":
                text = _(
                    "Too many codes have been asked for this number. Try again in %(minutes)d "
                    "minutes."
                ) % {"minutes": minutes}
            else:
                text = _(
                    "Too many codes have been asked from your network. Try again in %(minutes)d "
                    "minutes."
                ) % {"minutes": minutes}
            raise SignInError(text, retry_after=window.retry_after)


def code_send(*, mobile: str, address: str, language: str, now: dt.datetime) -> SignInCode:
    """Make a code for the number and send it by SMS (see the module's steps). The caller has
    validated the number and counted the send (`send_allowed`)."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    lifetime = settings.PORTAL_CODE_SECONDS
    try:
        row, failed = _write_and_send(mobile, code, address, language, now, lifetime)
    except IntegrityError as error:  # another code for this number at the same moment
        raise SignInError(
            _("A code was just sent to this number. Wait a minute before asking again.")
        ) from error
    log.info(
        "portal code %s mobile=%s address=%s",
        "not sent" if failed else "sent",
        masked_mobile(mobile),
        address,
    )
    if failed is not None:
        raise SignInError(_("The SMS could not be sent just now. Please try again in a minute."))
    return row


def _write_and_send(
    mobile: str, code: str, address: str, language: str, now: dt.datetime, lifetime: int
) -> tuple[SignInCode, Exception | None]:
    with transaction.atomic():
        SignInCode.objects.live().filter(mobile=mobile).update(voided_at=now)
        row = SignInCode.objects.create(
            mobile=mobile,
            digest=digest(mobile, code),
            created_at=now,
            expires_at=now + dt.timedelta(seconds=lifetime),
            address=address[:64],
        )
        with translation.override(language):
            text = " ".join(
                render_to_string(
                    "portal/sign_in_code.sms.txt",
                    {
                        "center": settings.CENTER_NAME,
                        "code": code,
                        "minutes": lifetime // 60,
                    },
                ).split()
            )
        message = SignInMessage.objects.create(
            recipient=mobile, language=language, text=text, created_at=now
        )
        try:
            notifications.send_once(SignInMessage, message.pk, now=now)
            failed = None
        except Exception as error:  # the gateway refused: nothing to sign in with
            failed = error
            row.voided_at = now
            row.save(update_fields=["voided_at"])
        # The row is committed without the code.
        SignInMessage.objects.filter(pk=message.pk).update(text=text.replace(code, MASK))
    return row, failed


def code_check(*, mobile: str, code: str, address: str, now: dt.datetime) -> Account:
    """The account of the number, if `code` is its live code (see the module's step 4)."""
    code = "".join(str(code).split())
    gone = _("This code is no longer valid. Ask for a new one.")
    with transaction.atomic():
        row = SignInCode.objects.select_for_update().live().filter(mobile=mobile).first()
        if row is None:
            failure = gone
        elif row.expires_at <= now:
            row.voided_at = now
            row.save(update_fields=["voided_at"])
            failure = _("This code has expired. Ask for a new one.")
        elif not hmac.compare_digest(row.digest, digest(mobile, code)):
            row.attempts += 1
            left = settings.PORTAL_CODE_ATTEMPTS - row.attempts
            if left <= 0:
                row.voided_at = now
                failure = _("Wrong code too many times: this code is void. Ask for a new one.")
            else:
                failure = translation.ngettext(
                    "Wrong code. %(left)d attempt left.",
                    "Wrong code. %(left)d attempts left.",
                    left,
                ) % {"left": left}
            row.save(update_fields=["attempts", "voided_at"])
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            failure = None
            account = _account(mobile, now)
    if failure is not None:
        log.warning("portal sign-in failed mobile=%s address=%s", masked_mobile(mobile), address)
        raise SignInError(failure)
    log.info("portal sign-in mobile=%s address=%s", masked_mobile(mobile), address)
    return account


def _account(mobile: str, now: dt.datetime) -> Account:
    try:
        with transaction.atomic():
            account, created = Account.objects.get_or_create(
                mobile=mobile, defaults={"created_at": now, "last_signed_in_at": now}
            )
    except IntegrityError:  # made by a sign-in at the same moment
        account, created = Account.objects.get(mobile=mobile), False
    if not created:
        account.last_signed_in_at = now
        account.save(update_fields=["last_signed_in_at"])
    return account
