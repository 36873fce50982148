"""/healthz: the database, the broker and beat's heartbeat, 503 when one of them is down."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.utils import timezone

from operations import health
from operations.models import Heartbeat
from operations.tasks import beat_heartbeat

from .servers import free_port


@pytest.fixture
def fresh_beat(db):
    health.record_heartbeat(health.BEAT, at=timezone.now() - dt.timedelta(seconds=30))


def test_it_reports_each_service(client, fresh_beat):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["broker"]["ok"]
    assert 29 <= body["beat"]["seconds_since_last_run"] <= 40
    assert body["beat"]["stale_after"] == 300
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_needs_no_login_and_takes_no_post(client, fresh_beat):
    assert client.get("/healthz").status_code == 200
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_it_answers_503_before_beat_ever_ran(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "fail"
    assert response.json()["beat"] == {
        "ok": False,
        "error": "never ran",
        "seconds_since_last_run": None,
        "stale_after": 300,
        "ms": response.json()["beat"]["ms"],
    }


def test_it_answers_503_when_beat_is_stale(client, db, settings):
    settings.HEALTHZ_BEAT_STALE_SECONDS = 120
    health.record_heartbeat(health.BEAT, at=timezone.now() - dt.timedelta(seconds=121))
    response = client.get("/healthz")
    assert response.status_code == 503
    beat = response.json()["beat"]
    assert beat["ok"] is False and beat["error"] == "stale"
    assert beat["seconds_since_last_run"] == 121 and beat["stale_after"] == 120


def test_it_answers_503_when_the_broker_is_down(client, fresh_beat, real_broker):
    real_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"] == "OperationalError"
    assert body["broker"]["ms"] < 2000
    assert body["database"]["ok"] and body["beat"]["ok"]


def test_it_answers_503_when_the_database_is_down(client, fresh_beat, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", refuse)
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == {
        "ok": False,
        "error": "OperationalError",
        "ms": body["database"]["ms"],
    }
    assert body["beat"]["ok"] is False  # the heartbeat lives in the database too
    assert body["broker"]["ok"] is True


def test_plain_http_is_not_redirected_in_production(client, fresh_beat, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_the_heartbeat_task_overwrites_one_row(db):
    beat_heartbeat.delay()
    first = Heartbeat.objects.get().at
    beat_heartbeat.delay()
    assert Heartbeat.objects.count() == 1
    assert Heartbeat.objects.get().at >= first


def test_the_command_exits_1_when_unhealthy(db, capsys):
    with pytest.raises(CommandError) as error:
        call_command("healthcheck")
    assert error.value.returncode == 1
    assert '"status": "fail"' in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("healthcheck", "--only", "beat")
    call_command("healthcheck", "--only", "database")


def test_the_command_passes_when_healthy(fresh_beat, capsys):
    call_command("healthcheck")
    assert '"status": "ok"' in capsys.readouterr().out
