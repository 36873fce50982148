"""Every URL of the project against the written table of who may do what (docs/access.md).

The patterns come from the URL resolver, so a new URL fails `test_every_url_has_a_row` until it
is given a row in the table. Each row is then requested anonymously and as a person of each role,
and the status must be the one in the table. A second part holds the object rule: an officer of
another department gets a 404 for an application that is not her department's, and her POSTs
change nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import re
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.clients import client_register
from applications import services
from applications.models import Application, DepartmentReview, Document, Rating, Scan
from applications.models import FollowUp as RatingFollowUp
from conduct import services as conduct_services
from hall.models import SlotRule
from licences.models import Licence, LicensedItem, MaterialByLicence
from loading.services import import_check
from supervision import actions
from supervision.models import Card
from windows.models import Absence, CenterInfo, Item, Material, Package, Post, Stage
from windows.roles import Role

from .conftest import (
    NOW,
    PASSWORD,
    accept,
    add_applicant,
    add_assessment_weights,
    add_draft,
    add_materials,
    add_project,
    add_seals,
    build_center,
    load_calendar,
)
from .hall_fixtures import build_hall
from .shared import shared_data

TABLE = Path(__file__).resolve().parents[1] / "docs" / "access.md"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# Who plays each role: the people of conftest.py.
PEOPLE = {
    Role.ADMINISTRATOR: "admin",
    Role.CENTER_MANAGER: "erin",
    Role.GOVERNMENT_HEAD: "gwen",
    Role.DEPARTMENT_LEADER: "frank",
    Role.STATIONED_DEPUTY: "carol",
    Role.WINDOW_HEAD: "bob",
    Role.WINDOW_OFFICER: "alice",
    Role.INTAKE_CLERK: "dave",
}
COLUMNS = ["anonymous", *(role.value for role in Role)]


@dataclass(frozen=True)
class Row:
    key: str  # a URL name, a glob of URL names, or the route of an unnamed pattern
    method: str
    sample: str
    expected: dict[str, str]  # column -> cell


def read_table() -> list[Row]:
    lines = TABLE.read_text(encoding="utf-8").split("<!-- access-table", 1)[1].splitlines()[1:]
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    assert header[3 : 3 + len(COLUMNS)] == COLUMNS, "the table's columns are the roles"
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append(
            Row(
                key=cells[0],
                method=cells[1],
                sample=cells[2],
                expected=dict(zip(COLUMNS, cells[3 : 3 + len(COLUMNS)], strict=True)),
            )
        )
    return rows


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or the full route when the pattern has no name
    name: str | None
    route: str


def url_patterns(patterns=None, prefix: str = "", namespace: str | None = None) -> list[Pattern]:
    """Every pattern the resolver knows, with its namespaced name (or route, if unnamed)."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            found += url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            found.append(Pattern(key=name or route, name=name, route=route))
    return found


def row_for(pattern: Pattern, rows: list[Row]) -> Row | None:
    """The exact row of a pattern, else the first glob row that matches it."""
    for row in rows:
        if row.key == pattern.key:
            return row
    for row in rows:
        if "*" in row.key and fnmatch.fnmatchcase(pattern.key, row.key):
            return row
    return None


ROWS = read_table()
PATTERNS = url_patterns()


def test_every_url_has_a_row_and_every_row_a_url():
    missing = [p.key for p in PATTERNS if row_for(p, ROWS) is None]
    assert missing == [], f"add these URLs to docs/access.md: {missing}"
    used = {row_for(p, ROWS).key for p in PATTERNS}
    assert [row.key for row in ROWS if row.key not in used] == []
    assert len({row.key for row in ROWS}) == len(ROWS), "one row per URL name"
    for row in ROWS:
        assert set(row.expected.values()) <= {
            *("200", "302", "login", "403", "404", "405", "perm"),
            "503",  # /healthz in the test: beat never runs there
            "401",  # the integration API without its client's token (docs/api.md)
        }


# --- the sample objects ---------------------------------------------------------------------


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }


@pytest.fixture
def samples(center, accepted, private_media, assessment_weights) -> dict[str, object]:
    """One object of every kind a URL can name, each reachable by the table's `sample` column."""
    return make_samples(center, accepted)


def conduct_services_rule():
    from conduct.models import Rule

    return Rule.objects.create(code="complaint", title="服务投诉经查属实", points=2)


def make_samples(center, accepted) -> dict[str, object]:
    seal = center.construction_window.seal
    seal.image.save("seal.png", ContentFile(PNG), save=True)
    scan = services.scan_add(
        application=accepted,
        upload=SimpleUploadedFile("licence.pdf", PDF),
        line=None,
        by=center.dave,
        now=NOW,
    )
    Post.objects.create(
        window=center.construction_window,
        name="施工许可",
        holder_a=center.alice,
        holder_b=center.bob,
    )
    Absence.objects.create(
        staff=center.alice,
        starts_on=dt.date(2026, 10, 8),
        ends_on=dt.date(2026, 10, 9),
        reason="leave",
    )
    Card.objects.create(
        application=accepted, level="red", deadline=dt.date(2026, 10, 16), issued_at=NOW
    )
    # A stage of construction projects (docs/projects.md), with the permit in it.
    stage = Stage.objects.create(name="施工许可", position=2)
    Item.objects.filter(pk=center.permit.pk).update(stage=stage)
    package = Package.objects.create(name="开工前审批一件事")
    package.items.set([center.permit, center.planning_item])
    # The public guide: the center's address and hours, a material of the permit with a sample.
    CenterInfo.objects.create(address="临安市锦城街道城中街398号", hours="周一至周五 9:00—17:00")
    guide_material = Material.objects.get(name="申请表")
    guide_material.sample.save("sample.pdf", ContentFile(PDF), save=True)
    # The hall: its businesses and devices, a slot rule for appointments.
    hall = build_hall(center)
    SlotRule.objects.create(
        window=center.construction_window,
        business=hall.construction,
        opens=dt.time(9),
        closes=dt.time(11, 30),
    )
    # Sign-in records for the admin's pages of django-axes: a failure and a success.
    Client().post(reverse("login"), {"username": "mallory", "password": "wrong"})
    Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    urge = actions.urge_issue(
        review=accepted.reviews.get(item=center.permit),
        by=center.erin,
        now=NOW,
        text="请抓紧办理。",
        reply_due=dt.date(2026, 9, 30),
    )
    meeting = actions.meeting_convene(
        application=accepted,
        by=center.erin,
        now=NOW,
        held_at=NOW,
        place="会议室",
        departments=[center.construction, center.planning],
        agenda="协调",
    )
    follow_up = actions.follow_up_add(
        meeting=meeting,
        by=center.erin,
        now=NOW,
        department=center.construction,
        action="发证",
        due=dt.date(2026, 10, 9),
    )
    # A rating and its follow-up, for the admin's pages and the managers' follow-up page (the
    # rating service wants a delivered application; the pages only need the rows).
    rating = Rating(application=accepted, level=1, comment="太慢", rated_at=NOW)
    rating.save()
    rating_followup = RatingFollowUp(rating=rating, opened_at=NOW, due=dt.date(2026, 10, 26))
    rating_followup.save()
    # A review's extension asked by its officer, and a joint one asked at the comprehensive
    # window (the government's head sees the applications with one).
    extension = services.extension_request(
        review=accepted.reviews.get(item=center.permit),
        by=center.alice,
        now=NOW,
        days=3,
        reason="核查",
    )
    services.joint_extension_request(
        application=accepted, by=center.dave, now=NOW, days=5, reason="协调"
    )
    # A checked import waiting for confirmation (loading/): a new department from a CSV.
    import_record, _plan = import_check(
        kind_name="departments",
        data="部门代码,部门名称,简称\nhbj,临安市环境保护局,环保局\n".encode(),
        name="departments.csv",
        by=center.admin,
        now=NOW,
    )
    # The hall's registered device (for the administrators' device pages): build_hall's kiosk.
    device = hall.kiosk
    # A licence of the construction department's item (licences/), its term and a material
    # it provides, for the licence pages and the admin's.
    licence = Licence.objects.create(
        number="建设局证字〔2026〕第1号",
        holder=accepted.applicant,
        project=accepted.project,
        item=center.permit,
        review=accepted.reviews.get(item=center.permit),
        decision=accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP),
        valid_from=dt.date(2026, 9, 28),
        issued_at=NOW,
    )
    LicensedItem.objects.create(item=center.permit, valid_years=3)
    MaterialByLicence.objects.create(
        material=Material.objects.create(name="施工许可证"), item=center.permit
    )
    # Conduct (conduct/): a rule, a complaint about the construction window substantiated
    # against alice, a patrol of that window with a photo and a deduction.
    rule = conduct_services_rule()
    complaint = conduct_services.complaint_file(
        source="phone",
        phone="13912345678",
        text="态度差",
        window=center.construction_window,
        by=center.erin,
        now=NOW,
    )
    conduct_services.complaint_investigate(
        complaint=complaint, record="属实", by=center.erin, now=NOW
    )
    conduct_services.complaint_find(
        complaint=complaint,
        finding="substantiated",
        rule=rule,
        window=center.construction_window,
        staff=center.alice,
        by=center.erin,
        now=NOW,
    )
    patrol = conduct_services.patrol_start(by=center.erin, now=NOW)
    patrol_entry = conduct_services.patrol_record(
        patrol=patrol,
        window=center.construction_window,
        status="absent",
        staff=center.alice,
        rule=rule,
        photo=SimpleUploadedFile("hall.png", PNG),
        by=center.erin,
        now=NOW,
    )
    conduct_services.appeal_file(
        deduction=patrol_entry.deduction, reasons="有请假", by=center.bob, now=NOW
    )
    api_client, _ = client_register(
        name="省政务服务平台",
        scopes=["read:applications"],
        departments=[],
        rate_limit=60,
        by=center.admin,
        now=NOW,
    )
    return {
        "api_client": api_client,
        "rule": rule,
        "complaint": complaint,
        "deduction": complaint.deduction,
        "patrol": patrol,
        "patrol_entry": patrol_entry,
        "package": package,
        "guide_material": guide_material,
        "device": device,
        "import": import_record,
        "extension": extension,
        "rating_followup": rating_followup,
        "urge": urge,
        "meeting": meeting,
        "follow_up": follow_up,
        "application": accepted,
        "project": accepted.project,
        "review": accepted.reviews.get(item=center.permit),
        "document": accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP),
        "scan": scan,
        "applicant": accepted.applicant,
        "window": center.construction_window,
        "alice": center.alice,
        "licence": licence,
    }


def sample_kwargs(row: Row, samples: dict) -> dict:
    kwargs = {}
    for part in row.sample.split():
        key, value = part.split("=", 1)
        if value.startswith("'"):  # a literal that is also the name of a sample
            kwargs[key] = value.strip("'")
        elif key == "content_type_id":
            kwargs[key] = ContentType.objects.get_for_model(samples[value]).pk
        elif value in samples:
            kwargs[key] = samples[value].pk
        else:
            kwargs[key] = value
    return kwargs


def people(center) -> dict[str, object]:
    return {"anonymous": None} | {
        role.value: getattr(center, username) for role, username in PEOPLE.items()
    }


def request_as(user, method: str, url: str, cookies: SimpleCookie | None = None):
    """One request in a transaction rolled back afterwards: a POST leaves nothing behind.

    The user is signed in first, in the same transaction, unless `cookies` are those of the
    user's session signed in already."""
    with transaction.atomic():
        client = Client(raise_request_exception=True)
        if cookies is not None:
            client.cookies = copy.deepcopy(cookies)
        elif user is not None:
            client.force_login(user)
        response = getattr(client, method.lower())(url)
        transaction.set_rollback(True)
    return response


def outcome(response) -> str:
    if response.status_code == 302:
        target = response["Location"].split("?")[0]
        if target in (reverse("login"), reverse("admin:login")):
            return "login"
    return str(response.status_code)


# --- the admin ----------------------------------------------------------------------------------


def admin_target(pattern: Pattern):
    """The model admin a pattern belongs to, from its route (admin/<app>/<model>/...)."""
    match = re.match(r"admin/(\w+)/(\w+)/", pattern.route)
    if not match:
        return None
    for model, model_admin in admin.site._registry.items():
        if (model._meta.app_label, model._meta.model_name) == match.groups():
            return model_admin
    return None


def admin_url(pattern: Pattern, model_admin, row: Row, samples: dict) -> str:
    if pattern.name is None:
        if model_admin is None:  # the catch-all
            return "/admin/no-such-page/"
        obj = model_admin.model._default_manager.order_by("pk").first()
        return "/" + pattern.route.replace("<path:object_id>", str(obj.pk))
    if model_admin is None:
        return reverse(pattern.name, kwargs=sample_kwargs(row, samples))
    model = model_admin.model
    if pattern.name.endswith(("_changelist", "_add")):
        return reverse(pattern.name)
    obj = model._default_manager.order_by("pk").first()
    assert obj is not None, f"the samples need a {model.__name__}"
    if pattern.name.endswith("_simple_history"):
        record = obj.history.order_by("history_id").first()
        return reverse(pattern.name, args=[obj.pk, record.history_id])
    return reverse(pattern.name, args=[obj.pk])


def admin_allows(model_admin, name: str, user) -> bool:
    """What `perm` means for a staff person: the model admin's own permission checks."""
    request = RequestFactory().get("/")
    request.user = user
    obj = model_admin.model._default_manager.order_by("pk").first()
    if name.endswith("_add"):
        return model_admin.has_add_permission(request)
    if name.endswith("_delete"):
        return model_admin.has_delete_permission(request, obj)
    if name.endswith("_changelist"):
        return model_admin.has_view_or_change_permission(request)
    return model_admin.has_view_or_change_permission(request, obj)


def signed_in(center) -> dict[str, SimpleCookie]:
    """The cookies of each person of `people`, signed in once."""
    sessions = {}
    for column, user in people(center).items():
        client = Client()
        if user is not None:
            client.force_login(user)
            session = client.session
            session.set_expiry(24 * 3600)  # however long the table's tests take on this machine
            session.save()
        sessions[column] = client.cookies
    return sessions


def build_samples() -> tuple:
    """The center and the samples, as the fixtures `center` and `samples` make them, and each
    person signed in."""
    center = build_center()
    load_calendar()
    add_materials(center)
    applicant = add_applicant()
    draft = add_draft(center, applicant, add_project(applicant))
    add_seals(center)
    add_assessment_weights()
    samples = make_samples(center, accept(draft, center))
    return center, samples, signed_in(center)


# --- each row, each role -----------------------------------------------------------------------

PAGE_ROWS = [row for row in ROWS if not row.key.startswith("admin")]
ADMIN_ROWS = [row for row in ROWS if row.key.startswith("admin")]


class TestTheTable:
    """Each row of the table, each role: every request is rolled back (request_as), so the
    center and the samples are built and the people signed in once for all of them
    (tests/shared.py)."""

    @pytest.fixture(scope="class")
    @classmethod
    def built(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with shared_data(django_db_blocker, tmp_path_factory.mktemp("media")) as run:
            yield run(build_samples)

    @pytest.fixture
    def center(self, db, built):
        return built[0]

    @pytest.fixture
    def samples(self, db, built):
        return built[1]

    @pytest.fixture
    def sessions(self, db, built):
        return built[2]

    @pytest.mark.parametrize("row", PAGE_ROWS, ids=[row.key for row in PAGE_ROWS])
    def test_page_answers_each_role_as_the_table_says(
        self, row, center, samples, sessions, pdf_once
    ):
        url = reverse(row.key, kwargs=sample_kwargs(row, samples))
        got = {
            column: outcome(request_as(user, row.method, url, sessions[column]))
            for column, user in people(center).items()
        }
        assert got == row.expected, url

    @pytest.mark.parametrize("row", ADMIN_ROWS, ids=[row.key for row in ADMIN_ROWS])
    def test_admin_answers_each_role_as_the_table_says(self, row, center, samples, sessions):
        mismatches = []
        for pattern in PATTERNS:
            if row_for(pattern, ROWS) != row:
                continue
            model_admin = admin_target(pattern)
            url = admin_url(pattern, model_admin, row, samples)
            for column, user in people(center).items():
                want = row.expected[column]
                if want == "perm":
                    want = "200" if admin_allows(model_admin, pattern.name, user) else "403"
                got = outcome(request_as(user, row.method, url, sessions[column]))
                if got != want:
                    mismatches.append(f"{url} as {column}: {got}, table says {want}")
        assert mismatches == []


# --- another department's application ------------------------------------------------------------


@pytest.fixture
def construction_only(center, calendar, materials, applicant, project, seals, private_media):
    """An application with construction reviews only: nothing of planning's business."""
    from windows import authority

    from .conftest import receive_all

    authority.sync_signing_authority(at=NOW)
    draft = services.application_create(
        applicant=applicant, project=project, by=center.dave, now=NOW, items=[center.permit]
    )
    receive_all(draft, center.dave)
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    review = application.reviews.get()
    services.review_claim(review=review, by=center.alice, now=NOW)
    services.review_decide(review=review, by=center.bob, now=NOW, outcome="granted", reasons="")
    scan = services.scan_add(
        application=application,
        upload=SimpleUploadedFile("licence.pdf", PDF),
        line=None,
        by=center.dave,
        now=NOW,
    )
    return application, review, scan


def snapshot(application: Application) -> tuple:
    """Everything a POST could change, with its history."""
    return (
        tuple(Application.objects.filter(pk=application.pk).values_list("state", "receipt_number")),
        tuple(
            DepartmentReview.objects.filter(application=application).values_list("state", "officer")
        ),
        Application.history.count(),
        DepartmentReview.history.count(),
        Document.objects.count(),
        Scan.objects.count(),
        tuple(application.materials.values_list("status", "copies")),
    )


def test_another_departments_officer_finds_nothing_and_changes_nothing(
    client, center, construction_only
):
    application, review, scan = construction_only
    decision = review.documents.get()
    slip = application.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    # Construction's own officer sees all of it.
    client.force_login(center.alice)
    for url in (
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:timeline", args=[application.pk]),
        reverse("applications:review", args=[review.pk]),
        reverse("applications:document", args=[decision.pk]),
        reverse("applications:scan", args=[scan.pk]),
    ):
        assert client.get(url).status_code == 200, url
    # The slip carries the access code: the comprehensive window prints it, not her.
    assert client.get(reverse("applications:document", args=[slip.pk])).status_code == 403

    client.force_login(center.mallory)  # an officer of planning
    for url in (
        reverse("applications:detail", args=[application.pk]),
        reverse("applications:timeline", args=[application.pk]),
        reverse("applications:review", args=[review.pk]),
        reverse("applications:document", args=[decision.pk]),
        reverse("applications:document", args=[slip.pk]),
        reverse("applications:scan", args=[scan.pk]),
    ):
        assert client.get(url).status_code == 404, url

    before = snapshot(application)
    posts = [
        # The clerk's actions: the role check answers first.
        (reverse("applications:detail", args=[application.pk]), {"m-TOTAL_FORMS": "0"}, 404),
        (reverse("applications:act", args=[application.pk, "withdraw"]), {}, 403),
        (reverse("applications:act", args=[application.pk, "deliver"]), {}, 403),
        (reverse("applications:scan_upload", args=[application.pk]), {}, 403),
        (reverse("applications:receive", args=[review.pk]), {}, 403),
        # The window's actions: the review is looked up first, and is not hers.
        (reverse("applications:review_act", args=[review.pk, "claim"]), {}, 404),
        (
            reverse("applications:review_act", args=[review.pk, "stop"]),
            {"cause": "supplements", "days_needed": 5, "reason": "x"},
            404,
        ),
        (
            reverse("applications:review_act", args=[review.pk, "decide"]),
            {"outcome": "refused", "reasons": "x"},
            404,
        ),
        (reverse("applications:review_act", args=[review.pk, "return"]), {}, 404),
        (reverse("applications:review_act", args=[review.pk, "countersign"]), {}, 404),
    ]
    for url, data, status in posts:
        assert client.post(url, data).status_code == status, url
    assert snapshot(application) == before
    # Her own department's leader sees none of it either.
    client.force_login(center.frank)
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 404
