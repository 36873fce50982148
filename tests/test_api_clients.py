"""The administrators' pages of the API's clients: register, the token shown once, rotate,
revoke, the record of calls (docs/access.md)."""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.urls import reverse

from api.models import Call, Client

from .api_fixtures import caller, make_client

CLIENTS = "/administration/api-clients/"


def _admin(client, center):
    client.force_login(center.admin)
    return client


def _token(html: str) -> str | None:
    found = re.search(r'data-testid="api-token">([^<]+)<', html)
    return found.group(1) if found else None


def test_registering_shows_the_token_once(client, center):
    _admin(client, center)
    response = client.post(
        reverse("api_clients:register"),
        {
            "name": "省政务服务平台",
            "scopes": ["read:applications", "write:ratings"],
            "departments": [center.construction.pk],
            "rate_limit": 60,
        },
    )
    token = _token(response.content.decode())
    assert token and token.startswith("ac_")
    registered = Client.objects.get()
    assert registered.scopes == ["read:applications", "write:ratings"]
    assert list(registered.departments.all()) == [center.construction]
    assert registered.created_by == center.admin
    assert "no-store" in response["Cache-Control"]
    # Nowhere else: not the list, not the session (its rows are in the database), not a table.
    listing = client.get(CLIENTS).content.decode()
    assert token not in listing and registered.token_prefix in listing
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        sessions = [SessionStore().decode(row[0]) for row in cursor.fetchall()]
    assert sessions and token not in repr(sessions)
    assert caller(token).get("/api/v1/applications/").status_code == 200


def test_a_registration_without_a_scope_or_with_a_taken_name_is_refused(client, center):
    _admin(client, center)
    make_client(center, name="省平台")
    for data in (
        {"name": "甲", "scopes": [], "rate_limit": 60},
        {"name": "省平台", "scopes": ["read:reviews"], "rate_limit": 60},
        {"name": "乙", "scopes": ["read:reviews"], "rate_limit": 0},
        {"name": "丙", "scopes": ["nope"], "rate_limit": 60},
    ):
        response = client.post(reverse("api_clients:register"), data)
        assert response.status_code == 200
        assert (
            'class="errors' in response.content.decode() or "invalid" in response.content.decode()
        )
    assert Client.objects.count() == 1


def test_rotating_through_the_page_refuses_the_old_token(client, center):
    _admin(client, center)
    registered, old = make_client(center)
    response = client.post(reverse("api_clients:rotate", args=[registered.pk]))
    assert response.status_code == 200
    new = _token(response.content.decode())
    assert new and new != old
    assert caller(old).get("/api/v1/applications/").status_code == 401
    assert caller(new).get("/api/v1/applications/").status_code == 200


def test_revoking_through_the_page(client, center):
    _admin(client, center)
    registered, token = make_client(center)
    client.post(reverse("api_clients:revoke", args=[registered.pk]))
    registered.refresh_from_db()
    assert registered.revoked_at is not None
    assert caller(token).get("/api/v1/applications/").status_code == 401
    # Rotating a revoked client gives no token.
    response = client.post(reverse("api_clients:rotate", args=[registered.pk]), follow=True)
    assert _token(response.content.decode()) is None


def test_the_pages_are_the_administrators_only(client, center):
    registered, _ = make_client(center)
    client.force_login(center.erin)
    assert client.get(CLIENTS).status_code == 403
    assert client.post(reverse("api_clients:rotate", args=[registered.pk])).status_code == 403
    assert client.post(reverse("api_clients:revoke", args=[registered.pk])).status_code == 403
    assert client.get(reverse("api_clients:calls")).status_code == 403
    registered.refresh_from_db()
    assert registered.revoked_at is None and registered.rotated_at is None


def test_the_record_of_calls_with_its_filters(client, center):
    registered, token = make_client(center, scopes=["read:reviews"])
    caller(token).get("/api/v1/reviews/")
    caller(token).get("/api/v1/licences/")
    caller("ac_nope").get("/api/v1/reviews/")
    assert Call.objects.count() == 3
    _admin(client, center)
    everything = client.get(reverse("api_clients:calls")).content.decode()
    assert everything.count("/api/v1/") == 3
    refused = client.get(reverse("api_clients:calls"), {"status": "refused"}).content.decode()
    assert refused.count("/api/v1/") == 2
    mine = client.get(
        reverse("api_clients:calls"), {"client": registered.pk, "status": "ok"}
    ).content.decode()
    assert mine.count("/api/v1/") == 1
    bad = client.get(reverse("api_clients:calls"), {"day": "nope"})
    assert bad.status_code == 200
