"""The measurements, run in one process against one database.

Every figure is the median and the 95th percentile (nearest rank) of repeated runs after a
warm-up run. Whatever writes runs inside a transaction that is rolled back, so the data set is
the same for every run and after the benchmark; what a run needs set up (a draft to accept,
deadlines moved to cross the line) is done inside that transaction, outside the timing.

    python -m benchmarks.measure --db bench --sections sweep,pages,accept,core --out FILE
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from . import env, host

SECTIONS = ("pages", "core", "accept", "wayback", "sweep", "hall", "filing", "api", "outbox")
NEW_CARDS = 10_000


def stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 2),
        "min_ms": round(ordered[0], 2),
        "runs": len(ordered),
    }


class Rollback(Exception):
    pass


@contextmanager
def rolled_back():
    """A transaction that never commits."""
    from django.db import transaction

    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


def repeat(
    work: Callable[[object], object],
    *,
    runs: int,
    warmup: int = 1,
    setup: Callable[[], object] | None = None,
    rollback: bool = False,
) -> tuple[list[float], object]:
    """Time `work(setup())` `runs` times after `warmup` untimed runs; return the times in
    milliseconds (with the host's speed probed after each, `Samples.host`) and what the last
    run returned."""
    samples, result = Samples(), None
    for i in range(warmup + runs):
        if rollback:
            with rolled_back():
                state = setup() if setup else None
                t0 = time.perf_counter()
                result = work(state)
                elapsed = time.perf_counter() - t0
        else:
            state = setup() if setup else None
            t0 = time.perf_counter()
            result = work(state)
            elapsed = time.perf_counter() - t0
        if i >= warmup:
            samples.append(elapsed * 1000)
            samples.host.append(host.probe_ms())
    return samples, result


class Samples(list):
    """Times in milliseconds, and the host's speed probed between them (benchmarks/host.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.host: list[float] = []


def figure(name: str, samples: list[float], *, target: float | None = None, **extra) -> dict:
    row = {"name": name, **stats(samples), "target_ms": target, **extra}
    if getattr(samples, "host", None):
        row["host_during_ms"] = round(statistics.median(samples.host), 2)
    if target is not None:
        row["met"] = row["p95_ms"] <= target
    return row


def sql(statement: str, params=None) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


# --- the deadline sweep ---------------------------------------------------------------------


def _running_sql() -> str:
    """The running states (DepartmentReview.RUNNING_STATES) as an SQL list."""
    from applications.models import DepartmentReview

    return "(" + ", ".join(f"'{state}'" for state in DepartmentReview.RUNNING_STATES) + ")"


def _bare_statements(*, incremental: bool) -> list[str]:
    """The plain SQL the sweep's work needs, written out by hand: INSERT ... SELECT of the
    rows that cross a line. With `incremental`, only the deadlines in the ranges crossed since
    the last run and the reviews whose clock changed since then (what any correct incremental
    job must read); otherwise every running review and application under review."""
    running = _running_sql()
    level = "CASE WHEN deadline < %(today)s THEN 'red' ELSE 'yellow' END"
    app_level = "CASE WHEN a.due_date < %(today)s THEN 'red' ELSE 'yellow' END"
    not_stopped = (
        "NOT EXISTS (SELECT 1 FROM applications_departmentreview s"
        " WHERE s.application_id = a.id AND s.state = 'suspended')"
    )
    insert = "INSERT INTO supervision_card (application_id, review_id, level, deadline, issued_at)"
    if not incremental:
        return [
            f"""{insert} SELECT application_id, id, {level}, deadline, %(at)s
                  FROM applications_departmentreview
                 WHERE state IN {running} AND deadline <= %(until)s
                ON CONFLICT DO NOTHING""",
            f"""{insert} SELECT a.id, NULL, {app_level}, a.due_date, %(at)s
                  FROM applications_application a
                 WHERE a.state = 'in_review' AND a.due_date <= %(until)s AND {not_stopped}
                ON CONFLICT DO NOTHING""",
        ]
    ranges = (
        "deadline BETWEEN %(red_from)s AND %(yesterday)s",
        "deadline BETWEEN %(yellow_from)s AND %(until)s",
    )
    return [
        *(
            f"""{insert} SELECT application_id, id, {level}, deadline, %(at)s
                  FROM applications_departmentreview
                 WHERE state IN {running} AND {crossed}
                ON CONFLICT DO NOTHING"""
            for crossed in ranges
        ),
        *(
            f"""{insert} SELECT a.id, NULL, {app_level}, a.due_date, %(at)s
                  FROM applications_application a
                 WHERE a.state = 'in_review' AND {crossed.replace("deadline", "a.due_date")}
                   AND {not_stopped}
                ON CONFLICT DO NOTHING"""
            for crossed in ranges
        ),
        # The changed clocks first, their reviews and applications by key, then the lines:
        # the order any incremental job must keep to cost what changed (see the sweep).
        f"""WITH changed AS MATERIALIZED (
                SELECT DISTINCT r.application_id, r.id, r.deadline, r.state
                  FROM applications_clockevent e
                  JOIN applications_departmentreview r ON r.id = e.review_id
                 WHERE e.at > %(since)s)
            {insert} SELECT application_id, id, {level}, deadline, %(at)s
              FROM changed
             WHERE state IN {running} AND deadline <= %(until)s
            ON CONFLICT DO NOTHING""",
        f"""WITH changed AS MATERIALIZED (
                SELECT DISTINCT a.id, a.due_date, a.state
                  FROM applications_clockevent e
                  JOIN applications_departmentreview r ON r.id = e.review_id
                  JOIN applications_application a ON a.id = r.application_id
                 WHERE e.at > %(since)s)
            {insert} SELECT a.id, NULL, {app_level}, a.due_date, %(at)s
              FROM changed a
             WHERE a.state = 'in_review' AND a.due_date <= %(until)s AND {not_stopped}
            ON CONFLICT DO NOTHING""",
    ]


# What any sweep that remembers where it stopped reads and writes besides its cards: the
# working-day calendar (where the warning margin ends), its mark, locked so that two sweeps
# do not run at once, and the mark moved on.
BOOKKEEPING_BEFORE = (
    "SELECT date, kind, name, NULL FROM windows_calendarday"
    " UNION ALL SELECT NULL, NULL, NULL, year FROM windows_calendaryear",
    "SELECT swept_at, day, until, margin FROM supervision_sweepmark FOR UPDATE",
)
BOOKKEEPING_AFTER = (
    "UPDATE supervision_sweepmark SET swept_at = %(at)s, day = %(today)s, until = %(until)s",
)


def _bare(statements: list[str], params: dict) -> int:
    """The statements, with the bookkeeping around them; returns the cards written."""
    for statement in BOOKKEEPING_BEFORE:
        sql(statement)
    written = sum(sql(statement, params) for statement in statements)
    for statement in BOOKKEEPING_AFTER:
        sql(statement, params)
    return written


def _sweep_params(now: dt.datetime, mark) -> dict:
    from django.conf import settings
    from django.utils import timezone

    from windows.workdays import WorkCalendar

    today = timezone.localdate(now)
    until = WorkCalendar.load().add_working_days(today, settings.SWEEP_WARNING_WORKING_DAYS).end
    return {
        "at": now,
        "today": today,
        "yesterday": today - dt.timedelta(days=1),
        "until": until,
        "red_from": mark.day,
        "yellow_from": max(mark.until + dt.timedelta(days=1), today),
        "since": mark.swept_at - dt.timedelta(seconds=settings.SWEEP_LOOKBACK_SECONDS),
    }


def measure_sweep(runs: int) -> list[dict]:
    from django.conf import settings
    from django.utils import timezone

    from supervision.models import SweepMark
    from supervision.sweep import sweep
    from windows.workdays import WorkCalendar

    # As beat would have: sweep now, so the mark is fresh and today's cards are written.
    caught_up = sweep(now=timezone.now())
    mark = SweepMark.objects.get()
    later = mark.swept_at + dt.timedelta(seconds=settings.SWEEP_PERIOD_SECONDS)
    rows = []

    samples, result = repeat(lambda _: sweep(now=later), runs=runs, rollback=True)
    rows.append(
        figure("sweep, nothing to write (incremental)", samples, target=50, written=result.written)
    )
    bare_incremental = _bare_statements(incremental=True)
    params = _sweep_params(later, mark)
    samples, written = repeat(lambda _: _bare(bare_incremental, params), runs=runs, rollback=True)
    rows.append(figure("  bare SQL, same work", samples, written=written, bare=True))

    full_runs = max(3, runs // 3)
    samples, result = repeat(lambda _: sweep(now=later, full=True), runs=full_runs, rollback=True)
    rows.append(figure("sweep, nothing to write (full)", samples, written=result.written))
    bare_full = _bare_statements(incremental=False)
    samples, written = repeat(lambda _: _bare(bare_full, params), runs=full_runs, rollback=True)
    rows.append(figure("  bare SQL, same work", samples, written=written, bare=True))

    # 10,000 reviews cross the red line at midnight: their deadline is today, the sweep runs
    # at 00:05 tomorrow. Running reviews due beyond the warning reach are taken first; if there
    # are not enough, recently finished ones are set running again (all rolled back).
    today = timezone.localdate(mark.swept_at)
    tomorrow = today + dt.timedelta(days=1)
    at = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(0, 5)))
    beyond = WorkCalendar.load().add_working_days(tomorrow, settings.SWEEP_WARNING_WORKING_DAYS).end
    with_mark = SweepMark.objects.get()
    new_params = _sweep_params(at, with_mark)

    def cross() -> None:
        sql(
            """
            WITH chosen AS (
                (SELECT id FROM applications_departmentreview
                  WHERE state IN ('queued', 'in_progress', 'countersign') AND deadline > %(beyond)s
                  ORDER BY id LIMIT %(n)s)
                UNION ALL
                (SELECT id FROM applications_departmentreview
                  WHERE state IN ('received', 'returned') AND deadline > %(today)s - 400
                  ORDER BY id DESC LIMIT %(n)s)
                LIMIT %(n)s)
            UPDATE applications_departmentreview r
               SET deadline = %(today)s,
                   state = CASE WHEN r.state IN ('received', 'returned') THEN 'in_progress'
                                ELSE r.state END
              FROM chosen WHERE chosen.id = r.id
            """,
            {"beyond": beyond, "today": today, "n": NEW_CARDS},
        )

    write_runs = max(3, runs // 3)
    samples, result = repeat(lambda _: sweep(now=at), runs=write_runs, setup=cross, rollback=True)
    rows.append(
        figure(
            f"sweep, {NEW_CARDS:,} reviews cross the line (incremental)",
            samples,
            written=result.written,
        )
    )
    samples, written = repeat(
        lambda _: _bare(bare_incremental, new_params), runs=write_runs, setup=cross, rollback=True
    )
    rows.append(figure("  bare SQL, same work", samples, written=written, bare=True))
    for row in rows:
        row["section"] = "sweep"
    rows[0]["caught_up"] = caught_up.written
    return rows


# Tables that the rolled-back work of a section leaves dead rows and index entries in.
WRITTEN = (
    "applications_application",
    "applications_application_items",
    "applications_applicationmaterial",
    "applications_historicalapplication",
    "applications_historicalapplicationmaterial",
    "applications_departmentreview",
    "applications_historicaldepartmentreview",
    "applications_clockevent",
    "applications_document",
    "applications_notification",
    "applications_counter",
    "supervision_card",
    "supervision_sweepmark",
    "django_session",
)


def tidy() -> None:
    """Clean up after a section as autovacuum would, so the next one does not pay for it:
    a thousand rolled-back inserts leave dead entries at the end of the indexes that the
    planner reads when it estimates a range."""
    for table in WRITTEN:
        sql(f"VACUUM (ANALYZE) {table}")


# --- pages ----------------------------------------------------------------------------------


def _busiest_window():
    from django.db.models import Count, Q

    from windows.models import Window

    return (
        Window.objects.filter(kind=Window.Kind.DEPARTMENT)
        .annotate(
            open=Count(
                "reviews",
                filter=Q(reviews__state__in=["queued", "in_progress", "suspended", "countersign"]),
            )
        )
        .order_by("-open", "number")
        .first()
    )


def _person(role: str, **filters):
    from windows.models import Staff

    return (
        Staff.objects.filter(groups__name=role, is_active=True, **filters)
        .order_by("username")
        .first()
    )


def _timeline_application():
    """A delivered application with the most reviews: the longest ordinary timeline."""
    from django.db import connection

    from applications.models import Application

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.application_id FROM applications_departmentreview r
              JOIN applications_application a ON a.id = r.application_id
             WHERE a.state = 'delivered'
             GROUP BY r.application_id ORDER BY count(*) DESC, r.application_id DESC LIMIT 1
            """
        )
        return Application.objects.get(pk=cursor.fetchone()[0])


def page(
    client,
    url: str,
    runs: int,
    *,
    name: str,
    target: float | None,
    setup: Callable[[], object] | None = None,
) -> dict:
    """Time a page; its queries are those of a request like the timed ones (after `setup`,
    the session and caches warm from the request before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    if setup is not None:
        setup()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # now: the next request empties the log it reads from
    assert response.status_code == 200, (url, response.status_code)
    samples, _ = repeat(lambda _: client.get(url), runs=runs, setup=setup)
    return figure(
        name, samples, target=target, queries=queries, bytes=len(response.content), url=url
    )


def measure_pages(runs: int) -> list[dict]:
    from django.test import Client
    from django.utils import timezone

    from applications.models import DepartmentReview
    from supervision.live import forget_past_days
    from windows.roles import Role

    window = _busiest_window()
    manager = _person(Role.CENTER_MANAGER)
    officer = _person(Role.WINDOW_OFFICER, window=window)
    application = _timeline_application()
    managers, officers = Client(), Client()
    managers.force_login(manager)
    officers.force_login(officer)
    open_here = DepartmentReview.objects.open().for_window(window).count()
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    rows = [
        page(managers, "/supervision/", runs, name="supervision dashboard", target=150),
        page(
            managers,
            "/supervision/?first",
            runs,
            name="  its first load of the day (the past 30 days read, then kept)",
            target=None,
            setup=forget_past_days,
        ),
        page(
            managers, "/supervision/live/", runs, name="dashboard refresh (live part)", target=None
        ),
        page(
            officers,
            "/reviews/",
            runs,
            name=f"window queue ({window.number}, {open_here:,} open reviews)",
            target=100,
        ),
        page(
            managers,
            f"/applications/{application.pk}/timeline/",
            runs,
            name=f"application timeline ({application.reviews.count()} reviews)",
            target=None,
        ),
        # The statistics of cases for the county (supervision/statistics.py): a whole year of
        # the data set, by department and by item, and a month.
        page(
            managers,
            f"/supervision/statistics/?year={last_month.year - 1}",
            runs,
            name=f"statistics of cases, the year {last_month.year - 1}",
            target=1000,
        ),
        page(
            managers,
            f"/supervision/statistics/?year={last_month.year}&month={last_month.month}",
            runs,
            name=f"  a month ({last_month:%Y-%m})",
            target=None,
        ),
    ]
    for row in rows:
        row["section"] = "pages"
    return rows


# --- accepting, deciding, core operations ---------------------------------------------------


def _five_items():
    """Five items of the parallel package at five windows, none needing a countersign, each
    with someone at its window who may sign it now."""
    from django.utils import timezone

    from windows import authority
    from windows.models import Item

    now = timezone.now()
    chosen, signers, windows = [], [], set()
    for item in (
        Item.objects.active()
        .filter(
            handled_in_center=True,
            fixed_asset_parallel=True,
            needs_countersign=False,
            prerequisites=None,  # accepted at once, without another item's approval first
        )
        .order_by("code")
    ):
        # Someone at the item's window, who decides there (the review page's decide).
        signer = (
            authority.signers(item, at=now)
            .filter(window_id=item.window_id)
            .order_by("username")
            .first()
        )
        if signer is None or item.window_id in windows:
            continue
        chosen.append(item)
        signers.append(signer)
        windows.add(item.window_id)
        if len(chosen) == 5:
            break
    assert len(chosen) == 5, "the demo center has five signable package items"
    return chosen, signers


class Intake:
    """Drafts with five items and every material received, ready to accept."""

    def __init__(self) -> None:
        from applications.models import Applicant
        from windows.roles import Role

        self.clerk = _person(Role.INTAKE_CLERK)
        self.items, self.signers = _five_items()
        self.applicant = Applicant.objects.filter(projects__isnull=False).order_by("id").first()
        self._series_made()

    def _series_made(self) -> None:
        """The year's number series of every department deciding here, as a center has them
        after its first decision and licence of the year (the measured steps roll back, so a
        series each step made would be made again at every step: three statements more)."""
        from django.utils import timezone

        from applications.models import Counter

        year = timezone.localdate().year
        for item in self.items:
            for kind in ("decision", "licence"):
                Counter.objects.get_or_create(series=f"{kind}:{item.department.code}", year=year)

    def draft(self):
        from django.utils import timezone

        from applications import services

        now = timezone.now()
        application = services.application_create(
            applicant=self.applicant,
            project=self.applicant.projects.first(),
            items=self.items,
            by=self.clerk,
            now=now,
        )
        services.checklist_update(
            application=application,
            lines={
                line.pk: {"status": "received", "copies": 1, "promised_by": None, "note": ""}
                for line in application.materials.all()
            },
            by=self.clerk,
            now=now,
        )
        return application

    def accept(self, application):
        from django.utils import timezone

        from applications import services

        return services.application_accept(
            application=application, by=self.clerk, now=timezone.now()
        )

    def accepted(self):
        return self.accept(self.draft())

    def decide_and_return(self, application) -> None:
        from django.utils import timezone

        from applications import services

        signer_of = dict(zip((i.pk for i in self.items), self.signers, strict=True))
        for review in application.reviews.order_by("id"):
            signer = signer_of[review.item_id]
            services.review_decide(
                review=review,
                by=signer,
                now=timezone.now(),
                outcome="granted",
                reasons="",
            )
            services.review_return(review=review, by=signer, now=timezone.now())


def measure_accept(runs: int) -> list[dict]:
    from django.test import Client
    from django.utils import timezone

    from applications import document_fonts, documents
    from applications.models import Document
    from licences import signing

    document_fonts.make()  # as `make run` and the image have it (kept when made)
    intake = Intake()
    clerks = Client()
    clerks.force_login(intake.clerk)
    rows = []
    samples, _ = repeat(intake.accept, runs=runs, setup=intake.draft, rollback=True)
    rows.append(figure("accept, five items (application_accept)", samples, target=100))

    def post(application) -> None:
        response = clerks.post(f"/applications/{application.pk}/accept/")
        assert response.status_code == 302, response.status_code

    samples, _ = repeat(post, runs=runs, setup=intake.draft, rollback=True)
    rows.append(figure("accept, five items (POST /applications/<pk>/accept/)", samples))

    def slip(application) -> bytes:
        document = application.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
        return documents.render_pdf(document)

    def signed_slip(application) -> bytes:
        """The slip as a reader gets it: rendered with its verification QR code, signed by
        the center (licences/signing.py) and stored (documents.printed)."""
        document = application.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
        return documents.printed(document, now=timezone.now())[0]

    cold = time.perf_counter()
    with rolled_back():
        slip(intake.accepted())
    cold = (time.perf_counter() - cold) * 1000
    samples, pdf = repeat(slip, runs=runs, setup=intake.accepted, rollback=True)
    rows.append(
        figure("commitment slip PDF (render_pdf)", samples, bytes=len(pdf), first_ms=round(cold, 1))
    )
    signing.signer()  # the key, loaded once per process as a worker does
    samples, signed = repeat(signed_slip, runs=runs, setup=intake.accepted, rollback=True)
    rows.append(
        figure("commitment slip, signed and stored (documents.printed)", samples, bytes=len(signed))
    )
    samples, _ = repeat(lambda _: signing.sign(pdf, reason="bench", location="bench"), runs=runs)
    # And its processor time, which a loaded machine does not inflate as it does the wall clock.
    cpu = time.process_time()
    for _ in range(runs):
        signing.sign(pdf, reason="bench", location="bench")
    cpu_ms = round((time.process_time() - cpu) * 1000 / runs, 1)
    rows.append(figure("the signature alone (signing.sign of a slip)", samples, cpu_ms=cpu_ms))
    samples, _ = repeat(
        lambda application: signed_slip(intake.accept(application)),
        runs=runs,
        setup=intake.draft,
        rollback=True,
    )
    rows.append(figure("accept + commitment slip PDF, signed", samples, target=300))
    for row in rows:
        row["section"] = "accept"
    return rows


def measure_core(runs: int) -> list[dict]:
    from django.utils import timezone

    from applications.models import DepartmentReview

    intake = Intake()
    window = _busiest_window()
    today = timezone.localdate()
    rows = []
    samples, _ = repeat(intake.accept, runs=runs, setup=intake.draft, rollback=True)
    rows.append(figure("accept an application with five reviews", samples, target=8))
    samples, _ = repeat(intake.decide_and_return, runs=runs, setup=intake.accepted, rollback=True)
    rows.append(figure("decide and return all five", samples, target=35))

    def first_50(_) -> list:
        # The reviews alone, as an engine lists a group's tasks.
        return list(
            DepartmentReview.objects.open().for_window(window).order_by("deadline", "id")[:50]
        )

    samples, found = repeat(first_50, runs=runs * 3)
    rows.append(
        figure(
            f"a window's first 50 open reviews by deadline ({window.number})",
            samples,
            target=5,
            found=len(found),
        )
    )

    def first_50_listed(_) -> list:
        # As the window's queue reads them: with their application, applicant, project,
        # officer (joined) and item (a second query).
        return list(
            DepartmentReview.objects.open()
            .for_window(window)
            .listed()
            .order_by("deadline", "id")[:50]
        )

    samples, found = repeat(first_50_listed, runs=runs * 3)
    rows.append(
        figure(
            "  the same with application, applicant, project, officer and item",
            samples,
            found=len(found),
        )
    )

    def overdue(_) -> int:
        return DepartmentReview.objects.filter(
            state__in=DepartmentReview.RUNNING_STATES, deadline__lt=today
        ).count()

    samples, count = repeat(overdue, runs=runs * 3)
    rows.append(figure("count overdue reviews", samples, target=5, found=count))
    for row in rows:
        row["section"] = "core"
    return rows


class Views:
    """The pages' own code for each step: the view functions, called with a request as a POST
    reaches them after the middleware (the signed-in person read as the session's middleware
    reads them, a message store), so the steps pay the views' access and role checks and the
    services, and not the HTTP, the session or the person's read around them."""

    def __init__(self, intake: Intake) -> None:
        from django.test import RequestFactory

        self.intake = intake
        self.factory = RequestFactory()
        self.signer_of = dict(zip((i.pk for i in intake.items), intake.signers, strict=True))

    def request(self, view, user, path: str, *args, data: dict | None = None):
        """A step ready to run: (view, request, args)."""
        from django.conf import settings
        from django.contrib.auth import load_backend
        from django.contrib.messages.storage.base import BaseStorage

        request = self.factory.post(path, data or {})
        backend = next(b for b in settings.AUTHENTICATION_BACKENDS if "Model" in b or "Staff" in b)
        request.user = load_backend(backend).get_user(user.pk)
        request._messages = BaseStorage(request)
        return view, request, args

    @staticmethod
    def run(step) -> None:
        view, request, args = step
        response = view(request, *args)
        assert response.status_code == 302, response.status_code
        errors = [m for m in request._messages._queued_messages if m.level_tag == "error"]
        assert not errors, [str(m) for m in errors]

    def accept(self, application):
        from applications import views

        return self.request(
            views.application_action,
            self.intake.clerk,
            f"/applications/{application.pk}/accept/",
            application.pk,
            "accept",
        )

    def way_back(self, application) -> dict[str, list]:
        """The steps of deciding, returning and receiving all five reviews."""
        from applications import views

        reviews = list(application.reviews.order_by("id"))
        signer = [self.signer_of[review.item_id] for review in reviews]
        return {
            "decide": [
                self.request(
                    views.review_action,
                    signer[i],
                    f"/reviews/{review.pk}/decide/",
                    review.pk,
                    "decide",
                    data={"outcome": "granted", "reasons": ""},
                )
                for i, review in enumerate(reviews)
            ],
            "return": [
                self.request(
                    views.review_action,
                    signer[i],
                    f"/reviews/{review.pk}/return/",
                    review.pk,
                    "return",
                )
                for i, review in enumerate(reviews)
            ],
            "receive": [
                self.request(
                    views.review_receive,
                    self.intake.clerk,
                    f"/reviews/{review.pk}/receive/",
                    review.pk,
                )
                for review in reviews
            ],
        }

    def run_way_back(self, steps: dict[str, list]) -> None:
        from applications.models import Application

        for name in ("decide", "return", "receive"):
            for step in steps[name]:
                self.run(step)
        review_pk = steps["receive"][0][2][0]
        state = (
            Application.objects.filter(reviews__pk=review_pk).values_list("state", flat=True).get()
        )
        assert state == Application.State.READY, state


def _queries(work: Callable[[], object]) -> int:
    """The statements `work` sends, transaction control aside (in a request, BEGIN and COMMIT;
    here the benchmark's savepoints)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work()
    return sum(
        1
        for query in captured.captured_queries
        if not query["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO", "PREPARE"))
    )


def measure_way_back(runs: int) -> list[dict]:
    """The core loop through the views' checks: accept with five reviews, then decide, return
    and receive each of the five until the application is ready; queries per step."""
    intake = Intake()
    views = Views(intake)
    rows = []

    def accept_step():
        return views.accept(intake.draft())

    samples, _ = repeat(views.run, runs=runs, setup=accept_step, rollback=True)
    with rolled_back():
        step = accept_step()
        queries = _queries(lambda: views.run(step))
    rows.append(
        figure(
            "accept, five reviews (the view's checks + service)",
            samples,
            target=10,
            queries=queries,
        )
    )

    def draft_and_accept(_) -> None:
        application = intake.draft()
        views.run(views.accept(application))

    samples, _ = repeat(draft_and_accept, runs=runs, rollback=True)
    rows.append(figure("  draft (five items, checklist) and accept", samples, target=20))

    samples, _ = repeat(
        views.run_way_back,
        runs=runs,
        setup=lambda: views.way_back(intake.accepted()),
        rollback=True,
    )
    per_step = {}
    with rolled_back():
        steps = views.way_back(intake.accepted())
        for name in ("decide", "return", "receive"):
            per_step[name] = [_queries(lambda s=step: views.run(s)) for step in steps[name]]
    total = sum(sum(counts) for counts in per_step.values())
    rows.append(
        figure(
            "the way back: decide, return, receive all five (ready)",
            samples,
            target=40,
            queries=total,
            queries_per_review=round(total / 5, 1),
            queries_per_step=per_step,
        )
    )
    for row in rows:
        row["section"] = "wayback"
    return rows


def measure_way_back_split(runs: int) -> list[dict]:
    """The way back split by step (decide, return, receive: five of each), wall and CPU of this
    process, as the center runs it, with its writes run as given instead of kept on the server
    (`prepared.execute`), without the licences (issue 16), and without the outbox's events as
    well (issue 17): what each record costs. The four are run in turn, case by case,
    so that the machine's drift falls on each alike. Not in `make bench`'s sections
    (`--sections split`); benchmarks/notes.md, "The sixth round" and "The seventh"."""
    from django.apps import apps

    from approval_center import prepared

    intake = Intake()
    views = Views(intake)
    licences, outbox = apps.get_app_config("licences"), apps.get_app_config("outbox")

    def as_given(cursor, sql, params) -> None:
        cursor.execute(sql, params)

    def nothing(*args) -> list:
        return []

    variants = [
        ("as the center runs it", []),
        # The writes run as given, each planned at every call (before the seventh round).
        ("writes not kept", [(prepared, "execute", as_given)]),
        ("without the licences", [(licences, "decision_final", nothing)]),
        (
            "without the licences and the events",
            [
                (licences, "decision_final", nothing),
                (outbox, "decision_final", nothing),
                (outbox, "case_event", nothing),
            ],
        ),
    ]
    names = ("decide", "return", "receive")
    wall = {label: {name: [] for name in (*names, "all")} for label, _ in variants}
    cpu = {label: {name: [] for name in (*names, "all")} for label, _ in variants}
    queries: dict[str, dict[str, int]] = {}

    @contextmanager
    def hooks_off(off):
        """Each (object, name, stand-in): the stand-in set over what the object had (a module's
        function, an app config's method: an attribute of its own over it), then put back."""
        missing = object()
        had = [(obj, name, vars(obj).get(name, missing)) for obj, name, _ in off]
        for obj, name, stand_in in off:
            setattr(obj, name, stand_in)
        try:
            yield
        finally:
            for obj, name, before in had:
                if before is missing:
                    delattr(obj, name)
                else:
                    setattr(obj, name, before)

    for i in range(runs + 2):
        for label, off in variants:
            with hooks_off(off), rolled_back():
                steps = views.way_back(intake.accepted())
                total_wall = total_cpu = 0.0
                for name in names:
                    t0, c0 = time.perf_counter(), time.process_time()
                    for step in steps[name]:
                        views.run(step)
                    w, c = time.perf_counter() - t0, time.process_time() - c0
                    total_wall, total_cpu = total_wall + w, total_cpu + c
                    if i >= 2:  # two warm-ups
                        wall[label][name].append(w * 1000)
                        cpu[label][name].append(c * 1000)
                if i >= 2:
                    wall[label]["all"].append(total_wall * 1000)
                    cpu[label]["all"].append(total_cpu * 1000)
    for label, off in variants:
        with hooks_off(off), rolled_back():
            steps = views.way_back(intake.accepted())
            counted = {n: sum(_queries(lambda s=s: views.run(s)) for s in steps[n]) for n in names}
        queries[label] = {**counted, "all": sum(counted.values())}
    rows = []
    for label, _off in variants:
        for name in ("all", *names):
            rows.append(
                figure(
                    f"way back, {label}: {'the whole' if name == 'all' else name}",
                    wall[label][name],
                    queries=queries[label][name],
                    cpu_ms=round(statistics.median(cpu[label][name]), 1),
                    section="split",
                )
            )
    return rows


# --- the hall -------------------------------------------------------------------------------

HALL_WAITING = 2_000


def measure_hall(runs: int) -> list[dict]:
    """The hall at 43 windows with 2,000 tickets waiting across its businesses (made inside a
    transaction that is rolled back): call-next by a window officer, taking a number, and the
    pages the hall's devices poll. Each timed run is rolled back to its savepoint."""
    import datetime as dt
    import secrets

    from django.utils import timezone

    from hall import demo, devices, figures, services
    from hall.models import Business, DayCounter, Device, ServiceRating, Ticket
    from windows.models import Staff

    rows = []
    now = timezone.now()
    today = timezone.localdate(now)
    with rolled_back():
        demo.seed_businesses()
        businesses = list(Business.objects.offered())
        ServiceRating.objects.filter(ticket__day=today).delete()
        Ticket.objects.filter(day=today).delete()
        DayCounter.objects.filter(day=today).delete()
        tickets, counters = [], []
        for i, business in enumerate(businesses):
            share = HALL_WAITING // len(businesses) + (i < HALL_WAITING % len(businesses))
            counters.append(DayCounter(business=business, day=today, last=share))
            for seq in range(1, share + 1):
                at = now - dt.timedelta(hours=3) + dt.timedelta(seconds=5 * seq)
                tickets.append(
                    Ticket(
                        business=business,
                        day=today,
                        seq=seq,
                        number=f"{business.letter}{seq:03d}",
                        taken_at=at,
                        queue_at=at,
                        follow_key=secrets.token_urlsafe(16),
                    )
                )
        DayCounter.objects.bulk_create(counters)
        Ticket.objects.bulk_create(tickets, batch_size=1000)
        officer = next(
            s
            for s in Staff.objects.filter(window__hall_businesses__letter="E").order_by("pk")
            if services.may_call(s)
        )
        officer = Staff.objects.get(pk=officer.pk)  # roles read afresh, as a request would
        waiting_for_officer = services.waiting_for(officer, today).count()

        def call_next(_):
            with rolled_back():
                return services.call_next(staff=officer, now=now)

        samples, called = repeat(call_next, runs=runs * 3)
        rows.append(
            figure(
                f"call next at {officer.window.number} ({HALL_WAITING:,} waiting in the hall, "
                f"{waiting_for_officer} for it)",
                samples,
                target=10,
                queries=_queries(lambda: call_next(None)),
                found=called.number if called else "",
            )
        )
        intake = businesses[0]

        def take(_):
            with rolled_back():
                return services.ticket_take(business=intake, now=now)

        samples, taken = repeat(take, runs=runs * 3)
        rows.append(
            figure(
                f"take a number ({taken.number})",
                samples,
                queries=_queries(lambda: take(None)),
            )
        )
        samples, _ = repeat(lambda _: figures.live(now), runs=runs * 3)
        rows.append(figure("the dashboard's hall tiles", samples, target=20))
        _kiosk, kiosk_key = devices.device_register(
            name="bench kiosk", kind=Device.Kind.KIOSK, window=None, by=officer, now=now
        )
        _display, display_key = devices.device_register(
            name="bench display", kind=Device.Kind.DISPLAY, window=None, by=officer, now=now
        )
        rows += _hall_pages(runs, intake, kiosk_key, display_key, now)
    for row in rows:
        row["section"] = "hall"
    return rows


def _hall_pages(runs, business, kiosk_enrol, display_enrol, now) -> list[dict]:
    """The devices' pages through the test client (its cookie carrying the device's key):
    printing a ticket at the kiosk, and the display's poll, changed and unchanged."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from hall import devices

    rows = []
    clients = {}
    for name, enrol in (("kiosk", kiosk_enrol), ("display", display_enrol)):
        _device, key = devices.device_enrol(enrol, timezone.now())
        client = Client()
        client.cookies[settings.HALL_DEVICE_COOKIE] = key
        clients[name] = client
    take_url = reverse("hall:kiosk")
    state_url = reverse("hall:display_state")

    def print_ticket(_):
        with rolled_back():
            response = clients["kiosk"].post(take_url, {"business": business.pk}, follow=True)
            assert response.status_code == 200, response.status_code
            return response

    samples, _ = repeat(print_ticket, runs=runs * 2)
    rows.append(
        figure("take a number and print the ticket (kiosk, POST + page)", samples, target=100)
    )
    first = clients["display"].get(state_url)
    etag = first.get("ETag", "")

    def poll_changed(_):
        return clients["display"].get(state_url)

    def poll_same(_):
        return clients["display"].get(state_url, HTTP_IF_NONE_MATCH=etag)

    samples, _ = repeat(poll_changed, runs=runs * 3)
    rows.append(figure("the hall display's poll, full state (43 windows)", samples, target=20))
    samples, same = repeat(poll_same, runs=runs * 3)
    rows.append(
        figure(
            "the hall display's poll, nothing changed (304)",
            samples,
            target=20,
            status=same.status_code,
        )
    )
    return rows


# --- online filing (docs/filing.md) --------------------------------------------------------

FILING_FILES = 10
FILING_FILE_BYTES = 2 * 1024 * 1024
ONLINE_WAITING = 10_000


def _cpu_per_request(client, url: str, runs: int) -> float:
    """The processor time of this process (the view, the ORM, the template; not the
    database server's) per request, in ms: what the page costs whatever the machine's load."""
    client.get(url)
    cpu = time.process_time()
    for _ in range(runs):
        client.get(url)
    return round((time.process_time() - cpu) * 1000 / runs, 1)


def _pdf_of(size: int, n: int) -> bytes:
    head = f"%PDF-1.4\n% bench material {n}\n".encode()
    tail = b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


def _portal_client(account):
    """A test client carrying the applicant's session cookie (portal/sessions.py), as after
    signing in with the SMS code."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import Client, RequestFactory
    from django.utils import timezone

    from portal import sessions

    response = HttpResponse()
    sessions.session_open(RequestFactory().get("/my/"), response, account, timezone.now())
    client = Client()
    client.cookies[settings.PORTAL_SESSION_COOKIE] = response.cookies[
        settings.PORTAL_SESSION_COOKIE
    ].value
    return client


def _items_with_materials(count: int):
    """Items handled in the center, fewest first, until their materials make `count`."""
    from windows import guide
    from windows.models import ItemMaterial

    chosen, materials = [], {}
    for item in guide.items().filter(handled_in_center=True).order_by("code"):
        needs = list(
            ItemMaterial.objects.filter(item=item).select_related("material").order_by("position")
        )
        if not needs or item.packages.exists():
            continue
        chosen.append(item)
        for need in needs:
            materials.setdefault(need.material_id, need.material)
        if len(materials) >= count:
            break
    return chosen, list(materials.values())[:count]


def measure_filing(runs: int) -> list[dict]:
    """Online filing: (a) an applicant submits a draft of 10 materials of 2 MB each through
    the submit page (the view, `portal.services.filing_submit`, the counter's
    `application_create` and `scan_add` for each file: every file is read, checked and stored
    again as a scan), the virus scan off; (b) the clerk's intake desk with its online summary,
    and the online pre-review queue (its first and last page, a search by name), at 10,000
    applications filed online waiting for pre-review (and as many drafts the staff never see);
    statements and this process's CPU per request beside the wall clock. Everything is made
    inside a transaction that is rolled back; the files go to a temporary directory removed
    afterwards."""
    import shutil
    import tempfile
    from pathlib import Path
    from urllib.parse import quote

    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse
    from django.utils import timezone

    from applications.models import Applicant, Application
    from applications.validators import id_check_char
    from applications.views import ONLINE_PAGE_SIZE
    from portal.models import Account, Filing, FilingFile
    from windows.roles import Role
    from windows.workdays import WorkCalendar

    rows = []
    now = timezone.now()
    media = Path(tempfile.mkdtemp(prefix="bench-filing-"))
    storages = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(media)}},
    }
    try:
        with override_settings(STORAGES=storages, CLAMD_SOCKET="", CLAMD_HOST=""), rolled_back():
            mobile = "13999990000"
            account = Account.objects.create(mobile=mobile, created_at=now, last_signed_in_at=now)
            first17 = "33018519800101999"
            person = Applicant.objects.create(
                kind=Applicant.Kind.PERSON,
                name="压测申请人",
                id_number=first17 + id_check_char(first17),
                contact_name="压测申请人",
                mobile=mobile,
            )
            items, materials = _items_with_materials(FILING_FILES)
            assert len(materials) == FILING_FILES, "the demo's items ask for too few materials"
            # The ten files on disk once: each run's draft points at them (a run is rolled
            # back, so the draft's files are never removed after its commit).
            stored = []
            for n, material in enumerate(materials):
                holder = FilingFile(material=material)
                holder.file.save(f"m{n}.pdf", ContentFile(_pdf_of(FILING_FILE_BYTES, n)), False)
                stored.append((material, holder.file.name))
            client = _portal_client(account)

            def draft():
                for leftover in media.iterdir():  # the scans of the run before
                    if leftover.name != "filing":
                        shutil.rmtree(leftover, ignore_errors=True)
                filing = Filing.objects.create(account=account, applicant=person, created_at=now)
                filing.items.set(items)
                FilingFile.objects.bulk_create(
                    FilingFile(
                        filing=filing,
                        material=material,
                        file=name,
                        original_name=f"{material.pk}.pdf",
                        content_type="application/pdf",
                        size=FILING_FILE_BYTES,
                        uploaded_at=now,
                    )
                    for material, name in stored
                )
                return filing

            def submit(filing):
                response = client.post(reverse("portal:filing_submit", args=[filing.pk]))
                assert response.status_code == 302, response.status_code
                assert "/my/applications/" in response["Location"], response["Location"]
                return filing

            samples, last = repeat(submit, runs=runs, setup=draft, rollback=True)
            with rolled_back():
                queries = _queries(lambda: submit(draft()))
            rows.append(
                figure(
                    f"submit online: {FILING_FILES} materials of "
                    f"{FILING_FILE_BYTES // (1024 * 1024)} MB, {len(items)} items (POST)",
                    samples,
                    target=1000,
                    queries=queries,
                )
            )

            # (b) The online queue: 10,000 applications filed online waiting for pre-review;
            # first the desk as the data set has it, for the difference they make.
            clerk = _person(Role.INTAKE_CLERK)
            desk = Client()
            desk.force_login(clerk)
            before = Application.objects.to_pre_review().count()
            rows.append(
                page(
                    desk,
                    "/intake/",
                    runs,
                    name=f"  the same desk before ({before:,} filed online waiting)",
                    target=None,
                )
            )
            rows[-1]["cpu_ms"] = _cpu_per_request(desk, "/intake/", runs)
            calendar = WorkCalendar.load()
            applicants = list(Applicant.objects.order_by("pk")[:500])
            made = Application.objects.bulk_create(
                (
                    Application(
                        applicant=applicants[i % len(applicants)],
                        channel=Application.Channel.ONLINE,
                        state=Application.State.DRAFT,
                        received_at=now - dt.timedelta(minutes=i),
                        submitted_at=now - dt.timedelta(minutes=i),
                        notice_due=calendar.add_working_days(
                            (now - dt.timedelta(minutes=i)).date(), 5
                        ).end,
                    )
                    for i in range(ONLINE_WAITING)
                ),
                batch_size=2000,
            )
            links = Application.items.through
            links.objects.bulk_create(
                (
                    links(application_id=a.pk, item_id=items[k % len(items)].pk)
                    for a in made
                    for k in range(2)
                ),
                batch_size=5000,
                ignore_conflicts=True,
            )
            drafts = Filing.objects.bulk_create(
                Filing(account=account, applicant=person, created_at=now)
                for _ in range(ONLINE_WAITING)
            )
            del drafts
            sql("ANALYZE applications_application")
            sql("ANALYZE applications_application_items")
            sql("ANALYZE portal_filing")
            waiting = Application.objects.to_pre_review().count()
            queue_url = reverse("applications:online_queue")
            last_page = -(-waiting // ONLINE_PAGE_SIZE)
            measured = [
                page(
                    desk,
                    "/intake/",
                    runs,
                    name=f"intake desk: its online summary ({waiting:,} filed online waiting)",
                    target=100,
                ),
                page(
                    desk,
                    queue_url,
                    runs,
                    name=f"online pre-review queue, first page of {ONLINE_PAGE_SIZE}",
                    target=100,
                ),
                page(
                    desk,
                    f"{queue_url}?page={last_page}",
                    runs,
                    name=f"  the same, its last page ({last_page})",
                    target=100,
                ),
                page(
                    desk,
                    f"{queue_url}?q={quote(applicants[0].name)}",
                    runs,
                    name="  the same, searched by the applicant's name",
                    target=None,
                ),
            ]
            for row in measured:
                row["cpu_ms"] = _cpu_per_request(desk, row["url"], runs)
            rows[len(rows) - 1 : len(rows) - 1] = measured  # the 10,000 first, then before
            del last
    finally:
        shutil.rmtree(media, ignore_errors=True)
    for row in rows:
        row["section"] = "filing"
    return rows


def measure_api(runs: int) -> list[dict]:
    """The integration API (docs/api.md) through its real views, with a client's token: the
    token looked up, the scope and the rate counted (Redis), the page read, the call recorded.
    The client is registered inside a transaction that is rolled back."""
    from django.test import Client
    from django.utils import timezone

    from api.clients import client_register
    from api.models import Scope
    from windows.models import Staff

    rows = []
    with rolled_back():
        by = Staff.objects.filter(is_superuser=True).order_by("pk").first()
        _client, token = client_register(
            name="bench platform",
            scopes=Scope.values,
            departments=[],
            rate_limit=1_000_000,
            by=by,
            now=timezone.now(),
        )
        api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        first = api.get("/api/v1/applications/").json()
        later = first["next"]  # the second page, by its cursor
        for name, url, target in (
            ("a page of 100 applications", "/api/v1/applications/", 50),
            ("the next 100 applications (by cursor)", later, 50),
            ("a page of 500 applications", "/api/v1/applications/?page_size=500", None),
            ("a page of 100 reviews", "/api/v1/reviews/", 50),
            ("a page of 100 decisions", "/api/v1/decisions/", 50),
            ("a page of 100 licences", "/api/v1/licences/", 50),
        ):
            rows.append(page(api, url, runs, name=name, target=target))
    for row in rows:
        row["section"] = "api"
    return rows


# --- the outbox (outbox/, docs/outbox.md) ---------------------------------------------------

OUTBOX_APPLICATIONS = 100
OUTBOX_EVENTS_EACH = 10


@contextmanager
def _receiver(db: str):
    """The local test receiver as production would serve it: gunicorn (two sync workers) on a
    spare port of 127.0.0.1, on the benchmark's database; yields its address."""
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = env.server_environment(db) | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "OUTBOX_RECEIVER_ENABLED": "true",
    }
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "approval_center.wsgi"],
        cwd=env.ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # both workers booted and answering
            try:
                for _ in range(4):
                    try:
                        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30)
                    except urllib.error.HTTPError:  # 503: answering (beat does not run here)
                        pass
                break
            except OSError:
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/outbox/receiver/"
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure_outbox(runs: int) -> list[dict]:
    """What the outbox costs a step (its one INSERT, which reads the case it reports), and how
    many events one worker pushes per second to the local test receiver over HTTP on
    localhost: 100 applications with 10 events each, pushed in order per application, each
    POST signed, its answer awaited and the event marked pushed. The events are written inside
    a transaction that is rolled back; the receiver (another process) keeps what it got, which
    is deleted afterwards."""
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from applications.models import Application
    from outbox import events, push
    from outbox.models import OutboxEvent, ReceivedEvent

    now = timezone.now()
    applications = list(
        Application.objects.filter(state="in_review")
        .order_by("id")
        .values_list("id", flat=True)[:OUTBOX_APPLICATIONS]
    )
    rows = []
    one = applications[0]
    samples, _ = repeat(
        lambda _: events.record(application_id=one, kind="accepted", at=now),
        runs=runs * 10,
        rollback=True,
    )
    with rolled_back():
        queries = _queries(lambda: events.record(application_id=one, kind="accepted", at=now))
    rows.append(figure("write one event (the step's one more statement)", samples, queries=queries))
    total = len(applications) * OUTBOX_EVENTS_EACH
    rates, pushed_keys = [], []
    with _receiver(connection.settings_dict["NAME"]) as url:
        settings.OUTBOX_PLATFORM_URL = url
        for _run in range(max(3, runs // 5)):
            with rolled_back():
                OutboxEvent.objects.filter(application_id__in=applications).update(
                    pushed_at=now
                )  # what was there before: not this run's
                for application_id in applications:
                    for _ in range(OUTBOX_EVENTS_EACH):
                        events.record(application_id=application_id, kind="accepted", at=now)
                t0 = time.perf_counter()
                sent = sum(push.push_application(a) for a in applications)
                elapsed = time.perf_counter() - t0
                assert sent == total, (sent, total)
                pushed_keys += [
                    str(k)
                    for k in OutboxEvent.objects.filter(
                        application_id__in=applications, created_at=now, pushed_at__gt=now
                    ).values_list("key", flat=True)
                ]
                rates.append(elapsed * 1000 / total)
        # The receiver's part alone: a signed POST of a new event, answered.
        import uuid

        def post(_):
            key = str(uuid.uuid4())
            body = json.dumps({"id": key, "kind": "accepted", "sequence": 1}).encode()
            push.send(url, key, body, secret=settings.OUTBOX_SHARED_SECRET, timeout=30)
            pushed_keys.append(key)

        posts, _ = repeat(post, runs=runs * 10)
        settings.OUTBOX_PLATFORM_URL = ""
    received = ReceivedEvent.objects.filter(key__in=pushed_keys)
    stored = received.count()
    received.delete()
    per_event = statistics.median(rates)
    rows.append(
        figure(
            f"push one event to the receiver ({total} events, one worker)",
            rates,
            events_per_second=round(1000 / per_event),
            stored_by_receiver=stored,
        )
    )
    rows.append(figure("  of which the receiver: one signed POST answered", posts))
    for row in rows:
        row["section"] = "outbox"
    return rows


MEASURES = {
    "api": measure_api,
    "outbox": measure_outbox,
    "wayback": measure_way_back,
    "split": measure_way_back_split,  # by hand only: not in SECTIONS
    "sweep": measure_sweep,
    "pages": measure_pages,
    "accept": measure_accept,
    "core": measure_core,
    "hall": measure_hall,
    "filing": measure_filing,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="bench")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    env.use_database(args.db)
    # As gunicorn's workers do once loaded (gunicorn.conf.py, post_worker_init).
    import approval_center.urls  # noqa: F401

    from . import build, generate

    gc.collect()
    gc.freeze()

    result = {
        "db": args.db,
        "spec": build.current_spec(args.db),
        "census": generate.census(),
        "figures": [],
    }
    for section in args.sections.split(","):
        t0 = time.perf_counter()
        load, speed = os.getloadavg()[0], host.reference_ms()
        print(
            f"{args.db}: measuring {section} (load average {load:.1f},"
            f" host's reference work {speed} ms)",
            flush=True,
        )
        rows = MEASURES[section](args.runs)
        speed_after = host.reference_ms()
        for row in rows:  # the machine as it was: the wall clock depends on it
            row["load_average"] = [round(load, 1), round(os.getloadavg()[0], 1)]
            row["host_ms"] = [speed, speed_after]
        for row in rows:
            print(
                f"  {row['name']:<62} median {row['median_ms']:9.2f} ms"
                f"  p95 {row['p95_ms']:9.2f} ms"
                + (f"  {row['queries']} queries" if "queries" in row else "")
                + (f"  {row['events_per_second']} events/s" if "events_per_second" in row else "")
                + (f"  {row['cpu_ms']} ms CPU" if "cpu_ms" in row else ""),
                flush=True,
            )
        result["figures"].extend(rows)
        tidy()
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
