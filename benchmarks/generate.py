"""Fill a PostgreSQL database with a provincial-scale center, fast: server-side SQL only.

Starts from a migrated database with the demo center (departments, windows, items, staff,
letters, seals, calendar). Every large table is filled by one `INSERT ... SELECT` over
`generate_series` and a few staging tables in a schema of its own (`bench`, dropped at the end);
only the applicants and projects (a few tens of thousands of rows with check characters
computed in Python) and the working-day table go in by COPY.

What it makes, for `applications` applications received on working days over the last two
years (the demo center's calendar, `windows.workdays.WorkCalendar`, decides what a working day
is; deadlines are working-day ordinals looked up in that table, so holidays and adjusted
weekends count as the application counts them):

- applications in every state: draft, awaiting materials, not accepted, withdrawn (before and
  after acceptance), in review, ready, delivered; receipt numbers gapless per year after the
  demo's, access codes, promised date and due date;
- 1 to 9 reviews each (about five on average) in every state: queued, in progress, stopped,
  awaiting countersign, decided (granted or refused, numbered per department and year, signed
  under the window's letter or the department's posting, with the window's seal), returned,
  received back, withdrawn; about 7 % decided late and 1.5 % stuck far past their deadline;
- the clock ledger (start, stop with cause and resume, extension with approver), documents
  (commitment slips, decisions, stop and extension notices, notices of non-acceptance and of
  missing materials), an SMS per acceptance and per result ready;
- history rows (simple-history): "+" for every application, review, applicant and project and
  "~" for every change of state;
- the cards the sweep would have written over the two years (red for every review decided or
  still open past its deadline, yellow when it came within the warning margin), then a full
  sweep for today's cards, which also sets the sweep's mark;
- the number series (`Counter`) moved past every number used, so the services go on numbering.

`add_open(reviews=n)` appends applications received over the last three weeks whose reviews
are all still open (five each): the data set for the sweep at a million open reviews.

Nothing here is random between runs: PostgreSQL's `random()` is seeded.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

from applications.models import DepartmentReview
from applications.validators import id_check_char, uscc_check_char
from windows.calendar_seed import seed_calendar
from windows.models import AuthorizationLetter, Item, Seal, Staff, StationedDeputy, Window
from windows.roles import WINDOW_ROLES, Role
from windows.workdays import WorkCalendar

TZ = settings.TIME_ZONE
# Tables whose secondary indexes are dropped while they fill and built again afterwards: a
# bulk index build is several times faster than keeping 17 indexes up to date row by row.
BULK_TABLES = (
    "applications_application",
    "applications_historicalapplication",
    "applications_departmentreview",
    "applications_historicaldepartmentreview",
    "applications_application_items",
    "applications_clockevent",
    "applications_document",
    "applications_notification",
    "supervision_card",
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰海燕春梅晓东国庆"
PLACES = [
    "青山湖",
    "锦城",
    "玲珑",
    "锦北",
    "锦南",
    "於潜",
    "昌化",
    "天目山",
    "太湖源",
    "高虹",
    "板桥",
    "河桥",
    "湍口",
    "清凉峰",
    "岛石",
    "横畈",
]
TRADES = [
    "建设",
    "新材料科技",
    "旅游开发",
    "电子科技",
    "工业园开发",
    "竹木制品",
    "农业发展",
    "生物医药",
    "机械制造",
    "食品",
    "新能源",
    "茶业",
    "物流",
    "光电",
    "置业",
    "环保科技",
    "文化传媒",
    "医疗器械",
]
WORKS = [
    "研发楼及配套设施建设项目",
    "年产5万吨新型建材生产线项目",
    "游客中心项目",
    "厂房扩建项目",
    "深加工项目",
    "中试基地项目",
    "安置小区项目",
    "仓储中心项目",
    "分布式光伏发电项目",
    "度假酒店项目",
    "综合楼项目",
    "技术改造项目",
]
STOP_CAUSES = ("supplements", "expert_review", "hearing", "testing")


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class Steps:
    """Times each step and prints it."""

    started: float = field(default_factory=time.perf_counter)
    times: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, sql: str) -> int:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.rowcount
        elapsed = time.perf_counter() - t0
        self.times[name] = self.times.get(name, 0.0) + elapsed
        log(f"  {name:<38} {rows:>10,} rows {elapsed:7.1f} s")
        return rows

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started


def scalar(sql: str):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def lit(value) -> str:
    """An SQL literal for a value we made ourselves (dates, times, numbers): never user input."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, dt.date):
        return f"'{value.isoformat()}'::date"
    text = str(value).replace("'", "''")
    return f"'{text}'"


def copy_rows(table: str, columns: list[str], rows) -> int:
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write(
            "\t".join(r"\N" if v is None else str(v).replace("\t", " ") for v in row) + "\n"
        )
        count += 1
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT text)", buffer
        )
    return count


def next_id(table: str) -> int:
    return scalar(f"SELECT coalesce(max(id), 0) FROM {table}")


def reset_sequences(tables) -> None:
    with connection.cursor() as cursor:
        for table, column in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"coalesce((SELECT max({column}) FROM {table}), 1))"
            )


class DroppedIndexes:
    """Drop a table's plain secondary indexes (not those behind a primary key or a unique
    constraint) and build them again on leaving, also after an error."""

    def __init__(self, tables) -> None:
        self.tables = tables
        self.definitions: list[str] = []

    def __enter__(self) -> DroppedIndexes:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                 WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
                   AND i.indexdef NOT LIKE 'CREATE UNIQUE INDEX%%'
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                    WHERE c.conname = i.indexname AND c.contype IN ('p', 'u'))
                """,
                [list(self.tables)],
            )
            rows = cursor.fetchall()
            for name, definition in rows:
                cursor.execute(f'DROP INDEX "{name}"')
                self.definitions.append(definition)
        log(f"  dropped {len(self.definitions)} secondary indexes while the tables fill")
        return self

    def __exit__(self, *exc) -> None:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for definition in self.definitions:
                cursor.execute(definition)
        log(
            f"  {'rebuilt secondary indexes':<38} {len(self.definitions):>10,} idx  "
            f"{time.perf_counter() - t0:7.1f} s"
        )


@dataclass
class Calendar:
    today: dt.date
    now: dt.datetime
    first: dt.date  # first day in the working-day table
    today_ord: int  # working days up to and including today
    low_ord: int  # ordinal of the first day applications are received on
    known_years: frozenset[int]


def _prepare(steps: Steps, days_back: int) -> Calendar:
    """The staging schema: working days with ordinals, items, window staff, clerks, counters."""
    now = timezone.now()
    today = timezone.localdate(now)
    seed_calendar(list(range(today.year - 3, today.year + 2)))
    calendar = WorkCalendar.load()
    first = today - dt.timedelta(days=days_back + 60)
    last = today + dt.timedelta(days=900)
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench.workday (ord int PRIMARY KEY, day date NOT NULL,"
            " known boolean NOT NULL)"
        )
        cursor.execute("CREATE UNLOGGED TABLE bench.day (day date PRIMARY KEY, ord int NOT NULL)")
    days, workdays, ordinal = [], [], 0
    day = first
    while day <= last:
        if calendar.is_working_day(day):
            ordinal += 1
            workdays.append((ordinal, day, "t" if calendar.has_data(day) else "f"))
        days.append((day, ordinal))
        day += dt.timedelta(days=1)
    copy_rows("bench.workday", ["ord", "day", "known"], workdays)
    copy_rows("bench.day", ["day", "ord"], days)
    ords = dict(days)
    # Applications are received from two years ago until the last working day whose office
    # hours have begun.
    # Applications come in until today when the office has been open a while, else until the
    # last working day.
    received_until = ords[today]
    if calendar.is_working_day(today) and timezone.localtime(now).hour < 10:
        received_until -= 1
    low_ord = ords[today - dt.timedelta(days=days_back)] + 1

    items = list(
        Item.objects.active()
        .filter(handled_in_center=True)
        .select_related("department")
        .order_by("code")
    )
    rng = random.Random(2026)
    parallel = [i for i in items if i.fixed_asset_parallel]
    single = [i for i in items if not i.fixed_asset_parallel]
    rng.shuffle(parallel)
    rng.shuffle(single)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench.item (grp char(1), idx int, id bigint, department_id"
            " bigint, window_id bigint, p int, s int, countersign boolean, name text,"
            " short_name text, dept_code text, PRIMARY KEY (grp, idx))"
        )
    copy_rows(
        "bench.item",
        [
            "grp",
            "idx",
            "id",
            "department_id",
            "window_id",
            "p",
            "s",
            "countersign",
            "name",
            "short_name",
            "dept_code",
        ],
        [
            (
                grp,
                n,
                i.pk,
                i.department_id,
                i.window_id,
                i.promised_days,
                i.statutory_days,
                "t" if i.needs_countersign else "f",
                i.name,
                i.department.short_name,
                i.department.code,
            )
            for grp, group in (("p", parallel), ("s", single))
            for n, i in enumerate(group)
        ],
    )

    # Who works at each window, who signs there (the department's deputy under the posting,
    # else the window head under a letter in force), and the window's seal.
    deputies = {d.department_id: d for d in StationedDeputy.objects.active(today)}
    letters = {}
    for letter in AuthorizationLetter.objects.active(now).order_by("valid_from"):
        letters[letter.window_head_id] = letter
    seals = {s.window_id: s.pk for s in Seal.objects.filter(is_active=True)}
    rows = []
    for window in Window.objects.filter(kind=Window.Kind.DEPARTMENT):
        staff = list(
            Staff.objects.filter(window=window, groups__name__in=WINDOW_ROLES, is_active=True)
            .distinct()
            .order_by("username")
        )
        heads = [s for s in staff if s.has_role(Role.WINDOW_HEAD)]
        deputy = deputies.get(window.department_id)
        head = next((h for h in heads if h.pk in letters), heads[0] if heads else None)
        if deputy is not None:
            signer, letter_id, posting_id = deputy.staff_id, None, deputy.pk
        elif head is not None:
            letter = letters.get(head.pk)
            signer, letter_id, posting_id = head.pk, letter.pk if letter else None, None
        else:
            signer, letter_id, posting_id = (staff[0].pk if staff else None), None, None
        people = [s.pk for s in staff] or [signer]
        rows.append(
            (
                window.pk,
                "{" + ",".join(map(str, people)) + "}",
                signer,
                letter_id,
                posting_id,
                seals.get(window.pk),
            )
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench.window (window_id bigint PRIMARY KEY, staff bigint[],"
            " signer_id bigint, letter_id bigint, posting_id bigint, seal_id bigint)"
        )
    copy_rows(
        "bench.window",
        ["window_id", "staff", "signer_id", "letter_id", "posting_id", "seal_id"],
        rows,
    )
    clerks = list(
        Staff.objects.filter(groups__name=Role.INTAKE_CLERK, is_active=True)
        .order_by("username")
        .values_list("pk", flat=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE UNLOGGED TABLE bench.clerk (idx int PRIMARY KEY, id bigint)")
    copy_rows("bench.clerk", ["idx", "id"], enumerate(clerks))
    steps.run(
        "counters (staging)",
        "CREATE UNLOGGED TABLE bench.counter AS SELECT series, year, last"
        " FROM applications_counter",
    )
    return Calendar(
        today=today,
        now=now,
        first=first,
        today_ord=received_until,
        low_ord=low_ord,
        known_years=calendar.known_years,
    )


def _applicants(steps: Steps, count: int) -> None:
    """Applicants (four in five enterprises, each with a project) and their '+' history rows,
    by COPY: their check characters are computed as the validators compute them."""
    rng = random.Random(7)
    base = next_id("applications_applicant")
    project_base = next_id("applications_project")
    created = timezone.now() - dt.timedelta(days=800)
    applicants, projects = [], []
    enterprises = 0
    people: set[str] = set()
    for n in range(1, count + 1):
        pk = base + n
        mobile = f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}"
        contact = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
        if n % 5:
            enterprises += 1
            first17 = f"91330185MA{n:07d}"[:17]
            number = first17 + uscc_check_char(first17)
            place, trade = rng.choice(PLACES), rng.choice(TRADES)
            name = f"临安{place}{trade}有限公司（{n}）"
            applicants.append(
                (
                    pk,
                    "enterprise",
                    name,
                    number,
                    contact,
                    mobile,
                    f"c{n}@example.com",
                    "",
                    created,
                    settings.LANGUAGE_CODE,
                )
            )
            year = 2020 + n % 6
            projects.append(
                (
                    project_base + enterprises,
                    f"{year}-330185-{47 + n % 3:02d}-{1 + n % 3:02d}-{n % 1000000:06d}",
                    f"{place}{rng.choice(WORKS)}",
                    f"{place}街道",
                    f"{rng.randint(500, 500000)}.00",
                    f"{rng.randint(1000, 200000)}.00",
                    "新建生产及配套用房。",
                    pk,
                )
            )
        else:
            while True:  # resident ID numbers are unique
                birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randint(0, 15000))
                first17 = f"330185{birth:%Y%m%d}{rng.randint(0, 999):03d}"
                if first17 not in people:
                    people.add(first17)
                    break
            number = first17 + id_check_char(first17)
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))
            applicants.append(
                (pk, "person", name, number, name, mobile, "", "", created, settings.LANGUAGE_CODE)
            )
    t0 = time.perf_counter()
    copy_rows(
        "applications_applicant",
        [
            "id",
            "kind",
            "name",
            "id_number",
            "contact_name",
            "mobile",
            "email",
            "address",
            "created_at",
            "language",
        ],
        applicants,
    )
    copy_rows(
        "applications_project",
        [
            "id",
            "code",
            "name",
            "location",
            "total_investment",
            "land_area",
            "description",
            "applicant_id",
        ],
        projects,
    )
    log(
        f"  {'applicants and projects (COPY)':<38} {len(applicants) + len(projects):>10,} rows "
        f"{time.perf_counter() - t0:7.1f} s"
    )
    steps.run(
        "applicants: history",
        f"""INSERT INTO applications_historicalapplicant (id, kind, name, id_number,
               contact_name, mobile, email, address, created_at, language, history_date,
               history_type)
            SELECT id, kind, name, id_number, contact_name, mobile, email, address, created_at,
                   language, created_at, '+' FROM applications_applicant WHERE id > {base}""",
    )
    steps.run(
        "projects: history",
        f"""INSERT INTO applications_historicalproject (id, code, name, location,
               total_investment, land_area, description, applicant_id, history_date,
               history_type)
            SELECT p.id, p.code, p.name, p.location, p.total_investment, p.land_area,
                   p.description, p.applicant_id, a.created_at, '+'
              FROM applications_project p JOIN applications_applicant a ON a.id = p.applicant_id
             WHERE p.id > {project_base}""",
    )
    steps.run(
        "applicant pool (staging)",
        f"""CREATE UNLOGGED TABLE bench.applicant AS
            SELECT a.id, p.id AS project_id,
                   row_number() OVER (ORDER BY a.id) - 1 AS idx,
                   (row_number() OVER (PARTITION BY p.id IS NOT NULL ORDER BY a.id) - 1)
                       AS pidx
              FROM applications_applicant a
              LEFT JOIN applications_project p ON p.applicant_id = a.id
             WHERE a.id > {base}""",
    )
    steps.run("applicant pool index", "CREATE INDEX ON bench.applicant (idx)")
    steps.run(
        "applicant pool index",
        "CREATE INDEX ON bench.applicant (pidx) WHERE project_id IS NOT NULL",
    )


def _stage(steps: Steps, cal: Calendar, *, count: int, extra: bool) -> None:
    """bench.app and bench.rev: what happens to each application and review, and when."""
    base_app = next_id("applications_application")
    base_rev = next_id("applications_departmentreview")
    n_people = scalar("SELECT count(*) FROM bench.applicant")
    n_projects = scalar("SELECT count(*) FROM bench.applicant WHERE project_id IS NOT NULL")
    n_clerks = scalar("SELECT count(*) FROM bench.clerk")
    n_p = scalar("SELECT count(*) FROM bench.item WHERE grp = 'p'")
    n_s = scalar("SELECT count(*) FROM bench.item WHERE grp = 's'")
    o0 = scalar("SELECT min(ord) - 1 FROM bench.workday")
    now, t_ord = lit(cal.now), cal.today_ord
    low = t_ord - 14 if extra else cal.low_ord
    high = t_ord - 1 if extra else t_ord
    local = f"AT TIME ZONE '{TZ}'"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench.app, bench.rev, bench.appagg")
    # One row per application: when it came in, which items, and its fate.
    steps.run(
        "applications (staging)",
        f"""
        CREATE UNLOGGED TABLE bench.app AS
        WITH cal AS (SELECT array_agg(day ORDER BY ord) AS wd FROM bench.workday),
        s AS (
            SELECT g, random() r_day, random() r_time, random() r_kind, random() r_k,
                   random() r_off, random() r_app, random() r_fate, random() r_clerk,
                   random() r_acc, random() r_deliv, random() r_dtime
              FROM generate_series(1, {count}) g
        ), b AS (
            SELECT s.*, {low} + floor(r_day * ({high} - {low} + 1))::int AS recv_ord,
                   CASE WHEN {lit(extra)} OR r_kind < 0.7 THEN 'p' ELSE 's' END AS grp
              FROM s
        ), c AS (
            SELECT b.*, cal.wd[recv_ord - {o0}] AS recv_day,
                   least(((cal.wd[recv_ord - {o0}] + time '08:30' + r_time * interval '8 hours')
                          {local}), {now} - interval '30 minutes') AS received_at,
                   cal.wd[recv_ord + 5 - {o0}] AS notice_due,
                   CASE WHEN {lit(extra)} THEN 5
                        WHEN grp = 'p' THEN 3 + floor(r_k * 7)::int
                        ELSE 1 + floor(r_k * 5)::int END AS k,
                   floor(r_off * CASE WHEN grp = 'p' THEN {n_p} ELSE {n_s} END)::int AS item_off
              FROM b, cal
        )
        SELECT c.g, {base_app} + c.g AS id, c.grp, c.k, c.item_off, c.recv_ord, c.recv_day,
               c.received_at, c.notice_due, c.r_deliv, c.r_dtime,
               CASE WHEN c.grp = 'p' THEN pa.id ELSE aa.id END AS applicant_id,
               CASE WHEN c.grp = 'p' THEN pa.project_id END AS project_id,
               cl.id AS clerk_id,
               c.received_at + c.r_acc * interval '2 hours' AS accepted_at,
               CASE
                 WHEN {lit(extra)} THEN 'accepted'
                 WHEN c.received_at + c.r_acc * interval '2 hours' > {now} THEN 'draft'
                 WHEN c.recv_ord > {t_ord} - 5 AND c.r_fate < 0.15 THEN 'draft'
                 WHEN c.recv_ord > {t_ord} - 5 AND c.r_fate < 0.22 THEN 'awaiting_materials'
                 WHEN c.r_fate < 0.015 THEN 'not_accepted'
                 WHEN c.r_fate < 0.020 THEN 'withdrawn_early'
                 WHEN c.r_fate < 0.023 THEN 'awaiting_materials'
                 WHEN c.r_fate < 0.028 AND c.recv_ord + 3 < {t_ord} THEN 'withdrawn'
                 ELSE 'accepted' END AS fate
          FROM c
          JOIN bench.applicant aa ON aa.idx = floor(c.r_app * {n_people})::int
          LEFT JOIN bench.applicant pa ON pa.project_id IS NOT NULL
                AND pa.pidx = floor(c.r_app * {n_projects})::int
          JOIN bench.clerk cl ON cl.idx = floor(c.r_clerk * {n_clerks})::int
        """,
    )
    # One row per review of an accepted application: its clock and its course, as working-day
    # ordinals turned into dates and times of day (center time).
    steps.run(
        "reviews (staging)",
        f"""
        CREATE UNLOGGED TABLE bench.rev AS
        WITH cal AS (SELECT array_agg(day ORDER BY ord) AS wd,
                            array_agg(known ORDER BY ord) AS known FROM bench.workday),
        x AS (
            SELECT a.id AS application_id, a.g, j, a.recv_ord AS start_ord, a.recv_day,
                   a.accepted_at, a.fate = 'withdrawn' AS withdrawn, a.clerk_id,
                   i.id AS item_id, i.department_id, i.window_id, i.p, i.s, i.countersign,
                   i.name AS item_name, i.short_name, i.dept_code,
                   random() r_ext, random() r_e, random() r_stop, random() r_d, random() r_fac,
                   random() r_stuck, random() r_out, random() r_off, random() r_t1,
                   random() r_t2, random() r_t3, random() r_t4, random() r_cause
              FROM bench.app a
             CROSS JOIN LATERAL generate_series(0, a.k - 1) j
              JOIN bench.item i ON i.grp = a.grp
                   AND i.idx = (a.item_off + j) % (CASE WHEN a.grp = 'p' THEN {n_p}
                                                        ELSE {n_s} END)
             WHERE a.fate IN ('accepted', 'withdrawn')
        ), y AS (
            SELECT x.*,
                   greatest(1, floor(p * 0.4))::int AS u,
                   3 + floor(r_d * 13)::int AS d,
                   r_ext < 0.03 AND NOT withdrawn AND start_ord + 1 < {t_ord} AS has_ext,
                   r_stop < 0.06 AND p >= 3 AND NOT withdrawn
                       AND start_ord + greatest(1, floor(p * 0.4))::int < {t_ord} AS has_stop,
                   {lit(extra)} OR r_stuck < 0.015 AS stuck
              FROM x
        ), z AS (
            SELECT y.*,
                   CASE WHEN has_ext THEN 1 + floor(r_e * 10)::int ELSE 0 END AS e,
                   start_ord + u AS stop_ord, start_ord + u + d AS resume_ord,
                   has_stop AND start_ord + u + d < {t_ord} AS resumed
              FROM y
        ), o AS (
            SELECT z.*,
                   start_ord + p + e + CASE WHEN resumed THEN d ELSE 0 END AS dl_ord,
                   start_ord + s + e + CASE WHEN resumed THEN d ELSE 0 END AS sdl_ord,
                   CASE WHEN {lit(extra)} THEN NULL ELSE greatest(
                       start_ord + CASE WHEN has_stop THEN d ELSE 0 END
                       + greatest(1, ceil((p + e) * CASE WHEN stuck THEN 1.3 + r_fac * 4
                                                        ELSE 0.3 + r_fac * 0.75 END))::int,
                       CASE WHEN has_stop THEN start_ord + u + d + 1 ELSE 0 END) END
                       AS decide_ord
              FROM z
        ), t AS (
            SELECT o.*,
                   cal.wd[dl_ord - {o0}] AS deadline,
                   NOT coalesce(cal.known[dl_ord - {o0}], false) AS provisional,
                   cal.wd[sdl_ord - {o0}] AS statutory_deadline,
                   cal.wd[start_ord + p - {o0}] AS first_deadline,
                   cal.wd[start_ord + s - {o0}] AS first_statutory,
                   accepted_at + (10 + r_t1 * 110) * interval '1 minute' AS claimed_at,
                   (cal.wd[start_ord + 1 - {o0}] + time '11:00') {local} AS ext_at,
                   cal.wd[start_ord + 1 - {o0}] AS ext_day,
                   cal.wd[stop_ord - {o0}] AS stop_day,
                   cal.wd[resume_ord - {o0}] AS resume_day,
                   (cal.wd[resume_ord - {o0}] + time '10:00') {local} AS resume_at,
                   (cal.wd[decide_ord - {o0}] + time '09:00' + r_t2 * interval '8 hours')
                       {local} AS decide_at,
                   (cal.wd[decide_ord + 1 - {o0}] + time '10:00' + r_t3 * interval '6 hours')
                       {local} AS countersign_at,
                   (cal.wd[decide_ord + 2 - {o0}] + time '09:00' + r_t4 * interval '7 hours')
                       {local} AS receive_at,
                   (cal.wd[start_ord + 3 - {o0}] + time '10:00') {local} AS withdraw_at
              FROM o, cal
        ), v AS (
            SELECT t.*,
                   greatest((stop_day + time '15:00') {local},
                            claimed_at + interval '1 minute') AS stop_at,
                   CASE WHEN decide_at IS NOT NULL THEN
                       greatest(decide_at, claimed_at + interval '5 minutes',
                                CASE WHEN has_stop THEN resume_at + interval '5 minutes' END)
                       END AS decided_at_
              FROM t
        ), w AS (
            SELECT v.*,
                   CASE WHEN countersign THEN greatest(countersign_at,
                                                       decided_at_ + interval '5 minutes')
                        END AS countersigned_at_,
                   coalesce(CASE WHEN countersign THEN greatest(countersign_at,
                                                       decided_at_ + interval '5 minutes') END,
                            decided_at_) + (20 + r_t3 * 200) * interval '1 minute'
                       AS returned_at_
              FROM v
        )
        SELECT {base_rev} + row_number() OVER (ORDER BY application_id, j) AS id,
               w.*,
               greatest(receive_at, returned_at_ + interval '10 minutes') AS received_at_,
               CASE
                 WHEN withdrawn THEN 'withdrawn'
                 WHEN greatest(receive_at, returned_at_ + interval '10 minutes') <= {now}
                      THEN 'received'
                 WHEN returned_at_ <= {now} THEN 'returned'
                 WHEN countersign AND countersigned_at_ <= {now} THEN 'decided'
                 WHEN countersign AND decided_at_ <= {now} THEN 'countersign'
                 WHEN decided_at_ <= {now} THEN 'decided'
                 WHEN has_stop AND NOT resumed THEN 'suspended'
                 WHEN claimed_at <= {now} THEN 'in_progress'
                 ELSE 'queued' END AS state
          FROM w
        """,
    )
    steps.run("reviews (staging) index", "CREATE INDEX ON bench.rev (application_id)")
    steps.run(
        "application outcome (staging)",
        """
        CREATE UNLOGGED TABLE bench.appagg AS
        SELECT application_id,
               bool_and(state = 'received') AS all_received,
               max(received_at_) AS ready_at,
               max(first_deadline) AS promised_date,
               max(deadline) AS due_date,
               bool_or(provisional) AS provisional,
               (array_agg(item_name || '（' || short_name || '）' ORDER BY p DESC, id))[1]
                   AS longest,
               (array_agg(p ORDER BY p DESC, id))[1] AS longest_days
          FROM bench.rev GROUP BY application_id
        """,
    )
    steps.run("application outcome index", "CREATE INDEX ON bench.appagg (application_id)")


def _insert(steps: Steps, cal: Calendar) -> None:
    """From the staging tables into the application's own tables."""
    now = lit(cal.now)
    n_p = scalar("SELECT count(*) FROM bench.item WHERE grp = 'p'")
    n_s = scalar("SELECT count(*) FROM bench.item WHERE grp = 's'")
    local = f"AT TIME ZONE '{TZ}'"
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    o0 = scalar("SELECT min(ord) - 1 FROM bench.workday")
    steps.run(
        "applications (final)",
        f"""
        CREATE UNLOGGED TABLE bench.final AS
        WITH cal AS (SELECT array_agg(day ORDER BY ord) AS wd FROM bench.workday),
        f AS (
            SELECT a.*, g.all_received, g.ready_at AS ready_at_, g.promised_date, g.due_date,
                   g.provisional, g.longest, g.longest_days,
                   (cal.wd[(SELECT ord FROM bench.day WHERE day = (g.ready_at {local})::date)
                           + 1 + floor(a.r_deliv * 3)::int - {o0}]
                       + time '09:30' + a.r_dtime * interval '7 hours') {local} AS deliver_at,
                   (cal.wd[a.recv_ord + 3 - {o0}] + time '10:00') {local} AS withdraw_at
              FROM bench.app a LEFT JOIN bench.appagg g ON g.application_id = a.id, cal
        ), n AS (
            SELECT f.*,
                   CASE WHEN fate IN ('accepted', 'withdrawn') THEN
                       extract(year FROM accepted_at {local})::int END AS year,
                   CASE WHEN fate IN ('accepted', 'withdrawn') THEN row_number() OVER (
                       PARTITION BY fate IN ('accepted', 'withdrawn'),
                                    extract(year FROM accepted_at {local})
                       ORDER BY accepted_at, id) END AS seq
              FROM f
        )
        SELECT n.*,
               CASE WHEN n.year IS NOT NULL THEN
                   n.year::text || lpad((coalesce(c.last, 0) + n.seq)::text, 6, '0') END
                   AS receipt_number,
               CASE
                 WHEN fate = 'withdrawn' THEN 'withdrawn'
                 WHEN fate = 'withdrawn_early' THEN 'withdrawn'
                 WHEN fate IN ('draft', 'awaiting_materials', 'not_accepted') THEN fate
                 WHEN all_received AND deliver_at <= {now} AND r_deliv < 0.97 THEN 'delivered'
                 WHEN all_received THEN 'ready'
                 ELSE 'in_review' END AS state
          FROM n LEFT JOIN bench.counter c ON c.series = 'receipt' AND c.year = n.year
        """,
    )
    steps.run(
        "applications",
        f"""
        INSERT INTO applications_application (id, state, received_at, notice_due,
            receipt_number, access_code, accepted_at, with_gaps, promised_date,
            promised_provisional, promised_reason, refusal_reasons, ready_at, delivered_at,
            withdrawn_at, closing_note, accepted_by_id, applicant_id, delivered_by_id,
            received_by_id, project_id, due_date, invitation)
        SELECT f.id, f.state, f.received_at, f.notice_due, f.receipt_number,
               CASE WHEN f.receipt_number IS NULL THEN '' ELSE (
                   SELECT string_agg(substr('{alphabet}',
                       1 + get_byte(decode(md5(f.id::text || 'code'), 'hex'), i) % 32, 1), '')
                     FROM generate_series(0, 7) i) END,
               CASE WHEN f.receipt_number IS NOT NULL THEN f.accepted_at END,
               false, f.promised_date, coalesce(f.provisional, false),
               CASE WHEN f.receipt_number IS NOT NULL THEN
                   f.longest || '办理时间最长：' || to_char(f.recv_day, 'YYYY年FMMM月FMDD日')
                   || '后' || f.longest_days || '个工作日，截止于'
                   || to_char(f.promised_date, 'YYYY年FMMM月FMDD日') || '。' ELSE '' END,
               CASE WHEN f.state = 'not_accepted' THEN
                   '申请事项依法不属于本中心受理范围，请向有关部门申请。' ELSE '' END,
               CASE WHEN f.state IN ('ready', 'delivered') THEN f.ready_at_ END,
               CASE WHEN f.state = 'delivered' THEN f.deliver_at END,
               CASE WHEN f.fate = 'withdrawn' THEN f.withdraw_at
                    WHEN f.fate = 'withdrawn_early' THEN f.received_at + interval '1 hour' END,
               CASE WHEN f.state = 'withdrawn' THEN '申请人申请撤回。' ELSE '' END,
               CASE WHEN f.receipt_number IS NOT NULL THEN f.clerk_id END,
               f.applicant_id,
               CASE WHEN f.state = 'delivered' THEN f.clerk_id END,
               f.clerk_id, f.project_id,
               f.due_date, ''
          FROM bench.final f
        """,
    )
    steps.run(
        "items applied for",
        f"""
        INSERT INTO applications_application_items (application_id, item_id)
        SELECT a.id, i.id FROM bench.app a
         CROSS JOIN LATERAL generate_series(0, a.k - 1) j
          JOIN bench.item i ON i.grp = a.grp
               AND i.idx = (a.item_off + j) % (CASE WHEN a.grp = 'p' THEN {n_p} ELSE {n_s} END)
        """,
    )
    steps.run(
        "decision numbers (staging)",
        f"""
        CREATE UNLOGGED TABLE bench.decision AS
        SELECT r.id, r.short_name || '许字〔' || y.year || '〕第'
               || (coalesce(c.last, 0) + row_number() OVER (
                       PARTITION BY r.department_id, y.year ORDER BY r.decided_at_, r.id))
               || '号' AS number, y.year, r.dept_code,
               coalesce(c.last, 0) + row_number() OVER (
                       PARTITION BY r.department_id, y.year ORDER BY r.decided_at_, r.id) AS n
          FROM bench.rev r
         CROSS JOIN LATERAL (SELECT extract(year FROM r.decided_at_ {local})::int AS year) y
          LEFT JOIN bench.counter c ON c.series = 'decision:' || r.dept_code AND c.year = y.year
         WHERE r.state IN ('countersign', 'decided', 'returned', 'received')
        """,
    )
    steps.run("decision numbers index", "CREATE INDEX ON bench.decision (id)")
    decided = "r.state IN ('countersign', 'decided', 'returned', 'received')"
    claimed = f"(r.claimed_at <= {now} AND r.state <> 'queued')"
    steps.run(
        "reviews",
        f"""
        INSERT INTO applications_departmentreview (id, state, claimed_at, started_on,
            promised_days, statutory_days, deadline, deadline_provisional, statutory_deadline,
            outcome, reasons, decision_number, decided_at, countersigned_at, returned_at,
            received_at, application_id, countersigned_by_id, department_id, item_id,
            officer_id, received_by_id, seal_id, signed_by_id, signed_under_letter_id,
            signed_under_posting_id, window_id)
        SELECT r.id, r.state,
               CASE WHEN {claimed} THEN r.claimed_at END,
               r.recv_day, r.p, r.s, r.deadline, r.provisional, r.statutory_deadline,
               CASE WHEN {decided} THEN CASE WHEN r.r_out < 0.05 THEN 'refused'
                                              ELSE 'granted' END ELSE '' END,
               CASE WHEN {decided} AND r.r_out < 0.05 THEN
                   '申请材料不符合法定条件，依据有关规定不予许可。' ELSE '' END,
               d.number,
               CASE WHEN {decided} THEN r.decided_at_ END,
               CASE WHEN {decided} AND r.state <> 'countersign' AND r.countersign
                    THEN r.countersigned_at_ END,
               CASE WHEN r.state IN ('returned', 'received') THEN r.returned_at_ END,
               CASE WHEN r.state = 'received' THEN r.received_at_ END,
               r.application_id,
               CASE WHEN {decided} AND r.state <> 'countersign' AND r.countersign
                    THEN w.signer_id END,
               r.department_id, r.item_id,
               CASE WHEN {claimed} THEN
                   w.staff[1 + floor(r.r_off * array_length(w.staff, 1))::int] END,
               CASE WHEN r.state = 'received' THEN r.clerk_id END,
               CASE WHEN {decided} THEN w.seal_id END,
               CASE WHEN {decided} THEN w.signer_id END,
               CASE WHEN {decided} THEN w.letter_id END,
               CASE WHEN {decided} THEN w.posting_id END,
               r.window_id
          FROM bench.rev r
          JOIN bench.window w ON w.window_id = r.window_id
          LEFT JOIN bench.decision d ON d.id = r.id
        """,
    )
    _clock(steps, cal)
    _documents(steps, cal)
    _history(steps, cal)


def _clock(steps: Steps, cal: Calendar) -> None:
    causes = "ARRAY[" + ", ".join(lit(c) for c in STOP_CAUSES) + "]"
    base = next_id("applications_clockevent")
    n = scalar("SELECT coalesce(max(id) - min(id) + 1, 0) FROM bench.rev")
    first = scalar("SELECT coalesce(min(id), 0) FROM bench.rev")
    steps.run(
        "clock events",
        f"""
        INSERT INTO applications_clockevent (id, kind, cause, at, "on", days, reason,
            approved_by_id, by_id, review_id)
        SELECT {base} + e.slot * {n} + (r.id - {first}) + 1, e.kind, e.cause, e.at, e.on_,
               e.days, e.reason, e.approved_by, e.by_, r.id
          FROM bench.rev r
          JOIN applications_departmentreview dr ON dr.id = r.id
          JOIN bench.window w ON w.window_id = r.window_id
         CROSS JOIN LATERAL (VALUES
            (0, 'start', '', r.accepted_at, r.recv_day, 0, '', NULL::bigint, r.clerk_id, true),
            (1, 'extend', '', r.ext_at, r.ext_day, r.e,
             '需组织现场核查，经批准延长办理期限。', w.signer_id,
             coalesce(dr.officer_id, w.signer_id), r.has_ext),
            (2, 'stop', ({causes})[1 + floor(r.r_cause * {len(STOP_CAUSES)})::int],
             r.stop_at, r.stop_day, r.d, '请申请人补正材料或组织专家评审。', NULL,
             coalesce(dr.officer_id, w.signer_id), r.has_stop),
            (3, 'resume', '', r.resume_at, r.resume_day, 0, '', NULL,
             coalesce(dr.officer_id, w.signer_id), r.resumed)
         ) AS e(slot, kind, cause, at, on_, days, reason, approved_by, by_, happened)
         WHERE e.happened
        """,
    )


def _documents(steps: Steps, cal: Calendar) -> None:
    local = f"AT TIME ZONE '{TZ}'"
    steps.run(
        "documents: commitment slips",
        """
        INSERT INTO applications_document (number, kind, issued_at, text, application_id,
            issued_by_id)
        SELECT '临审承〔' || left(f.receipt_number, 4) || '〕' || substr(f.receipt_number, 5)
               || '号', 'commitment', f.accepted_at, '', f.id, f.clerk_id
          FROM bench.final f WHERE f.receipt_number IS NOT NULL
        """,
    )
    steps.run(
        "documents: decisions",
        """
        INSERT INTO applications_document (number, kind, issued_at, text, application_id,
            issued_by_id, review_id)
        SELECT r.decision_number, CASE WHEN r.outcome = 'refused' THEN 'refusal'
                                       ELSE 'approval' END,
               r.decided_at, r.reasons, r.application_id, r.signed_by_id, r.id
          FROM applications_departmentreview r
          JOIN bench.rev b ON b.id = r.id
         WHERE r.decision_number IS NOT NULL
        """,
    )
    # Notices numbered in their series per year, after the numbers the demo used.
    steps.run(
        "documents: notices",
        f"""
        INSERT INTO applications_document (number, kind, issued_at, text, application_id,
            issued_by_id, review_id, clock_event_id)
        SELECT d.prefix || '〔' || d.year || '〕'
               || (coalesce(c.last, 0) + row_number() OVER (PARTITION BY d.kind, d.year
                                                          ORDER BY d.at, d.id)) || '号',
               d.kind, d.at, d.text, d.application_id, d.by_id, d.review_id, d.clock_event_id
          FROM (
            SELECT e.id, CASE WHEN e.kind = 'extend' THEN 'extension'
                              WHEN e.cause = 'supplements' THEN 'supplements'
                              ELSE 'stopped' END AS kind,
                   CASE WHEN e.kind = 'extend' THEN '临审延'
                        WHEN e.cause = 'supplements' THEN '临审补' ELSE '临审停' END AS prefix,
                   extract(year FROM e.at {local})::int AS year, e.at, e.reason AS text,
                   r.application_id, e.by_id, r.id AS review_id, e.id AS clock_event_id
              FROM applications_clockevent e
              JOIN bench.rev r ON r.id = e.review_id
             WHERE e.kind IN ('extend', 'stop')
            UNION ALL
            SELECT f.id, CASE WHEN f.fate = 'not_accepted' THEN 'not_accepted'
                              ELSE 'missing' END,
                   CASE WHEN f.fate = 'not_accepted' THEN '临审不受' ELSE '临审告' END,
                   extract(year FROM f.received_at {local})::int,
                   f.received_at + interval '20 minutes',
                   CASE WHEN f.fate = 'not_accepted' THEN
                       '申请事项依法不属于本中心受理范围，请向有关部门申请。'
                        ELSE '1. 营业执照（副本）复印件' END,
                   f.id, f.clerk_id, NULL, NULL
              FROM bench.final f WHERE f.fate IN ('not_accepted', 'awaiting_materials')
          ) d
          LEFT JOIN bench.counter c ON c.series = 'document:' || d.kind AND c.year = d.year
        """,
    )
    steps.run(
        "notifications (SMS)",
        """
        INSERT INTO applications_notification (event, key, channel, recipient, language,
            subject, text, created_at, sent_at, attempts, last_error, application_id)
        SELECT e.event, e.event, 'sms', p.mobile, p.language, '', e.text, e.at,
               e.at + interval '3 seconds', 1, '', f.id
          FROM bench.final f
          JOIN applications_applicant p ON p.id = f.applicant_id
         CROSS JOIN LATERAL (VALUES
            ('accepted', f.accepted_at, '【临安市行政审批中心】您的申请' || f.receipt_number
                 || '已受理，承诺办结日期'
                 || to_char(f.promised_date, 'YYYY年FMMM月FMDD日') || '。',
             f.receipt_number IS NOT NULL),
            ('ready', f.ready_at_, '【临安市行政审批中心】您的申请' || f.receipt_number
                 || '已办结，请携带承诺件到综合窗口领取。',
             f.state IN ('ready', 'delivered'))
         ) AS e(event, at, text, happened)
         WHERE e.happened
        """,
    )


def _history(steps: Steps, cal: Calendar) -> None:
    now = lit(cal.now)
    app_columns = (
        "id, state, received_at, notice_due, receipt_number, access_code, accepted_at,"
        " with_gaps, promised_date, promised_provisional, promised_reason, refusal_reasons,"
        " ready_at, delivered_at, withdrawn_at, closing_note, accepted_by_id, applicant_id,"
        " delivered_by_id, received_by_id, project_id, due_date, invitation"
    )
    # Each change of state as it was: the row's values with the later ones not yet set.
    steps.run(
        "applications: history",
        f"""
        INSERT INTO applications_historicalapplication ({app_columns}, history_date,
            history_type, history_user_id)
        SELECT a.id, h.state, a.received_at, a.notice_due,
               CASE WHEN h.step >= 2 THEN a.receipt_number END,
               CASE WHEN h.step >= 2 THEN a.access_code ELSE '' END,
               CASE WHEN h.step >= 2 THEN a.accepted_at END, a.with_gaps,
               CASE WHEN h.step >= 2 THEN a.promised_date END, a.promised_provisional,
               CASE WHEN h.step >= 2 THEN a.promised_reason ELSE '' END,
               CASE WHEN h.state = 'not_accepted' THEN a.refusal_reasons ELSE '' END,
               CASE WHEN h.step >= 3 THEN a.ready_at END,
               CASE WHEN h.step >= 4 THEN a.delivered_at END,
               CASE WHEN h.state = 'withdrawn' THEN a.withdrawn_at END,
               CASE WHEN h.state = 'withdrawn' THEN a.closing_note ELSE '' END,
               CASE WHEN h.step >= 2 THEN a.accepted_by_id END, a.applicant_id,
               CASE WHEN h.step >= 4 THEN a.delivered_by_id END,
               a.received_by_id, a.project_id,
               CASE WHEN h.step >= 2 THEN a.promised_date END, '',
               h.at, h.type, a.received_by_id
          FROM applications_application a
          JOIN bench.final f ON f.id = a.id
         CROSS JOIN LATERAL (VALUES
            (0, 'draft', a.received_at, '+', true),
            (1, f.fate, a.received_at + interval '20 minutes', '~',
             f.fate IN ('awaiting_materials', 'not_accepted')),
            (1, 'withdrawn', a.withdrawn_at, '~', f.fate = 'withdrawn_early'),
            (2, 'in_review', a.accepted_at, '~', a.receipt_number IS NOT NULL),
            (3, 'ready', a.ready_at, '~', a.ready_at IS NOT NULL),
            (4, 'delivered', a.delivered_at, '~', a.delivered_at IS NOT NULL),
            (2, 'withdrawn', a.withdrawn_at, '~', f.fate = 'withdrawn')
         ) AS h(step, state, at, type, happened)
         WHERE h.happened
        """,
    )
    review_columns = (
        "id, state, claimed_at, started_on, promised_days, statutory_days, deadline,"
        " deadline_provisional, statutory_deadline, outcome, reasons, decision_number,"
        " decided_at, countersigned_at, returned_at, received_at, application_id,"
        " countersigned_by_id, department_id, item_id, officer_id, received_by_id, seal_id,"
        " signed_by_id, signed_under_letter_id, signed_under_posting_id, window_id"
    )
    steps.run(
        "reviews: history",
        f"""
        INSERT INTO applications_historicaldepartmentreview ({review_columns}, history_date,
            history_type, history_user_id, history_change_reason)
        SELECT r.id, h.state,
               CASE WHEN h.step >= 1 THEN r.claimed_at END,
               r.started_on, r.promised_days, r.statutory_days,
               CASE WHEN h.step = 0 THEN b.first_deadline ELSE r.deadline END,
               r.deadline_provisional,
               CASE WHEN h.step = 0 THEN b.first_statutory ELSE r.statutory_deadline END,
               CASE WHEN h.step >= 3 THEN r.outcome ELSE '' END,
               CASE WHEN h.step >= 3 THEN r.reasons ELSE '' END,
               CASE WHEN h.step >= 3 THEN r.decision_number END,
               CASE WHEN h.step >= 3 THEN r.decided_at END,
               CASE WHEN h.step >= 4 THEN r.countersigned_at END,
               CASE WHEN h.step >= 5 THEN r.returned_at END,
               CASE WHEN h.step >= 6 THEN r.received_at END,
               r.application_id,
               CASE WHEN h.step >= 4 THEN r.countersigned_by_id END,
               r.department_id, r.item_id,
               CASE WHEN h.step >= 1 THEN r.officer_id END,
               CASE WHEN h.step >= 6 THEN r.received_by_id END,
               CASE WHEN h.step >= 3 THEN r.seal_id END,
               CASE WHEN h.step >= 3 THEN r.signed_by_id END,
               CASE WHEN h.step >= 3 THEN r.signed_under_letter_id END,
               CASE WHEN h.step >= 3 THEN r.signed_under_posting_id END,
               r.window_id, h.at, h.type, h.by_, h.reason
          FROM applications_departmentreview r
          JOIN bench.rev b ON b.id = r.id
         CROSS JOIN LATERAL (VALUES
            (0, 'queued', b.accepted_at, '+', b.clerk_id, NULL, true),
            (1, 'in_progress', r.claimed_at, '~', r.officer_id, NULL, r.claimed_at IS NOT NULL),
            (2, 'suspended', b.stop_at, '~', r.officer_id, '请申请人补正材料或组织专家评审。',
             b.has_stop AND b.stop_at <= {now}),
            (2, 'in_progress', b.resume_at, '~', r.officer_id, NULL, b.resumed),
            (3, CASE WHEN b.countersign THEN 'countersign' ELSE 'decided' END, r.decided_at,
             '~', r.signed_by_id, NULL, r.decided_at IS NOT NULL),
            (4, 'decided', r.countersigned_at, '~', r.countersigned_by_id, NULL,
             r.countersigned_at IS NOT NULL),
            (5, 'returned', r.returned_at, '~', r.signed_by_id, NULL, r.returned_at IS NOT NULL),
            (6, 'received', r.received_at, '~', r.received_by_id, NULL,
             r.received_at IS NOT NULL),
            (2, 'withdrawn', b.withdraw_at, '~', b.clerk_id, '申请人申请撤回。', b.withdrawn)
         ) AS h(step, state, at, type, by_, reason, happened)
         WHERE h.happened
        """,
    )


def _cards(steps: Steps, cal: Calendar) -> None:
    """The cards of the past: red the day after a review's deadline passed while it was still
    open, yellow on the first day its deadline came within the warning margin."""
    now = lit(cal.now)
    margin = settings.SWEEP_WARNING_WORKING_DAYS
    local = f"AT TIME ZONE '{TZ}'"
    steps.run(
        "cards: past red and yellow",
        f"""
        INSERT INTO supervision_card (application_id, review_id, level, deadline, issued_at)
        SELECT c.application_id, c.id, c.level, c.deadline, c.issued_at FROM (
            SELECT r.application_id, r.id, 'red' AS level, r.deadline,
                   ((r.deadline + 1) + time '00:05') {local} AS issued_at,
                   coalesce(r.decided_at, {now}) AS until_,
                   b.has_stop AND NOT b.resumed AS stopped, b.accepted_at
              FROM applications_departmentreview r JOIN bench.rev b ON b.id = r.id
             WHERE r.state <> 'withdrawn'
            UNION ALL
            SELECT r.application_id, r.id, 'yellow', r.deadline,
                   (wd.day + time '00:05') {local},
                   coalesce(r.decided_at, {now}), b.has_stop AND NOT b.resumed, b.accepted_at
              FROM applications_departmentreview r JOIN bench.rev b ON b.id = r.id
              JOIN bench.workday wd ON wd.ord = b.dl_ord - {margin}
             WHERE r.state <> 'withdrawn'
        ) c
         WHERE c.issued_at < c.until_ AND c.issued_at <= {now} AND NOT c.stopped
           AND c.issued_at > c.accepted_at
        ON CONFLICT DO NOTHING
        """,
    )


def _counters(steps: Steps) -> None:
    """Move every number series past the numbers used, so the services number on from there."""
    steps.run(
        "counters",
        """
        INSERT INTO applications_counter (series, year, last)
        SELECT series, year, max(n) FROM (
            SELECT 'receipt' AS series, left(receipt_number, 4)::int AS year,
                   substr(receipt_number, 5)::int AS n
              FROM applications_application WHERE receipt_number IS NOT NULL
            UNION ALL
            SELECT 'decision:' || dept_code, year, n FROM bench.decision
            UNION ALL
            SELECT 'document:' || kind, substring(number from '〔([0-9]{4})〕')::int,
                   substring(number from '〕([0-9]+)号')::int
              FROM applications_document
             WHERE kind IN ('extension', 'supplements', 'stopped', 'not_accepted', 'missing')
        ) n GROUP BY series, year
        ON CONFLICT (series, year) DO UPDATE SET last = greatest(applications_counter.last,
                                                                  EXCLUDED.last)
        """,
    )


def _finish(steps: Steps, cal: Calendar) -> None:
    from supervision.sweep import sweep

    reset_sequences(
        [
            ("applications_applicant", "id"),
            ("applications_project", "id"),
            ("applications_application", "id"),
            ("applications_departmentreview", "id"),
            ("applications_clockevent", "id"),
        ]
    )
    t0 = time.perf_counter()
    result = sweep(now=timezone.now(), full=True)
    log(
        f"  {'full sweep (cards of today, the mark)':<38} {result.written:>10,} rows "
        f"{time.perf_counter() - t0:7.1f} s"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA bench CASCADE")
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        # VACUUM as autovacuum would by the time anyone looks: the visibility map lets counts
        # use index-only scans. ANALYZE for the planner.
        for table in (*BULK_TABLES, "applications_applicant", "applications_project"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    log(f"  {'VACUUM ANALYZE':<38} {'':>10}      {time.perf_counter() - t0:7.1f} s")


def generate(*, applications: int, seed: float = 0.42, years: int = 2) -> dict:
    """Fill the database: `applications` applications over the last `years` years."""
    steps = Steps()
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setseed({seed})")
        cursor.execute("SET work_mem = '64MB'")
    log(f"generating {applications:,} applications over {years} years")
    cal = _prepare(steps, days_back=365 * years)
    _applicants(steps, max(100, applications // 4))
    _stage(steps, cal, count=applications, extra=False)
    with DroppedIndexes(BULK_TABLES):
        _insert(steps, cal)
        _cards(steps, cal)
    _counters(steps)
    _finish(steps, cal)
    log(f"generated in {steps.total:.1f} s")
    return {"seconds": round(steps.total, 1), "steps": steps.times}


def add_open(*, reviews: int, seed: float = 0.43) -> dict:
    """Append applications received over the last three weeks whose reviews are all still
    open, five each, about `reviews` reviews in all."""
    steps = Steps()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setseed({seed})")
        cursor.execute("SET work_mem = '64MB'")
    log(f"adding {reviews:,} open reviews")
    cal = _prepare(steps, days_back=365 * 2)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE UNLOGGED TABLE bench.applicant AS"
            " SELECT a.id, p.id AS project_id, row_number() OVER (ORDER BY a.id) - 1 AS idx,"
            " (row_number() OVER (PARTITION BY p.id IS NOT NULL ORDER BY a.id) - 1) AS pidx"
            " FROM applications_applicant a"
            " LEFT JOIN applications_project p ON p.applicant_id = a.id"
        )
        cursor.execute("CREATE INDEX ON bench.applicant (idx)")
        cursor.execute("CREATE INDEX ON bench.applicant (pidx) WHERE project_id IS NOT NULL")
    _stage(steps, cal, count=max(1, reviews // 5), extra=True)
    with DroppedIndexes(BULK_TABLES):
        _insert(steps, cal)
        _cards(steps, cal)
    _counters(steps)
    _finish(steps, cal)
    log(f"added in {steps.total:.1f} s")
    return {"seconds": round(steps.total, 1), "steps": steps.times}


def census() -> dict:
    """What the database holds, for the report."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT (SELECT count(*) FROM applications_application),
                   (SELECT count(*) FROM applications_departmentreview),
                   (SELECT count(*) FROM applications_departmentreview
                     WHERE state IN %s),
                   (SELECT count(*) FROM applications_departmentreview
                     WHERE state IN %s
                       AND deadline < (now() AT TIME ZONE %s)::date),
                   (SELECT count(*) FROM applications_historicalapplication),
                   (SELECT count(*) FROM applications_historicaldepartmentreview),
                   (SELECT count(*) FROM applications_clockevent),
                   (SELECT count(*) FROM applications_document),
                   (SELECT count(*) FROM supervision_card),
                   (SELECT min(received_at) FROM applications_application),
                   pg_database_size(current_database())
            """,
            [
                tuple(map(str, DepartmentReview.OPEN_STATES)),
                tuple(map(str, DepartmentReview.RUNNING_STATES)),
                TZ,
            ],
        )
        row = cursor.fetchone()
        cursor.execute(
            "SELECT state, count(*) FROM applications_departmentreview GROUP BY 1 ORDER BY 2 DESC"
        )
        review_states = dict(cursor.fetchall())
        cursor.execute(
            "SELECT state, count(*) FROM applications_application GROUP BY 1 ORDER BY 2 DESC"
        )
        application_states = dict(cursor.fetchall())
    keys = (
        "applications",
        "reviews",
        "open_reviews",
        "overdue_reviews",
        "application_history",
        "review_history",
        "clock_events",
        "documents",
        "cards",
        "first_received",
        "bytes",
    )
    result = dict(zip(keys, row, strict=True))
    result["first_received"] = (
        timezone.localdate(result["first_received"]).isoformat()
        if result["first_received"]
        else None
    )
    result["review_states"] = review_states
    result["application_states"] = application_states
    return result
