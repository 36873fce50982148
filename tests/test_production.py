"""The production shape: `check --deploy` passes with the documented variables, logs are JSON
lines, and every variable is documented and reaches the containers."""

import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from operations.logs import JsonLinesFormatter

ROOT = Path(__file__).resolve().parents[1]


def example_environment() -> dict[str, str]:
    """.env.example as a dict, its empty secrets filled as an operator would."""
    values = {}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    secrets_left_empty = (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "APP_DATABASE_PASSWORD",
        "BACKUP_DATABASE_PASSWORD",
    )
    assert all(values[name] == "" for name in secrets_left_empty)
    values["SECRET_KEY"] = secrets.token_urlsafe(50)
    values["POSTGRES_PASSWORD"] = secrets.token_urlsafe(20)
    values["APP_DATABASE_PASSWORD"] = secrets.token_urlsafe(20)
    values["BACKUP_DATABASE_PASSWORD"] = secrets.token_urlsafe(20)
    return values


def manage(tmp_path, *args: str, **overrides: str) -> subprocess.CompletedProcess:
    """Run manage.py as the containers do: APP_ENV=production, the example's variables and
    nothing inherited but PATH (no DATABASE_URL: checks need no database)."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **example_environment(),
        "APP_ENV": "production",
        "VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        **overrides,
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_passes_with_the_documented_variables(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_would_catch_debug_left_on(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_the_second_factor_is_required_in_production_and_the_check_says_when_it_is_not(tmp_path):
    result = manage(
        tmp_path, "shell", "-c", "from django.conf import settings; print(settings.OTP_REQUIRED)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", OTP_REQUIRED="false")
    assert result.returncode != 0
    assert "twofactor.W001" in result.stderr and "OTP_REQUIRED is off" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = manage(tmp_path, "check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_logs_are_json_lines(tmp_path):
    code = (
        "import logging; logging.getLogger('approval.audit').warning("
        "'accepted %s', '2026000001', extra={'receipt': '2026000001', 'items': 5})"
    )
    result = manage(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    entry = json.loads(lines[-1])
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "approval.audit"
    assert entry["message"] == "accepted 2026000001"
    assert entry["receipt"] == "2026000001" and entry["items"] == 5
    assert entry["time"].endswith("+00:00")


def test_the_formatter_keeps_exceptions_and_access_fields():
    formatter = JsonLinesFormatter()
    try:
        raise ValueError("bad input")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed: %s", ("sending",), sys.exc_info()
        )
    entry = json.loads(formatter.format(record))
    assert entry["message"] == "failed: sending"
    assert "ValueError: bad input" in entry["exception"]

    atoms = {"h": "10.0.0.9", "r": "GET /reviews/ HTTP/1.1", "m": "GET", "U": "/reviews/"}
    atoms |= {"s": 200, "b": "5120", "M": 42}
    access = logging.makeLogRecord(
        {"name": "gunicorn.access", "msg": '%(h)s "%(r)s" %(s)s', "args": atoms}
    )
    entry = json.loads(formatter.format(access))
    assert entry["message"] == '10.0.0.9 "GET /reviews/ HTTP/1.1" 200'
    assert (entry["method"], entry["path"], entry["status"], entry["duration_ms"]) == (
        "GET",
        "/reviews/",
        200,
        42,
    )


def _settings_variables() -> set[str]:
    names = set()
    for source in ("approval_center/settings.py", "gunicorn.conf.py"):
        text = (ROOT / source).read_text(encoding="utf-8")
        names |= set(re.findall(r'(?:os\.getenv|envint|envbool|envlist)\(\s*"([A-Z_]+)"', text))
    return names


def test_every_variable_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = _settings_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"} <= names
    assert sorted(name for name in names if f"`{name}`" not in readme) == []


@pytest.mark.parametrize("name", sorted(example_environment()))
def test_every_example_variable_reaches_the_containers(name):
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert "${" + name + ":" in compose


def test_a_gunicorn_worker_freezes_what_it_loaded():
    import gc
    import runpy

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        config["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_beat_clears_expired_sessions_nightly(db, settings, time_machine):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    from operations.tasks import clear_expired_sessions

    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]
    assert entry["task"] == "operations.tasks.clear_expired_sessions"
    time_machine.move_to("2026-11-26 10:00:00+08:00", tick=False)
    old, current = SessionStore(), SessionStore()
    old.set_expiry(60)
    old["lookup"] = "2026000001"
    old.save()
    time_machine.move_to("2026-11-26 10:30:00+08:00", tick=False)
    current["lookup"] = "2026000002"
    current.save()
    time_machine.move_to("2026-11-27 03:30:00+08:00", tick=False)
    clear_expired_sessions.delay()
    # The first expired at 10:01; the second lasts SESSION_COOKIE_AGE (the idle limit).
    assert not Session.objects.filter(session_key=old.session_key).exists()
    assert not Session.objects.filter(session_key=current.session_key).exists()
    time_machine.move_to("2026-11-27 09:00:00+08:00", tick=False)
    fresh = SessionStore()
    fresh["lookup"] = "2026000003"
    fresh.save()
    clear_expired_sessions.delay()
    assert Session.objects.filter(session_key=fresh.session_key).exists()
