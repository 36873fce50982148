"""The statistics of cases (办件统计表) handed to the county government: the figures of a hand-made
November, equal to the dashboard's and the assessment's for the same period (one definition of
on time, late and beyond the law); the page, the spreadsheet and the PDF; who may read them; bad
periods; and a query count that does not grow with the data."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from applications import services
from applications.models import DepartmentReview
from supervision import assessment as a
from supervision import live
from supervision import statistics as s
from supervision.statistics_views import render_pdf

from .conftest import aware, bulk_open_reviews, extend, seen
from .test_assessment import accept
from .test_assessment_honest import decide
from .test_assessment_honest import november as november  # the fixture
from .test_documents import pdf_text

NOVEMBER = a.Period.parse("2026-11")
EVERYTHING = a.Scope(everything=True)
TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def month(november, center, applicant, time_machine):
    """November as the fixture `november` leaves it (five permits at A05 accepted 2 November,
    due 11 November: two decided on 5 November), and more:

    - november[2] decided late on 20 November; november[3] stopped on 9 November (before its
      deadline: pending, not late); november[4] left late and undecided;
    - two permits accepted 12 October (due 21 October, statutory deadline 9 November): one
      decided on 16 November, late and beyond the law; one still undecided, beyond the law;
    - the planning item accepted 2 November, extended by 2 working days on 9 November, refused
      on 10 November (on time);
    - an application for the permit and the design review told what is missing on 10 November
      (a one-time notice: two cases); another for the permit not accepted on 11 November.
    Seen on Monday 30 November, 15:00, the last day of the month (the dashboard's month, and its
    last 30 days, are November).
    """
    decide(november[2], center, aware(2026, 11, 20))
    services.review_stop(
        review=november[3],
        by=center.alice,
        now=aware(2026, 11, 9, 10),
        cause="supplements",
        days_needed=5,
        reason="请补充材料",
    )
    october = [
        accept(center, applicant, [center.permit], aware(2026, 10, 12)).reviews.get()
        for _n in range(2)
    ]
    october[0].refresh_from_db()
    assert october[0].statutory_deadline == dt.date(2026, 11, 9)
    decide(october[0], center, aware(2026, 11, 16))
    planning = accept(center, applicant, [center.planning_item], aware(2026, 11, 2, 9))
    planning = planning.reviews.get()
    extend(
        planning,
        by=center.mallory,
        approved_by=center.carol,
        now=aware(2026, 11, 9, 10),
        days=2,
        reason="需现场核查",
    )
    services.review_decide(
        review=planning,
        by=center.carol,
        now=aware(2026, 11, 10, 10),
        outcome="refused",
        reasons="不符合产业政策",
    )
    told = services.application_create(
        applicant=applicant,
        project=None,
        by=center.dave,
        now=aware(2026, 11, 10, 9),
        items=[center.permit, center.design_review],
    )
    services.application_notify_missing(application=told, by=center.dave, now=aware(2026, 11, 10))
    refused = services.application_create(
        applicant=applicant,
        project=None,
        by=center.dave,
        now=aware(2026, 11, 11, 9),
        items=[center.permit],
    )
    services.application_refuse(
        application=refused,
        by=center.dave,
        now=aware(2026, 11, 11, 10),
        reasons="不属于本机关职权范围",
    )
    time_machine.move_to(aware(2026, 11, 30, 15), tick=False)
    return {"october": october, "planning": planning}


def row(rows: list[s.Row], key: str) -> s.Line:
    return next(r.line for r in rows if r.key == key)


def test_the_figures_of_a_month(month, center):
    stats = s.compute(NOVEMBER, today=TODAY)
    jsj = row(stats.departments, "jsj")
    # Received in November: five permits (2 Nov), the planning item (2 Nov), two cases of the
    # application told what is missing, one of the application not accepted.
    assert (jsj.received, jsj.accepted, jsj.notices, jsj.not_accepted) == (5 + 2 + 1, 5, 2, 1)
    assert (jsj.handled, jsj.on_time, jsj.late, jsj.refused) == (4, 2, 2, 0)
    assert (jsj.overdue, jsj.beyond_law, jsj.beyond_law_undecided) == (2, 2, 1)
    assert (jsj.stops, jsj.extensions) == (1, 0)
    # Pending at the end: november[3] (stopped), november[4], the October permit undecided.
    assert jsj.pending == 3
    assert jsj.on_time_rate == 100 * 2 / (4 + 2)
    fgj = row(stats.departments, "fgj")
    assert (fgj.received, fgj.accepted, fgj.handled, fgj.on_time, fgj.refused) == (1, 1, 1, 1, 1)
    assert (fgj.extensions, fgj.pending, fgj.late) == (1, 0, 0)
    # By item: the design review only through the one-time notice; the rows add up.
    design = row(stats.items, "XK-JSJ-002")
    assert (design.received, design.notices, design.accepted) == (1, 1, 0)
    for code in s.COUNTS:
        assert getattr(stats.total, code) == sum(getattr(r.line, code) for r in stats.items)
        assert getattr(stats.total, code) == sum(getattr(r.line, code) for r in stats.departments)
    # October seen now: the two permits accepted, nothing decided, both pending at its end;
    # the first application's reviews were decided on 30 September.
    october = s.compute(a.Period.parse("2026-10"), today=TODAY)
    assert (october.total.accepted, october.total.handled, october.total.pending) == (2, 0, 2)


def test_the_figures_equal_the_dashboards_and_the_assessments(month, center):
    """One rule, one place: for the same period, every figure the three share is the same."""
    stats = s.compute(NOVEMBER, today=TODAY)
    result = a.assess(NOVEMBER, EVERYTHING, today=TODAY)
    shared = ("handled", "on_time", "late", "overdue", "beyond_law", "beyond_law_undecided")
    shared += ("stops", "extensions")
    for unit in result.departments:
        line = row(stats.departments, unit.key)
        for name in shared:
            assert getattr(line, name) == getattr(unit.figures, name), (unit.key, name)
        assert line.on_time_rate == unit.figures.on_time_rate
    for name in shared:
        assert getattr(stats.total, name) == getattr(result.total.figures, name), name
    assert stats.total.on_time_rate == result.total.figures.on_time_rate
    # Something of each kind, so the equalities above are not of zeros.
    assert all(getattr(stats.total, name) for name in shared)

    dashboard = live.figures(TODAY, a.WorkCalendar.load())
    assert dashboard["finished_month"] == stats.total.handled
    assert dashboard["on_time_month"] == stats.total.on_time
    assert dashboard["late_undecided_month"] == stats.total.overdue
    assert dashboard["on_time_rate"] == round(stats.total.on_time_rate)
    # The month still runs: pending at its end is what is open now, stopped clocks included,
    # except a decision awaiting the leader's countersign (the planning items, of September
    # and of November): the report, like the assessment, judges a countersign item by the
    # window's signature; the dashboard's live figures keep its clock running until the
    # leader countersigns (README, "Efficiency assessment").
    countersign = DepartmentReview.objects.filter(state=DepartmentReview.State.AWAITING_COUNTERSIGN)
    assert month["planning"] in countersign and countersign.count() == 2
    assert dashboard["open"] == stats.total.pending + 2
    # Running now past the statutory deadline: the undecided beyond the law of the month, and
    # (the same difference) the September decision still awaiting its countersign.
    waiting_past_law = countersign.filter(statutory_deadline__lt=TODAY).count()
    assert waiting_past_law == 1
    assert dashboard["beyond_law"] == stats.total.beyond_law_undecided + waiting_past_law
    for code, figures in {r["code"]: r for r in live.on_time_by_department(TODAY)}.items():
        line = row(stats.departments, code)
        assert (figures["decided"], figures["on_time"]) == (line.handled, line.on_time)


def test_a_department_alone(month, center):
    stats = s.compute(NOVEMBER, today=TODAY, department=center.planning)
    assert [r.key for r in stats.departments] == ["fgj"]
    assert [r.key for r in stats.items] == ["XK-FGJ-001"]
    whole = s.compute(NOVEMBER, today=TODAY)
    for code in s.COUNTS:
        assert getattr(stats.total, code) == getattr(row(whole.departments, "fgj"), code)


def test_the_page_shows_the_table_with_its_downloads(client, month, center):
    client.force_login(center.erin)
    response = client.get(reverse("supervision:statistics"), {"year": 2026, "month": 11})
    assert response.status_code == 200
    text = seen(response.content.decode())
    assert "办件统计表" in text or "统计" in text
    table = response.context["stats"]
    assert row(table.departments, "jsj").handled == 4
    assert 'data-testid="by-item"' in response.content.decode()
    assert "/supervision/statistics/export.xlsx?year=2026&amp;month=11" in response.content.decode()
    assert "/supervision/statistics/print.pdf?year=2026&amp;month=11" in response.content.decode()
    # The first visit shows the last month that is over.
    first = client.get(reverse("supervision:statistics"))
    assert first.context["stats"].period == a.Period.parse("2026-10")
    # The manager's navigation leads there.
    home = client.get(reverse("supervision:dashboard")).content.decode()
    assert reverse("supervision:statistics") in home


def test_the_spreadsheet(client, month, center):
    client.force_login(center.erin)
    response = client.get(reverse("supervision:statistics_xlsx"), {"year": 2026, "month": 11})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="statistics-2026-11.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["按部门", "按事项"]
    sheet = book["按部门"]
    assert sheet["A1"].value == "临安市行政审批中心 2026年11月 行政审批办件统计表"
    assert sheet["A2"].value.startswith("统计期间：2026年11月1日至2026年11月30日")
    assert "填报单位：临安市行政审批中心" in sheet["A3"].value
    assert "填报人：Erin" in sheet["A3"].value and "填报日期：2026年11月30日" in sheet["A3"].value
    headings = [c.value for c in sheet[5]]
    assert headings[:6] == ["部门", "收件", "受理", "一次性告知", "不予受理", "办结"]
    values = {r[0]: r for r in sheet.iter_rows(min_row=6, values_only=True) if r[0]}
    jsj = values["建设局"]
    assert jsj[headings.index("办结")] == 4 and jsj[headings.index("超期办结")] == 2
    total = values["合计"]
    assert total[headings.index("办结")] == 5
    assert total[headings.index("按时办结率")] == pytest.approx(3 / 7, abs=1e-4)
    notes = [r[0] for r in sheet.iter_rows(min_row=6, values_only=True) if r[0]]
    assert "填表说明" in notes
    assert any(str(n).startswith("1. 收件：") for n in notes)
    items = book["按事项"]
    codes = [r[0] for r in items.iter_rows(min_row=6, values_only=True)]
    assert "XK-JSJ-001" in codes and "XK-FGJ-001" in codes


def test_text_from_the_data_is_never_a_formula(client, month, center):
    center.construction.short_name = "=HYPERLINK(1)"
    center.construction.save(update_fields=["short_name"])
    client.force_login(center.erin)
    response = client.get(reverse("supervision:statistics_xlsx"), {"year": 2026, "month": 11})
    sheet = load_workbook(io.BytesIO(response.content))["按部门"]
    cell = next(c for c in sheet["A"] if c.value == "=HYPERLINK(1)")
    assert cell.data_type == "s"


def test_the_pdf(client, month, center, tmp_path):
    client.force_login(center.erin)
    response = client.get(reverse("supervision:statistics_pdf"), {"year": 2026})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    stats = s.compute(NOVEMBER, today=TODAY)
    pdf = render_pdf(stats, filled_by="Erin", filled_on=TODAY, printed_at=aware(2026, 11, 30, 15))
    text = "".join(pdf_text(pdf, tmp_path).split())
    assert "临安市行政审批中心2026年11月行政审批办件统计表" in text
    assert "统计期间：2026年11月1日至2026年11月30日（统计至2026年11月30日）" in text
    assert "填报单位：临安市行政审批中心" in text and "填报人：Erin" in text
    assert "填报日期：2026年11月30日" in text
    assert "合计" in text and "填表说明" in text and "超法定时限" in text
    assert "XK-FGJ-001" in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": 2026, "month": 13}, "请选择1至12月，或全年。"),
        ({"year": 1900}, "2000年以前没有数据"),
        ({"year": 2027}, "尚未开始"),
        ({"year": 2026, "month": 12}, "尚未开始"),
        ({"year": "abc"}, "年份应为数字"),
        ({"year": 2026, "department": "nope"}, "没有这个部门"),
    ],
)
def test_a_bad_period_gets_a_clear_message(client, center, params, message, time_machine):
    time_machine.move_to(aware(2026, 11, 30, 15), tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:statistics"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "stats" not in response.context
    for name in ("supervision:statistics_xlsx", "supervision:statistics_pdf"):
        response = client.get(reverse(name), params)
        assert response.status_code == 400 and message in response.content.decode()


def test_the_current_month_so_far(client, center, time_machine):
    time_machine.move_to(aware(2026, 11, 30, 15), tick=False)
    client.force_login(center.erin)
    response = client.get(reverse("supervision:statistics"), {"year": 2026, "month": 11})
    assert response.context["stats"].running
    assert "统计至2026年11月30日" in seen(response.content.decode())


def test_who_may_read_them(client, month, center):
    url = reverse("supervision:statistics")
    for person in (center.alice, center.bob, center.carol, center.dave, center.mallory):
        client.force_login(person)
        for name in (
            "supervision:statistics",
            "supervision:statistics_xlsx",
            "supervision:statistics_pdf",
        ):
            assert client.get(reverse(name), {"year": 2026}).status_code == 403, person
    for person in (center.erin, center.admin, center.gwen):
        client.force_login(person)
        assert client.get(url, {"year": 2026, "month": 11}).status_code == 200
    # A department leader reads their department only, whatever the address asks for.
    client.force_login(center.frank)
    response = client.get(url, {"year": 2026, "month": 11, "department": "jsj"})
    assert response.status_code == 200
    assert [r.key for r in response.context["stats"].departments] == ["fgj"]
    assert 'name="department"' not in response.content.decode()
    response = client.get(
        reverse("supervision:statistics_xlsx"), {"year": 2026, "month": 11, "department": "jsj"}
    )
    codes = {
        r[0]
        for r in load_workbook(io.BytesIO(response.content))["按事项"].iter_rows(values_only=True)
    }
    assert "XK-FGJ-001" in codes and "XK-JSJ-001" not in codes


def test_the_query_count_does_not_grow_with_the_data(accepted, center, time_machine):
    time_machine.move_to(aware(2026, 10, 30), tick=False)
    today = dt.date(2026, 10, 30)
    year = a.Period.parse("2026")
    bulk_open_reviews(accepted, center, 10, stopped_every=3)
    with CaptureQueriesContext(connection) as few:
        s.compute(year, today=today)
    bulk_open_reviews(accepted, center, 300, start=10, stopped_every=3)
    with CaptureQueriesContext(connection) as many:
        stats = s.compute(year, today=today)
    assert stats.total.pending == 312

    def selects(queries) -> list[str]:
        # PostgreSQL adds its SET LOCAL jit = off, and the savepoint of the transaction.
        return [q["sql"] for q in queries if q["sql"].startswith("SELECT")]

    assert len(few) == len(many)
    assert len(selects(many)) == 8 + 2  # the aggregates, the items and the departments
