"""Demo data for the efficiency assessment: windows that work at different paces over this
month and the last, so the assessment has something to tell apart.

The demo applications (applications/demo.py) are decided within a day or two of intake, so on
their own every window would score the same. This adds, through the real services with clocks
set in the past, a few single-item applications at a dozen windows of four kinds: quick (well
inside the promise), steady (near it), slow (sometimes extended, sometimes a little late) and
late (often late, and urged by the center), with stopped clocks here and there; and a few A
holders away last month, so A/B cover shows. Runs once: its applicants mark it as done.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from applications import services
from applications.demo import _mark, _officers, _signers
from applications.models import Applicant, DepartmentReview
from applications.validators import uscc_check_char
from windows import authority
from windows.models import Absence, Item, Post, Staff, Window
from windows.roles import Role
from windows.workdays import WorkCalendar

from . import actions

COMPANIES = [
    "杭州昌北建材有限公司",
    "临安百丈竹业有限公司",
    "浙江天目药业有限公司",
    "临安湍口农旅发展有限公司",
    "杭州锦城物业管理有限公司",
    "临安龙岗矿产品有限公司",
]

# Decision after this share of the promised working days (low, high), chance of a stop, of an
# extension, and whether the center urges the late ones.
PACES = {
    "quick": (0.3, 0.7, 0.1, 0.0),
    "steady": (0.7, 1.0, 0.2, 0.0),
    "slow": (0.9, 1.3, 0.3, 0.3),
    "late": (1.1, 1.7, 0.3, 0.1),
}
ORDER = ["quick", "steady", "slow", "late", "steady", "quick", "late", "steady", "slow", "quick"]
WINDOWS = 12
PER_WINDOW = 5


def seed_assessment_demo(*, today: dt.date) -> list[str]:
    applicants = _applicants()
    if DepartmentReview.objects.filter(application__applicant__in=applicants).exists():
        return ["assessment demo already present; none added"]
    clerk = Staff.objects.filter(groups__name=Role.INTAKE_CLERK).order_by("username").first()
    manager = Staff.objects.filter(groups__name=Role.CENTER_MANAGER).order_by("username").first()
    if clerk is None or manager is None:
        return ["no intake clerk or center manager: load the organisation first"]
    rng = random.Random(2026)
    calendar = WorkCalendar.load()
    now = timezone.now()
    signers, officers = _signers(), _officers()
    leaders = {
        s.department_id: s for s in Staff.objects.filter(groups__name=Role.DEPARTMENT_LEADER)
    }
    items: dict[int, list[Item]] = {}
    # Single items, no project: none that needs another item's approval first (前置).
    for item in (
        Item.objects.active().approvals().filter(handled_in_center=True, prerequisites=None)
    ):
        if item.pk in signers:
            items.setdefault(item.window_id, []).append(item)
    windows = rng.sample(sorted(items), min(WINDOWS, len(items)))
    story = Story(rng, calendar, now, clerk, manager, signers, officers, leaders)
    for n, window_id in enumerate(windows):
        pace = PACES[ORDER[n % len(ORDER)]]
        for k in range(PER_WINDOW):
            # Received from ten weeks ago to a week ago, so decisions fall in both months.
            received = now - dt.timedelta(days=7 + (63 * (k + rng.random())) // PER_WINDOW)
            applicant = applicants[(n + k) % len(applicants)]
            story.application(applicant, items[window_id], received, pace)
    absences = _absences_last_month(today, rng, calendar)
    return [
        f"assessment: {story.made} applications at {len(windows)} windows, {story.late} decided "
        f"late, {story.extended} extended, {story.stopped} stopped, {story.urged} urge notices, "
        f"{absences} absences last month"
    ]


def _applicants() -> list[Applicant]:
    result = []
    for i, name in enumerate(COMPANIES):
        prefix = f"91330185MA2C{4100 + i * 7:05d}"[:17]
        applicant, _created = Applicant.objects.get_or_create(
            id_number=prefix + uscc_check_char(prefix),
            defaults={
                "kind": "enterprise",
                "name": name,
                "contact_name": "周建华",
                "mobile": f"1390571{1000 + i:04d}",
            },
        )
        result.append(applicant)
    return result


class Story:
    """One application's life at a window's pace, never past the present."""

    def __init__(self, rng, calendar, now, clerk, manager, signers, officers, leaders) -> None:
        self.rng, self.calendar, self.now = rng, calendar, now
        self.clerk, self.manager = clerk, manager
        self.signers, self.officers, self.leaders = signers, officers, leaders
        self.made = self.late = self.extended = self.stopped = self.urged = 0

    def at(self, day: dt.date, hour: int) -> dt.datetime | None:
        """That working day at that hour, or None when it is not past yet."""
        moment = timezone.make_aware(
            dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59)))
        )
        return moment if moment < self.now - dt.timedelta(minutes=5) else None

    def later(self, day: dt.date, working_days: int) -> dt.date:
        return self.calendar.add_working_days(day, working_days).end

    def application(self, applicant, window_items, received, pace) -> None:
        low, high, stop_chance, extend_chance = pace
        received = timezone.localtime(received).replace(hour=9, minute=self.rng.randint(0, 59))
        if not self.calendar.is_working_day(received.date()):
            received = self.at(self.later(received.date(), 1), 9) or received
        item = self.rng.choice(window_items)
        application = services.application_create(
            applicant=applicant, project=None, items=[item], by=self.clerk, now=received
        )
        _mark(application, self.rng, missing=False)
        services.application_accept(application=application, by=self.clerk, now=received)
        self.made += 1
        review = application.reviews.get()
        officer = self.rng.choice(self.officers.get(review.window_id) or [self.signers[item.pk]])
        signer = self.signers[item.pk]
        start = received.date()
        services.review_claim(review=review, by=officer, now=received + dt.timedelta(hours=1))
        day, stopped = start, 0
        if self.rng.random() < stop_chance:
            day = self.later(start, 1)
            when = self.at(day, 10)
            if when is None:
                return
            services.review_stop(
                review=review,
                by=officer,
                now=when,
                cause=self.rng.choice(["supplements", "expert_review", "testing"]),
                days_needed=5,
                reason="请补充项目选址论证材料。",
            )
            self.stopped += 1
            stopped = self.rng.randint(2, 6)
            day = self.later(day, stopped)
            when = self.at(day, 9)
            if when is None:
                return
            services.review_resume(review=review, by=officer, now=when)
        if self.rng.random() < extend_chance:
            when = self.at(max(day, self.later(start, max(1, item.promised_days // 2))), 11)
            if (
                when is not None
                and officer != signer  # the approver is never the one who asked
                and authority.signing_basis(signer, item, at=when)
            ):
                # The officer asks; the signer approves an hour later (Art. 42: four eyes).
                extension = services.extension_request(
                    review=review,
                    by=officer,
                    now=when - dt.timedelta(hours=1),
                    days=self.rng.randint(3, 5),
                    reason="需组织现场核查。",
                )
                services.extension_approve(extension=extension, by=signer, now=when)
                self.extended += 1
                day = timezone.localdate(when)
        review.refresh_from_db()
        share = low + (high - low) * self.rng.random()
        target = max(1, round(share * item.promised_days)) + stopped
        decided_on = max(self.later(day, 1), self.later(start, target))
        decided = self.at(decided_on, 15)
        if decided is not None and decided.date() > review.deadline:
            self.urge(review, officer, self.later(review.deadline, 1), decided)
        if decided is None or authority.signing_basis(signer, item, at=decided) is None:
            if review.deadline < self.now.date():
                self.urge(review, officer, self.later(review.deadline, 1), None)
            return
        services.review_decide(review=review, by=signer, now=decided, outcome="granted", reasons="")
        self.late += decided.date() > review.deadline
        self.close(review, officer, decided_on)

    def urge(self, review, officer, day, before) -> None:
        """A late review is urged the working day after its deadline (before its decision)."""
        issued = self.at(day, 9)
        if issued is None or (before is not None and issued >= before):
            return
        if actions.open_urge(review) is not None:  # one open notice per review
            return
        notice = actions.urge_issue(
            review=review,
            by=self.manager,
            now=issued,
            text="该事项已超过承诺时限，请抓紧办理并书面说明原因。",
            reply_due=self.later(day, 2),
        )
        replied = self.at(self.later(day, 1), 16)
        if replied is not None and (before is None or replied < before):
            actions.urge_reply(
                urge=notice, by=officer, now=replied, reply="材料需现场核实，已加快办理。"
            )
        self.urged += 1

    def close(self, review, officer, decided_on) -> None:
        """Countersign, return, receive back and deliver, each a working day later if past."""
        review.refresh_from_db()
        day = decided_on
        if review.state == DepartmentReview.State.AWAITING_COUNTERSIGN:
            leader = self.leaders.get(review.department_id)
            day = self.later(day, 1)
            when = self.at(day, 10)
            if leader is None or when is None:
                return
            services.review_countersign(review=review, by=leader, now=when)
        for step in (services.review_return, services.review_receive):
            day = self.later(day, 1)
            when = self.at(day, 11)
            if when is None:
                return
            by = officer if step is services.review_return else self.clerk
            step(review=review, by=by, now=when)
        when = self.at(self.later(day, 1), 14)
        if when is not None:
            services.application_deliver(application=review.application, by=self.clerk, now=when)


def _absences_last_month(today: dt.date, rng: random.Random, calendar: WorkCalendar) -> int:
    """A few A holders away for some working days of last month, one of them while their B
    holder was away too."""
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    posts = list(
        Post.objects.filter(window__kind=Window.Kind.DEPARTMENT)
        .select_related("holder_a", "holder_b")
        .order_by("window__number", "name")
    )
    made = 0
    for n, post in enumerate(rng.sample(posts, min(4, len(posts)))):
        starts = calendar.add_working_days(first, 3 * n).end
        ends = calendar.add_working_days(starts, rng.randint(1, 3)).end
        Absence.objects.get_or_create(
            staff=post.holder_a,
            starts_on=starts,
            defaults={"ends_on": ends, "reason": Absence.Reason.LEAVE},
        )
        made += 1
        if n == 0:
            Absence.objects.get_or_create(
                staff=post.holder_b,
                starts_on=ends,
                defaults={"ends_on": ends, "reason": Absence.Reason.TRAINING},
            )
    return made
