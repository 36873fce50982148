"""The outbox in the browser: events pushed for real to the test receiver served by the live
server (the same database: on SQLite, the push holds no transaction across its POST), a failing
one retried by an administrator."""

from playwright.sync_api import expect

from outbox import push
from outbox.models import OutboxEvent, ReceivedEvent

from .test_csp import sign_in


def test_the_administrator_sees_the_outbox_and_retries(
    page, live_server, center, accepted, shot, settings
):
    settings.OUTBOX_PLATFORM_URL = f"{live_server.url}/outbox/receiver/"
    settings.OUTBOX_TIMEOUT_SECONDS = 10
    assert push.push_application(accepted.pk) == 2
    assert ReceivedEvent.objects.count() == 2
    # A later event that the platform refused: shown failing, retried by hand.
    settings.OUTBOX_PLATFORM_URL = f"{live_server.url}/outbox/nowhere/"
    OutboxEvent.objects.create(
        application=accepted,
        kind="delivered",
        occurred_at=accepted.accepted_at,
        payload={"state": "delivered"},
        created_at=accepted.accepted_at,
    )
    assert push.push_application(accepted.pk) == 0
    settings.OUTBOX_PLATFORM_URL = f"{live_server.url}/outbox/receiver/"
    sign_in(page, live_server, "root")
    page.goto(f"{live_server.url}/outbox/")
    rows = page.get_by_test_id("outbox-events").locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("HTTP 404")
    shot("outbox")
    rows.first.get_by_role("button").click()
    page.wait_for_url(f"{live_server.url}/outbox/")
    # The retry's push ran after its commit (the tests' Celery is eager): all three arrived.
    page.goto(f"{live_server.url}/outbox/received/")
    expect(page.get_by_test_id("received-events").locator("tbody tr")).to_have_count(3)
    assert not OutboxEvent.objects.unpushed().exists()
    shot("outbox-received")
