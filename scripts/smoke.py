#!/usr/bin/env python3
"""Smoke test of the production shape, run by CI (.ci/run) and `make smoke`.

1. Makes a database of its own on the machine's PostgreSQL and empties a Redis database of its
   own, migrates and loads the demo center.
2. Starts what docker-compose.yml starts, as processes: gunicorn (APP_ENV=production, static
   files collected with hashed names), a Celery worker and one beat, with short periods.
3. Waits for /healthz to report the database, the broker and a fresh heartbeat.
4. Over HTTP, as the clerk: registers an applicant, applies for one item, checks the materials
   and accepts; the worker sends the acceptance notice.
5. Moves the review's deadline into the past and clears the sweep's mark so that the next sweep
   is a full one (the only steps not over HTTP), waits for beat's sweep to write a red card and
   the worker to tell the window's head, then reads the head's notices and the manager's
   dashboard over HTTP (the manager enrols an authenticator first: production asks for the
   second factor).
   Before the intake, every database connection the servers hold is cut, as a PostgreSQL
   restart would: the pages and tasks after it must work without restarting anything.
6. Stops the three processes with SIGTERM and checks that they end cleanly, with JSON logs.
7. Backs the demo center up (`manage.py backup`), restores it into a new database and file store
   and compares every table's rows, the receipt numbers, the printed documents' SHA-256 and the
   files (scripts/backup_roundtrip.py).

    SMOKE_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/approval_smoke
    SMOKE_REDIS_URL     default redis://127.0.0.1:6379/14
"""

from __future__ import annotations

import base64
import datetime as dt
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
DATABASE_URL = os.getenv("SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/approval_smoke")
REDIS_URL = os.getenv("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/14")
DEMO_PASSWORD = "center2026"  # noqa: S105 (the demo center's, printed by make run)


def step(text: str) -> None:
    print(f"[smoke {time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(what: str, check, timeout: float, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise SystemExit(f"smoke: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- the backing services --------------------------------------------------------------------


def fresh_database() -> None:
    import psycopg2

    url = urllib.parse.urlsplit(DATABASE_URL)
    name = url.path.lstrip("/")
    assert re.fullmatch(r"\w+", name), name
    admin = psycopg2.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def database(sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg2

    with psycopg2.connect(DATABASE_URL) as conn, conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def fresh_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- HTTP as a browser behind the TLS proxy --------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: action and the values a browser would submit by default."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "fields": {}, "options": {}})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self.forms[-1]["options"].setdefault(a["name"], []).append(a.get("value"))
            elif a.get("type") != "submit":
                self.forms[-1]["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["fields"].setdefault(self._select, "")
        elif tag == "option" and self._select:
            self.forms[-1]["options"].setdefault(self._select, []).append(a.get("value", ""))
            if "selected" in a:
                self.forms[-1]["fields"][self._select] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


class Browser:
    """Cookies, CSRF and X-Forwarded-Proto: https, as the proxy in front of gunicorn sets it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | list | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        origin = f"https://127.0.0.1:{self.port}"
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "X-Forwarded-Proto": "https",
            "Accept-Language": "zh-hans",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }
        body = None
        if data is not None:
            fields = list(data.items()) if isinstance(data, dict) else data
            fields.append(("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")))
            body = urllib.parse.urlencode(fields)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + path,
            }
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return response.status, response.getheader("Location") or "", text

    def get(self, path: str) -> str:
        status, location, text = self.request("GET", path)
        if status in (301, 302):
            return self.get(urllib.parse.urlsplit(location).path)
        assert status == 200, f"GET {path}: {status}\n{text[:2000]}"
        return text

    def post(self, path: str, data: dict | list) -> str:
        status, location, text = self.request("POST", path, data)
        assert status in (302, 303), f"POST {path}: {status}\n{text[:3000]}"
        return urllib.parse.urlsplit(location).path

    def login(self, username: str) -> None:
        self.cookies.clear()
        self.get("/accounts/login/")
        self.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})


# --- the run ---------------------------------------------------------------------------------


def main() -> None:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="approval-smoke-"))
    port = free_port()
    base = {
        "PATH": os.environ["PATH"],
        "HOME": str(work),
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "VAR_DIR": str(work / "var"),
        "STATIC_ROOT": str(work / "static"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PUBLIC_BASE_URL": f"https://127.0.0.1:{port}",
        # Short periods so the run takes seconds: beat sweeps every 3 s, beats its heart every 2 s.
        "SWEEP_PERIOD_SECONDS": "3",
        "HEARTBEAT_SECONDS": "2",
        "HEALTHZ_BEAT_STALE_SECONDS": "30",
        "LOG_LEVEL": "INFO",
    }
    # The center's signing key: the development one, made below before the servers start.
    production = {
        **base,
        "APP_ENV": "production",
        "WEB_CONCURRENCY": "2",
        "SIGNING_PKCS12_PATH": str(work / "var" / "signing" / "development.p12"),
    }

    def manage(*args: str, env: dict) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603

    step(f"database {DATABASE_URL.rsplit('/', 1)[1]}, Redis {REDIS_URL}, files in {work}")
    fresh_database()
    fresh_redis()
    manage("migrate", "--noinput", "-v0", env={**base, "APP_ENV": "development"})
    step("loading the demo center (seed_demo refuses production, so before the servers start)")
    manage("seed_demo", env={**base, "APP_ENV": "development"})
    manage("make_signing_key", env={**base, "APP_ENV": "development"})
    manage("collectstatic", "--noinput", "-v0", env=production)

    logs = {name: work / f"{name}.log" for name in ("web", "worker", "beat")}
    celery = [str(BIN / "celery"), "-A", "approval_center"]
    commands = {
        "web": [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "approval_center.wsgi"],
        "worker": [*celery, "worker", "-l", "INFO", "-c", "2", "-n", f"smoke-{port}@%h"],
        "beat": [*celery, "beat", "-l", "INFO", "--schedule", str(work / "celerybeat-schedule")],
    }
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(  # noqa: S603
                command,
                cwd=ROOT,
                env=production,
                stdout=logs[name].open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        step(f"started gunicorn on :{port}, a worker and beat; waiting for /healthz")
        browser = Browser(port)

        def healthy():
            for name, process in processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"smoke: {name} exited with {process.returncode}")
            try:
                status, _, text = browser.request("GET", "/healthz")
            except OSError:
                return None
            return json.loads(text) if status == 200 else None

        report = wait_for("a healthy /healthz", healthy, timeout=90)
        step(f"healthy: beat ran {report['beat']['seconds_since_last_run']} s ago")

        # Static files with hashed names, served by whitenoise.
        login_page = browser.get("/accounts/login/")
        stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', login_page)
        assert stylesheet, "the login page does not link a hashed stylesheet"
        status, _, _ = browser.request("GET", stylesheet.group(1))
        assert status == 200, f"{stylesheet.group(1)}: {status}"

        # What a PostgreSQL restart does to the servers: every connection they hold is cut.
        # gunicorn's workers keep theirs (CONN_MAX_AGE) and must notice before using them.
        dropped = database(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )[0][0]
        step(f"cut the {dropped} database connections the servers held, as a restart would")

        step("intake over HTTP as clerk1")
        browser.login("clerk1")
        from applications.validators import uscc_check_char

        first17 = "91330185" + "".join(random.choices("0123456789", k=9))
        name = f"冒烟测试有限公司{first17[-4:]}"
        applicant = browser.post(
            "/intake/applicants/new/",
            {
                "kind": "enterprise",
                "name": name,
                "id_number": first17 + uscc_check_char(first17),
                "contact_name": "王测试",
                "mobile": "13900000000",
                "email": "smoke@example.com",
                "address": "临安区锦城街道",
            },
        )
        apply_path = applicant.rstrip("/") + "/apply/"
        page = browser.get(apply_path)
        # One item outside the investment package (needs no project), without countersign.
        rows = re.findall(
            r'name="items" value="(\d+)".*?<td>(\w+)</td><td>(\w+)</td>.*?<td>(.*?)</td></tr>',
            page,
            re.S,
        )
        item, department, window = next(
            (pk, dep, win) for pk, dep, win, notes in rows if "tag" not in notes
        )
        detail = browser.post(apply_path, {"items": item})
        application_id = int(re.search(r"/applications/(\d+)/", detail).group(1))
        checklist = next(f for f in forms(browser.get(detail)) if "m-TOTAL_FORMS" in f["fields"])
        fields = checklist["fields"] | {
            k: "received" for k in checklist["fields"] if k.endswith("-status")
        }
        fields |= {k: "1" for k in fields if k.endswith("-copies")}
        browser.post(detail, fields)
        browser.post(f"/applications/{application_id}/accept/", {})
        page = browser.get(detail)
        receipt = database(
            "SELECT receipt_number FROM applications_application WHERE id = %s", (application_id,)
        )[0][0]
        assert receipt and receipt in page, "the accepted application shows no receipt number"
        step(f"accepted {receipt} ({department}, window {window}); the worker sends the notices")
        wait_for(
            "the acceptance notices to be sent by the worker",
            lambda: (
                database(
                    "SELECT count(*) FROM applications_notification "
                    "WHERE application_id = %s AND sent_at IS NOT NULL",
                    (application_id,),
                )[0][0]
                == 2
            ),
            timeout=30,
        )

        step("moving the review's deadline 30 days back; waiting for beat's sweep")
        past = dt.date.today() - dt.timedelta(days=30)
        database(
            "UPDATE applications_departmentreview SET deadline = %s WHERE application_id = %s",
            (past, application_id),
        )
        # A deadline moved behind the incremental sweep's back is seen by a full sweep only:
        # without its mark, the next sweep reads everything.
        database("DELETE FROM supervision_sweepmark")
        wait_for(
            "a red card and the head's notice",
            lambda: (
                database(
                    "SELECT count(*) FROM supervision_staffnotice n "
                    "JOIN supervision_card c ON c.id = n.card_id "
                    "WHERE c.application_id = %s AND c.level = 'red' AND n.sent_at IS NOT NULL",
                    (application_id,),
                )[0][0]
                >= 1
            ),
            timeout=60,
        )
        browser.login(f"head_{window.lower()}")
        assert receipt in browser.get("/supervision/notices/"), "no red-card notice for the head"
        browser.login("manager1")
        # Production asks a manager for the second factor: the first sign-in enrols an
        # authenticator, as a person would with the key shown as text.
        from django_otp.oath import totp  # the authenticator app's computation

        page = browser.get("/supervision/")
        secret = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', page)
        assert secret, "a manager reached a page past the password without a second factor"
        code = f"{totp(base64.b32decode(secret.group(1).replace(' ', ''))):06d}"
        status, _location, page = browser.request(
            "POST", "/second-factor/enrol/", {"code": code, "next": "/supervision/"}
        )
        assert status == 200 and 'data-testid="recovery-codes"' in page, f"enrolment: {status}"
        step("the manager enrolled an authenticator (production asks for the second factor)")
        # Worst first: 30 days late heads the list, under the applicant's name.
        assert name in browser.get("/supervision/"), "the dashboard does not list it as late"
        step(f"red card for {receipt}: on the head's notices and the manager's dashboard")
    except BaseException:
        for name, path in logs.items():
            print(f"----- {name} log (last 40 lines) -----", file=sys.stderr)
            print("\n".join(path.read_text().splitlines()[-40:]), file=sys.stderr)
        raise
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {}
        for name, process in processes.items():
            try:
                codes[name] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                codes[name] = "killed"
    assert all(code == 0 for code in codes.values()), f"unclean stop: {codes}"
    for name, path in logs.items():
        lines = [line for line in path.read_text().splitlines() if line.startswith("{")]
        assert lines and all(json.loads(line)["level"] for line in lines), f"{name}: no JSON logs"
    database_name = DATABASE_URL.rsplit("/", 1)[1]
    step(f"stopped cleanly {codes}")
    step("backing up the demo center, restoring it into a new database and file store")
    from backup_roundtrip import roundtrip  # scripts/, this file's directory

    roundtrip(DATABASE_URL, work / "var", env=base)
    step(f"passed in {time.monotonic() - started:.0f} s")
    import psycopg2

    admin = psycopg2.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database_name}"')
    admin.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
