"""The outbox (outbox/, docs/outbox.md): every event of a case is written in the step's own
transaction, carries no ID number, and is pushed signed, once, in order per application; the
local test receiver checks the signature and stores a key once."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applications import ratings, services
from applications.models import Application
from outbox import push, signing
from outbox.models import OutboxEvent, ReceivedEvent

from .applicant_helpers import rating_key
from .conftest import NOW, extend, receive_all
from .servers import PlatformStub

pytestmark = pytest.mark.django_db
SECRET = "test-secret"


def kinds(application) -> list[str]:
    return list(
        OutboxEvent.objects.filter(application=application)
        .order_by("id")
        .values_list("kind", flat=True)
    )


@pytest.fixture
def stub(settings):
    server = PlatformStub(SECRET).start()
    settings.OUTBOX_PLATFORM_URL = server.url
    settings.OUTBOX_SHARED_SECRET = SECRET
    settings.OUTBOX_TIMEOUT_SECONDS = 1
    yield server
    server.stop()


def the_whole_way(accepted, center):
    """Stop, extend, decide, return, receive, deliver and rate the permit application."""
    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_stop(
        review=permit, by=center.alice, now=NOW, cause="supplements", days_needed=5, reason="补正"
    )
    services.review_resume(review=permit, by=center.alice, now=NOW)
    extend(permit, by=center.alice, approved_by=center.bob, now=NOW, days=3, reason="核查")
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    services.review_decide(review=planning, by=center.carol, now=NOW, outcome="granted", reasons="")
    services.review_countersign(review=planning, by=center.frank, now=NOW)
    for review in (permit, planning):
        services.review_return(review=review, by=center.alice, now=NOW)
        services.review_receive(review=review, by=center.dave, now=NOW)
    accepted.refresh_from_db()
    services.application_deliver(application=accepted, by=center.dave, now=NOW)
    key = rating_key(accepted)
    ratings.rating_submit(token=key, level=5, comment="好", now=NOW + dt.timedelta(hours=1))


def test_each_event_of_a_case_writes_its_row(center, accepted):
    assert kinds(accepted) == ["received", "accepted"]
    the_whole_way(accepted, center)
    assert kinds(accepted) == [
        "received",
        "accepted",
        "stopped",
        "extended",
        "decided",
        "decided",
        "returned",
        "returned",
        "delivered",
        "rated",
    ]
    events = {e.kind: e for e in OutboxEvent.objects.filter(application=accepted)}
    accepted.refresh_from_db()
    case = events["delivered"].payload
    assert case["receipt_number"] == accepted.receipt_number
    assert case["state"] == "delivered" and case["channel"] == "counter"
    assert case["received_at"] == NOW.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert case["promised_date"] == accepted.promised_date.isoformat()
    assert [i["code"] for i in case["items"]] == sorted(
        [center.permit.code, center.planning_item.code]
    )
    assert {i["department"] for i in case["items"]} == {"jsj", center.planning.code}
    assert case["review"] is None
    stopped = events["stopped"].payload
    assert stopped["review"]["item"] == center.permit.code
    assert stopped["review"]["state"] == "suspended"
    assert stopped["cause"] == "supplements" and stopped["days"] == 5
    decided = OutboxEvent.objects.filter(application=accepted, kind="decided").first().payload
    assert decided["review"]["outcome"] == "granted" and decided["review"]["decision_number"]
    assert events["extended"].payload["days"] == 3 and not events["extended"].payload["joint"]
    assert events["rated"].payload["level"] == 5 and events["rated"].payload["channel"] == "link"
    assert events["received"].payload["state"] == "draft"
    assert not events["received"].payload["receipt_number"]  # numbered at acceptance


def test_no_id_number_or_name_of_a_person_is_written(center, accepted):
    the_whole_way(accepted, center)
    applicant = accepted.applicant
    for event in OutboxEvent.objects.filter(application=accepted):
        text = json.dumps(event.payload, ensure_ascii=False)
        assert applicant.id_number not in text
        assert applicant.mobile not in text and applicant.contact_name not in text
        assert center.alice.full_name not in text


def test_a_one_time_notice_is_an_event(center, draft, seals):
    line = draft.materials.select_related("material").first()
    receive_all(draft, center.dave, **{line.material.name: {"status": "missing", "copies": 0}})
    services.application_notify_missing(application=draft, by=center.dave, now=NOW)
    notice = OutboxEvent.objects.get(application=draft, kind="notice")
    assert notice.payload["missing"] == 1 and notice.payload["state"] == "awaiting_materials"
    assert notice.payload["notice"].startswith("临审告")


def test_a_step_rolled_back_writes_no_event(center, accepted):
    permit = accepted.reviews.get(item=center.permit)
    before = OutboxEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
        assert OutboxEvent.objects.count() == before + 1  # written with the step...
        raise RuntimeError("the step fails after")
    assert OutboxEvent.objects.count() == before  # ...and gone with it
    # A refused step writes none either.
    with pytest.raises(services.TransitionError):
        services.review_return(review=permit, by=center.alice, now=NOW)
    assert OutboxEvent.objects.count() == before


def test_an_application_filed_online_is_received_as_one_at_the_counter(
    center, calendar, materials, applicant, project
):
    online = services.application_create(
        applicant=applicant,
        project=project,
        items=[center.permit],
        by=None,
        now=NOW,
        channel=Application.Channel.ONLINE,
        reason="申请人 138****0000",
    )
    assert kinds(online) == ["received"]
    event = OutboxEvent.objects.get(application=online)
    assert event.payload["channel"] == "online" and event.payload["state"] == "draft"
    assert [i["code"] for i in event.payload["items"]] == [center.permit.code]


# --- pushing ---------------------------------------------------------------------------------


def test_events_are_pushed_signed_in_order_and_marked(stub, center, accepted):
    the_whole_way(accepted, center)
    assert push.push_application(accepted.pk) == 10
    assert [e["kind"] for e in stub.events] == kinds(accepted)
    assert [e["sequence"] for e in stub.events] == list(range(1, 11))
    assert all(n == 1 for n in stub.deliveries.values()) and stub.refused == 0
    assert not OutboxEvent.objects.filter(pushed_at__isnull=True).exists()
    assert {e["id"] for e in stub.events} == {
        str(k) for k in OutboxEvent.objects.values_list("key", flat=True)
    }
    # Nothing left: pushing again sends nothing.
    assert push.push_application(accepted.pk) == 0
    assert sum(stub.deliveries.values()) == 10


def test_a_later_event_waits_while_the_first_fails(stub, center, accepted, settings):
    settings.OUTBOX_BACKOFF_SECONDS = 30
    stub.fail(1, 500)
    assert push.push_application(accepted.pk) == 0
    first, second = OutboxEvent.objects.with_state().filter(application=accepted).order_by("id")
    assert first.attempts == 1 and first.last_error == "HTTP 500" and first.pushed_at is None
    assert first.state == "failing"
    assert first.next_attempt_at > NOW  # back-off
    assert second.attempts == 0 and stub.events == []
    # Within the back-off nothing is pushed, not even the second.
    assert push.push_application(accepted.pk) == 0
    assert stub.events == []
    # Past it, both, in order.
    later = first.next_attempt_at + dt.timedelta(seconds=1)
    assert push.push_one(accepted.pk, now=later) is True
    assert push.push_application(accepted.pk) == 1
    assert [e["kind"] for e in stub.events] == ["received", "accepted"]


def test_the_back_off_doubles_up_to_its_cap(settings):
    settings.OUTBOX_BACKOFF_SECONDS, settings.OUTBOX_BACKOFF_MAX_SECONDS = 30, 600
    assert [push.backoff(n).total_seconds() for n in (1, 2, 3, 5, 6, 20)] == [
        30,
        60,
        120,
        480,
        600,
        600,
    ]


def test_without_an_address_events_wait(center, accepted, settings):
    settings.OUTBOX_PLATFORM_URL = ""
    assert push.push_application(accepted.pk) == 0
    assert push.sweep(now=NOW) == 0
    assert OutboxEvent.objects.filter(application=accepted, pushed_at__isnull=True).count() == 2


def test_a_receiver_refusing_the_signature_leaves_the_event_failing(
    stub, center, accepted, settings
):
    settings.OUTBOX_SHARED_SECRET = "not-the-platforms"
    assert push.push_application(accepted.pk) == 0
    assert stub.refused == 1 and stub.events == []
    assert OutboxEvent.objects.filter(last_error="HTTP 403").count() == 1


def test_the_sweep_pushes_what_is_due(stub, center, accepted):
    assert push.due_applications(now=NOW, limit=10) == [accepted.pk]
    assert push.sweep(now=NOW) == 1  # eager in the tests: the task runs at once
    assert len(stub.events) == 2
    assert push.due_applications(now=NOW, limit=10) == []


# --- the signature and the test receiver -----------------------------------------------------


def signed_post(client, body: bytes, key: str, *, secret=SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    return client.post(
        reverse("outbox:receiver"),
        body,
        content_type="application/json",
        headers={
            signing.KEY_HEADER: key,
            signing.TIMESTAMP_HEADER: str(timestamp),
            signing.SIGNATURE_HEADER: signing.sign(secret, timestamp, body),
        },
    )


@pytest.fixture
def event_body(center, accepted):
    event = OutboxEvent.objects.filter(application=accepted).first()
    return str(event.key), push.body_of(event, 1)


def test_the_signature_verifies_and_a_change_does_not():
    body = b'{"id":"x"}'
    signature = signing.sign("s", 1000, body)
    assert signing.verify("s", "1000", body, signature, now=1100, window=300)
    assert not signing.verify("s", "1000", body + b" ", signature, now=1100, window=300)
    assert not signing.verify("t", "1000", body, signature, now=1100, window=300)
    assert not signing.verify("s", "1001", body, signature, now=1100, window=300)
    assert not signing.verify("s", "1000", body, signature, now=1000 + 301, window=300)
    assert not signing.verify("", "1000", body, signature, now=1100, window=300)


def test_the_receiver_stores_an_event_once(settings, event_body):
    settings.OUTBOX_SHARED_SECRET = SECRET
    key, body = event_body
    client = Client()
    first = signed_post(client, body, key)
    assert first.status_code == 200 and first.json()["status"] == "stored"
    again = signed_post(client, body, key)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    row = ReceivedEvent.objects.get()
    assert str(row.key) == key and row.deliveries == 2 and row.kind == "received"


def test_the_receiver_refuses_a_bad_signature_an_old_timestamp_and_a_wrong_key(
    settings, event_body
):
    settings.OUTBOX_SHARED_SECRET = SECRET
    key, body = event_body
    client = Client()
    assert signed_post(client, body, key, secret="guess").status_code == 403
    old = int(time.time()) - 3600
    assert signed_post(client, body, key, timestamp=old).status_code == 403
    other = "00000000-0000-0000-0000-000000000000"
    assert signed_post(client, body, other).status_code == 400
    assert signed_post(client, b"not json", key).status_code == 400
    unsigned = client.post(reverse("outbox:receiver"), body, content_type="application/json")
    assert unsigned.status_code == 403
    # Forged headers are refused, not a server error: a digit that is not ASCII, a number too
    # long for int(), a signature that is not ASCII.
    now = str(int(time.time()))
    for timestamp, signature in (
        ("²", signing.sign(SECRET, 2, body)),
        ("9" * 5000, signing.PREFIX + "0" * 64),
        (now, signing.PREFIX + "é" * 64),
    ):
        forged = client.post(
            reverse("outbox:receiver"),
            body,
            content_type="application/json",
            headers={
                signing.KEY_HEADER: key,
                signing.TIMESTAMP_HEADER: timestamp,
                signing.SIGNATURE_HEADER: signature,
            },
        )
        assert forged.status_code == 403, timestamp[:10]
    assert not ReceivedEvent.objects.exists()


def test_the_receiver_is_off_unless_enabled(settings, event_body):
    settings.OUTBOX_RECEIVER_ENABLED = False
    settings.OUTBOX_SHARED_SECRET = SECRET
    key, body = event_body
    assert signed_post(Client(), body, key).status_code == 404


# --- the administrators' pages ---------------------------------------------------------------


def test_administrators_see_the_outbox_by_state(client, center, accepted, settings):
    settings.OUTBOX_PLATFORM_URL = ""
    OutboxEvent.objects.filter(kind="accepted").update(attempts=2, last_error="HTTP 500")
    client.force_login(center.admin)
    page = client.get(reverse("outbox:events"))
    assert page.status_code == 200
    assert "OUTBOX_PLATFORM_URL" in page.content.decode()  # says events wait
    failing = client.get(reverse("outbox:events"), {"state": "failing"}).content.decode()
    assert "HTTP 500" in failing and failing.count("<tr>") == 2  # the head and the one row
    client.force_login(center.erin)
    assert client.get(reverse("outbox:events")).status_code == 403


def test_retry_now_is_kept_with_who_asked(stub, client, center, accepted, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    stub.fail(2, 500)
    push.push_application(accepted.pk)
    event = OutboxEvent.objects.get(application=accepted, kind="received")
    event.next_attempt_at = NOW - dt.timedelta(days=1)
    event.save(update_fields=["next_attempt_at"])
    push.push_application(accepted.pk)
    event = OutboxEvent.objects.with_state().get(pk=event.pk)
    assert event.state == "failed" and event.attempts == 2
    client.force_login(center.admin)
    failed = client.get(reverse("outbox:events"), {"state": "failed"}).content.decode()
    assert "HTTP 500" in failed
    with transaction.atomic():  # the page's after-commit push, in the test's transaction
        response = client.post(reverse("outbox:retry", args=[event.pk]))
    assert response.status_code == 302
    event.refresh_from_db()
    row = event.history.order_by("-history_id").first()
    assert row.history_user == center.admin and row.history_change_reason == "retry now"
    # The retry is due at once: pushed by the next push of the application.
    assert push.push_application(accepted.pk) == 2
    assert [e["kind"] for e in stub.events] == ["received", "accepted"]
    # Not for anyone else.
    client.force_login(center.dave)
    assert client.post(reverse("outbox:retry", args=[event.pk])).status_code == 403


def test_the_receivers_page_lists_what_came(client, center, settings, event_body):
    settings.OUTBOX_SHARED_SECRET = SECRET
    key, body = event_body
    signed_post(Client(), body, key)
    client.force_login(center.admin)
    page = client.get(reverse("outbox:received")).content.decode()
    assert key in page
    row = ReceivedEvent.objects.get()
    with translation.override("zh-hans"):
        label = str(row.kind_label)
    assert label != row.kind and label in page  # the event named, in the reader's language
    # It lists receipt numbers: administrators only.
    client.force_login(center.dave)
    assert client.get(reverse("outbox:received")).status_code == 403
    client.logout()
    assert client.get(reverse("outbox:received")).status_code == 302


def test_a_joint_extension_is_an_event_of_the_application(center, accepted):
    extension = services.joint_extension_request(
        application=accepted, by=center.dave, now=NOW, days=5, reason="协调"
    )
    services.extension_approve(extension=extension, by=center.gwen, now=NOW)
    event = OutboxEvent.objects.get(application=accepted, kind="extended")
    assert event.payload["joint"] is True and event.payload["days"] == 5
    assert event.payload["review"] is None


def test_production_refuses_a_platform_address_without_its_secret(tmp_path):
    from .test_production import manage

    url = "https://platform.example.gov.cn/events"
    refused = manage(tmp_path, "check", OUTBOX_PLATFORM_URL=url)
    assert refused.returncode != 0 and "OUTBOX_SHARED_SECRET" in refused.stderr
    assert (
        manage(tmp_path, "check", OUTBOX_PLATFORM_URL=url, OUTBOX_SHARED_SECRET="s").returncode == 0
    )
    # In production the test receiver is off (404) unless asked for.
    off = manage(
        tmp_path,
        "shell",
        "-c",
        "from django.conf import settings; print(settings.OUTBOX_RECEIVER_ENABLED)",
    )
    assert off.stdout.strip().splitlines()[-1] == "False"


def test_an_event_another_worker_claimed_is_not_sent_again(stub, accepted, monkeypatch):
    """SQLite: the event is claimed, not locked, across the POST. A worker that read it before
    another's claim finds it claimed and sends nothing (PostgreSQL locks the row instead:
    tests/test_outbox_concurrency.py)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL locks the row; its race is in test_outbox_concurrency")
    read_before = push._oldest(accepted.pk, lock=False)
    OutboxEvent.objects.filter(pk=read_before.pk).update(next_attempt_at=NOW)  # another's claim
    monkeypatch.setattr(push, "_oldest", lambda *args, **kwargs: read_before)
    assert push.push_one(accepted.pk) is False
    assert stub.requests == 0
