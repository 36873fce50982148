"""PostgreSQL restarted under load, and while idle: the app keeps its connection between requests
(CONN_MAX_AGE) and checks it before use (CONN_HEALTH_CHECKS), so the first request after the
database comes back succeeds, without restarting the app.

The test starts its own PostgreSQL (initdb and pg_ctl on a spare port, in a temporary folder), so
the machine's server is never touched; the app runs as `runserver --nothreading`, one thread
that keeps one connection, as a gunicorn sync worker does. It runs in the PostgreSQL pass of CI.
"""

from __future__ import annotations

import glob
import http.cookiejar
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs in the PostgreSQL pass (CI runs it)",
    ),
    pytest.mark.skipif(not BINARIES, reason="needs PostgreSQL's initdb and pg_ctl"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL server: initdb, start, restart, stop."""

    def __init__(self, folder: Path) -> None:
        self.bin = Path(BINARIES[-1])
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root: run them as the postgres account then.
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(folder, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        subprocess.run([*self.prefix, *args], check=True, capture_output=True, timeout=120)  # noqa: S603

    def initdb(self) -> None:
        self.run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        )

    def pg_ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "log"),
            "-o",
            options,
            "-m",
            "fast",
            "-w",
            action,
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def postgres():
    folder = Path(tempfile.mkdtemp(prefix="pg-restart-"))
    server = Postgres(folder)
    server.initdb()
    server.pg_ctl("start")
    yield server
    try:
        server.pg_ctl("stop")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


CREATE_CLERK = """
from django.contrib.auth.models import Group
from windows.models import Staff
clerk = Staff.objects.create_user("clerk", password="Restart-test-2026", full_name="Clerk")
clerk.groups.add(Group.objects.get(name="intake_clerk"))
"""


@pytest.fixture
def app(postgres, tmp_path):
    """The app on the throwaway database: migrated, one clerk, served by one thread."""
    env = {
        **os.environ,
        "DATABASE_URL": postgres.url,
        "VAR_DIR": str(tmp_path / "var"),
        "REDIS_URL": "",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrate(postgres, env, tmp_path)
    subprocess.run(  # noqa: S603
        [*manage, "shell", "-c", CREATE_CLERK],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(  # noqa: S603
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)
    log.close()


def migrate(postgres: Postgres, env: dict, tmp_path: Path) -> None:
    """The throwaway database migrated: restored from a dump of the migrated copy the test run
    keeps (tests/migrated.py) when there is one, as `migrate` would leave it; else migrated
    (minutes of building the historical models on a busy machine)."""
    from .migrated import migrated_dump

    dump = tmp_path / "migrated.dump"
    if migrated_dump(dump, bin_dir=postgres.bin):
        subprocess.run(  # noqa: S603
            [str(postgres.bin / "pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
             "-d", postgres.url, str(dump)],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        return
    subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput"],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def status(self, path: str, data: dict | None = None) -> int:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0  # no answer at all

    def sign_in(self) -> None:
        assert self.status("/accounts/login/") == 200
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = {"username": "clerk", "password": "Restart-test-2026", "csrfmiddlewaretoken": token}
        assert self.status("/accounts/login/", data) == 200  # followed to the home page
        assert any(c.name == "sessionid" for c in self.jar)


def test_the_first_requests_after_a_restart_succeed(postgres, app):
    browser = Browser(app)
    browser.sign_in()
    assert [browser.status("/catalog/") for _ in range(5)] == [200] * 5

    # Load while the database restarts: requests in a loop, bounded in count and time.
    seen: list[int] = []
    stop = threading.Event()

    def load() -> None:
        started = time.monotonic()
        while not stop.is_set() and len(seen) < 400 and time.monotonic() - started < 60:
            seen.append(browser.status("/catalog/"))

    worker = threading.Thread(target=load)
    worker.start()
    time.sleep(0.5)
    postgres.pg_ctl("restart")
    time.sleep(0.5)
    stop.set()
    worker.join(timeout=70)
    assert seen and seen[0] == 200

    # The database is back: the very next requests succeed, on the same app process.
    after = [browser.status("/catalog/") for _ in range(10)]
    assert after == [200] * 10, f"after the restart: {after}; during: {sorted(set(seen))}"

    # A restart while nobody asks anything: the app still holds a connection to the old server.
    # The health check finds it dead and opens a new one, so not even the first request fails
    # (without CONN_HEALTH_CHECKS it answers 500).
    postgres.pg_ctl("restart")
    assert [browser.status("/catalog/") for _ in range(3)] == [200] * 3
