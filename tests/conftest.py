"""Shared fixtures: a small center with named people in every role.

alice is an officer at the construction window, bob its head (holds a letter), carol the stationed
deputy of planning, dave an intake clerk, erin a center manager, frank a department leader,
gwen the head of the government, and mallory an officer of another department who should see
nothing of construction's work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from applications import services
from applications.models import Applicant, Project
from windows import authority
from windows.calendar_seed import seed_calendar
from windows.models import (
    AuthorizationLetter,
    Department,
    Item,
    ItemMaterial,
    Material,
    Seal,
    Staff,
    StationedDeputy,
    Window,
)
from windows.roles import Role

from .replay import replayed

PASSWORD = "correct horse battery"


def seen(html: str) -> str:
    """What a reader sees of a page: the tags out, the spaces run together (an English page wraps
    Chinese data in <span lang="zh">, so a sentence naming it is split by tags)."""
    import re

    html = re.sub(r'<span lang="zh">([^<]*)</span>', r"\1", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def sent(captured) -> list[str]:
    """The statements a `CaptureQueriesContext` saw, less a statement's one-time preparation on
    the server (approval_center/prepared.py: in a savepoint, once per database session); a kept
    statement is then run as `EXECUTE`."""
    preparation = ("SAVEPOINT", "RELEASE SAVEPOINT", "PREPARE")
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(preparation)]


def aware(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour))


@dataclass
class Center:
    construction: Department
    planning: Department
    intake_window: Window
    construction_window: Window
    planning_window: Window
    permit: Item
    design_review: Item
    planning_item: Item
    letter: AuthorizationLetter
    posting: StationedDeputy
    alice: Staff
    bob: Staff
    carol: Staff
    dave: Staff
    erin: Staff
    frank: Staff
    mallory: Staff
    admin: Staff
    gwen: Staff


def make_staff(username: str, role: Role | None, **fields) -> Staff:
    user = Staff.objects.create_user(
        username=username,
        password=PASSWORD,
        full_name=fields.pop("full_name", username.title()),
        **fields,
    )
    if role is not None:
        user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, request):
    """The test database made from a copy of the migrated one when there is one
    (tests/migrated.py): pytest-django creates the database after this fixture."""
    from .migrated import migrated_once

    cache = getattr(request.config, "cache", None)  # none with -p no:cacheprovider
    if cache is None:
        yield
        return
    with migrated_once(cache.mkdir("migrated-db")):
        yield


# The accessibility counts of the browser tests, summed in the run's own process
# (tests/browser/conftest.py): here, as that process of pytest-xdist collects nothing and so
# never loads tests/browser/conftest.py itself.


def pytest_sessionstart(session):
    from .browser import conftest

    conftest.session_start()


def pytest_sessionfinish(session):
    from .browser import conftest

    conftest.session_finish()


def pytest_terminal_summary(terminalreporter):
    from .browser import conftest

    conftest.terminal_summary(terminalreporter)


@pytest.fixture(autouse=True)
def eager_celery():
    # Tasks run in the test's own process: no message reaches a broker from a test.
    from approval_center.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def no_platform(settings):
    # Case events wait in the outbox (outbox/): development's default address is the demo's
    # receiver on port 8000, which a test must not reach. Tests of the push set their own.
    settings.OUTBOX_PLATFORM_URL = ""


@pytest.fixture(autouse=True)
def own_cache(settings):
    # Each test has a cache of its own (a key prefix of its own): on the PostgreSQL pass the cache
    # is the shared Redis, and what one test kept (a rate limit, the dashboard's past days) must
    # not be read by the next.
    import uuid

    caches = {alias: dict(config) for alias, config in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches  # the setting_changed signal resets the cache connections


@pytest.fixture(scope="session", autouse=True)
def document_fonts_of_the_checkout():
    """Documents print with their own font (applications/document_fonts.py) when `make test` made
    it in the checkout's var/fonts (whatever VAR_DIR a run has): a third of a first print's
    time. Without it they print from Noto, as they show the same."""
    from django.conf import settings

    made = settings.BASE_DIR / "var" / "fonts"
    if made.is_dir():
        settings.DOCUMENT_FONTS_DIR = made
    yield


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # Real hashing takes a third of a second per user; the tests create hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# The fixtures below each call a plain function of the same work, so that a module can also
# build them once for many tests that only read them (tests/shared.py).


@pytest.fixture
def assessment_weights(db):
    """The weights row that migration supervision/0003 writes at install.

    A transactional test (a browser test, a concurrency test) flushes every table when it ends, this
    row with them; a test that needs the row asks for it here instead of relying on the order."""
    return add_assessment_weights()


def add_assessment_weights():
    from supervision.models import AssessmentWeights

    return AssessmentWeights.objects.order_by("pk").first() or AssessmentWeights.objects.create()


@pytest.fixture
def calendar(db):
    load_calendar()


def load_calendar() -> None:
    seed_calendar([2025, 2026])


@pytest.fixture
def center(db) -> Center:
    return build_center()


@replayed  # built once per process, then its rows written back (tests/replay.py)
def build_center() -> Center:
    construction = Department.objects.create(
        code="jsj", name="临安市建设局", short_name="建设局", leader_name="王建国（局长）"
    )
    planning = Department.objects.create(
        code="fgj", name="临安市发展计划局", short_name="发改局", leader_name="李振华（局长）"
    )
    intake_window = Window.objects.create(number="A01", name="综合窗口", kind="comprehensive")
    construction_window = Window.objects.create(
        number="A05", name="建设局窗口", department=construction
    )
    planning_window = Window.objects.create(number="A02", name="发改局窗口", department=planning)
    common = {"legal_basis": "《中华人民共和国行政许可法》第四十二条", "statutory_days": 20}
    permit = Item.objects.create(
        code="XK-JSJ-001",
        name="建筑工程施工许可证核发",
        department=construction,
        window=construction_window,
        promised_days=7,
        fixed_asset_parallel=True,
        **common,
    )
    design_review = Item.objects.create(
        code="XK-JSJ-002",
        name="施工图设计文件审查备案",
        department=construction,
        window=construction_window,
        promised_days=5,
        **common,
    )
    planning_item = Item.objects.create(
        code="XK-FGJ-001",
        name="企业投资项目核准",
        department=planning,
        window=planning_window,
        promised_days=10,
        needs_countersign=True,
        **common,
    )
    alice = make_staff(
        "alice", Role.WINDOW_OFFICER, department=construction, window=construction_window
    )
    bob = make_staff("bob", Role.WINDOW_HEAD, department=construction, window=construction_window)
    carol = make_staff("carol", Role.STATIONED_DEPUTY, department=planning, window=planning_window)
    dave = make_staff("dave", Role.INTAKE_CLERK, window=intake_window)
    erin = make_staff("erin", Role.CENTER_MANAGER, is_staff=True)
    frank = make_staff("frank", Role.DEPARTMENT_LEADER, department=planning)
    mallory = make_staff(
        "mallory", Role.WINDOW_OFFICER, department=planning, window=planning_window
    )
    admin = make_staff("root", Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    gwen = make_staff("gwen", Role.GOVERNMENT_HEAD, full_name="Gwen", title="副市长")
    letter = AuthorizationLetter.objects.create(
        number="临建委〔2026〕1号",
        department=construction,
        delegating_official="王建国（局长）",
        window_head=bob,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    letter.items.set([permit, design_review])
    posting = StationedDeputy.objects.create(
        department=planning,
        staff=carol,
        appointment_ref="临组干〔2026〕8号",
        term_start=dt.date(2026, 3, 1),
        term_end=dt.date(2027, 2, 28),
    )
    return Center(
        construction,
        planning,
        intake_window,
        construction_window,
        planning_window,
        permit,
        design_review,
        planning_item,
        letter,
        posting,
        alice,
        bob,
        carol,
        dave,
        erin,
        frank,
        mallory,
        admin,
        gwen,
    )


# Intake happens on Monday 28 September 2026, with the National Day break (1–7 October) ahead.
NOW = aware(2026, 9, 28, 10)


@pytest.fixture
def applicant(db):
    return add_applicant()


def add_applicant() -> Applicant:
    return Applicant.objects.create(
        kind="enterprise",
        name="临安青山建设有限公司",
        id_number="9144030071526726XG",
        contact_name="张伟",
        mobile="13800000000",
        email="zhang@example.com",
    )


@pytest.fixture
def project(applicant):
    return add_project(applicant)


def add_project(applicant) -> Project:
    return Project.objects.create(
        applicant=applicant,
        code="2026-330185-47-01-123456",
        name="青山湖科技园一期",
        location="临安区青山湖街道",
        total_investment="12000.00",
        land_area="35000.00",
        description="研发楼三幢及配套设施",
    )


@pytest.fixture
def materials(center):
    return add_materials(center)


def add_materials(center) -> dict[str, Material]:
    licence = Material.objects.create(name="营业执照（副本）")
    form = Material.objects.create(name="申请表")
    eia = Material.objects.create(name="环境影响评价批复文件")
    for item in (center.permit, center.design_review, center.planning_item):
        ItemMaterial.objects.create(item=item, material=licence, form="copy")
    ItemMaterial.objects.create(item=center.permit, material=form)
    ItemMaterial.objects.create(item=center.permit, material=eia, form="copy", may_follow=True)
    return {"licence": licence, "form": form, "eia": eia}


@pytest.fixture
def draft(center, calendar, materials, applicant, project):
    return add_draft(center, applicant, project)


def add_draft(center, applicant, project):
    """The draft of `draft`: the calendar and the materials must be there."""
    return services.application_create(
        applicant=applicant,
        project=project,
        by=center.dave,
        now=NOW,
        items=[center.permit, center.planning_item],
    )


def bulk_open_reviews(
    accepted, center, count: int, *, start: int = 0, spread: int = 30, stopped_every: int = 0
) -> None:
    """`count` more applications in review with one open review each at the construction window,
    written in bulk: deadlines from 13 October onwards over `spread` days, every
    `stopped_every`-th review stopped (none with 0)."""
    from applications.models import Application, DepartmentReview

    applications = Application.objects.bulk_create(
        Application(
            applicant=accepted.applicant,
            state="in_review",
            received_at=NOW,
            received_by=center.dave,
            notice_due=accepted.notice_due,
            receipt_number=f"2026{800000 + start + i}",
            accepted_at=NOW,
            promised_date=dt.date(2026, 10, 13),
            due_date=dt.date(2026, 10, 13),
        )
        for i in range(count)
    )
    DepartmentReview.objects.bulk_create(
        DepartmentReview(
            application=application,
            item=center.permit,
            department=center.construction,
            window=center.construction_window,
            state="suspended"
            if stopped_every and (start + i) % stopped_every == stopped_every - 1
            else "in_progress",
            officer=center.alice,
            started_on=dt.date(2026, 9, 28),
            promised_days=7,
            statutory_days=20,
            deadline=dt.date(2026, 10, 13) + dt.timedelta(days=(start + i) % spread),
            statutory_deadline=dt.date(2026, 11, 2),
        )
        for i, application in enumerate(applications)
    )


def extend(review, *, by, approved_by, now, days: int, reason: str):
    """An extension as it happens (Art. 42): `by` asks, `approved_by` approves; the notice."""
    extension = services.extension_request(review=review, by=by, now=now, days=days, reason=reason)
    return services.extension_approve(extension=extension, by=approved_by, now=now)


def receive_all(application, by, **overrides):
    lines = {}
    for line in application.materials.select_related("material"):
        lines[line.pk] = {
            "status": "received",
            "copies": 1,
            **overrides.get(line.material.name, {}),
        }
    services.checklist_update(application=application, lines=lines, by=by, now=NOW)


@pytest.fixture
def seals(center):
    add_seals(center)


def add_seals(center) -> None:
    for window in (center.intake_window, center.construction_window, center.planning_window):
        Seal.objects.create(
            window=window,
            number=f"33{window.number}",
            issued_on=dt.date(2024, 1, 1),
            inscription=f"{window.name}行政审批专用章",
        )


@pytest.fixture
def accepted(draft, center, seals):
    return accept(draft, center)


def accept(draft, center):
    """The acceptance of `accepted`: the seals must be there."""
    authority.sync_signing_authority(at=NOW)
    receive_all(draft, center.dave)
    return services.application_accept(application=draft, by=center.dave, now=NOW)


DEMO_MOMENT = aware(2026, 11, 26, 9)


@pytest.fixture
def seeded_demo(db, time_machine, request):
    """The demo center as `seed_demo` leaves it, the clock stopped at 9:00 on 26 November 2026:
    seeded once per run and copied into each test that asks (tests/demo_once.py), in the test's
    transaction (a transactional test seeds for real: the copy replaces every table's rows).
    Returns what the command printed."""
    from django.contrib.contenttypes.models import ContentType

    from .demo_once import seeded_demo as seeded

    time_machine.move_to(DEMO_MOMENT, tick=False)
    yield seeded(request.config)
    ContentType.objects.clear_cache()  # ids read from the copy, rolled back with the test


@pytest.fixture
def real_broker(settings):
    """Point Celery at a broker of the test's choosing, for real: not eager, no pooled
    connections from before. Yields a function taking the broker's URL."""
    from approval_center.celery import app, breaker

    previous = app.conf.broker_url

    previous_options = app.conf.broker_transport_options

    def forget_connections() -> None:
        # Not app.close(), which also unregisters the app (shared tasks would then resolve to an
        # empty default app), nor closing the pools, which kombu shares per URL.
        app._pool = None
        app.amqp._producer_pool = None
        breaker.reset()

    def use(url: str) -> None:
        forget_connections()
        app.conf.broker_url = url
        is_redis = url.startswith("redis")
        app.conf.broker_transport_options = settings.REDIS_TRANSPORT_OPTIONS if is_redis else {}

    app.conf.task_always_eager = False
    yield use
    forget_connections()
    app.conf.broker_url = previous
    app.conf.broker_transport_options = previous_options


@pytest.fixture
def pdf_once(monkeypatch):
    """WeasyPrint runs once per distinct page: a test that asks for the same PDF many times (the
    hostile walk, the access table) renders the page each time but lays it out once. The view,
    its checks and the page's HTML run every time; only identical HTML gets the same bytes."""
    import hashlib

    from applications import documents

    real = documents._write
    laid_out: dict[bytes, tuple[bytes, int]] = {}

    def write(html: str) -> tuple[bytes, int]:
        key = hashlib.sha256(html.encode()).digest()
        if key not in laid_out:
            laid_out[key] = real(html)
        return laid_out[key]

    monkeypatch.setattr(documents, "_write", write)
    return laid_out


@pytest.fixture(scope="session", autouse=True)
def quick_flush_on_postgresql():
    """A transactional test (a browser test, a race) ends with Django's flush, a TRUNCATE of all
    103 tables, which PostgreSQL makes new files for: about half a second to several under load,
    for every such test. A test writes to a few tables: those are emptied with DELETE instead, in
    one transaction with the triggers off (the append-only triggers refuse a DELETE; the foreign
    keys are emptied together). It needs a superuser, as CI's `postgres`; otherwise the flush is
    Django's own."""
    from django.core.management.commands import flush

    real = flush.sql_flush

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        if connection.vendor != "postgresql" or reset_sequences:
            return real(
                style, connection, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        tables = connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                return real(style, connection, reset_sequences=False, allow_cascade=allow_cascade)
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s FROM (SELECT 1 FROM {quote(table)} LIMIT 1) AS t{i}"  # noqa: S608 (Django's own tables)
                    for i, table in enumerate(tables)
                ),
                tables,
            )
            written = [row[0] for row in cursor.fetchall()]
        # Never empty, even when nothing was written: flush sends post_migrate (the roles'
        # groups, the permissions) only after statements.
        return [
            "SET LOCAL session_replication_role = replica;",
            *(f"DELETE FROM {quote(table)};" for table in written),  # noqa: S608
        ]

    flush.sql_flush = sql_flush
    yield
    flush.sql_flush = real


@pytest.fixture(scope="session", autouse=True)
def post_migrate_written_back():
    """After the first flush of a process, the rows post_migrate makes (content types,
    permissions, the roles' groups) are written back instead of made again (tests/post_migrate.py):
    a second or more of each transactional test on SQLite, about one on PostgreSQL."""
    from django.core.management.commands import flush

    from .post_migrate import replay_post_migrate

    real = flush.emit_post_migrate_signal
    flush.emit_post_migrate_signal = replay_post_migrate(real)
    yield
    flush.emit_post_migrate_signal = real


@pytest.fixture
def working_center(center, accepted, applicant, project):
    """The accepted application in review with an extension asked at each level and an urge
    notice on its construction review; a second application delivered, its rating link sent
    (the pages of every role, in both languages: tests/test_language.py and the browser's
    tests/browser/test_accessibility.py)."""
    return add_working_center(center, accepted, applicant, project)


def add_working_center(center, accepted, applicant, project) -> dict:
    """The work of `working_center`, on the application of `accepted`."""
    from supervision.actions import urge_issue

    from .applicant_helpers import take_to_delivery

    permit = accepted.reviews.get(item=center.permit)
    services.review_claim(review=permit, by=center.alice, now=NOW)
    services.extension_request(review=permit, by=center.alice, now=NOW, days=5, reason="专家评审")
    services.joint_extension_request(
        application=accepted, by=center.dave, now=NOW, days=10, reason="三个部门联合现场踏勘"
    )
    urge = urge_issue(
        review=permit, by=center.erin, now=NOW, text="请加快办理。", reply_due=dt.date(2026, 10, 9)
    )
    delivered = take_to_delivery(
        accept(add_draft(center, applicant, project), center), center, now=timezone.now()
    )
    return {"application": accepted, "review": permit, "urge": urge, "delivered": delivered}


def build_working_center() -> tuple[Center, dict]:
    """The center and `working_center` as the fixtures make them, for data built once
    (tests/shared.py)."""
    center = build_center()
    load_calendar()
    add_materials(center)
    applicant = add_applicant()
    project = add_project(applicant)
    add_seals(center)
    accepted = accept(add_draft(center, applicant, project), center)
    return center, add_working_center(center, accepted, applicant, project)


# The hall of the test center (hall/) and the integration API's data (api/): fixtures kept in
# their own modules.
from .api_fixtures import api_data  # noqa: E402, F401
from .hall_fixtures import hall  # noqa: E402, F401
