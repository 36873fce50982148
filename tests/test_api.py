"""The integration API (/api/v1/, docs/api.md): tokens, scopes, departments, the rate limit,
the record of calls, cursor paging and bad queries."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from api.clients import client_revoke, client_rotate
from api.models import Call, Client
from api.tasks import calls_prune
from applications import services
from applications.models import Application

from .api_fixtures import caller, make_client
from .conftest import NOW, accept, add_draft

APPLICATIONS = "/api/v1/applications/"


def test_a_client_reads_every_list_with_all_scopes(api_data):
    _, token = make_client(api_data.center)
    api = caller(token)
    applications = api.get(APPLICATIONS).json()
    numbers = {row["receipt_number"] for row in applications["results"]}
    assert numbers == {api_data.delivered.receipt_number, api_data.in_review.receipt_number}
    delivered = next(
        row
        for row in applications["results"]
        if row["receipt_number"] == api_data.delivered.receipt_number
    )
    assert delivered["state"] == "delivered"
    assert delivered["delivered_at"] and delivered["decided_at"] and delivered["accepted_at"]
    assert delivered["departments"] == ["fgj", "jsj"]
    assert delivered["applicant"] == {
        "kind": "enterprise",
        "name": "临安青山建设有限公司",
        "credit_code": "9144030071526726XG",
    }
    reviews = api.get("/api/v1/reviews/").json()["results"]
    assert len(reviews) == 4
    decisions = api.get("/api/v1/decisions/").json()["results"]
    assert {row["outcome"] for row in decisions} == {"granted"}
    assert {row["signer"] for row in decisions} == {"Bob", "Carol"}
    licences = api.get("/api/v1/licences/").json()["results"]
    assert licences and {row["status"] for row in licences} == {"valid"}
    assert {row["receipt_number"] for row in licences} == {api_data.delivered.receipt_number}


def test_a_persons_name_is_masked_and_no_id_number_is_given(api_data):
    applicant = api_data.delivered.applicant
    applicant.kind, applicant.name, applicant.id_number = "person", "张小伟", "110101199003071234"
    applicant.save()
    _, token = make_client(api_data.center)
    body = caller(token).get(APPLICATIONS).content.decode()
    assert "张*伟" in body
    assert "110101199003071234" not in body and "张小伟" not in body
    assert "13800000000" not in body


def test_a_client_without_a_scope_gets_403(api_data):
    _, token = make_client(api_data.center, scopes=["read:applications"])
    api = caller(token)
    assert api.get(APPLICATIONS).status_code == 200
    refused = api.get("/api/v1/licences/")
    assert refused.status_code == 403
    assert "read:licences" in refused.json()["detail"]
    assert api.get("/api/v1/reviews/").status_code == 403
    assert api.get("/api/v1/decisions/").status_code == 403
    assert api.post("/api/v1/ratings/", {}, content_type="application/json").status_code == 403


def test_a_department_client_sees_only_its_department(api_data):
    center = api_data.center
    _, token = make_client(center, departments=[center.construction])
    api = caller(token)
    reviews = api.get("/api/v1/reviews/").json()["results"]
    assert reviews and {row["item"]["department"] for row in reviews} == {"jsj"}
    decisions = api.get("/api/v1/decisions/").json()["results"]
    assert [row["item"]["department"] for row in decisions] == ["jsj"]
    applications = api.get(APPLICATIONS).json()["results"]
    assert {tuple(row["departments"]) for row in applications} == {("jsj",)}
    assert all(item["department"] == "jsj" for row in applications for item in row["items"])
    # The moment of a decision is its department's own: another department's later decision
    # of the same application does not show.
    in_review = api_data.in_review
    own = NOW + dt.timedelta(days=1)
    services.review_decide(
        review=in_review.reviews.get(item=center.permit),
        by=center.bob,
        now=own,
        outcome="granted",
        reasons="",
    )
    services.review_decide(
        review=in_review.reviews.get(item=center.planning_item),
        by=center.carol,
        now=own + dt.timedelta(days=3),
        outcome="granted",
        reasons="",
    )
    (row,) = api.get(APPLICATIONS, {"receipt_number": in_review.receipt_number}).json()["results"]
    assert row["decided_at"] == timezone.localtime(own).isoformat()
    # Asking for another department is refused, not answered with its records.
    assert api.get(APPLICATIONS, {"department": "fgj"}).status_code == 403
    assert api.get(APPLICATIONS, {"department": "jsj"}).status_code == 200


def test_a_department_client_does_not_see_an_application_without_its_items(api_data):
    center = api_data.center
    only_planning = accept(
        add_draft(center, api_data.delivered.applicant, api_data.delivered.project), center
    )
    only_planning.items.remove(center.permit)
    _, token = make_client(center, departments=[center.construction])
    numbers = {r["receipt_number"] for r in caller(token).get(APPLICATIONS).json()["results"]}
    assert only_planning.receipt_number not in numbers


def test_the_token_is_stored_only_as_its_digest(api_data):
    client, token = make_client(api_data.center)
    client.refresh_from_db()
    assert client.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token.startswith(client.token_prefix) and len(token) > 50
    with connection.cursor() as cursor:
        for table in ("api_client", "api_historicalclient"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            assert token not in repr(cursor.fetchall())


def test_rotation_refuses_the_old_token_and_takes_the_new(api_data):
    client, old = make_client(api_data.center)
    assert caller(old).get(APPLICATIONS).status_code == 200
    new = client_rotate(client=client, by=api_data.center.admin, now=timezone.now())
    assert new != old
    refused = caller(old).get(APPLICATIONS)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert caller(new).get(APPLICATIONS).status_code == 200
    assert client.history.first().history_change_reason == "rotated"


def test_a_revoked_client_is_refused_and_cannot_be_rotated(api_data):
    from applications.services import TransitionError

    client, token = make_client(api_data.center)
    client_revoke(client=client, by=api_data.center.admin, now=timezone.now())
    assert caller(token).get(APPLICATIONS).status_code == 401
    with pytest.raises(TransitionError):
        client_rotate(client=client, by=api_data.center.admin, now=timezone.now())


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer nope", "Token abc", "Bearer ac_" + "x" * 200, "Bearer a b"]
)
def test_no_token_or_a_wrong_one_gets_401(api_data, header):
    api = Browser(HTTP_AUTHORIZATION=header) if header else Browser()
    answer = api.get(APPLICATIONS)
    assert answer.status_code == 401
    assert answer.json()["detail"]


def test_a_staff_session_does_not_open_the_api_nor_a_token_the_staff_pages(api_data, client):
    client.force_login(api_data.center.admin)
    assert client.get(APPLICATIONS).status_code == 401
    assert client.get(reverse("windows:admin_home")).status_code == 200
    _, token = make_client(api_data.center)
    assert caller(token).get(reverse("windows:admin_home")).status_code == 302  # to sign in
    assert caller(token).get(reverse("api_clients:clients")).status_code == 302


def test_past_the_rate_limit_429_with_retry_after(api_data):
    _, token = make_client(api_data.center, rate_limit=2)
    api = caller(token)
    assert api.get(APPLICATIONS).status_code == 200
    assert api.get(APPLICATIONS).status_code == 200
    refused = api.get(APPLICATIONS)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another client has its own count.
    _, other = make_client(api_data.center, name="其他系统")
    assert caller(other).get(APPLICATIONS).status_code == 200


def test_a_flood_of_wrong_tokens_is_refused_per_address_and_not_recorded(api_data, settings):
    settings.API_ANONYMOUS_RATE_LIMIT = 3
    client, token = make_client(api_data.center)
    flood = caller("ac_wrong")  # from 127.0.0.1
    assert [flood.get(APPLICATIONS).status_code for _ in range(3)] == [401, 401, 401]
    Browser().get(APPLICATIONS)  # no token at all: the same count
    refused = flood.get(APPLICATIONS)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Retry-After"] in refused.json()["detail"]  # in the reader's language
    # Only the calls before the limit were run and recorded.
    assert Call.objects.filter(client=None).count() == 3
    # A valid token from the same address is still served, and recorded.
    assert caller(token).get(APPLICATIONS).status_code == 200
    assert Call.objects.filter(client=client).count() == 1
    # Another address has its own count.
    elsewhere = Browser(HTTP_AUTHORIZATION="Bearer ac_wrong", REMOTE_ADDR="203.0.113.9")
    assert elsewhere.get(APPLICATIONS).status_code == 401


def test_without_the_cache_wrong_tokens_still_get_their_401(api_data, settings, monkeypatch):
    from types import SimpleNamespace

    from api import middleware

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    settings.API_ANONYMOUS_RATE_LIMIT = 1
    monkeypatch.setattr(middleware, "cache", SimpleNamespace(get=down))
    monkeypatch.setattr(middleware, "window_hit", down)
    flood = caller("ac_wrong")
    assert [flood.get(APPLICATIONS).status_code for _ in range(3)] == [401, 401, 401]


def test_every_call_is_recorded_refused_ones_too(api_data):
    client, token = make_client(api_data.center, scopes=["read:applications"])
    caller(token).get(APPLICATIONS)
    caller(token).get("/api/v1/licences/")
    Browser().get(APPLICATIONS)
    caller("ac_wrong").get("/api/v1/reviews/?from=2026-01-01")
    Browser().get("/api/v1/schema/")  # no data: not recorded
    rows = list(Call.objects.order_by("id").values_list("client", "method", "endpoint", "status"))
    assert rows == [
        (client.pk, "GET", "api:applications", 200),
        (client.pk, "GET", "api:licences", 403),
        (None, "GET", "api:applications", 401),
        (None, "GET", "api:reviews", 401),
    ]
    assert Call.objects.order_by("id").last().path == "/api/v1/reviews/?from=2026-01-01"


def test_calls_older_than_the_retention_are_pruned(api_data, settings):
    settings.API_CALL_RETENTION_DAYS = 30
    client, _ = make_client(api_data.center)
    now = timezone.now()
    for days in (31, 29):
        Call.objects.create(
            client=client,
            method="GET",
            endpoint="api:applications",
            path=APPLICATIONS,
            status=200,
            at=now - dt.timedelta(days=days),
            duration_ms=3,
        )
    assert calls_prune(now=now) == 1
    assert Call.objects.count() == 1


def _all_pages(api, url, **params) -> list[str]:
    seen, answer = [], api.get(url, params).json()
    while True:
        seen += [row["receipt_number"] for row in answer["results"]]
        if not answer["next"]:
            return seen
        answer = api.get(answer["next"]).json()


def test_cursor_pages_neither_repeat_nor_skip_while_rows_are_added(api_data):
    center = api_data.center
    applicant, project = api_data.delivered.applicant, api_data.delivered.project
    for _ in range(3):
        accept(add_draft(center, applicant, project), center)
    _, token = make_client(center)
    api = caller(token)
    first = api.get(APPLICATIONS, {"page_size": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    # Two more arrive between the pages.
    for _ in range(2):
        accept(add_draft(center, applicant, project), center)
    seen = [row["receipt_number"] for row in first["results"]]
    answer = api.get(first["next"]).json()
    while True:
        seen += [row["receipt_number"] for row in answer["results"]]
        if not answer["next"]:
            break
        answer = api.get(answer["next"]).json()
    expected = list(
        Application.objects.exclude(receipt_number=None)
        .order_by("id")
        .values_list("receipt_number", flat=True)
    )
    assert seen == expected and len(expected) == 7


def _ours(queries) -> list[str]:
    # The tests' cache is the database's table: its statements vary with the rate counter.
    return [
        q["sql"]
        for q in queries.captured_queries
        if "django_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]


def test_the_number_of_queries_does_not_grow_with_the_page(api_data):
    center = api_data.center
    _, token = make_client(center)
    api = caller(token)
    counts = {}
    for url in (APPLICATIONS, "/api/v1/reviews/", "/api/v1/decisions/", "/api/v1/licences/"):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as small:
            api.get(url, {"page_size": 1})
        with CaptureQueriesContext(connection) as large:
            api.get(url, {"page_size": 100})
        counts[url] = (len(_ours(small)), len(_ours(large)))
    for url, (small, large) in counts.items():
        assert small == large <= 5, url  # client, its departments, page, (items), record
    # More applications, the same count for a page of all of them.
    applicant, project = api_data.delivered.applicant, api_data.delivered.project
    for _ in range(3):
        accept(add_draft(center, applicant, project), center)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as more:
        assert len(api.get(APPLICATIONS).json()["results"]) == 5
    assert len(_ours(more)) == counts[APPLICATIONS][1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        # Well-formed cursors of positions that are no id (base64 of "p=abc", "r=1&p=x").
        ({"cursor": "cD1hYmM="}, "cursor"),
        ({"cursor": "cj0xJnA9eA=="}, "cursor"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "501"}, "page_size"),
        ({"department": "nope"}, "department"),
        ({"state": "lost"}, "state"),
    ],
)
def test_a_bad_query_gets_400_with_a_clear_message(api_data, query, field):
    _, token = make_client(api_data.center)
    answer = caller(token).get(APPLICATIONS, query)
    assert answer.status_code == 400
    body = answer.json()
    assert body["detail"] and field in body["errors"]


def test_the_period_and_the_department_filter(api_data):
    _, token = make_client(api_data.center)
    api = caller(token)
    today = timezone.localdate()
    assert (
        len(api.get(APPLICATIONS, {"from": "2026-09-28", "to": "2026-09-28"}).json()["results"])
        == 2
    )
    assert api.get(APPLICATIONS, {"to": "2026-09-27"}).json()["results"] == []
    reviews = api.get("/api/v1/reviews/", {"department": "fgj"}).json()["results"]
    assert {row["item"]["department"] for row in reviews} == {"fgj"}
    licences = api.get("/api/v1/licences/", {"from": today.isoformat(), "in_force": "true"})
    assert licences.json()["results"]
    assert api.get("/api/v1/licences/", {"to": "2026-01-01"}).json()["results"] == []


def test_the_schema_and_the_docs_page_are_served_without_a_token(db):
    schema = Browser().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/applications/" in schema.json()["paths"]
    docs = Browser().get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()  # served from the project (offline intranet)


def test_the_client_table_has_no_plaintext_column():
    names = {field.name for field in Client._meta.get_fields()}
    assert "token" not in names
