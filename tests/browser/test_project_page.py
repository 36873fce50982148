"""The demo project through two stages (applications/demo.py, docs/projects.md): the clerk opens
it by clicking from one of its applications and sees the whole path. Screenshot:
test-artifacts/screenshots/project-path.png."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications import services
from applications.demo import STAGED_PROJECT, seed_staged_project
from applications.models import Project
from windows.demo import DEMO_PASSWORD, build_demo_center
from windows.models import Item, Staff


@pytest.mark.usefixtures("transactional_db")
def test_the_demo_projects_path_opened_from_an_application(live_server, page, shot):
    build_demo_center(today=timezone.localdate())
    seed_staged_project(now=timezone.now())
    project = Project.objects.get(code=STAGED_PROJECT["code"])
    latest = project.applications.order_by("-received_at").first()

    sign_in(page, live_server, "clerk1")
    page.goto(f"{live_server.url}/applications/{latest.pk}/")
    page.get_by_test_id("project-link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(STAGED_PROJECT["name"])
    # First stage done, second in progress, the permit of the third blocked by the planning
    # permit of the second (前置), the fourth not started.
    expect(page.get_by_test_id("stage-1")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("stage-2")).to_have_attribute("data-status", "in_progress")
    expect(page.get_by_test_id("stage-4")).to_have_attribute("data-status", "not_started")
    expect(page.get_by_test_id("step-XK-JSJ-001")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("step-XK-JSJ-002")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("step-XK-JSJ-003")).to_have_attribute("data-status", "in_progress")
    permit = page.get_by_test_id("step-XK-JSJ-007")
    expect(permit).to_have_attribute("data-status", "blocked")
    expect(permit).to_contain_text("建设工程规划许可证核发")
    expect(page.get_by_test_id("project-days")).to_contain_text("120")
    shot("project-path")
    # Back to an application of the project from its path.
    page.get_by_test_id("step-XK-JSJ-001").get_by_role("link").nth(1).click()
    expect(page.get_by_test_id("project-link")).to_be_visible()


@pytest.mark.usefixtures("transactional_db")
def test_a_manager_overrides_a_missing_prerequisite_on_the_page(live_server, page, shot):
    build_demo_center(today=timezone.localdate())
    seed_staged_project(now=timezone.now())
    project = Project.objects.get(code=STAGED_PROJECT["code"])
    clerk = Staff.objects.get(username="clerk1")
    # The building permit filed before its prerequisite is held.
    draft = services.application_create(
        applicant=project.applicant,
        project=project,
        items=[Item.objects.get(code="XK-JSJ-007")],
        by=clerk,
        now=timezone.now(),
    )
    sign_in(page, live_server, "manager1")
    page.goto(f"{live_server.url}/applications/{draft.pk}/")
    expect(page.get_by_test_id("prerequisites-missing")).to_be_visible()
    expect(page.get_by_test_id("prerequisites")).to_contain_text("A07")
    page.get_by_test_id("prerequisites").locator("summary").click()
    page.get_by_test_id("prerequisites").get_by_role("textbox").fill(
        "市重点项目，协调会同意先行受理"
    )
    page.get_by_test_id("override-XK-JSJ-003").click()
    expect(page.get_by_test_id("prerequisites")).to_contain_text("市重点项目")
    expect(page.get_by_test_id("prerequisites-missing")).to_have_count(0)
    shot("project-prerequisite-overridden")


def sign_in(page, live_server, username):
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
