#!/usr/bin/env python3
"""Fill a PostgreSQL database at provincial scale, quickly (README: "Benchmarks").

    .venv/bin/python benchmarks/generate.py [--applications 100000] [--open-reviews 1000000]

1. Drops and recreates the benchmark database (`BENCH_DATABASE_URL`), migrates it and loads the
   demo center (organisation, catalog, 146 staff, letters, seals) and the calendar from two years
   back.
2. Simulates `--applications` applications received on working days over the last two years,
   each walked forward in time as the services would move it (receipt, acceptance, claim,
   decision, countersign, return, receipt back, ready, delivery; some stopped, extended, late,
   refused, withdrawn, not accepted, still drafts), and writes every row with PostgreSQL's COPY
   in batches: applicants, projects, applications and their items, checklists, reviews, clock
   ledgers, documents, notifications and history rows for applicants, applications and reviews.
   Reviews still open today are the ones a real center would have open.
3. `--open-reviews N` adds applications accepted in the last weeks until N reviews are open (for
   the sweep at provincial scale).
4. Sets the number series (receipts, decisions, notices) past what it wrote, so the services go
   on numbering without a gap or a clash, resets the id sequences, runs ANALYZE, and runs the
   deadline sweep once, which writes the cards the data calls for.

Nothing here goes through the services: they are what the report measures. The rows are what the
services would have written, checked against the models' columns before anything is written.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import io
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

BATCH = 5000  # applications per COPY round
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红"
PLACES = "临安青山锦城玲珑锦北板桥高虹太湖源於潜天目昌化龙岗岛石清凉峰"
TRADES = ["建设", "科技", "实业", "农业", "旅游", "环保", "食品", "纺织", "机械", "物流", "置业"]
FORMS = ["有限公司", "股份有限公司", "合作社", "有限责任公司"]


def log(text: str) -> None:
    print(f"[generate {time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- COPY ------------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", "\\n")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Table:
    """Rows for one table, in the model's column order, flushed with COPY."""

    def __init__(self, model) -> None:
        self.name = model._meta.db_table
        self.columns = [f.column for f in model._meta.concrete_fields]
        self.rows: list[str] = []
        self.count = 0
        self.next_id = 1

    def add(self, row: dict) -> None:
        self.rows.append("\t".join(_text(row[c]) for c in self.columns))

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def flush(self, cursor) -> None:
        if not self.rows:
            return
        data = io.StringIO("\n".join(self.rows) + "\n")
        columns = ", ".join(f'"{c}"' for c in self.columns)
        cursor.copy_expert(f"COPY {self.name} ({columns}) FROM STDIN", data)
        self.count += len(self.rows)
        self.rows = []


# --- the calendar, read once -----------------------------------------------------------------


class Days:
    """Working-day arithmetic on a precomputed list: the law's reckoning as in
    windows/workdays.py (the act's own day not counted), at list speed."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        from windows.workdays import WorkCalendar

        calendar = WorkCalendar.load()
        self.known = calendar.known_years
        day, self.working = first, []
        while day <= last:
            if calendar.is_working_day(day):
                self.working.append(day)
            day += dt.timedelta(days=1)

    def add(self, start: dt.date, count: int) -> dt.date:
        if count <= 0:
            return start
        return self.working[bisect.bisect_right(self.working, start) + count - 1]

    def provisional(self, start: dt.date, end: dt.date) -> bool:
        return any(year not in self.known for year in range(start.year, end.year + 1))


# --- the organisation, read once -------------------------------------------------------------


class Org:
    def __init__(self, today: dt.date) -> None:
        from django.contrib.auth.models import Group

        from windows.models import (
            AuthorizationLetter,
            Item,
            ItemMaterial,
            Seal,
            Staff,
            StationedDeputy,
        )
        from windows.roles import Role

        def members(role):
            return Staff.objects.filter(groups=Group.objects.get(name=role.value), is_active=True)

        self.items = list(
            Item.objects.filter(is_active=True, handled_in_center=True).select_related(
                "department", "window"
            )
        )
        self.package = [i for i in self.items if i.fixed_asset_parallel]
        self.by_department = defaultdict(list)
        for item in self.items:
            self.by_department[item.department_id].append(item)
        self.departments = list(self.by_department)
        self.materials = defaultdict(list)
        for item_id, material_id in ItemMaterial.objects.values_list("item_id", "material_id"):
            self.materials[item_id].append(material_id)
        self.clerks = list(members(Role.INTAKE_CLERK).values_list("id", flat=True))
        self.officers = defaultdict(list)
        for pk, window in members(Role.WINDOW_OFFICER).values_list("id", "window_id"):
            self.officers[window].append(pk)
        self.heads = dict(members(Role.WINDOW_HEAD).values_list("window_id", "id"))
        self.leaders = dict(members(Role.DEPARTMENT_LEADER).values_list("department_id", "id"))
        self.postings = {p.department_id: (p.staff_id, p.pk) for p in StationedDeputy.objects.all()}
        self.letters = defaultdict(list)  # head -> [(valid_from, valid_until, id)]
        for letter in AuthorizationLetter.objects.filter(revoked_at__isnull=True):
            self.letters[letter.window_head_id].append(
                (letter.valid_from, letter.valid_until, letter.pk)
            )
        self.seals = dict(Seal.objects.values_list("window_id", "id"))

    def signer(self, item, on: dt.date) -> tuple[int, int | None, int | None]:
        """(signed_by, letter, posting) for a decision on `item` on day `on`."""
        if item.department_id in self.postings:
            staff, posting = self.postings[item.department_id]
            return staff, None, posting
        head = self.heads[item.window_id]
        letter = next(
            (pk for start, end, pk in self.letters[head] if start <= on <= end),
            min(self.letters[head])[2] if self.letters[head] else None,
        )
        return head, letter, None


# --- the simulation --------------------------------------------------------------------------


class Generator:
    def __init__(self, args) -> None:
        from django.utils import timezone

        from applications.models import (
            Applicant,
            Application,
            ApplicationMaterial,
            ClockEvent,
            Counter,
            DepartmentReview,
            Document,
            Notification,
            Project,
        )

        self.rng = random.Random(args.seed)
        self.tz = timezone.get_current_timezone()
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.first_day = self.today - dt.timedelta(days=730)
        self.days = Days(self.first_day - dt.timedelta(days=10), self.today + dt.timedelta(400))
        self.org = Org(self.today)
        T = Table
        self.t = {
            "applicant": T(Applicant),
            "applicant_h": T(Applicant.history.model),
            "project": T(Project),
            "application": T(Application),
            "application_h": T(Application.history.model),
            "items": T(Application.items.through),
            "material": T(ApplicationMaterial),
            "review": T(DepartmentReview),
            "review_h": T(DepartmentReview.history.model),
            "clock": T(ClockEvent),
            "document": T(Document),
            "notification": T(Notification),
        }
        models = {
            "applicant": Applicant,
            "project": Project,
            "application": Application,
            "material": ApplicationMaterial,
            "review": DepartmentReview,
            "clock": ClockEvent,
            "document": Document,
            "notification": Notification,
        }
        for key, model in models.items():
            last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            self.t[key].next_id = last + 1
        for key, model in (
            ("applicant_h", Applicant),
            ("application_h", Application),
            ("review_h", DepartmentReview),
        ):
            last = model.history.order_by("-history_id").values_list("history_id", flat=True)
            self.t[key].next_id = 1 + (last.first() or 0)
        self.t["items"].next_id = 1 + (
            Application.items.through.objects.order_by("-pk").values_list("pk", flat=True).first()
            or 0
        )
        self.counters = {(c.series, c.year): c.last for c in Counter.objects.all()}
        self.applicants: list[int] = []
        self.applicant_rows: dict[int, dict] = {}
        self.open_reviews = 0

    # -- small helpers

    def number(self, series: str, year: int) -> int:
        self.counters[(series, year)] = self.counters.get((series, year), 0) + 1
        return self.counters[(series, year)]

    def moment(self, day: dt.date, start_hour: float = 8.5, end_hour: float = 17.0) -> dt.datetime:
        seconds = self.rng.uniform(start_hour * 3600, end_hour * 3600)
        return dt.datetime.combine(day, dt.time(), self.tz) + dt.timedelta(seconds=seconds)

    def later(self, at: dt.datetime, working_days: int) -> dt.datetime:
        """A moment `working_days` working days after `at` (0: later the same day)."""
        if working_days <= 0:
            minutes = self.rng.randint(5, 120)
            return at + dt.timedelta(minutes=minutes)
        return self.moment(self.days.add(at.date(), working_days))

    def history(self, key: str, row: dict, kind: str, at: dt.datetime, user: int | None):
        table = self.t[key]
        table.add(
            {
                **row,
                "history_id": table.new_id(),
                "history_date": at,
                "history_change_reason": None,
                "history_type": kind,
                "history_user_id": user,
            }
        )

    # -- people and projects

    def applicant(self, at: dt.datetime) -> int:
        from applications.validators import id_check_char, uscc_check_char

        if self.applicants and self.rng.random() < 0.55:
            return self.rng.choice(self.applicants)
        table = self.t["applicant"]
        pk = table.new_id()
        person = self.rng.random() < 0.3
        if person:
            # Unique by construction: the birth day follows the thousands of the id.
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=(pk // 1000) * 97 % 18000)
            first17 = f"330185{birth:%Y%m%d}{pk % 1000:03d}"
            id_number = first17 + id_check_char(first17)
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choices(GIVEN, k=2))
        else:
            first17 = f"913301{pk:011d}"[:17]
            id_number = first17 + uscc_check_char(first17)
            name = (
                "临安"
                + "".join(self.rng.choices(PLACES, k=2))
                + self.rng.choice(TRADES)
                + self.rng.choice(FORMS)
            )
        row = {
            "id": pk,
            "kind": "person" if person else "enterprise",
            "name": name,
            "id_number": id_number,
            "contact_name": self.rng.choice(SURNAMES) + self.rng.choice(GIVEN),
            "mobile": f"139{pk:08d}"[-11:],
            "email": f"a{pk}@example.com" if self.rng.random() < 0.5 else "",
            "address": "临安区" + "".join(self.rng.choices(PLACES, k=2)) + "街道",
            "language": "zh-hans",
            "created_at": at,
        }
        table.add(row)
        self.history("applicant_h", row, "+", at, None)
        self.applicants.append(pk)
        self.applicant_rows[pk] = row
        return pk

    def project(self, applicant: int, at: dt.datetime) -> int:
        table = self.t["project"]
        pk = table.new_id()
        table.add(
            {
                "id": pk,
                "applicant_id": applicant,
                "code": f"{at.year}-330185-{self.rng.randint(1, 99):02d}-01-{pk:06d}",
                "name": "".join(self.rng.choices(PLACES, k=2)) + "项目",
                "location": "临安区",
                "total_investment": f"{self.rng.randint(100, 500000)}.00",
                "land_area": f"{self.rng.randint(1000, 200000)}.00",
                "description": "新建厂房及配套设施",
            }
        )
        return pk

    # -- one application, walked forward in time

    def choose_items(self) -> list:
        roll = self.rng.random()
        if roll < 0.35 and self.org.package:
            k = min(len(self.org.package), self.rng.randint(4, 12))
            return self.rng.sample(self.org.package, k)
        department = self.rng.choice(self.org.departments)
        own = self.org.by_department[department]
        k = min(len(own), self.rng.choice([1, 1, 2, 2, 3, 3, 4, 5]))
        chosen = self.rng.sample(own, k)
        if self.rng.random() < 0.5:  # items of a second department too
            other = self.org.by_department[self.rng.choice(self.org.departments)]
            chosen += [i for i in self.rng.sample(other, min(len(other), 2)) if i not in chosen]
        return chosen

    def application(self, received: dt.datetime, *, force_open: bool = False) -> None:
        """1. receipt and checklist; 2. an outcome at intake; 3. reviews walked to today."""
        rng, org, today = self.rng, self.org, self.today
        clerk = rng.choice(org.clerks)
        items = self.choose_items()
        package = any(i.fixed_asset_parallel for i in items)
        applicant = self.applicant(received)
        app = {
            "id": self.t["application"].new_id(),
            "applicant_id": applicant,
            "project_id": self.project(applicant, received) if package else None,
            "state": "draft",
            "received_at": received,
            "received_by_id": clerk,
            "notice_due": self.days.add(received.date(), 5),
            "receipt_number": None,
            "access_code": "",
            "accepted_at": None,
            "accepted_by_id": None,
            "with_gaps": False,
            "promised_date": None,
            "promised_provisional": False,
            "promised_reason": "",
            "due_date": None,
            "refusal_reasons": "",
            "ready_at": None,
            "delivered_at": None,
            "delivered_by_id": None,
            "withdrawn_at": None,
            "closing_note": "",
        }
        self.history("application_h", app, "+", received, clerk)
        for item in items:
            self.t["items"].add(
                {"id": self.t["items"].new_id(), "application_id": app["id"], "item_id": item.pk}
            )
        materials = sorted({m for i in items for m in org.materials[i.pk]})
        age = (today - received.date()).days
        roll = rng.random()
        outcome = "accept"
        if not force_open:
            if roll < 0.03:
                outcome = "not_accepted"
            elif age <= 7 and roll < 0.25:
                outcome = "draft"
            elif age <= 30 and roll < 0.10:
                outcome = "awaiting"
        for material in materials:
            received_line = outcome != "draft" or rng.random() < 0.6
            self.t["material"].add(
                {
                    "id": self.t["material"].new_id(),
                    "application_id": app["id"],
                    "material_id": material,
                    "status": "received" if received_line else "missing",
                    "copies": 1 if received_line else 0,
                    "promised_by": None,
                    "supplied_at": received if received_line else None,
                    "note": "",
                }
            )
        if outcome == "draft":
            self.t["application"].add(app)
            return
        decided_at = self.later(received, 0)
        if outcome in ("not_accepted", "awaiting"):
            kind = "not_accepted" if outcome == "not_accepted" else "missing"
            prefix = {"not_accepted": "临审不受", "missing": "临审告"}[kind]
            year = decided_at.year
            app["state"] = "not_accepted" if kind == "not_accepted" else "awaiting_materials"
            if kind == "not_accepted":
                app["refusal_reasons"] = "申请事项不属于本中心受理范围。"
            self.history("application_h", app, "~", decided_at, clerk)
            self.t["application"].add(app)
            self.document(
                f"{prefix}〔{year}〕{self.number(f'document:{kind}', year)}号",
                kind,
                app["id"],
                None,
                decided_at,
                clerk,
            )
            return
        self.accept(app, items, decided_at, clerk, force_open=force_open)

    def accept(self, app: dict, items: list, at: dt.datetime, clerk: int, force_open: bool):
        rng, today = self.rng, self.today
        year = at.year
        day = at.date()
        app["receipt_number"] = f"{year}{self.number('receipt', year):06d}"
        app["access_code"] = "".join(rng.choices(ALPHABET, k=8))
        app["accepted_at"], app["accepted_by_id"] = at, clerk
        app["state"] = "in_review"
        withdrawn_on = None
        if not force_open and rng.random() < 0.02:
            withdrawn_on = self.later(at, rng.randint(1, 15))
        reviews = []
        for item in items:
            reviews.append(self.review(app, item, at, withdrawn_on, force_open))
        latest = max(reviews, key=lambda r: (r["promised"], r["row"]["promised_days"]))
        app["promised_date"] = app["due_date"] = latest["promised"]
        app["promised_provisional"] = any(r["row"]["deadline_provisional"] for r in reviews)
        app["promised_reason"] = (
            f"{latest['item'].name}（{latest['item'].department.short_name}）用时最长："
            f"{day:%Y年%m月%d日}后{latest['row']['promised_days']}个工作日"
        )
        self.history("application_h", app, "~", at, clerk)
        slip = f"临审承〔{year}〕{app['receipt_number'][4:]}号"
        self.document(slip, "commitment", app["id"], None, at, clerk)
        self.notify(app, "accepted", at)
        # Its due date moves with the extensions and stops its reviews met on the way.
        app["due_date"] = max(r["row"]["deadline"] for r in reviews)
        # The application's own ending: withdrawn, or ready when the last review came back.
        if withdrawn_on is not None and withdrawn_on.date() <= today:
            app["state"], app["withdrawn_at"] = "withdrawn", withdrawn_on
            app["closing_note"] = "申请人撤回申请"
            self.history("application_h", app, "~", withdrawn_on, clerk)
        else:
            backs = [r["received_at"] for r in reviews]
            if all(b is not None for b in backs):
                ready_at = max(backs)
                app["state"], app["ready_at"] = "ready", ready_at
                self.history("application_h", app, "~", ready_at, clerk)
                self.notify(app, "ready", ready_at)
                delivered = self.later(ready_at, rng.choice([0, 1, 1, 2, 3, 5]))
                if delivered <= self.now:
                    app["state"], app["delivered_at"] = "delivered", delivered
                    app["delivered_by_id"] = clerk
                    self.history("application_h", app, "~", delivered, clerk)
        self.t["application"].add(app)
        for r in reviews:
            self.t["review"].add(r["row"])

    def review(self, app: dict, item, at: dt.datetime, withdrawn_on, force_open: bool) -> dict:
        """One review from fan-out to receipt back, as far as today reaches."""
        rng, days, org, now = self.rng, self.days, self.org, self.now
        day = at.date()
        deadline = days.add(day, item.promised_days)
        statutory = days.add(day, item.statutory_days)
        row = {
            "id": self.t["review"].new_id(),
            "application_id": app["id"],
            "item_id": item.pk,
            "department_id": item.department_id,
            "window_id": item.window_id,
            "state": "queued",
            "officer_id": None,
            "claimed_at": None,
            "started_on": day,
            "promised_days": item.promised_days,
            "statutory_days": item.statutory_days,
            "deadline": deadline,
            "deadline_provisional": days.provisional(day, statutory),
            "statutory_deadline": statutory,
            "outcome": "",
            "reasons": "",
            "decision_number": None,
            "decided_at": None,
            "signed_by_id": None,
            "signed_under_letter_id": None,
            "signed_under_posting_id": None,
            "seal_id": None,
            "countersigned_by_id": None,
            "countersigned_at": None,
            "returned_at": None,
            "received_at": None,
            "received_by_id": None,
        }
        promised = deadline
        clerk = app["accepted_by_id"]
        self.history("review_h", row, "+", at, clerk)
        self.clock(row["id"], "start", at, clerk)
        result = {"row": row, "item": item, "promised": promised, "received_at": None}

        def until(moment):  # has this step happened by now (and before a withdrawal)?
            return moment <= now and (withdrawn_on is None or moment < withdrawn_on)

        officers = org.officers.get(item.window_id) or [org.heads.get(item.window_id)]
        officer = rng.choice(officers)
        claimed = self.later(at, rng.choice([0, 0, 1, 1, 2]))
        # How long the work takes: mostly inside the promise, some late, some stopped.
        late = rng.random() < 0.03
        work_days = (
            item.promised_days + rng.randint(1, 5)
            if late
            else rng.randint(max(1, item.promised_days // 3), item.promised_days)
        )
        stop = None
        if rng.random() < 0.08:
            stop_at = self.later(claimed, rng.randint(1, max(1, work_days - 1)))
            stopped_days = rng.randint(3, 20)
            # Some stops last: expert reviews and hearings of the last two months still running.
            still = rng.random() < 0.12 and (self.today - stop_at.date()).days < 60
            stop = (stop_at, stopped_days, still)
        if rng.random() < 0.02:
            extension = rng.randint(5, 10)
            extend_at = self.later(claimed, rng.randint(1, max(1, work_days - 1)))
        else:
            extension, extend_at = 0, None
        if force_open:  # accepted in the last weeks, all still open: decisions lie ahead
            work_days = 200
        decided = self.later(claimed, work_days)

        if until(claimed):
            row.update(state="in_progress", officer_id=officer, claimed_at=claimed)
            self.history("review_h", row, "~", claimed, officer)
        if extend_at is not None and until(extend_at):
            row["deadline"] = days.add(row["deadline"], extension)
            row["statutory_deadline"] = days.add(row["statutory_deadline"], extension)
            result["promised"] = row["deadline"]
            head = org.heads.get(item.window_id) or officer
            self.clock(row["id"], "extend", extend_at, officer, days=extension, approved_by=head)
            self.history("review_h", row, "~", extend_at, officer)
        if stop is not None and until(stop[0]) and row["state"] == "in_progress":
            stop_at, stopped_days, still = stop
            resume_at = self.later(stop_at, stopped_days)
            self.clock(
                row["id"], "stop", stop_at, officer, days=stopped_days, cause="expert_review"
            )
            row["state"] = "suspended"
            self.history("review_h", row, "~", stop_at, officer)
            if still or not until(resume_at):
                self.open_reviews += 1
                if withdrawn_on is not None and until(withdrawn_on):
                    self.withdraw(row, withdrawn_on, clerk)
                return result
            self.clock(row["id"], "resume", resume_at, officer)
            row["state"] = "in_progress"
            row["deadline"] = days.add(row["deadline"], stopped_days)
            decided = self.later(decided, stopped_days)
            self.history("review_h", row, "~", resume_at, officer)
        if not until(decided):
            if withdrawn_on is not None and until(withdrawn_on):
                self.withdraw(row, withdrawn_on, clerk)
            else:
                self.open_reviews += 1
            return result
        year = decided.year
        department = item.department
        signer, letter, posting = org.signer(item, decided.date())
        refused = rng.random() < 0.03
        row.update(
            outcome="refused" if refused else "granted",
            reasons="申请材料不符合法定条件。" if refused else "",
            decision_number=f"{department.short_name}许字〔{year}〕第"
            f"{self.number(f'decision:{department.code}', year)}号",
            decided_at=decided,
            signed_by_id=signer,
            signed_under_letter_id=letter,
            signed_under_posting_id=posting,
            seal_id=org.seals.get(item.window_id),
            state="countersign" if item.needs_countersign else "decided",
        )
        if row["officer_id"] is None:
            row["officer_id"], row["claimed_at"] = signer, decided
        self.history("review_h", row, "~", decided, signer)
        self.document(
            row["decision_number"],
            "refusal" if refused else "approval",
            app["id"],
            row["id"],
            decided,
            signer,
            text=row["reasons"],
        )
        ready = decided
        if item.needs_countersign:
            countersigned = self.later(decided, rng.choice([0, 1, 2]))
            if not until(countersigned):
                self.open_reviews += 1
                return result
            leader = org.leaders.get(item.department_id, signer)
            row.update(countersigned_by_id=leader, countersigned_at=countersigned, state="decided")
            self.history("review_h", row, "~", countersigned, leader)
            ready = countersigned
        returned = self.later(ready, rng.choice([0, 0, 1]))
        if not until(returned):
            return result
        row.update(state="returned", returned_at=returned)
        self.history("review_h", row, "~", returned, signer)
        back = self.later(returned, rng.choice([0, 0, 1]))
        if not until(back):
            return result
        row.update(state="received", received_at=back, received_by_id=clerk)
        self.history("review_h", row, "~", back, clerk)
        result["received_at"] = back
        return result

    def withdraw(self, row: dict, at: dt.datetime, clerk: int) -> None:
        row["state"] = "withdrawn"
        self.history("review_h", row, "~", at, clerk)

    def clock(self, review: int, kind: str, at, by, days=0, cause="", approved_by=None) -> None:
        self.t["clock"].add(
            {
                "id": self.t["clock"].new_id(),
                "review_id": review,
                "kind": kind,
                "cause": cause,
                "at": at,
                "on": at.astimezone(self.tz).date(),
                "days": days,
                "reason": "组织专家评审" if kind == "stop" else ("情况复杂" if days else ""),
                "approved_by_id": approved_by,
                "by_id": by,
            }
        )

    def document(self, number, kind, application, review, at, by, text="") -> None:
        self.t["document"].add(
            {
                "id": self.t["document"].new_id(),
                "number": number,
                "kind": kind,
                "application_id": application,
                "review_id": review,
                "clock_event_id": None,
                "issued_at": at,
                "issued_by_id": by,
                "text": text,
            }
        )

    def notify(self, app: dict, event: str, at: dt.datetime) -> None:
        applicant = self.applicant_rows.get(app["applicant_id"])
        channels = [("sms", applicant["mobile"] if applicant else "13900000000")]
        if applicant and applicant["email"]:
            channels.append(("email", applicant["email"]))
        for channel, recipient in channels:
            self.t["notification"].add(
                {
                    "id": self.t["notification"].new_id(),
                    "application_id": app["id"],
                    "event": event,
                    "key": event,
                    "channel": channel,
                    "recipient": recipient,
                    "language": "zh-hans",
                    "subject": "",
                    "text": f"【临安市行政审批中心】受理编号{app['receipt_number']}：{event}",
                    "created_at": at,
                    "claimed_at": at + dt.timedelta(seconds=1),
                    "sent_at": at + dt.timedelta(seconds=2),
                    "attempts": 1,
                    "last_error": "",
                }
            )

    # -- the run

    def flush(self, cursor) -> None:
        for table in self.t.values():
            table.flush(cursor)

    def run(self, applications: int, open_target: int) -> None:
        from django.db import connection

        working = [d for d in self.days.working if self.first_day <= d <= self.today]
        moments = sorted(self.moment(self.rng.choice(working)) for _ in range(applications))
        moments = [m for m in moments if m <= self.now]
        started = time.monotonic()
        with connection.cursor() as django_cursor:
            cursor = django_cursor.cursor
            for index, received in enumerate(moments, 1):
                self.application(received)
                if index % BATCH == 0:
                    self.flush(cursor)
                    rate = index / (time.monotonic() - started)
                    log(f"{index:,} applications ({rate:,.0f}/s), {self.open_reviews:,} open")
            self.flush(cursor)
            extra = 0
            recent = [d for d in working if d >= self.today - dt.timedelta(days=40)]
            while self.open_reviews < open_target:
                self.application(self.moment(self.rng.choice(recent)), force_open=True)
                extra += 1
                if extra % BATCH == 0:
                    self.flush(cursor)
                    log(f"+{extra:,} open applications, {self.open_reviews:,} open reviews")
            self.flush(cursor)
            self.save_counters(cursor)
        log(f"wrote {len(moments) + extra:,} applications in {time.monotonic() - started:.0f} s")

    def save_counters(self, cursor) -> None:
        from applications.models import Counter

        table = Counter._meta.db_table
        for (series, year), last in self.counters.items():
            cursor.execute(
                f"INSERT INTO {table} (series, year, last) VALUES (%s, %s, %s) "
                "ON CONFLICT (series, year) DO UPDATE SET last = EXCLUDED.last",
                [series, year, last],
            )


def fresh_database() -> None:
    from django.core.management import call_command

    name = common.database_name()
    admin = common.admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    log(f"database {name}: migrate, demo center, calendar")
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=io.StringIO())
    call_command("seed_calendar", verbosity=0, stdout=io.StringIO())


def finish() -> None:
    from django.db import connection
    from django.utils import timezone

    from supervision import sweep

    with connection.cursor() as cursor:
        # The ids were given here: move every identity past them.
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND is_identity = 'YES'"
        )
        for table, column in cursor.fetchall():
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )
    log("ANALYZE")
    connection.cursor().execute("ANALYZE")
    # The rows were written behind the incremental sweep's back: judge everything once.
    started = time.monotonic()
    result = sweep.sweep(now=timezone.now(), full=True)
    log(f"first (full) sweep: {result.written:,} cards in {time.monotonic() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--open-reviews", type=int, default=0, help="add open reviews up to this")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    common.setup_django()
    started = time.monotonic()
    fresh_database()
    generator = Generator(args)
    generator.run(args.applications, args.open_reviews)
    finish()
    sizes = {name: t.count for name, t in generator.t.items()}
    log("rows: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))
    log(f"done in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
