"""The efficiency assessment (效能考核): figures on a small hand-made October 2026, period
boundaries, grades, weights set in the admin, who sees what, drill-downs, CSV and PDF, and a
query count that does not grow with the data."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from applications import services
from supervision import assessment as a
from supervision.models import AssessmentWeights, UrgeNotice
from windows.models import Absence, Post

from .conftest import aware, extend, receive_all

OCTOBER = a.Period.parse("2026-10")
TODAY = dt.date(2026, 11, 5)


def accept(center, applicant, items, now):
    application = services.application_create(
        applicant=applicant, project=None, by=center.dave, now=now, items=items
    )
    receive_all(application, center.dave)
    return services.application_accept(application=application, by=center.dave, now=now)


def urge(review, by, at, number):
    return UrgeNotice.objects.create(
        number=number,
        review=review,
        window=review.window,
        officer=review.officer,
        text="请加快办理",
        reply_due=at.date() + dt.timedelta(days=3),
        issued_at=at,
        issued_by=by,
    )


@pytest.fixture
def october(accepted, center, applicant):
    """A small October at two windows (working days: 1–7 October is the National Day break,
    Saturday 10 October is worked).

    Construction (A05):
    - permit of the first application (accepted 28 September, due 13 October): stopped on
      30 September, resumed 12 October (4 working days stopped: 8, 9, 10, 12 October; due 19
      October), decided 21 October: 2 working days late, 9 used, 7 promised;
    - design review of a second application (accepted 12 October, due 19 October) decided 30
      October: 9 working days late, 14 used, 5 promised; an urge notice on 22 October;
    - the permit of the second application stopped on 26 October and still stopped: 4 working
      days in October (27–30);
    - alice (A holder) away 19–21 October, covered by bob except on the 21st, when he was away
      too.
    Planning (A02): the item of the first application extended by 2 working days on 9 October
    (due 20 October), decided 15 October: on time, 9 used, 10 promised.
    """
    permit = accepted.reviews.get(item=center.permit)
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 9, 30, 15),
        cause="supplements",
        days_needed=10,
        reason="请补充施工合同",
    )
    services.review_resume(review=permit, by=center.alice, now=aware(2026, 10, 12, 9))
    services.review_decide(
        review=permit, by=center.bob, now=aware(2026, 10, 21, 10), outcome="granted", reasons=""
    )
    extend(
        planning,
        by=center.mallory,
        approved_by=center.carol,
        now=aware(2026, 10, 9, 10),
        days=2,
        reason="需现场核查",
    )
    services.review_decide(
        review=planning,
        by=center.carol,
        now=aware(2026, 10, 15, 16),
        outcome="granted",
        reasons="",
    )
    second = accept(center, applicant, [center.design_review, center.permit], aware(2026, 10, 12))
    design = second.reviews.get(item=center.design_review)
    services.review_claim(review=design, by=center.alice, now=aware(2026, 10, 13))
    urge(design, center.erin, aware(2026, 10, 22, 9), "督〔2026〕1号")
    services.review_decide(
        review=design, by=center.bob, now=aware(2026, 10, 30, 11), outcome="granted", reasons=""
    )
    services.review_stop(
        review=second.reviews.get(item=center.permit),
        by=center.alice,
        now=aware(2026, 10, 26, 10),
        cause="expert_review",
        days_needed=10,
        reason="专家评审",
    )
    Post.objects.create(
        window=center.construction_window, name="审核岗", holder_a=center.alice, holder_b=center.bob
    )
    Absence.objects.create(
        staff=center.alice,
        starts_on=dt.date(2026, 10, 19),
        ends_on=dt.date(2026, 10, 21),
        reason="leave",
    )
    Absence.objects.create(
        staff=center.bob,
        starts_on=dt.date(2026, 10, 21),
        ends_on=dt.date(2026, 10, 21),
        reason="training",
    )
    return {"permit": permit, "planning": planning, "design": design, "second": second}


def figures(result: a.Assessment, kind: str, key: str) -> a.Figures:
    return result.find(kind, key).figures


def test_the_figures_of_a_month(october, center):
    result = a.assess(OCTOBER, a.Scope(everything=True), today=TODAY)
    construction = figures(result, "window", "A05")
    assert (construction.handled, construction.on_time, construction.late) == (2, 0, 2)
    assert construction.days_late == 2 + 9
    assert (construction.days_used, construction.days_promised) == (9 + 14, 7 + 5)
    assert (construction.stops, construction.stopped_days) == (1, 4 + 4)
    assert (construction.extensions, construction.urges) == (0, 1)
    assert (construction.cover_days, construction.uncovered_days) == (2, 1)
    assert construction.ratings is None
    # The second permit (due 21 October) stopped on the 26th, after its deadline ran out: late
    # and undecided in October, 7 working days late inside it (22, 23, 26–30 October).
    assert (construction.overdue, construction.overdue_days, construction.overdue_promised) == (
        1,
        7,
        7,
    )
    assert (construction.beyond_law, construction.stops_standing, construction.overruns) == (
        0,
        2,
        0,
    )
    assert construction.on_time_rate == 0
    planning = figures(result, "window", "A02")
    assert (planning.handled, planning.on_time, planning.late, planning.days_late) == (1, 1, 0, 0)
    assert (planning.days_used, planning.days_promised) == (9, 10)
    assert (planning.extensions, planning.extension_days, planning.stops) == (1, 2, 0)
    # A department adds up its windows; the total adds up everything.
    assert figures(result, "department", "jsj") == construction
    assert figures(result, "department", "fgj") == planning
    assert result.total.figures.handled == 3
    assert result.total.figures.days_late == 11


def test_the_score_grade_and_share(october):
    result = a.assess(OCTOBER, a.Scope(everything=True), today=TODAY)
    construction = result.find("window", "A05").result
    # Judged: 2 decided + 1 late and undecided. On time 0, within the law 100, lateness
    # 100 × (1 − (11 + 7) / (12 + 7)), urges 100 × (1 − 1/3), extensions and stops
    # 100 × (1 − 1/3), stops within the time announced 100; ratings left out:
    # (0×40 + 100×50 + 5.26×20 + 66.7×15 + 66.7×10 + 100×10) / 145.
    marks = {c.code: c.value for c in construction.components}
    assert marks["on_time"] == 0
    assert marks["lateness"] == pytest.approx(100 / 19)
    assert marks["urges"] == marks["procedure"] == pytest.approx(200 / 3)
    assert (marks["beyond_law"], marks["overruns"], marks["ratings"]) == (100, 100, None)
    assert construction.score == 53.6
    assert construction.grade == a.Grade.FAIL
    assert construction.share == pytest.approx(2.68)
    planning = result.find("window", "A02").result
    assert planning.score == round(13500 / 145, 1) == 93.1
    assert planning.grade == a.Grade.EXCELLENT
    assert round(planning.share, 1) == 4.7
    assert sum(points for _c, points in planning.breakdown if points) == pytest.approx(93.1, 0.01)
    # A unit with nothing decided gets no score.
    assert (
        a.assess(a.Period.parse("2026-08"), a.Scope(everything=True), today=TODAY)
        .find("window", "A05")
        .result.score
        is None
    )


@pytest.mark.parametrize(
    ("on_time", "grade"),
    [
        (1000, "excellent"),
        (900, "excellent"),
        (899, "good"),
        (800, "good"),
        (799, "qualified"),
        (600, "qualified"),
        (599, "fail"),
        (0, "fail"),
    ],
)
def test_grades_follow_the_marks(db, on_time, grade):
    weights = AssessmentWeights(
        on_time=100, lateness=0, urges=0, ratings=0, procedure=0, beyond_law=0, overruns=0
    )
    result = a.score(a.Figures(handled=1000, on_time=on_time, days_promised=5000), weights)
    assert result.score == on_time / 10
    assert result.grade == grade


def test_ratings_count_when_there_are_some(db):
    weights = AssessmentWeights()
    figures = a.Figures(handled=10, on_time=10, days_promised=50, ratings=a.Ratings(4, 3.0))
    result = a.score(figures, weights)
    # (100×40 + 100×20 + 100×15 + 50×15 + 100×10 + 100×50 + 100×10) / 160
    assert result.score == 95.3


def test_periods():
    assert (OCTOBER.start, OCTOBER.end, OCTOBER.key) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
        "2026-10",
    )
    q4 = a.Period.parse("2026-q4")
    assert (q4.start, q4.end, q4.key) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026-Q4")
    assert (q4.next().key, q4.previous().key) == ("2027-Q1", "2026-Q3")
    assert a.Period.parse("2026-1").previous().key == "2025-12"
    assert a.Period.parse("2026-12").next().key == "2027-01"
    assert a.Period.parse("2024-02").end == dt.date(2024, 2, 29)
    year = a.Period.parse("2026")
    assert (year.start, year.end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    for bad in ("2026-13", "2026-00", "2026-Q5", "26-10", "2026/10", "", "1999"):
        with pytest.raises(ValueError):
            a.Period.parse(bad)
    with translation.override("zh-hans"):
        assert (OCTOBER.label, q4.label, year.label) == ("2026年10月", "2026年第4季度", "2026年度")
    with translation.override("en"):
        assert (OCTOBER.label, q4.label, year.label) == ("October 2026", "Q4 2026", "Year 2026")


def test_a_decision_belongs_to_the_centers_day(accepted, center):
    """23:30 on 31 October in Lin'an is still October (15:30 UTC), and 00:10 on 1 November is
    November, though it is still 31 October in UTC."""
    services.review_decide(
        review=accepted.reviews.get(item=center.permit),
        by=center.bob,
        now=aware(2026, 10, 31, 23) + dt.timedelta(minutes=30),
        outcome="granted",
        reasons="",
    )
    services.review_decide(
        review=accepted.reviews.get(item=center.planning_item),
        by=center.carol,
        now=aware(2026, 11, 1, 0) + dt.timedelta(minutes=10),
        outcome="granted",
        reasons="",
    )
    everything = a.Scope(everything=True)
    october = a.assess(OCTOBER, everything, today=TODAY)
    november = a.assess(a.Period.parse("2026-11"), everything, today=TODAY)
    assert (october.total.figures.handled, november.total.figures.handled) == (1, 1)
    assert october.find("window", "A05").figures.handled == 1
    assert november.find("window", "A02").figures.handled == 1
    # The quarter and the year hold both.
    assert a.assess(a.Period.parse("2026-Q4"), everything, today=TODAY).total.figures.handled == 2
    assert a.assess(a.Period.parse("2026"), everything, today=TODAY).total.figures.handled == 2


def test_stopped_time_is_cut_at_the_period_and_today(october):
    everything = a.Scope(everything=True)
    # September holds the first stop's own day only: stopped days start the day after.
    september = a.assess(a.Period.parse("2026-09"), everything, today=TODAY)
    assert figures(september, "window", "A05").stops == 1
    assert figures(september, "window", "A05").stopped_days == 0
    # On 28 October the open stop had stood still for 27 and 28 October.
    early = a.assess(OCTOBER, everything, today=dt.date(2026, 10, 28))
    assert figures(early, "window", "A05").stopped_days == 4 + 2
    # November: the open stop, up to today (2–5 November).
    november = a.assess(a.Period.parse("2026-11"), everything, today=TODAY)
    assert (
        figures(november, "window", "A05").stops,
        figures(november, "window", "A05").stopped_days,
    ) == (0, 4)


def test_weights_set_in_the_admin_change_the_score(
    client, october, center, time_machine, assessment_weights
):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.admin)
    weights = assessment_weights
    url = reverse("admin:supervision_assessmentweights_change", args=[weights.pk])
    form = {
        "on_time": 40,
        "lateness": 20,
        "urges": 15,
        "ratings": 15,
        "procedure": 0,
        "beyond_law": 50,
        "overruns": 10,
        "waiting": 10,
        "excellent_from": 90,
        "good_from": 80,
        "pass_from": 60,
    }
    response = client.post(url, form)
    assert response.status_code == 302
    weights.refresh_from_db()
    assert weights.procedure == 0
    # The latest row by its number: the install's row is dated when the migration ran, which
    # is later than this test's frozen clock.
    assert weights.history.order_by("-history_id").first().history_user == center.admin
    page = client.get(reverse("supervision:assessment"), {"period": "2026-10"})
    planning = page.context["result"].find("window", "A02").result
    assert planning.score == 100.0 and planning.grade == a.Grade.EXCELLENT
    # Marks out of order are refused next to the field, and change nothing.
    response = client.post(url, {**form, "good_from": 95})
    assert response.status_code == 200
    assert "good_from" in response.context["adminform"].form.errors
    weights.refresh_from_db()
    assert weights.good_from == 80
    nothing = dict.fromkeys(AssessmentWeights.WEIGHTS, 0)
    response = client.post(url, {**form, **nothing})
    assert "on_time" in response.context["adminform"].form.errors
    # One row of weights: nothing to add, nothing to delete.
    assert client.get(reverse("admin:supervision_assessmentweights_add")).status_code == 403


def test_the_page_shows_every_unit_and_explains_the_score(client, october, center, time_machine):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.erin)
    response = client.get(
        reverse("supervision:assessment"), {"period": "2026-10"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert [u.key for u in result.windows] == ["A02", "A05"]
    assert [u.key for u in result.departments] == ["fgj", "jsj"]
    assert [u.rank for u in result.windows] == [1, 2]
    page = response.content.decode()
    assert "How the score is made" in page
    assert "53.6" in page and "93.1" in page and "Fail" in page
    assert reverse("supervision:assessment_events", args=["window", "A05", "late"]) in page
    with translation.override("zh-hans"):
        page = client.get(reverse("supervision:assessment"), {"period": "2026-10"}).content
    assert "效能考核" in page.decode() and "不合格" in page.decode()
    # The dashboard leads here.
    dashboard = client.get(reverse("supervision:dashboard")).content.decode()
    assert reverse("supervision:assessment") in dashboard


def test_a_bad_period_says_so_and_shows_this_month(client, center, time_machine):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.erin)
    response = client.get(
        reverse("supervision:assessment"), {"period": "2026-13"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["period"].key == "2026-11"
    assert "is not a period" in response.content.decode()
    for name in ("supervision:assessment_csv", "supervision:assessment_pdf"):
        response = client.get(reverse(name), {"period": "x"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "is not a period" in response.content.decode()


def test_who_sees_what(client, october, center, time_machine):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    url = reverse("supervision:assessment")
    query = {"period": "2026-10"}

    def units(user):
        client.force_login(user)
        result = client.get(url, query).context["result"]
        return [u.key for u in result.departments], [u.key for u in result.windows]

    assert units(center.erin) == (["fgj", "jsj"], ["A02", "A05"])
    assert units(center.admin) == (["fgj", "jsj"], ["A02", "A05"])
    assert units(center.frank) == (["fgj"], ["A02"])  # leader of planning
    assert units(center.bob) == ([], ["A05"])  # head of the construction window
    client.force_login(center.frank)
    assert (
        client.get(
            reverse("supervision:assessment_unit", args=["window", "A02"]), query
        ).status_code
        == 200
    )
    assert (
        client.get(
            reverse("supervision:assessment_unit", args=["department", "fgj"]), query
        ).status_code
        == 200
    )
    assert (
        client.get(
            reverse("supervision:assessment_unit", args=["window", "A05"]), query
        ).status_code
        == 404
    )
    assert (
        client.get(
            reverse("supervision:assessment_events", args=["department", "jsj", "late"])
        ).status_code
        == 404
    )
    client.force_login(center.bob)
    assert (
        client.get(
            reverse("supervision:assessment_events", args=["window", "A05", "late"])
        ).status_code
        == 200
    )
    assert (
        client.get(reverse("supervision:assessment_unit", args=["department", "jsj"])).status_code
        == 404
    )
    assert (
        client.get(reverse("supervision:assessment_unit", args=["window", "A02"])).status_code
        == 404
    )
    # The stationed deputy head sees the window, like its head.
    client.force_login(center.carol)
    assert (
        client.get(reverse("supervision:assessment_unit", args=["window", "A02"])).status_code
        == 200
    )
    assert (
        client.get(reverse("supervision:assessment_unit", args=["window", "A05"])).status_code
        == 404
    )
    for person in (center.alice, center.dave, center.mallory):
        client.force_login(person)
        for name in (
            "supervision:assessment",
            "supervision:assessment_csv",
            "supervision:assessment_pdf",
        ):
            assert client.get(reverse(name)).status_code == 403
        assert (
            client.get(reverse("supervision:assessment_unit", args=["window", "A05"])).status_code
            == 403
        )
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(center.erin)
    for args in (["window", "A01"], ["window", "Z99"], ["department", "nope"], ["shop", "A05"]):
        assert client.get(reverse("supervision:assessment_unit", args=args)).status_code == 404
    assert (
        client.get(
            reverse("supervision:assessment_events", args=["window", "A05", "x"])
        ).status_code
        == 404
    )


def test_drill_downs_list_the_events_behind_each_figure(client, october, center, time_machine):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.erin)
    query = {"period": "2026-10"}

    def rows(kind, key, figure):
        url = reverse("supervision:assessment_events", args=[kind, key, figure])
        response = client.get(url, query, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        return list(response.context["page"]), response.content.decode()

    late, page = rows("window", "A05", "late")
    assert [(r.pk, r.days_late, r.days_used) for r in late] == [
        (october["permit"].pk, 2, 9),
        (october["design"].pk, 9, 14),
    ]
    assert late[0].days_stopped == 4
    for review in late:
        assert reverse("applications:timeline", args=[review.application_id]) in page
    assert rows("window", "A05", "on_time")[0] == []
    handled, _page = rows("department", "fgj", "handled")
    assert [r.pk for r in handled] == [october["planning"].pk]
    assert rows("department", "fgj", "on_time")[0] == handled
    stops, page = rows("window", "A05", "stops")
    assert [(s.on, s.resumed, s.days_inside, s.begun_in_period) for s in stops] == [
        (dt.date(2026, 9, 30), dt.date(2026, 10, 12), 4, False),
        (dt.date(2026, 10, 26), None, 4, True),
    ]
    extensions, _page = rows("window", "A02", "extensions")
    assert [(e.days, e.approved_by) for e in extensions] == [(2, center.carol)]
    assert rows("window", "A05", "extensions")[0] == []
    urges, page = rows("department", "jsj", "urges")
    assert [u.number for u in urges] == ["督〔2026〕1号"]
    assert reverse("applications:timeline", args=[october["second"].pk]) in page
    cover, _page = rows("window", "A05", "cover")
    assert [(c["post"].holder_a, len(c["covered"]), len(c["uncovered"])) for c in cover] == [
        (center.alice, 2, 1)
    ]
    assert rows("window", "A02", "cover")[0] == []
    ratings, page = rows("window", "A05", "ratings")
    assert ratings == [] and "No applicant rated" in page


def test_applicants_ratings_count_for_every_unit_of_the_application(
    client, october, center, time_machine
):
    from applications.models import Rating

    # The first application (permit at A05, planning at A02) is rated 2 on 20 October; the
    # second application's rating falls in November, outside the period.
    Rating.objects.create(
        application=october["permit"].application, level=2, rated_at=aware(2026, 10, 20)
    )
    Rating.objects.create(application=october["second"], level=5, rated_at=aware(2026, 11, 2))
    result = a.assess(OCTOBER, a.Scope(everything=True), today=TODAY)
    assert figures(result, "window", "A05").ratings == a.Ratings(count=1, average=2.0)
    assert figures(result, "department", "fgj").ratings == a.Ratings(count=1, average=2.0)
    marks = {c.code: c.value for c in result.find("window", "A02").result.components}
    assert marks["ratings"] == 25  # (2 − 1) ÷ 4 × 100
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.erin)
    url = reverse("supervision:assessment_events", args=["window", "A05", "ratings"])
    page = client.get(url, {"period": "2026-10"})
    assert [r.level for r in page.context["page"]] == [2]
    assert 'class="light-red"' in page.content.decode()  # a poor rating, marked
    person = reverse("supervision:assessment_person_events", args=[center.erin.pk, "ratings"])
    empty = client.get(person, {"period": "2026-10"}).content.decode()
    assert "No applicant rated this person" in empty or "没有" in empty


def test_the_csv_opens_in_excel(client, october, center, time_machine):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:assessment_csv"), {"period": "2026-10"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="assessment-2026-10.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:6] == ["名次", "单位", "编码", "名称", "部门", "办结"]
    assert "超期未办结" in table[0] and "超法定时限" in table[0] and "暂停超告知时间" in table[0]
    by_code = {row[2]: row for row in table[1:]}
    assert set(by_code) == {"jsj", "fgj", "A02", "A05"}
    a05 = by_code["A05"]
    assert a05[:5] == ["2", "窗口", "A05", "建设局窗口", "建设局"]
    assert by_code["A02"][0] == "1"
    column = {name: n for n, name in enumerate(table[0])}
    assert [a05[column[name]] for name in ("办结", "按时办结", "超期办结", "超期未办结")] == [
        "2",
        "0",
        "2",
        "1",
    ]
    assert a05[column["超期未办结件期内超期工作日"]] == "7"
    assert a05[column["超法定时限"]] == "0" and a05[column["暂停超告知时间"]] == "0"
    assert a05[-3:] == ["53.6", "不合格", "2.7"]
    assert by_code["fgj"][-3:] == ["93.1", "优秀", "4.7"]


def test_a_formula_in_a_name_stays_text(client, center, time_machine):
    from supervision.assessment_views import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert _cell("建设局") == "建设局" and _cell(3) == 3


def test_the_pdf_prints(client, october, center, time_machine):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.frank)
    response = client.get(reverse("supervision:assessment_pdf"), {"period": "2026-Q4"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_the_query_count_does_not_grow_with_the_data(
    client, october, center, applicant, time_machine
):
    time_machine.move_to(aware(2026, 11, 5), tick=False)
    client.force_login(center.erin)
    pages = [
        (reverse("supervision:assessment"), {"period": "2026-10"}),
        (reverse("supervision:assessment"), {"period": "2026"}),
        (reverse("supervision:assessment_events", args=["window", "A05", "handled"]), {}),
        (reverse("supervision:assessment_events", args=["department", "jsj", "stops"]), {}),
        (reverse("supervision:assessment_events", args=["window", "A05", "urges"]), {}),
        (reverse("supervision:assessment_csv"), {"period": "2026-Q4"}),
    ]

    def counts() -> list[int]:
        result = []
        for url, query in pages:
            query = {"period": "2026-10", **query}
            client.get(url, query)  # warm the session and the calendar
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, query).status_code == 200
            result.append(len(queries.captured_queries))
        return result

    few = counts()
    for n in range(6):
        day = aware(2026, 10, 12 + n)
        more = accept(center, applicant, [center.permit, center.design_review], day)
        for review in more.reviews.all():
            services.review_stop(
                review=review,
                by=center.alice,
                now=day,
                cause="hearing",
                days_needed=1,
                reason="听证",
            )
            services.review_resume(review=review, by=center.alice, now=day + dt.timedelta(days=3))
            services.review_decide(
                review=review,
                by=center.bob,
                now=day + dt.timedelta(days=n + 5),
                outcome="granted",
                reasons="",
            )
            urge(review, center.erin, day + dt.timedelta(days=1), f"督〔2026〕{review.pk}号")
    assert a.assess(OCTOBER, a.Scope(everything=True), today=TODAY).total.figures.handled == 15
    assert counts() == few
