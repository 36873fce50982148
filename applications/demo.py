"""Demo applications: reviews in every state, some late, some stopped, made through the real
services with clocks set in the past, so their history, numbers and documents are real too.
Runs once: when the database already holds applications it adds nothing."""

from __future__ import annotations

import datetime as dt
import random
import re

from django.utils import timezone

from windows import authority
from windows.models import Item, Staff
from windows.roles import Role

from . import services
from .models import (
    Applicant,
    Application,
    ApplicationMaterial,
    DepartmentReview,
    Project,
)
from .validators import id_check_char, uscc_check_char

COMPANIES = [
    "临安青山建设有限公司",
    "杭州锦溪新材料科技有限公司",
    "临安天目山旅游开发有限公司",
    "浙江昌化电子科技有限公司",
    "临安玲珑工业园开发有限公司",
    "杭州於潜竹木制品有限公司",
    "临安太湖源农业发展有限公司",
    "浙江清凉峰生物医药有限公司",
    "临安市城市建设投资集团有限公司",
    "杭州横畈机械制造有限公司",
    "临安高虹山核桃食品有限公司",
    "浙江锦南新能源有限公司",
    "临安岛石茶业有限公司",
    "杭州青山湖科技城发展有限公司",
    "临安板桥物流有限公司",
    "浙江临安光电股份有限公司",
    "临安河桥古镇旅游有限公司",
    "杭州湍口温泉度假有限公司",
]
PEOPLE = ["王建明", "李秀英", "张丽华", "刘志强", "陈晓东", "杨春梅", "赵国庆", "黄海燕"]
PROJECTS = [
    ("研发楼及配套设施建设项目", "青山湖街道"),
    ("年产5万吨新型建材生产线项目", "玲珑街道"),
    ("天目山景区游客中心项目", "天目山镇"),
    ("电子元器件厂房扩建项目", "锦北街道"),
    ("竹木制品深加工项目", "於潜镇"),
    ("山核桃精深加工园区项目", "昌化镇"),
    ("生物医药中试基地项目", "青山湖街道"),
    ("城东安置小区项目", "锦城街道"),
    ("物流仓储中心项目", "板桥镇"),
    ("分布式光伏发电项目", "高虹镇"),
    ("温泉度假酒店项目", "湍口镇"),
    ("古镇保护与旅游配套项目", "河桥镇"),
]


def seed_demo_applications(*, today: dt.date) -> list[str]:
    if Application.objects.exists():
        return ["applications already present; none added"]
    rng = random.Random(42)
    now = timezone.now()
    clerks = list(Staff.objects.filter(groups__name=Role.INTAKE_CLERK).order_by("username"))
    if not clerks:
        return ["no intake clerk: load the organisation first"]
    signers = _signers()
    officers = _officers()
    leaders = {
        s.department_id: s for s in Staff.objects.filter(groups__name=Role.DEPARTMENT_LEADER)
    }
    applicants = _applicants(rng)
    # Items that need another's approval first (前置) come only in the staged project below.
    free = Item.objects.active().filter(handled_in_center=True, prerequisites=None)
    package = list(free.filter(fixed_asset_parallel=True))
    singles = list(free.filter(fixed_asset_parallel=False))
    made = {}
    for n in range(150):
        applicant = applicants[n % len(applicants)]
        received = _business_time(now - dt.timedelta(days=rng.randint(0, 50)), rng)
        clerk = rng.choice(clerks)
        project = applicant.projects.first()
        if project and rng.random() < 0.6:
            items = rng.sample(package, rng.randint(3, 6))
        else:
            items, project = rng.sample(singles, rng.randint(1, 2)), None
        application = services.application_create(
            applicant=applicant, project=project, items=items, by=clerk, now=received
        )
        fate = rng.random()
        if fate < 0.05:
            made["draft"] = made.get("draft", 0) + 1
            continue
        if fate < 0.09:
            _mark(application, rng, missing=True)
            services.application_notify_missing(application=application, by=clerk, now=received)
            made["awaiting"] = made.get("awaiting", 0) + 1
            continue
        if fate < 0.12:
            services.application_refuse(
                application=application,
                by=clerk,
                now=received,
                reasons="申请事项依法不属于本中心受理范围，请向市场监管部门申请。",
            )
            made["not accepted"] = made.get("not accepted", 0) + 1
            continue
        _mark(application, rng, missing=False)
        application = services.application_accept(application=application, by=clerk, now=received)
        _progress(application, rng, received, now, clerk, signers, officers, leaders)
        application.refresh_from_db()
        made[application.state] = made.get(application.state, 0) + 1
    extensions = _extensions(now, clerks[0], signers)
    waiting = _send_some_for_signature(now)
    staged = _staged_project(now, clerks[0], signers, officers, leaders)
    reviews = DepartmentReview.objects.all()
    late = reviews.open().filter(deadline__lt=today).count()
    states = ", ".join(f"{k}: {v}" for k, v in sorted(made.items()))
    return [
        f"{Application.objects.count()} applications ({states}), "
        f"{reviews.count()} reviews, {reviews.open().count()} open, {late} overdue, "
        f"{reviews.filter(state='suspended').count()} stopped, {waiting} awaiting signature",
        extensions,
        staged,
    ]


# The demo project through two stages (docs/projects.md): its first stage's items approved, the
# second in progress, the third blocked by a prerequisite (前置) not yet held.
STAGED_APPLICANT = ("临安青山湖科创置业有限公司", "91330185MA2K70518")
STAGED_PROJECT = {
    "code": "2026-330185-70-01-518800",
    "name": "青山湖科技城研发总部项目",
    "location": "临安区青山湖街道科技大道",
    "total_investment": 68000,
    "land_area": 45000,
    "description": "研发楼、中试车间及配套设施",
}
# (calendar days before today it was filed, items, how far each goes: "done" approved and
# handed over, "decided" approved and returned, "progress" claimed, "queued" just accepted)
STAGED_FILINGS = [
    (58, ["XK-FGJ-002", "XK-JSJ-001", "XK-GTJ-001"], "done"),
    (44, ["XK-JSJ-002"], "done"),
    (20, ["XK-JSJ-004", "XK-HBJ-002"], "mixed"),
    (6, ["XK-JSJ-003"], "queued"),
]


def seed_staged_project(*, now: dt.datetime) -> str:
    """The staged demo project alone, on the demo center (the browser test's)."""
    clerk = Staff.objects.filter(groups__name=Role.INTAKE_CLERK).order_by("username").first()
    leaders = {
        s.department_id: s for s in Staff.objects.filter(groups__name=Role.DEPARTMENT_LEADER)
    }
    return _staged_project(now, clerk, _signers(), _officers(), leaders)


def _staged_project(now, clerk, signers, officers, leaders) -> str:
    prefix = STAGED_APPLICANT[1][:17]
    applicant, _ = Applicant.objects.get_or_create(
        id_number=prefix + uscc_check_char(prefix),
        defaults={
            "kind": "enterprise",
            "name": STAGED_APPLICANT[0],
            "contact_name": "周建华",
            "mobile": "13957100518",
        },
    )
    project, _ = Project.objects.get_or_create(
        code=STAGED_PROJECT["code"], defaults={"applicant": applicant, **STAGED_PROJECT}
    )
    if project.applications.exists():
        return f"project {project.code}: already there"
    items = {item.code: item for item in Item.objects.all()}
    for days_back, codes, fate in STAGED_FILINGS:
        received = timezone.localtime(now - dt.timedelta(days=days_back)).replace(
            hour=9, minute=30, second=0, microsecond=0
        )
        application = services.application_create(
            applicant=applicant,
            project=project,
            items=[items[code] for code in codes],
            by=clerk,
            now=received,
        )
        _mark(application, random.Random(days_back), missing=False)
        services.application_accept(application=application, by=clerk, now=received)
        if fate == "queued":
            continue

        def at(hours: float, base=received) -> dt.datetime:
            return min(base + dt.timedelta(hours=hours), now - dt.timedelta(minutes=5))

        for n, review in enumerate(application.reviews.select_related("item").order_by("id")):
            officer = (officers.get(review.window_id) or [signers.get(review.item_id)])[0]
            services.review_claim(review=review, by=officer, now=at(2))
            if fate == "mixed" and n > 0:
                continue  # in progress
            signer = signers.get(review.item_id)
            if signer is None or authority.signing_basis(signer, review.item, at=at(72)) is None:
                continue
            services.review_decide(
                review=review, by=signer, now=at(72), outcome="granted", reasons=""
            )
            if review.item.needs_countersign:
                leader = leaders.get(review.department_id)
                if leader is None:
                    continue
                services.review_countersign(review=review, by=leader, now=at(80))
            services.review_return(review=review, by=officer, now=at(96))
            services.review_receive(review=review, by=clerk, now=at(100))
        application.refresh_from_db()
        if fate == "done" and application.state == Application.State.READY:
            services.application_deliver(application=application, by=clerk, now=at(120))
    return f"project {project.code} ({project.name}): 4 applications through two stages"


def _business_time(moment: dt.datetime, rng: random.Random) -> dt.datetime:
    local = timezone.localtime(moment)
    return local.replace(
        hour=rng.randint(9, 16), minute=rng.randint(0, 59), second=0, microsecond=0
    )


def _applicants(rng: random.Random) -> list[Applicant]:
    result = []
    for i, name in enumerate(COMPANIES):
        prefix = f"913301{85 + i % 10:02d}MA2{rng.randint(10000, 99999)}{'ABCDEFGH'[i % 8]}"[:17]
        applicant, _ = Applicant.objects.get_or_create(
            id_number=prefix + uscc_check_char(prefix),
            defaults={
                "kind": "enterprise",
                "name": name,
                "contact_name": rng.choice(PEOPLE),
                "mobile": f"13{rng.randint(500000000, 999999999)}",
                "email": f"contact{i}@example.com",
            },
        )
        title, place = PROJECTS[i % len(PROJECTS)]
        code = (
            f"2026-330185-{rng.randint(10, 99)}-0{rng.randint(1, 3)}-{rng.randint(100000, 999999)}"
        )
        Project.objects.get_or_create(
            code=code,
            defaults={
                "applicant": applicant,
                "name": f"{name[2:6]}{title}",
                "location": f"临安区{place}",
                "total_investment": rng.randint(800, 90000),
                "land_area": rng.randint(2000, 120000),
                "description": title,
            },
        )
        result.append(applicant)
    for i, name in enumerate(PEOPLE):
        prefix = f"330185{1960 + i * 5}{(i % 12) + 1:02d}{(i % 27) + 1:02d}{rng.randint(100, 999)}"
        applicant, _ = Applicant.objects.get_or_create(
            id_number=prefix + id_check_char(prefix),
            defaults={
                "kind": "person",
                "name": name,
                "contact_name": name,
                "mobile": f"15{rng.randint(700000000, 999999999)}",
            },
        )
        result.append(applicant)
    return result


def _mark(application: Application, rng: random.Random, *, missing: bool) -> None:
    lines = list(application.materials.all())
    for line in lines:
        line.status = ApplicationMaterial.Status.RECEIVED
        line.copies = 1
    if missing:
        for line in rng.sample(lines, min(2, len(lines))):
            line.status = ApplicationMaterial.Status.MISSING
            line.note = "原件未带"
    ApplicationMaterial.objects.bulk_update(lines, ["status", "copies", "note"])


def _signers() -> dict[int, Staff]:
    staff = {s.pk: s for s in Staff.objects.all()}
    result: dict[int, Staff] = {}
    for staff_id, item_id in sorted(authority.current_grants()):
        result.setdefault(item_id, staff[staff_id])
    return result


def _officers() -> dict[int, list[Staff]]:
    result: dict[int, list[Staff]] = {}
    for person in Staff.objects.filter(groups__name=Role.WINDOW_OFFICER).order_by("username"):
        result.setdefault(person.window_id, []).append(person)
    return result


def _progress(application, rng, start, now, clerk, signers, officers, leaders) -> None:
    """Move each review some way along its life, never past the present."""

    def at(days: float) -> dt.datetime:
        return min(start + dt.timedelta(days=days), now - dt.timedelta(minutes=5))

    age = (now - start).days
    back = []
    for review in application.reviews.select_related("item", "window"):
        people = officers.get(review.window_id) or [signers.get(review.item_id)]
        officer = rng.choice(people)
        signer = signers.get(review.item_id)
        roll = rng.random()
        young = age < 8
        if age < 1 or roll < (0.25 if young else 0.04):
            continue  # still queued; the older ones are the late ones
        services.review_claim(review=review, by=officer, now=at(0.2))
        if roll < (0.5 if young else 0.1):
            continue  # in progress
        if roll < (0.62 if young else 0.2):
            services.review_stop(
                review=review,
                by=officer,
                now=at(1),
                cause="supplements",
                days_needed=10,
                reason="请补充建设单位法人授权委托书及项目平面布置图。",
            )
            if age > 12 and rng.random() < 0.5:
                services.review_resume(review=review, by=officer, now=at(8))
            continue
        if signer is None or authority.signing_basis(signer, review.item, at=at(2)) is None:
            continue
        outcome = "refused" if rng.random() < 0.08 else "granted"
        services.review_decide(
            review=review,
            by=signer,
            now=at(min(2, age * 0.5)),
            outcome=outcome,
            reasons="" if outcome == "granted" else "项目选址不符合土地利用总体规划。",
        )
        if review.item.needs_countersign:
            leader = leaders.get(review.department_id)
            if leader is None or rng.random() < 0.4:
                continue
            services.review_countersign(review=review, by=leader, now=at(min(3, age * 0.6)))
        if rng.random() < 0.85:
            services.review_return(review=review, by=officer, now=at(min(3, age * 0.7)))
            back.append(review)
    # The comprehensive window confirms most documents as they come back, not only when all are.
    for review in back:
        if len(back) == application.reviews.count() or rng.random() < 0.8:
            services.review_receive(review=review, by=clerk, now=at(min(4, age * 0.8)))
    application.refresh_from_db()
    if application.state == Application.State.READY:
        if rng.random() < 0.7:
            services.application_deliver(
                application=application, by=clerk, now=at(min(5, age * 0.9))
            )
    elif rng.random() < 0.03:
        services.application_withdraw(
            application=application, by=clerk, now=at(1), note="申请人书面申请撤回"
        )


# Windows whose demo logins sign (README: head_a14, deputy_fgj) get their drafts first.
SIGNING_DEMO = {"windows": {"A14"}, "departments": {"fgj"}}
OPINIONS = {
    "granted": ("经审查，申报材料齐全，符合法定条件和标准，建议准予许可。", ""),
    "refused": (
        "经现场核查，项目选址与控制性详细规划不符，建议不予许可。",
        "项目选址不符合控制性详细规划的要求。",
    ),
}


def _send_some_for_signature(now: dt.datetime) -> int:
    """A few reviews in progress sent for signature by their officer (who cannot sign them),
    so the signers' lists of the demo are not empty: at most two per window, eight in all."""
    candidates = sorted(
        DepartmentReview.objects.filter(
            state=DepartmentReview.State.IN_PROGRESS, officer__groups__name=Role.WINDOW_OFFICER
        ).select_related("item", "window", "department", "officer"),
        key=lambda r: (
            r.window.number not in SIGNING_DEMO["windows"]
            and r.department.code not in SIGNING_DEMO["departments"],
            r.deadline,
            r.pk,
        ),
    )
    per_window: dict[int, int] = {}
    sent = 0
    for review in candidates:
        if sent >= 8 or per_window.get(review.window_id, 0) >= 2:
            continue
        when = max(review.claimed_at, now - dt.timedelta(hours=2))
        if authority.signing_basis(review.officer, review.item, at=when) is not None:
            continue
        outcome = "refused" if sent == 3 else "granted"
        opinion, text = OPINIONS[outcome]
        try:
            services.review_send_for_signature(
                review=review,
                by=review.officer,
                now=when,
                outcome=outcome,
                text=text,
                opinion=opinion,
            )
        except services.TransitionError:
            continue  # nobody may sign the item: it stays with the officer
        per_window[review.window_id] = per_window.get(review.window_id, 0) + 1
        sent += 1
    return sent


EXTENSION_REASONS = [
    "需组织现场核查，并征求相关部门意见。",
    "项目涉及专家论证意见需进一步核实。",
    "申请材料涉及多个权属单位，需逐一核实。",
]


def _extensions(now: dt.datetime, clerk: Staff, signers: dict[int, Staff]) -> str:
    """Extensions as they happen: an officer asks, a person who may sign the item approves
    (or refuses); two requests still wait for a signer, and for applications handled by
    several departments one joint extension approved by the government's head and one
    waiting for him."""
    head = Staff.objects.filter(groups__name=Role.GOVERNMENT_HEAD).first()
    running = (
        DepartmentReview.objects.filter(
            state=DepartmentReview.State.IN_PROGRESS,
            application__state=Application.State.IN_REVIEW,
            officer__groups__name=Role.WINDOW_OFFICER,
        )
        .select_related("item", "application")
        .order_by("application__accepted_at", "id")
    )
    made = {"approved": 0, "refused": 0, "pending": 0}
    fates = ["approved"] * 5 + ["refused"] + ["pending"] * 2
    for review in running:
        if not fates:
            break
        asked = min(review.clock.order_by("at").last().at + dt.timedelta(days=2), now)
        asked -= dt.timedelta(minutes=10)
        decided = asked + dt.timedelta(minutes=5)
        signer = signers.get(review.item_id)
        if signer is None or authority.signing_basis(signer, review.item, at=decided) is None:
            continue
        fate = fates.pop(0)
        extension = services.extension_request(
            review=review,
            by=review.officer,
            now=asked,
            days=3 + len(fates) % 3,
            reason=EXTENSION_REASONS[len(fates) % len(EXTENSION_REASONS)],
        )
        if fate == "approved":
            services.extension_approve(extension=extension, by=signer, now=decided)
        elif fate == "refused":
            services.extension_refuse(
                extension=extension,
                by=signer,
                now=decided,
                note="材料已齐全，应在承诺时限内办结，不同意延期。",
            )
        made[fate] += 1
    joint = 0
    if head is not None:
        for n, application in enumerate(
            Application.objects.filter(
                state=Application.State.IN_REVIEW, joint_deadline__isnull=False
            ).order_by("accepted_at")[:2]
        ):
            asked = now - dt.timedelta(minutes=8)
            extension = services.joint_extension_request(
                application=application,
                by=clerk,
                now=asked,
                days=10,
                reason="项目涉及多部门并联审批，需召开协调会统一意见。",
            )
            if n == 0:
                services.extension_approve(
                    extension=extension, by=head, now=asked + dt.timedelta(minutes=5)
                )
            joint += 1
    return (
        f"extension requests: {made['approved']} approved, {made['refused']} refused, "
        f"{made['pending']} waiting; {joint} joint (one approved by the government's head)"
    )


POOR_COMMENTS = [
    "窗口让我来回跑了三趟，补正材料没有一次说清楚。",
    "排队时间太长，取件时工作人员态度生硬。",
]
GOOD_COMMENTS = ["", "", "", "办理很快，窗口人员很耐心。", "一次告知很清楚，没有多跑路。", ""]


def _rating_key(application: Application) -> str | None:
    """The rating key from the link the applicant was sent at the hand-over (the key itself is
    stored nowhere else)."""
    from .models import Notification

    sms = application.notifications.filter(
        event=Notification.Event.DELIVERED, channel=Notification.Channel.SMS
    ).first()
    found = re.search(r"/track/rate/([^/\s]+)/", sms.text) if sms else None
    return found.group(1) if found else None


def seed_demo_ratings() -> list[str]:
    """Ratings for most delivered applications, two of them poor: one follow-up still open and
    one closed by a manager with a note. Runs once: nothing is added when ratings exist."""
    from . import ratings
    from .models import FollowUp, Rating

    if Rating.objects.exists():
        return ["ratings already present; none added"]
    rng = random.Random(7)
    now = timezone.now()
    delivered = list(
        Application.objects.filter(state=Application.State.DELIVERED).order_by("delivered_at")
    )
    # The latest few stay unrated, so an applicant's status page still offers the form.
    to_rate = delivered[:-3] if len(delivered) > 4 else delivered[:1]
    for n, application in enumerate(to_rate):
        if n < len(POOR_COMMENTS):
            level, comment = 2 - n, POOR_COMMENTS[n]
        else:
            level = rng.choices([5, 4, 3], weights=[60, 30, 10])[0]
            comment = rng.choice(GOOD_COMMENTS)
        rated = min(application.delivered_at + dt.timedelta(hours=rng.randint(1, 30)), now)
        # As an applicant would: with the one-time key of the link in the DELIVERED SMS.
        key = _rating_key(application)
        if key is None:
            continue
        ratings.rating_submit(token=key, level=level, comment=comment, now=rated)
    manager = Staff.objects.filter(groups__name=Role.CENTER_MANAGER).order_by("username").first()
    worst = FollowUp.objects.filter(rating__level=Rating.Level.VERY_DISSATISFIED).first()
    if manager is not None and worst is not None:
        ratings.followup_close(
            followup=worst,
            by=manager,
            note="已电话回访申请人，核实窗口未一次性告知补正要求；已对相关窗口批评教育并纳入本月效能考核。",
            now=min(worst.opened_at + dt.timedelta(days=3), now),
        )
    open_count = FollowUp.objects.open().count()
    return [f"{Rating.objects.count()} ratings, {open_count} follow-up(s) open"]
