"""The API's clients: registered, rotated and revoked by an administrator (api/views_admin.py).

1. `client_register` makes a client and its token: `TOKEN_PREFIX` and 40 random bytes,
   URL-safe. Only its SHA-256 is stored, with its first `PREFIX_LENGTH` characters to tell
   tokens apart; the token itself is returned once, for the page that shows it once.
2. `client_rotate` gives a new token; the old one stops working at once (no overlap: the
   administrator hands the new token over before rotating the next time the system is
   changed; a window of two valid tokens would be a second secret to keep track of).
3. `client_revoke` refuses the client from then on (401), for good.
4. `client_for_token` is what the API's authentication asks: the active client of a token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from applications.services import TransitionError
from windows.models import Department, Staff

from .models import Client, Scope

TOKEN_PREFIX = "ac_"  # noqa: S105 (the mark of a token, not a secret)
PREFIX_LENGTH = 10
TOKEN_MAX_LENGTH = 100


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token(client: Client) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(40)
    client.token_digest = token_digest(token)
    client.token_prefix = token[:PREFIX_LENGTH]
    return token


def client_register(
    *,
    name: str,
    scopes: Iterable[str],
    departments: Iterable[Department],
    rate_limit: int,
    by: Staff,
    now: dt.datetime,
) -> tuple[Client, str]:
    """A new client and its token (returned once, never stored)."""
    scopes = sorted(set(scopes))
    if not scopes or any(scope not in Scope.values for scope in scopes):
        raise TransitionError(_("Choose at least one scope."))
    with transaction.atomic():
        client = Client(name=name.strip(), scopes=scopes, rate_limit=rate_limit)
        client.created_at, client.created_by = now, by
        token = _new_token(client)
        client._history_user, client._history_date = by, now
        client._change_reason = "registered"
        client.save()
        client.departments.set(list(departments))
    return client, token


def client_rotate(*, client: Client, by: Staff, now: dt.datetime) -> str:
    """A new token for the client; the old one is refused from now on."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if not client.is_active:
            raise TransitionError(_("This client has been revoked: register a new one."))
        token = _new_token(client)
        client.rotated_at = now
        client._history_user, client._history_date = by, now
        client._change_reason = "rotated"
        client.save(update_fields=["token_digest", "token_prefix", "rotated_at"])
    return token


def client_revoke(*, client: Client, by: Staff, now: dt.datetime) -> Client:
    """Refuse the client from now on, for good."""
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client.pk)
        if not client.is_active:
            raise TransitionError(_("This client has already been revoked."))
        client.revoked_at = now
        client._history_user, client._history_date = by, now
        client._change_reason = "revoked"
        client.save(update_fields=["revoked_at"])
    return client


def client_for_token(token: str) -> Client | None:
    """The active client holding `token`, with its departments; None for anything else."""
    if not token or len(token) > TOKEN_MAX_LENGTH or not token.startswith(TOKEN_PREFIX):
        return None
    client = Client.objects.active().filter(token_digest=token_digest(token)).first()
    if client is not None:
        client.department_ids = frozenset(client.departments.values_list("pk", flat=True))
    return client
