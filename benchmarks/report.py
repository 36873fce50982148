#!/usr/bin/env python3
"""Measure the center on the benchmark database and write docs/performance.md.

    .venv/bin/python benchmarks/report.py [--repeat 20]

Each figure is the median (and the 95th percentile where it is noisy) of `--repeat` runs, taken
in this process: pages through Django's test client (the server's own time: routing, queries,
templates; no network), operations through the services, SQL through the same connection. The
report says the machine it ran on and how busy it was. Targets come from issue 6.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

DOC = common.ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- figures: written by benchmarks/report.py -->", "<!-- end of figures -->"


class Rollback(Exception):
    pass


def timed(function, repeat: int, setup=None) -> list[float]:
    """Milliseconds per run; `setup` (not timed) prepares each run's argument."""
    times = []
    for _ in range(repeat):
        argument = setup() if setup else None
        start = time.perf_counter()
        function(argument) if setup else function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


class Report:
    def __init__(self, repeat: int) -> None:
        self.repeat = repeat
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, what: str, times: list[float], target: str, ok: bool | None, note: str = ""):
        median, p95 = summary(times)
        verdict = {True: "met", False: "**missed**", None: "—"}[ok]
        self.rows.append((what, f"{median:.1f}", f"{p95:.1f}", target, f"{verdict} {note}".strip()))
        print(f"{what:<62} {median:9.1f} {p95:9.1f}  {target:<16} {verdict} {note}", flush=True)


# --- the machine and the data ------------------------------------------------------------------


def machine() -> list[str]:
    from django.db import connection

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) // 1024 // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores (shared with other work: load average {load} "
        "when the report started)",
        f"- memory {memory} GiB; {platform.platform()}; Python {platform.python_version()}",
        f"- PostgreSQL {pg} on the same machine (database {size}); Redis on the same machine",
    ]


def data_sizes() -> dict[str, int]:
    from django.db import connection

    queries = {
        "applications": "SELECT count(*) FROM applications_application",
        "reviews": "SELECT count(*) FROM applications_departmentreview",
        "open reviews": "SELECT count(*) FROM applications_departmentreview "
        "WHERE state IN ('queued', 'in_progress', 'suspended', 'countersign')",
        "history rows": "SELECT (SELECT count(*) FROM applications_historicalapplication) + "
        "(SELECT count(*) FROM applications_historicaldepartmentreview) + "
        "(SELECT count(*) FROM applications_historicalapplicant)",
        "cards": "SELECT count(*) FROM supervision_card",
    }
    sizes = {}
    with connection.cursor() as cursor:
        for name, sql in queries.items():
            cursor.execute(sql)
            sizes[name] = cursor.fetchone()[0]
    return sizes


# --- 1. the sweep beside bare SQL ---------------------------------------------------------------


def sweep_figures(report: Report) -> None:
    """The sweep with nothing to write, and on a later day with thousands of new cards, each
    beside the same statements sent as bare SQL on a raw connection."""
    import psycopg2
    from django.db import connection, transaction
    from django.utils import timezone

    from supervision import sweep as sweep_module

    captured: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    def django_sweep(now):
        with transaction.atomic():
            result = sweep_module.sweep(now=now)
            raise Rollback(result.written)

    def run(now) -> int:
        try:
            django_sweep(now)
        except Rollback as written:
            return written.args[0]
        return 0

    # Earlier runs of this report accepted applications: sweep once for real, so that "nothing
    # to write" means nothing.
    sweep_module.sweep(now=timezone.now())

    # The day at which a sweep writes about 10,000 new cards: the next running reviews by
    # deadline, from the first day after today.
    today = timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT deadline FROM applications_departmentreview "
            "WHERE state IN ('queued', 'in_progress', 'countersign') AND deadline >= %s "
            "ORDER BY deadline OFFSET 7800 LIMIT 1",
            [today],
        )
        row = cursor.fetchone()
    later_day = row[0] if row else today + dt.timedelta(days=30)
    now = timezone.now()
    later = now + (
        dt.datetime.combine(later_day, dt.time(12)) - dt.datetime.combine(today, dt.time(12))
    )

    from windows.workdays import WorkCalendar

    report.add(
        "sweep's fixed cost: loading the working-day calendar",
        timed(WorkCalendar.load, report.repeat),
        "",
        None,
    )
    raw = psycopg2.connect(common.DATABASE_URL)
    for label, moment in (("nothing to write", now), ("a later day", later)):
        written = run(moment)
        with connection.execute_wrapper(capture):
            captured.clear()
            run(moment)
        # Everything the sweep sends: the working-day calendar, its mark (read and moved on)
        # and the four INSERT ... SELECT statements, replayed on a raw connection.
        statements = list(captured)
        assert sum("INTO supervision_card" in sql for sql, _ in statements) == 4, statements

        def bare(statements=statements):
            with raw.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
                    if cursor.description:
                        cursor.fetchall()
            raw.rollback()

        sweep_times = timed(lambda moment=moment: run(moment), report.repeat)
        bare_times = timed(bare, report.repeat)
        ratio = statistics.median(sweep_times) / statistics.median(bare_times)
        if label == "nothing to write":
            target, ok = "< 50 ms, ≤ 1.5× SQL", statistics.median(sweep_times) < 50 and ratio <= 1.5
        else:
            target, ok = "≤ 1.5× SQL", ratio <= 1.5
        report.add(f"sweep, {label}: {written:,} cards (the sweep)", sweep_times, target, ok)
        report.add(
            f"sweep, {label}: its {len(statements)} statements as bare SQL",
            bare_times,
            "",
            None,
            f"ratio {ratio:.2f}",
        )
    raw.close()


# --- 2. pages ----------------------------------------------------------------------------------


def page_figures(report: Report) -> None:
    from django.db import connection, reset_queries
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from applications.models import Application, DepartmentReview
    from windows.models import Staff

    def page(user: Staff, path: str, what: str, target_ms: float) -> None:
        client = Client()
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        reset_queries()  # each request clears the log: count from an empty one
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        count = len(queries)  # now: the log is cleared again by the next request
        times = timed(lambda: client.get(path), report.repeat)
        median = statistics.median(times)
        report.add(
            f"{what} ({count} queries)",
            times,
            f"< {target_ms:.0f} ms",
            median < target_ms,
        )

    manager = Staff.objects.get(username="manager1")
    page(manager, "/supervision/", "supervision dashboard, manager", 150)
    # The busiest window's officer.
    window_id = (
        DepartmentReview.objects.open()
        .values("window_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["window_id"]
    )
    officer = Staff.objects.filter(window_id=window_id, groups__name="window_officer").first()
    page(officer, "/reviews/", f"window queue, busiest window ({window_id})", 100)
    clerk = Staff.objects.get(username="clerk1")
    delivered = (
        Application.objects.filter(state="delivered")
        .annotate(n=Count("reviews"))
        .filter(n__gte=5)
        .order_by("-id")
        .first()
    )
    page(clerk, f"/applications/{delivered.pk}/timeline/", "application timeline, 5+ reviews", 100)


# --- 3. and 4. intake and the core operations ---------------------------------------------------


def five_items():
    """Five items of department windows whose head signs under a letter valid today, without
    countersign: an application the clerk accepts and the heads decide and return."""
    from django.utils import timezone

    from windows import authority
    from windows.models import Item, Staff

    today = timezone.localdate()
    chosen = []
    for item in Item.objects.filter(
        is_active=True, handled_in_center=True, needs_countersign=False
    ).select_related("window"):
        head = Staff.objects.filter(window=item.window, groups__name="window_head").first()
        if head and authority.signing_basis(head, item, at=timezone.now()):
            chosen.append((item, head))
        if len(chosen) == 5:
            return chosen
    raise SystemExit(f"only {len(chosen)} signable items on {today}")


def draft(items):
    from django.utils import timezone

    from applications import services
    from applications.models import Applicant, Project
    from windows.models import Staff

    clerk = Staff.objects.get(username="clerk1")
    applicant = Applicant.objects.order_by("?").first()
    project = Project.objects.filter(applicant=applicant).first()
    if project is None:
        project = Project.objects.order_by("?").first()
        applicant = project.applicant
    application = services.application_create(
        applicant=applicant, project=project, items=items, by=clerk, now=timezone.now()
    )
    application.materials.update(status="received", copies=1)
    return application


def intake_figures(report: Report) -> None:
    from django.test import Client
    from django.utils import timezone

    from applications import documents, services
    from windows.models import Staff

    pairs = five_items()
    items = [item for item, _ in pairs]
    heads = {item.pk: head for item, head in pairs}
    clerk = Staff.objects.get(username="clerk1")
    client = Client()
    client.force_login(clerk)

    def accept_page(application):
        response = client.post(f"/applications/{application.pk}/accept/")
        assert response.status_code == 302, response.status_code

    times = timed(accept_page, report.repeat, setup=lambda: draft(items))
    report.add(
        "accept 5 items over HTTP (fan-out, receipt no., history)",
        times,
        "< 100 ms",
        statistics.median(times) < 100,
    )

    def slip(_):
        from applications.models import Document

        document = Document.objects.filter(kind="commitment").order_by("-id").first()
        pdf = documents.render_pdf(document)
        assert pdf.startswith(b"%PDF")

    times = timed(slip, max(5, report.repeat // 2), setup=lambda: None)
    report.add("the commitment slip PDF for it", times, "< 300 ms", statistics.median(times) < 300)

    def accept_service(application):
        services.application_accept(application=application, by=clerk, now=timezone.now())

    times = timed(accept_service, report.repeat, setup=lambda: draft(items))
    report.add(
        "accept with 5 reviews (services, no HTTP)",
        times,
        "< 8 ms",
        statistics.median(times) < 8,
        "engines: 10–28 ms",
    )

    def accepted():
        application = draft(items)
        services.application_accept(application=application, by=clerk, now=timezone.now())
        return list(application.reviews.select_related("item", "window", "department"))

    def decide_and_return(reviews):
        now = timezone.now()
        for review in reviews:
            head = heads[review.item_id]
            services.review_decide(review=review, by=head, now=now, outcome="granted", reasons="")
            services.review_return(review=review, by=head, now=now)

    times = timed(decide_and_return, report.repeat, setup=accepted)
    report.add(
        "decide and return all 5 (services)",
        times,
        "< 35 ms",
        statistics.median(times) < 35,
        "engines: 41–91 ms",
    )


def query_figures(report: Report) -> None:
    from django.db.models import Count
    from django.utils import timezone

    from applications.models import DepartmentReview
    from supervision.sweep import RUNNING

    today = timezone.localdate()
    window_id = (
        DepartmentReview.objects.open()
        .values("window_id")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["window_id"]
    )

    def first_50():
        rows = list(
            DepartmentReview.objects.open()
            .filter(window_id=window_id)
            .select_related("application__applicant", "item")
            .order_by("deadline", "id")[:50]
        )
        assert rows

    times = timed(first_50, report.repeat)
    report.add(
        "a window's first 50 open reviews by deadline",
        times,
        "< 5 ms",
        statistics.median(times) < 5,
        "engines: 15–39 ms",
    )

    def overdue():
        DepartmentReview.objects.filter(state__in=RUNNING, deadline__lt=today).count()

    times = timed(overdue, report.repeat)
    report.add(
        "count overdue reviews", times, "< 5 ms", statistics.median(times) < 5, "engines: 9–17 ms"
    )


# --- the document ------------------------------------------------------------------------------


def write(report: Report, lines: list[str], sizes: dict[str, int], seconds: float) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=common.ROOT, capture_output=True, text=True
    ).stdout.strip()
    table = [
        "| what | median ms | p95 ms | target | |",
        "|---|---:|---:|---|---|",
        *[f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in report.rows],
    ]
    figures = [
        BEGIN,
        f"Run of {time.strftime('%Y-%m-%d %H:%M')} (commit {commit}, `make bench`, "
        f"{report.repeat} runs each, {seconds:.0f} s in all):",
        "",
        *lines,
        "- data: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()),
        "",
        *table,
        END,
    ]
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"{BEGIN}\n{END}\n"
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    DOC.write_text(before + "\n".join(figures) + after, encoding="utf-8")
    print(f"written to {DOC.relative_to(common.ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "false")
    common.setup_django()
    started = time.monotonic()
    lines = machine()
    sizes = data_sizes()
    print("\n".join(lines))
    print("data: " + ", ".join(f"{v:,} {k}" for k, v in sizes.items()))
    report = Report(args.repeat)
    print(f"{'':<62} {'median':>9} {'p95':>9}  target")
    sweep_figures(report)
    page_figures(report)
    query_figures(report)
    intake_figures(report)
    write(report, lines, sizes, time.monotonic() - started)


if __name__ == "__main__":
    main()
