"""The load test: gunicorn on the benchmark database, locust's users against it.

1. Make a plan: a session for every simulated member of staff (officers at the busiest
   windows, intake clerks, center managers), the reviews and applications they open, search
   terms, and receipt numbers with access codes for status lookups when /track/ exists.
2. Start gunicorn (sync workers, DEBUG off) on a free port and wait until it answers.
3. Run locust headless for each scenario: 50 users thinking 0.5-2.5 s between requests (the
   target), then the same users without thinking (the capacity).
4. Read locust's CSV: requests/s, p50/p95/p99, failures, per page and in all.
5. Stop gunicorn, delete the sessions.

    python -m benchmarks.load --db bench --users 50 --duration 60 --out FILE
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import env

BIN = Path(sys.executable).parent
SCENARIOS = {"think": "0.5-2.5", "closed": "0"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_plan(host: str, users: int) -> tuple[dict, list[str]]:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db.models import Count, Q
    from django.urls import NoReverseMatch, reverse

    from applications.models import Applicant, Application, DepartmentReview
    from windows.models import Staff, Window
    from windows.roles import Role

    store = import_module(settings.SESSION_ENGINE).SessionStore
    rng = random.Random(5)
    keys: list[str] = []

    def session(person: Staff) -> str:
        s = store()
        s[SESSION_KEY] = str(person.pk)
        s[BACKEND_SESSION_KEY] = "windows.backends.StaffBackend"
        s[HASH_SESSION_KEY] = person.get_session_auth_hash()
        s.create()
        keys.append(s.session_key)
        return s.session_key

    open_states = DepartmentReview.OPEN_STATES
    windows = list(
        Window.objects.filter(kind=Window.Kind.DEPARTMENT)
        .annotate(open=Count("reviews", filter=Q(reviews__state__in=open_states)))
        .order_by("-open", "number")[:12]
    )
    officers = []
    for window in windows:
        reviews = list(
            DepartmentReview.objects.filter(window=window, state__in=open_states)
            .order_by("deadline", "id")
            .values_list("id", "application_id")[:60]
        )
        staff = Staff.objects.filter(
            window=window, groups__name__in=[Role.WINDOW_OFFICER, Role.WINDOW_HEAD]
        ).distinct()
        for person in staff:
            officers.append(
                {
                    "username": person.username,
                    "reviews": [r for r, _ in reviews],
                    "applications": sorted({a for _, a in reviews}),
                }
            )
    clerks = list(Staff.objects.filter(groups__name=Role.INTAKE_CLERK, is_active=True))
    managers = list(Staff.objects.filter(groups__name=Role.CENTER_MANAGER, is_active=True))
    by_name = {
        p.username: p for p in Staff.objects.filter(username__in=[o["username"] for o in officers])
    }
    people = {
        "officer": [
            {**o, "session": session(by_name[o["username"]])}
            for o in (officers[i % len(officers)] for i in range(users))
        ],
        "clerk": [
            {"username": p.username, "session": session(p)}
            for p in (clerks[i % len(clerks)] for i in range(users))
        ],
        "manager": [
            {"username": p.username, "session": session(p)}
            for p in (managers[i % len(managers)] for i in range(users))
        ],
    }
    top = Application.objects.order_by("-id").values_list("id", flat=True)[:20000]
    applications = rng.sample(list(top), min(500, len(top)))
    names = list(Applicant.objects.order_by("?").values_list("name", "id_number")[:200])
    searches = sorted(
        {name[2:4] for name, _ in names if len(name) > 4} | {number[:6] for _, number in names}
    )
    plan = {
        "host": host,
        "people": people,
        "applications": applications,
        "searches": searches,
        "track": [],
    }
    try:
        reverse("applications:track")
    except NoReverseMatch:
        pass
    else:
        plan["track"] = [
            list(row)
            for row in Application.objects.filter(state__in=["in_review", "ready", "delivered"])
            .order_by("-id")
            .values_list("receipt_number", "access_code")[:2000]
        ]
    return plan, keys


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s")


def warm_up(base: str, plan: dict, workers: int) -> None:
    """Every page kind a few times per worker before the clock starts: the first request a
    gunicorn worker answers loads templates and catalogs, which no user waits for twice."""
    officer, clerk, manager = (plan["people"][role][0] for role in ("officer", "clerk", "manager"))
    pages = [
        (officer, "/reviews/"),
        (officer, f"/reviews/{officer['reviews'][0]}/" if officer["reviews"] else "/reviews/"),
        (clerk, "/intake/"),
        (clerk, f"/search/?q={plan['searches'][0]}"),
        (clerk, f"/applications/{plan['applications'][0]}/"),
        (manager, "/supervision/"),
        (manager, "/supervision/live/"),
        (manager, f"/applications/{plan['applications'][0]}/timeline/"),
    ]
    for _ in range(3 * workers):
        for person, url in pages:
            request = urllib.request.Request(
                base + url, headers={"Cookie": f"sessionid={person['session']}"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()


def read_stats(prefix: Path) -> list[dict]:
    rows = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                {
                    "name": row["Name"] if row["Name"] != "Aggregated" else "all requests",
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": round(float(row["Requests/s"]), 1),
                    "p50_ms": float(row["50%"]),
                    "p95_ms": float(row["95%"]),
                    "p99_ms": float(row["99%"]),
                    "avg_ms": round(float(row["Average Response Time"]), 1),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60, help="seconds per scenario")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    env.use_database(args.db)
    from django.contrib.sessions.models import Session

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    plan, keys = make_plan("127.0.0.1", args.users)
    out_dir = args.out.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_file = out_dir / "load-plan.json"
    plan_file.write_text(json.dumps(plan))
    server_env = env.server_environment(args.db)
    # The status page limits lookups per address: the simulated applicants' addresses come in
    # X-Forwarded-For, as from the proxy in front of gunicorn.
    server_env["TRUSTED_PROXY_COUNT"] = "1"
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "approval_center.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=env.ROOT,
        env=server_env,
        start_new_session=True,
    )
    result = {
        "db": args.db,
        "users": args.users,
        "duration_s": args.duration,
        "workers": args.workers,
        "track": bool(plan["track"]),
        "scenarios": {},
    }
    try:
        wait_until_up(f"{base}/accounts/login/")
        warm_up(base, plan, args.workers)
        for name in args.scenarios.split(","):
            think = SCENARIOS[name]
            prefix = out_dir / f"locust-{name}"
            print(
                f"{args.db}: load test '{name}': {args.users} users, think {think} s, "
                f"{args.duration} s against gunicorn ({args.workers} workers)",
                flush=True,
            )
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(Path(__file__).with_name("locustfile.py")),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(max(1, args.users // 5)),
                    "--run-time",
                    f"{args.duration}s",
                    "--host",
                    base,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--loglevel",
                    "WARNING",
                    "--exit-code-on-error",
                    "0",
                ],
                cwd=env.ROOT,
                env={**os.environ, "BENCH_LOAD_PLAN": str(plan_file), "BENCH_THINK": think},
                check=True,
            )
            rows = read_stats(prefix)
            result["scenarios"][name] = {"think": think, "rows": rows}
            total = rows[-1]
            print(
                f"  {total['rps']} requests/s, p50 {total['p50_ms']} ms, p95 {total['p95_ms']} "
                f"ms, p99 {total['p99_ms']} ms, {total['failures']} failures of "
                f"{total['requests']}",
                flush=True,
            )
    finally:
        os.killpg(gunicorn.pid, signal.SIGTERM)
        gunicorn.wait(timeout=30)
        Session.objects.filter(session_key__in=keys).delete()
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
