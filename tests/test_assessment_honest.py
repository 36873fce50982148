"""An honest assessment: late undecided reviews count in every period they are late in,
beyond the law weighs more than late on the promise, stops that outlast what was announced
count, per-person figures only for the person, their window head and managers, rank order,
the dashboard and the assessment agree, and the query count stays fixed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import services
from applications.models import ClockEvent, DepartmentReview
from supervision import assessment as a
from supervision import live
from supervision.models import AssessmentWeights
from windows.roles import Role

from .conftest import aware, bulk_open_reviews, make_staff
from .test_assessment import accept

NOVEMBER = a.Period.parse("2026-11")
DECEMBER = a.Period.parse("2026-12")
EVERYTHING = a.Scope(everything=True)


def decide(review, center, day: dt.datetime):
    services.review_decide(review=review, by=center.bob, now=day, outcome="granted", reasons="")


@pytest.fixture
def november(accepted, center, applicant):
    """Five permits at A05 accepted Monday 2 November (due 11 November, statutory deadline 30
    November), claimed by alice: two decided on 5 November, three left undecided. The first
    application's reviews are decided on 30 September, on time, out of the way."""
    for review in accepted.reviews.all():
        services.review_decide(
            review=review,
            by=review_signer(review, center),
            now=aware(2026, 9, 30),
            outcome="granted",
            reasons="",
        )
    reviews = []
    for _n in range(5):
        application = accept(center, applicant, [center.permit], aware(2026, 11, 2, 9))
        review = application.reviews.get()
        services.review_claim(review=review, by=center.alice, now=aware(2026, 11, 2, 10))
        reviews.append(review)
    for review in reviews[:2]:
        decide(review, center, aware(2026, 11, 5))
    first = reviews[2]
    first.refresh_from_db()
    assert (first.deadline, first.statutory_deadline) == (
        dt.date(2026, 11, 11),
        dt.date(2026, 11, 30),
    )
    return reviews


def review_signer(review, center):
    return center.carol if review.item_id == center.planning_item.pk else center.bob


def test_late_undecided_reviews_count_in_every_period_they_are_late_in(
    november, center, time_machine
):
    time_machine.move_to(aware(2026, 11, 20), tick=False)
    result = a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20))
    f = result.find("window", "A05").figures
    assert (f.handled, f.on_time, f.late) == (2, 2, 0)
    # Three late and undecided, 7 working days late each (12–13, 16–20 November).
    assert (f.overdue, f.overdue_days) == (3, 21)
    assert f.on_time_rate == 40.0 and f.decided_on_time_rate == 100.0
    assert result.find("window", "A05").result.components[0].value == 40.0
    assert result.find("department", "jsj").figures.overdue == 3
    # December, while still undecided: they count again (1–4, 7–10 December).
    time_machine.move_to(aware(2026, 12, 10, 9), tick=False)
    december = a.assess(DECEMBER, EVERYTHING, today=dt.date(2026, 12, 10))
    f = december.find("window", "A05").figures
    assert (f.handled, f.overdue, f.overdue_days) == (0, 3, 24)
    assert december.find("window", "A05").result.score is not None  # judged, though nothing decided
    # November seen from December: the whole rest of the month (12 November – 30 November).
    assert (
        a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 12, 10))
        .find("window", "A05")
        .figures.overdue_days
        == 3 * 13
    )
    # Decided late on 10 December: a late decision of December, no longer late undecided in
    # it; still late undecided in November.
    decide(november[2], center, aware(2026, 12, 10, 10))
    december = a.assess(DECEMBER, EVERYTHING, today=dt.date(2026, 12, 10))
    f = december.find("window", "A05").figures
    assert (f.handled, f.late, f.overdue) == (1, 1, 2)
    assert (
        a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 12, 10))
        .find("window", "A05")
        .figures.overdue
        == 3
    )
    # Before the deadline passed nothing counts: October, and November seen on 11 November.
    assert a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 11)).total.figures.overdue == 0


def test_a_stopped_review_counts_only_if_late_before_the_stop(november, center, time_machine):
    # Stopped on 6 November, before its deadline: its clock stands still, it is not late.
    services.review_stop(
        review=november[3],
        by=center.alice,
        now=aware(2026, 11, 6),
        cause="expert_review",
        days_needed=30,
        reason="专家评审",
    )
    # Stopped on 16 November, after its deadline ran out (11 November): still late.
    services.review_stop(
        review=november[4],
        by=center.alice,
        now=aware(2026, 11, 16),
        cause="expert_review",
        days_needed=30,
        reason="专家评审",
    )
    result = a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20))
    late = set(a.overdue_undecided(NOVEMBER, EVERYTHING, dt.date(2026, 11, 20)))
    assert late == {november[2], november[4]}
    assert result.find("window", "A05").figures.overdue == 2


def test_a_withdrawn_review_counts_up_to_its_withdrawal(november, center):
    services.application_withdraw(
        application=november[2].application, by=center.dave, now=aware(2026, 11, 13), note="撤回"
    )
    f = a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20)).find("window", "A05").figures
    # Two late to the 20th (7 working days each), one to its withdrawal on the 13th (2).
    assert (f.overdue, f.overdue_days) == (3, 7 + 7 + 2)
    assert (
        a.assess(DECEMBER, EVERYTHING, today=dt.date(2026, 12, 10))
        .find("window", "A05")
        .figures.overdue
        == 2
    )


def test_beyond_the_law_counts_and_weighs_more_than_late(november, center):
    # Decided 10 December: past the promise (11 November) and the law (30 November).
    decide(november[2], center, aware(2026, 12, 10, 10))
    december = a.assess(DECEMBER, EVERYTHING, today=dt.date(2026, 12, 10))
    f = december.find("window", "A05").figures
    assert (f.late, f.beyond_law, f.beyond_law_undecided, f.beyond_law_decided) == (1, 3, 2, 1)
    marks = {c.code: c.value for c in december.find("window", "A05").result.components}
    assert marks["beyond_law"] == 0  # 3 of 3 judged
    # November: the legal ceiling had not passed (30 November is the last day).
    assert a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 12, 10)).total.figures.beyond_law == 0
    # The same figures, the late decision within the law: a higher score.
    weights = AssessmentWeights()
    assert weights.beyond_law > weights.on_time
    late_only = a.Figures(handled=2, on_time=1, late=1, days_late=3, days_promised=14)
    beyond = a.Figures(handled=2, on_time=1, late=1, days_late=3, days_promised=14, beyond_law=1)
    assert a.score(beyond, weights).score < a.score(late_only, weights).score
    # One late review costs less than one beyond the law, against a clean record.
    clean = a.Figures(handled=2, on_time=2, days_promised=14)
    assert (
        a.score(clean, weights).score - a.score(beyond, weights).score
        > 2 * (a.score(clean, weights).score - a.score(late_only, weights).score) - 1
    )


def test_a_stop_counts_when_it_outlasts_what_was_announced(november, center, time_machine):
    # Announced 3 working days, stopped 6 (6 November – 13 November): overrun by 3.
    services.review_stop(
        review=november[2],
        by=center.alice,
        now=aware(2026, 11, 5, 15),
        cause="testing",
        days_needed=3,
        reason="检测",
    )
    services.review_resume(review=november[2], by=center.alice, now=aware(2026, 11, 13, 9))
    # Announced 5, stopped 3 (6–10 November): within.
    services.review_stop(
        review=november[3],
        by=center.alice,
        now=aware(2026, 11, 5, 15),
        cause="hearing",
        days_needed=5,
        reason="听证",
    )
    services.review_resume(review=november[3], by=center.alice, now=aware(2026, 11, 10, 9))
    # Announced 20, still stopped on the 20th: within.
    services.review_stop(
        review=november[4],
        by=center.alice,
        now=aware(2026, 11, 5, 15),
        cause="supplements",
        days_needed=20,
        reason="补正",
    )
    result = a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20))
    f = result.find("window", "A05").figures
    assert (f.stops_standing, f.overruns, f.overrun_days) == (3, 1, 3)
    assert {c.code: c.value for c in result.find("window", "A05").result.components}[
        "overruns"
    ] == pytest.approx(100 * 2 / 3)
    # Still stopped and announced 10 days: an overrun once the days run past (from today).
    services.review_resume(review=november[4], by=center.alice, now=aware(2026, 11, 16, 9))
    services.review_stop(
        review=november[4],
        by=center.alice,
        now=aware(2026, 11, 17, 9),
        cause="expert_review",
        days_needed=2,
        reason="专家评审",
    )
    assert (
        a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 19))
        .find("window", "A05")
        .figures.overruns
        == 1
    )
    assert (
        a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20))
        .find("window", "A05")
        .figures.overruns
        == 2
    )


def test_drill_downs_of_the_new_figures(client, november, center, time_machine):
    services.review_stop(
        review=november[3],
        by=center.alice,
        now=aware(2026, 11, 5, 15),
        cause="testing",
        days_needed=1,
        reason="检测",
    )
    services.review_resume(review=november[3], by=center.alice, now=aware(2026, 11, 12, 9))
    time_machine.move_to(aware(2026, 12, 10, 9), tick=False)
    client.force_login(center.erin)

    def rows(figure, period="2026-12", kind="window", key="A05"):
        url = reverse("supervision:assessment_events", args=[kind, key, figure])
        response = client.get(url, {"period": period}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return list(response.context["page"]), response.content.decode()

    overdue, page = rows("overdue")
    assert {r.pk for r in overdue} == {r.pk for r in november[2:]}
    assert [r.days_late for r in overdue] == [8, 8, 8]
    assert "late, undecided" in page
    beyond, _page = rows("beyond_law", kind="department", key="jsj")
    assert {r.pk for r in beyond} == {r.pk for r in november[2:]}
    assert all(r.is_beyond_law for r in beyond)
    overruns, page = rows("overruns", period="2026-11")
    assert [(s.review_id, s.days, s.days_over) for s in overruns] == [(november[3].pk, 1, 4)]
    assert rows("overruns", period="2026-11", key="A02")[0] == []
    # The table labels its figures, and the row of A05 opens them.
    table = client.get(
        reverse("supervision:assessment"), {"period": "2026-12"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    text = table.content.decode()
    assert "late of 0 decided" in text and "undecided, 24 working days late" in text
    for figure in ("overdue", "beyond_law", "overruns"):
        assert reverse("supervision:assessment_events", args=["window", "A05", figure]) in text


def test_units_are_listed_in_rank_order(november, center):
    result = a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20))
    # A05 is judged; A02 decided nothing in November and has nothing late: unranked, last.
    assert [(u.key, u.rank) for u in result.windows] == [("A05", 1), ("A02", None)]
    assert [(u.key, u.rank) for u in result.departments] == [("jsj", 1), ("fgj", None)]
    october = a.assess(a.Period.parse("2026-09"), EVERYTHING, today=dt.date(2026, 11, 20))
    scores = [u.result.score for u in october.windows if u.rank]
    assert scores == sorted(scores, reverse=True)


def test_ties_break_on_decided_then_code(db):
    def unit(key, points, handled):
        u = a.Unit(a.WINDOW, 0, key, key)
        u.figures.handled = handled
        u.result = a.Result((), points, "good")
        return u

    ranked = a._ranked([unit("A03", 80.0, 2), unit("A01", 80.0, 2), unit("A02", 80.0, 5)])
    assert [(u.key, u.rank) for u in ranked] == [("A02", 1), ("A01", 2), ("A03", 3)]


def test_the_dashboard_and_the_assessment_agree(november, center, time_machine):
    # A late decision too (20 November), and a stop, so on time and late both show.
    decide(november[2], center, aware(2026, 11, 20))
    time_machine.move_to(aware(2026, 11, 30, 15), tick=False)
    today = dt.date(2026, 11, 30)  # the last 30 days are November
    result = a.assess(NOVEMBER, EVERYTHING, today=today)
    dashboard = {row["code"]: row for row in live.on_time_by_department(today)}
    for unit in result.departments:
        if unit.figures.handled:
            row = dashboard[unit.key]
            assert (row["decided"], row["on_time"]) == (unit.figures.handled, unit.figures.on_time)
            assert row["rate"] == round(unit.figures.decided_on_time_rate)
    assert dashboard["jsj"]["decided"] == 3 and dashboard["jsj"]["on_time"] == 2
    month = live.figures(today, a.WorkCalendar.load())
    assert (month["finished_month"], month["on_time_month"]) == (
        result.total.figures.handled,
        result.total.figures.on_time,
    )
    # The month's on-time rate counts the late undecided reviews as the assessment does: the
    # dashboard cannot show a punctual month while reviews sit late.
    assert month["late_undecided_month"] == result.total.figures.overdue > 0
    assert month["on_time_rate"] == round(result.total.figures.on_time_rate)
    assert month["on_time_rate"] < round(result.total.figures.decided_on_time_rate)


# --- Per person ----------------------------------------------------------------------------


def test_per_person_figures(november, center, time_machine):
    decide(november[2], center, aware(2026, 11, 20))
    people = {
        p.staff.username: p.figures
        for p in a.assess_people(NOVEMBER, a.people_for(center.erin), today=dt.date(2026, 11, 30))
    }
    alice = people["alice"]
    assert (alice.handled, alice.on_time, alice.late, alice.overdue) == (3, 2, 1, 2)
    assert alice.average_used is not None
    assert people["bob"].signed == 3 and people["bob"].handled == 0


@pytest.fixture
def zoe(center):
    """A second officer at alice's window."""
    return make_staff(
        "zoe",
        Role.WINDOW_OFFICER,
        department=center.construction,
        window=center.construction_window,
    )


def test_per_person_figures_are_seen_by_the_person_the_head_and_managers_only(
    client, november, center, zoe, time_machine
):
    time_machine.move_to(aware(2026, 11, 30, 15), tick=False)
    mine = reverse("supervision:assessment_person", args=[center.alice.pk])
    events = reverse("supervision:assessment_person_events", args=[center.alice.pk, "late"])
    listing = reverse("supervision:assessment_people")
    for person in (center.alice, center.bob, center.erin, center.admin):
        client.force_login(person)
        assert client.get(mine).status_code == 200
        assert client.get(events).status_code == 200
        assert center.alice in [p.staff for p in client.get(listing).context["people"]]
    # A colleague at the same window, an officer of another window, a leader of another
    # department, the stationed deputy head of another window, a clerk: nothing of alice.
    for person in (zoe, center.mallory, center.frank, center.carol, center.dave):
        client.force_login(person)
        assert client.get(mine).status_code == 404
        assert client.get(events).status_code == 404
        assert (
            client.get(
                reverse("supervision:assessment_person_events", args=[center.alice.pk, "ratings"])
            ).status_code
            == 404
        )
        seen = [
            p.staff
            for p in client.get(listing, {"pk": center.alice.pk, "window": "A05"}).context["people"]
        ]
        assert center.alice not in seen
        assert "Alice" not in client.get(listing).content.decode()
    # Each sees their own; the window head sees his window's staff, not another window's.
    client.force_login(zoe)
    assert [p.staff for p in client.get(listing).context["people"]] == [zoe]
    client.force_login(center.bob)
    assert {p.staff for p in client.get(listing).context["people"]} >= {
        center.alice,
        center.bob,
        zoe,
    }
    assert center.mallory not in [p.staff for p in client.get(listing).context["people"]]
    assert (
        client.get(reverse("supervision:assessment_person", args=[center.mallory.pk])).status_code
        == 404
    )
    # Upwards neither: alice does not see her head's figures.
    client.force_login(center.alice)
    assert (
        client.get(reverse("supervision:assessment_person", args=[center.bob.pk])).status_code
        == 404
    )
    assert (
        client.get(
            reverse("supervision:assessment_person_events", args=[center.alice.pk, "x"])
        ).status_code
        == 404
    )
    client.logout()
    assert client.get(mine).status_code == 302


def test_the_person_page_drills_down(client, november, center, time_machine):
    decide(november[2], center, aware(2026, 11, 20))
    time_machine.move_to(aware(2026, 11, 30, 15), tick=False)
    client.force_login(center.alice)

    def rows(figure, pk=center.alice.pk):
        url = reverse("supervision:assessment_person_events", args=[pk, figure])
        response = client.get(url, {"period": "2026-11"})
        assert response.status_code == 200
        return [r.pk for r in response.context["page"]]

    assert rows("handled") == [november[0].pk, november[1].pk, november[2].pk]
    assert rows("late") == [november[2].pk]
    assert set(rows("overdue")) == {november[3].pk, november[4].pk}
    assert rows("on_time") == [november[0].pk, november[1].pk]
    assert rows("signed") == []
    client.force_login(center.bob)
    assert len(rows("signed", center.bob.pk)) == 3


# --- Cost ----------------------------------------------------------------------------------


def test_the_query_count_stays_fixed_at_10_and_100_reviews(client, accepted, center, time_machine):
    time_machine.move_to(aware(2026, 11, 20), tick=False)
    client.force_login(center.erin)
    pages = [
        (reverse("supervision:assessment"), {"period": "2026-11"}),
        (reverse("supervision:assessment"), {"period": "2026"}),
        (reverse("supervision:assessment_events", args=["window", "A05", "overdue"]), {}),
        (reverse("supervision:assessment_events", args=["window", "A05", "beyond_law"]), {}),
        (reverse("supervision:assessment_events", args=["department", "jsj", "overruns"]), {}),
        (reverse("supervision:assessment_people"), {}),
        (reverse("supervision:assessment_person", args=[center.alice.pk]), {}),
        (reverse("supervision:assessment_csv"), {"period": "2026-Q4"}),
    ]

    def grow(count: int, start: int) -> None:
        bulk_open_reviews(accepted, center, count, start=start, spread=25)
        made = list(
            DepartmentReview.objects.filter(
                application__receipt_number__gte=f"2026{800000 + start}"
            ).order_by("pk")
        )
        for n, review in enumerate(made):
            if n % 3 == 0:  # decided, some late, some beyond the law, on spread days
                review.decided_at = aware(2026, 11, 1 + n % 19, 10)
                review.outcome, review.state, review.signed_by = "granted", "decided", center.bob
                review.save(update_fields=["decided_at", "outcome", "state", "signed_by"])
            if n % 4 == 0:
                ClockEvent.objects.create(
                    review=review,
                    kind="stop",
                    at=aware(2026, 10, 1 + n % 20),
                    on=dt.date(2026, 10, 1 + n % 20),
                    days=2,
                    by=center.alice,
                )
                ClockEvent.objects.create(
                    review=review,
                    kind="resume",
                    at=aware(2026, 11, 1 + n % 15),
                    on=dt.date(2026, 11, 1 + n % 15),
                    by=center.alice,
                )

    def counts() -> list[int]:
        result = []
        for url, query in pages:
            query = {"period": "2026-11", **query}
            client.get(url, query)  # warm the session and the calendar
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, query).status_code == 200
            result.append(len(queries.captured_queries))
        return result

    grow(10, 0)
    ten = counts()
    result = (
        a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20)).find("window", "A05").figures
    )
    assert result.overdue and result.handled and result.beyond_law and result.overruns
    grow(90, 10)
    assert counts() == ten
    f = a.assess(NOVEMBER, EVERYTHING, today=dt.date(2026, 11, 20)).find("window", "A05").figures
    assert f.overdue + f.handled > 90
