"""Prerequisites (前置), stages and the project page (docs/projects.md): an item is accepted for a
project only once the project holds a valid approval of each prerequisite, or with a center
manager's recorded override; the project page shows the whole path and the working days used."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from applications import projects, services
from applications.models import Application, PrerequisiteOverride
from supervision import actions
from supervision.models import Meeting
from windows import authority
from windows.models import Item, Stage

from .conftest import NOW, add_draft, aware, receive_all, seen
from .test_accept_with_checklist import checklist


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def needs_design(center):
    """The permit (XK-JSJ-001) needs the design review (XK-JSJ-002) first."""
    center.permit.prerequisites.set([center.design_review])
    authority.sync_signing_authority(at=NOW)
    return center


def file(center, project, items, now=NOW):
    application = services.application_create(
        applicant=project.applicant if project else center_applicant(),
        project=project,
        items=items,
        by=center.dave,
        now=now,
    )
    receive_all(application, center.dave)
    return application


def center_applicant():
    from applications.models import Applicant

    return Applicant.objects.first()


def approve_design(center, project, now=NOW):
    """The design review filed, accepted, granted and returned on the project."""
    application = file(center, project, [center.design_review], now)
    services.application_accept(application=application, by=center.dave, now=now)
    review = application.reviews.get()
    services.review_decide(review=review, by=center.bob, now=now, outcome="granted", reasons="")
    return review


# --- acceptance ---------------------------------------------------------------------------


def test_a_missing_prerequisite_blocks_acceptance_and_says_where_to_get_it(
    needs_design, draft, seals
):
    center = needs_design
    receive_all(draft, center.dave)
    with pytest.raises(services.TransitionError) as refused:
        services.application_accept(application=draft, by=center.dave, now=NOW)
    assert center.design_review.name in str(refused.value)
    assert "A05" in str(refused.value)  # the window where it is got
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT
    assert not draft.receipt_number and not draft.reviews.exists()


def test_the_intake_page_says_what_is_missing_and_refuses_to_accept(
    client, needs_design, draft, seals, clock
):
    center = needs_design
    client.force_login(center.dave)
    page = seen(
        client.get(
            reverse("applications:detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )
    assert "Prerequisites (前置)" in page
    assert f"{center.design_review.name}" in page
    assert "临安市建设局 · window A05" in page
    assert "Missing" in page
    assert "Override" not in page  # the clerk is offered no override
    response = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]),
        checklist(draft),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Prerequisites are missing" in seen(response.content.decode())
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT
    # Refused, the checklist set on the page is not saved either (one transaction).
    assert set(draft.materials.values_list("status", flat=True)) == {"missing"}


def test_an_application_without_a_project_holds_nothing(needs_design, applicant, seals):
    center = needs_design
    application = services.application_create(
        applicant=applicant, project=None, items=[center.permit], by=center.dave, now=NOW
    )
    receive_all(application, center.dave)
    with pytest.raises(services.TransitionError):
        services.application_accept(application=application, by=center.dave, now=NOW)


def test_a_prerequisite_approved_then_lets_it_through(needs_design, draft, seals):
    center = needs_design
    approve_design(center, draft.project)
    receive_all(draft, center.dave)
    accepted = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert accepted.state == Application.State.IN_REVIEW
    assert [p.held for p in projects.application_prerequisites(accepted)] == [True]


def test_what_does_not_count_as_holding_an_approval(needs_design, draft, seals, applicant):
    center = needs_design
    project = draft.project
    # Refused: not held.
    application = file(center, project, [center.design_review])
    services.application_accept(application=application, by=center.dave, now=NOW)
    review = application.reviews.get()
    services.review_decide(
        review=review, by=center.bob, now=NOW, outcome="refused", reasons="不符合"
    )
    assert projects.held_item_ids(project) == set()
    # Granted on another project's application: not this project's.
    other = another_project(applicant)
    approve_design(center, other)
    assert projects.held_item_ids(project) == set()
    assert projects.held_item_ids(other) == {center.design_review.pk}
    # Still in review: not held.
    application = file(center, project, [center.design_review])
    services.application_accept(application=application, by=center.dave, now=NOW)
    assert projects.held_item_ids(project) == set()
    receive_all(draft, center.dave)
    with pytest.raises(services.TransitionError):
        services.application_accept(application=draft, by=center.dave, now=NOW)


def another_project(applicant):
    from applications.models import Project

    return Project.objects.create(
        applicant=applicant,
        code="2026-330185-47-01-654321",
        name="锦城安置小区",
        location="临安区锦城街道",
        total_investment="5000.00",
        land_area="8000.00",
        description="安置房",
    )


def test_a_decision_awaiting_the_leaders_countersign_is_not_yet_held(center, draft, seals):
    # The permit needs the planning item, which needs the leader's countersign.
    center.permit.prerequisites.set([center.planning_item])
    authority.sync_signing_authority(at=NOW)
    first = file(center, draft.project, [center.planning_item])
    services.application_accept(application=first, by=center.dave, now=NOW)
    review = first.reviews.get()
    services.review_decide(review=review, by=center.carol, now=NOW, outcome="granted", reasons="")
    second = file(center, draft.project, [center.permit])
    with pytest.raises(services.TransitionError):
        services.application_accept(application=second, by=center.dave, now=NOW)
    services.review_countersign(review=review, by=center.frank, now=NOW)
    assert services.application_accept(application=second, by=center.dave, now=NOW).state == (
        Application.State.IN_REVIEW
    )


# --- the manager's override -------------------------------------------------------------------


def test_a_clerk_cannot_override(client, needs_design, draft, seals, clock):
    center = needs_design
    client.force_login(center.dave)
    url = reverse("applications:prerequisite_override", args=[draft.pk])
    data = {"prerequisite": center.design_review.pk, "reason": "急需开工"}
    assert client.post(url, data).status_code == 403
    with pytest.raises(services.TransitionError):
        services.prerequisite_override(
            application=draft,
            prerequisite=center.design_review,
            reason="x",
            by=center.dave,
            now=NOW,
        )
    # Nor an officer or the department's head who see the application.
    for person in (center.alice, center.bob):
        client.force_login(person)
        assert client.post(url, data).status_code in (403, 404)
    assert not PrerequisiteOverride.objects.exists()


def test_the_managers_override_is_recorded_and_lets_acceptance_through(
    client, needs_design, draft, seals, clock
):
    center = needs_design
    client.force_login(center.erin)
    page = client.get(reverse("applications:detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert f'data-testid="override-{center.design_review.code}"' in page.content.decode()
    url = reverse("applications:prerequisite_override", args=[draft.pk])
    # No reason: refused, nothing recorded.
    client.post(url, {"prerequisite": center.design_review.pk, "reason": "  "})
    assert not PrerequisiteOverride.objects.exists()
    # An item that is not a missing prerequisite: refused.
    with pytest.raises(services.TransitionError):
        services.prerequisite_override(
            application=draft,
            prerequisite=center.planning_item,
            reason="x",
            by=center.erin,
            now=NOW,
        )
    response = client.post(
        url,
        {"prerequisite": center.design_review.pk, "reason": "市重点项目，协调会同意先行受理"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Override recorded" in response.content.decode()
    override = PrerequisiteOverride.objects.get()
    assert (override.application, override.prerequisite, override.by, override.at) == (
        draft,
        center.design_review,
        center.erin,
        NOW,
    )
    history = override.history.get()
    assert (history.history_user, history.history_date) == (center.erin, NOW)
    # A second override of the same line: refused (it is no longer missing).
    with pytest.raises(services.TransitionError):
        services.prerequisite_override(
            application=draft,
            prerequisite=center.design_review,
            reason="again",
            by=center.erin,
            now=NOW,
        )
    # The clerk's page shows who overrode and why; acceptance goes ahead.
    client.force_login(center.dave)
    page = seen(
        client.get(
            reverse("applications:detail", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )
    assert "Overridden" in page and "市重点项目" in page
    receive_all(draft, center.dave)
    accepted = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert accepted.state == Application.State.IN_REVIEW
    # Once accepted, no more overrides.
    with pytest.raises(services.TransitionError):
        services.prerequisite_override(
            application=draft,
            prerequisite=center.design_review,
            reason="late",
            by=center.erin,
            now=NOW,
        )


# --- the catalog ------------------------------------------------------------------------------


def test_the_catalog_refuses_a_circle_of_prerequisites(needs_design):
    center = needs_design
    design = Item.objects.get(pk=center.design_review.pk)
    assert design.prerequisite_problems([center.permit])  # the permit needs it already
    assert design.prerequisite_problems([design])  # itself
    assert not design.prerequisite_problems([center.planning_item])
    from windows.admin import ItemForm

    form = ItemForm(instance=design)
    form.cleaned_data = {"prerequisites": Item.objects.filter(pk=center.permit.pk)}
    with pytest.raises(Exception, match="circle"):
        form.clean_prerequisites()


def test_the_item_page_names_its_prerequisites(client, needs_design):
    center = needs_design
    client.force_login(center.alice)
    page = seen(
        client.get(
            reverse("windows:item", args=[center.permit.code]), HTTP_ACCEPT_LANGUAGE="en"
        ).content.decode()
    )
    assert center.design_review.name in page


# --- the project page -------------------------------------------------------------------------


@pytest.fixture
def stages(center):
    first = Stage.objects.create(name="立项用地规划许可", position=0)
    second = Stage.objects.create(name="工程建设许可", position=1)
    third = Stage.objects.create(name="施工许可", position=2)
    Stage.objects.create(name="竣工验收", position=3)
    Item.objects.filter(pk=center.planning_item.pk).update(stage=first)
    Item.objects.filter(pk=center.design_review.pk).update(stage=second)
    Item.objects.filter(pk=center.permit.pk).update(stage=third)
    center.permit.prerequisites.set([center.design_review])
    authority.sync_signing_authority(at=NOW)
    return center


def test_the_project_path_shows_done_in_progress_next_and_blocked(
    client, stages, applicant, project, calendar, materials, seals, time_machine
):
    center = stages
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    first = file(center, project, [center.planning_item])
    services.application_accept(application=first, by=center.dave, now=NOW)
    review = first.reviews.get()
    services.review_decide(review=review, by=center.carol, now=NOW, outcome="granted", reasons="")
    services.review_countersign(review=review, by=center.frank, now=NOW)
    second = file(center, project, [center.design_review], now=aware(2026, 10, 12))
    services.application_accept(application=second, by=center.dave, now=aware(2026, 10, 12))

    path = projects.project_path(project, today=dt.date(2026, 10, 20))
    assert [row.status for row in path.stages] == [
        "done",
        "in_progress",
        "not_started",
        "not_started",
    ]
    steps = {s.item.pk: s for row in path.stages for s in row.steps}
    assert steps[center.planning_item.pk].status == "done"
    assert steps[center.design_review.pk].status == "in_progress"
    assert steps[center.permit.pk].status == "blocked"
    assert steps[center.permit.pk].missing == [center.design_review]
    # An item the project did without in a stage it has passed is not offered as next.
    other = Item.objects.create(
        code="XK-FGJ-002",
        name="企业投资项目备案",
        department=center.planning,
        window=center.planning_window,
        legal_basis="《企业投资项目核准和备案管理条例》",
        statutory_days=20,
        promised_days=3,
        stage=Stage.objects.get(position=0),
    )
    path = projects.project_path(project, today=dt.date(2026, 10, 20))
    steps = {s.item.pk: s for row in path.stages for s in row.steps}
    assert steps[other.pk].status == "not_applied"
    assert path.stages[0].status == "done"
    # 28 September to 20 October: the National Day break (1–8 October) not counted.
    assert path.started_on == dt.date(2026, 9, 28)
    assert path.days_used == center_working_days(dt.date(2026, 9, 28), dt.date(2026, 10, 20))
    assert path.target == 120 and not path.over

    client.force_login(center.dave)
    page = client.get(reverse("applications:project", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert f'data-testid="step-{center.permit.code}" data-status="blocked"' in html
    text = seen(html)
    assert "of 120 working days used" in text
    assert "Needs first: " + center.design_review.name in text
    assert "LICENCES" not in text  # the lead's spot is a template comment


def center_working_days(start, end):
    from windows.workdays import WorkCalendar

    return WorkCalendar.load().count_working_days(start, end).working_days


def test_the_target_is_a_setting(stages, project, calendar, materials, seals, settings):
    settings.PROJECT_TARGET_WORKING_DAYS = 3
    file(stages, project, [stages.planning_item])
    path = projects.project_path(project, today=dt.date(2026, 10, 20))
    assert path.target == 3 and path.over and path.days_over == path.days_used - 3


def test_who_may_open_a_project(client, center, accepted, applicant):
    """Whoever sees one of its applications, and those who see all; the others a 404."""
    url = reverse("applications:project", args=[accepted.project.pk])
    for person in (center.erin, center.dave, center.alice, center.mallory, center.admin):
        client.force_login(person)
        assert client.get(url).status_code == 200, person
    # A project with only a construction application: planning's officer does not see it.
    other = another_project(applicant)
    add_draft(center, applicant, other).items.set([center.permit])
    Application.objects.filter(project=other).update(state="in_review")
    from applications.models import DepartmentReview

    DepartmentReview.objects.create(
        application=Application.objects.get(project=other),
        item=center.permit,
        department=center.construction,
        window=center.construction_window,
        started_on=NOW.date(),
        promised_days=7,
        statutory_days=20,
        deadline=NOW.date(),
        statutory_deadline=NOW.date(),
    )
    client.force_login(center.mallory)
    assert client.get(reverse("applications:project", args=[other.pk])).status_code == 404
    listed = client.get(reverse("applications:projects")).content.decode()
    assert other.name not in listed or listed.count(other.name) == listed.count(
        accepted.project.name
    )
    client.force_login(center.alice)
    assert client.get(reverse("applications:project", args=[other.pk])).status_code == 200


def test_the_application_page_links_its_project(client, center, accepted):
    client.force_login(center.alice)
    html = client.get(reverse("applications:detail", args=[accepted.pk])).content.decode()
    assert reverse("applications:project", args=[accepted.project.pk]) in html


# --- pre-filing coordination -----------------------------------------------------------------


def test_a_meeting_can_be_convened_for_a_project_before_anything_is_filed(
    client, center, project, clock
):
    url = reverse("supervision:project_meeting_new", args=[project.pk])
    client.force_login(center.dave)
    assert client.get(url).status_code == 403
    client.force_login(center.erin)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "held_at": "2026-09-30T09:30",
            "place": "三楼会议室",
            "departments": [center.construction.pk, center.planning.pk],
            "agenda": "研发楼项目前置审批协调",
        },
    )
    meeting = Meeting.objects.get()
    assert response["Location"] == reverse("supervision:meeting", args=[meeting.pk])
    assert (meeting.project, meeting.application) == (project, None)
    assert meeting.history.filter(history_type="+").get().history_user == center.erin
    page = client.get(reverse("applications:project", args=[project.pk]), HTTP_ACCEPT_LANGUAGE="en")
    text = seen(page.content.decode())
    assert meeting.number in text and "before filing" in text
    detail = client.get(reverse("supervision:meeting", args=[meeting.pk])).content.decode()
    assert reverse("applications:project", args=[project.pk]) in detail
    assert client.get(reverse("supervision:meetings")).status_code == 200


def test_a_meeting_is_for_an_application_or_a_project(center, project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            number="协调〔2026〕99号",
            held_at=NOW,
            place="x",
            agenda="x",
            convened_by=center.erin,
            convened_at=NOW,
        )
    with pytest.raises(ValueError):
        actions.meeting_convene(
            by=center.erin,
            now=NOW,
            held_at=NOW,
            place="x",
            departments=[center.construction],
            agenda="x",
        )


# --- held by a licence in force (licences/) -----------------------------------------------


@pytest.mark.parametrize("ends", ["revoked", "expired"])
def test_a_prerequisite_whose_licence_is_no_longer_in_force_is_not_held(
    needs_design, draft, seals, ends
):
    """The design review's approval issued a licence; once it is revoked (or past its end),
    the project no longer holds the approval and the permit waits again."""
    import datetime as dt

    from licences.models import Licence
    from licences.services import licence_revoke

    center = needs_design
    review = approve_design(center, draft.project)
    licence = Licence.objects.get(review=review)
    assert projects.held_item_ids(draft.project) == {center.design_review.pk}
    if ends == "revoked":
        licence_revoke(licence=licence, by=center.erin, reason="违法取得", now=NOW)
    else:
        Licence.objects.filter(pk=licence.pk).update(valid_until=dt.date(2020, 1, 1))
    assert projects.held_item_ids(draft.project) == set()
    receive_all(draft, center.dave)
    with pytest.raises(services.TransitionError):
        services.application_accept(application=draft, by=center.dave, now=NOW)
    assert Application.objects.get(pk=draft.pk).state == Application.State.DRAFT


def test_the_project_page_lists_its_licences_with_their_status(client, needs_design, draft, seals):
    from licences.models import Licence
    from licences.services import licence_revoke

    center = needs_design
    review = approve_design(center, draft.project)
    licence = Licence.objects.get(review=review)
    client.force_login(center.erin)
    page = client.get(f"/projects/{draft.project.pk}/").content.decode()
    assert licence.number in page and "有效" in page
    licence_revoke(licence=licence, by=center.erin, reason="违法取得", now=NOW)
    page = client.get(f"/projects/{draft.project.pk}/").content.decode()
    assert licence.number in page and "已撤销" in page


def test_the_path_reads_a_fixed_number_of_statements_whatever_the_applications(
    needs_design, draft, seals, stages
):
    """No statement per application or per stage: a project of many applications reads its
    path as one of few."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    center = needs_design
    approve_design(center, draft.project)
    with CaptureQueriesContext(connection) as few:
        projects.project_path(draft.project, today=NOW.date())
    for _ in range(3):
        file(center, draft.project, [center.design_review])
    with CaptureQueriesContext(connection) as many:
        projects.project_path(draft.project, today=NOW.date())
    assert len(many) == len(few)
