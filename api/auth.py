"""Who calls and how often (REST_FRAMEWORK in settings; kept apart from rest_framework.views,
which imports these classes while it loads).

- `TokenAuthentication`: `Authorization: Bearer <token>` and nothing else (no session, so a
  staff sign-in does not open the API); an unknown, rotated-away or revoked token: 401.
- `HasScope`: the view's `scope` must be among the client's: 403 otherwise.
- `ClientRateThrottle`: `Client.rate_limit` calls per minute, counted in the cache like the
  status page's lookups (`applications.track.fixed_window`); past it, 429 with Retry-After.
"""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from applications.track import fixed_window, window_hit

from .clients import client_for_token
from .models import Client

log = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 60


KEYWORD = "Bearer"


def bearer_client(request) -> Client | None:
    """The client whose token the request sends (`Authorization: Bearer <token>`); None when it
    sends none. AuthenticationFailed for a malformed header or a token not valid. Read by the
    authentication and by the record of calls' limit on calls without one (api/middleware.py)."""
    header = get_authorization_header(request).split()
    if not header or header[0].lower() != KEYWORD.lower().encode():
        return None
    if len(header) != 2:
        raise exceptions.AuthenticationFailed(
            _("Send the token as “Authorization: Bearer <token>”.")
        )
    try:
        token = header[1].decode()
    except UnicodeError:
        token = ""
    client = client_for_token(token)
    if client is None:
        raise exceptions.AuthenticationFailed(
            _("This token is not valid: it is unknown, was replaced or was revoked.")
        )
    return client


class TokenAuthentication(BaseAuthentication):
    keyword = KEYWORD

    def authenticate(self, request):
        client = bearer_client(request)
        if client is None:
            return None
        request._request.api_client = client  # for the record of the call (api/middleware.py)
        return (None, client)

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class HasScope(BasePermission):
    """The client must hold the view's `scope`."""

    def has_permission(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, Client):
            raise exceptions.NotAuthenticated(
                _("Send the client's token as “Authorization: Bearer <token>”.")
            )
        if not client.has_scope(view.scope):
            self.message = _("This client does not have the scope %(scope)s.") % {
                "scope": view.scope
            }
            return False
        return True


class ClientRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, Client):
            return True
        window = fixed_window("api", str(client.pk), RATE_WINDOW_SECONDS)
        self.retry_after = window.retry_after
        try:
            count = window_hit(window)
        except Exception:
            log.exception("API: the rate-limit cache is not answering; call allowed")
            return True
        return count <= client.rate_limit

    def wait(self) -> int:
        return self.retry_after
