import pytest
from django.core.management import CommandError, call_command

from windows import authority
from windows.models import (
    AuthorizationLetter,
    CalendarYear,
    Department,
    Item,
    Material,
    Post,
    Seal,
    Staff,
    StationedDeputy,
    Window,
)
from windows.roles import Role

from .conftest import aware


@pytest.fixture
def demo(seeded_demo):
    return seeded_demo  # seeded once per run (tests/demo_once.py)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Department,
            Window,
            Item,
            Material,
            Staff,
            StationedDeputy,
            AuthorizationLetter,
            Post,
            Seal,
        )
    }


def test_it_builds_the_center_of_the_source(demo, capsys):
    # One seed (a few seconds) checked from every side.
    check_every_role_has_people(demo)
    check_five_deputies_sign_for_their_departments_and_letters_cover_the_rest(demo)
    check_the_catalog_is_consistent(demo)
    check_every_window_has_a_seal_image_and_ab_posts(demo)
    check_it_loads_this_years_calendar_and_says_next_year_is_missing(demo)
    check_demo_logins_prints_one_login_per_role(demo, capsys)
    check_applications_in_every_state()
    check_extensions_asked_and_decided()
    check_it_is_idempotent(capsys)
    check_conduct_rules_a_complaint_and_todays_patrol()
    assert Department.objects.count() == 25
    assert Window.objects.count() == 43
    assert Window.objects.filter(kind="comprehensive").get().number == "A01"
    assert Item.objects.approvals().count() == 136
    assert Item.objects.services().count() == 41
    assert Staff.objects.count() == 146
    assert "25 departments, 43 windows, 136 approval and 41 service items, 146 staff" in demo


def check_applications_in_every_state():
    from applications.models import Application, DepartmentReview

    assert set(Application.objects.values_list("state", flat=True)) == set(Application.State)
    reviews = DepartmentReview.objects.open()
    assert reviews.filter(deadline__lt=aware(2026, 11, 26).date()).exists()  # some late
    assert reviews.filter(state="suspended").exists()  # some stopped
    assert DepartmentReview.objects.filter(state="countersign").exists()
    check_drafts_await_the_demo_signers()
    check_delivered_applications_are_rated()


def check_drafts_await_the_demo_signers():
    from django.utils import timezone

    from applications.models import DepartmentReview

    waiting = DepartmentReview.objects.filter(state="signature")
    assert waiting.filter(signing_steps__kind="sent").count() == waiting.count() > 0
    for login in ("head_a14", "deputy_fgj"):  # the README's demo logins that sign
        signable = authority.signable_items(Staff.objects.get(username=login), at=timezone.now())
        assert waiting.filter(item__in=signable.values("id")).exists(), login


def check_delivered_applications_are_rated():
    from applications.models import Application, FollowUp, Rating

    delivered = Application.objects.filter(state="delivered")
    assert 0 < Rating.objects.count() < delivered.count()  # some left for the status page
    assert not Rating.objects.exclude(application__state="delivered").exists()
    assert FollowUp.objects.filter(state="open").count() == 1
    assert FollowUp.objects.filter(state="closed").exclude(note="").count() == 1


def check_every_role_has_people(demo):
    for role in Role:
        assert Staff.objects.filter(groups__name=role.value).exists(), role


def check_five_deputies_sign_for_their_departments_and_letters_cover_the_rest(demo):
    now = aware(2026, 11, 26, 9)
    deputies = StationedDeputy.objects.active(now.date())
    assert deputies.count() == 5
    deputy_departments = {d.department_id for d in deputies}
    others = Window.objects.filter(kind="department").exclude(department_id__in=deputy_departments)
    for window in others:
        assert AuthorizationLetter.objects.active(now).filter(window_head__window=window).exists()
    # Every item of the catalog can be signed by someone today, and nothing drifts.
    signers = {item_id for _staff, item_id in authority.current_grants()}
    assert signers == set(Item.objects.values_list("id", flat=True))
    assert not authority.authority_drift(now)


def check_the_catalog_is_consistent(demo):
    for item in Item.objects.select_related("window"):
        assert item.promised_days <= item.statutory_days
        assert item.window.department_id == item.department_id
        assert item.requirements.exists()
    assert Item.objects.filter(fixed_asset_parallel=True).count() >= 20
    countersign = Item.objects.filter(needs_countersign=True)
    assert countersign.exists()
    assert set(countersign.values_list("department__code", flat=True)) <= {
        "fgj",
        "gtj",
        "jsj",
        "hbj",
        "lyj",
    }


def check_every_window_has_a_seal_image_and_ab_posts(demo):
    for window in Window.objects.all():
        assert window.seal.image.read(8) == b"\x89PNG\r\n\x1a\n"
        assert window.posts.exists(), window
    # The center's own seal, held by no window, stamps urge notices and joint extensions.
    center = Seal.objects.of_center()
    assert center.window is None and center.image.read(8) == b"\x89PNG\r\n\x1a\n"
    assert Seal.objects.of_intake().window.number == "A01"


def check_it_loads_this_years_calendar_and_says_next_year_is_missing(demo):
    assert CalendarYear.objects.filter(year=2026).exists()
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert "no published holidays for 2027" in demo


def check_it_is_idempotent(capsys):
    before = counts()
    history_before = Item.history.count()
    call_command("seed_demo")
    assert counts() == before
    assert Item.history.count() == history_before  # nothing changed, so no history written
    call_command("seed_demo", "--if-empty")
    assert "already holds a center" in capsys.readouterr().out


def test_it_refuses_a_production_configuration(db, settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not Department.objects.exists()


def check_demo_logins_prints_one_login_per_role(demo, capsys):
    call_command("demo_logins")
    out = capsys.readouterr().out
    for role in Role:
        assert role.value in out
    assert "center2026" in out


def check_extensions_asked_and_decided() -> None:
    from applications.models import ExtensionRequest

    reviews = ExtensionRequest.objects.of_reviews()
    assert reviews.filter(state="approved").count() >= 5
    assert reviews.filter(state="refused").exists()
    assert reviews.filter(state="pending").count() == 2
    for extension in reviews.filter(state="approved").select_related("clock_event"):
        assert extension.decided_by_id != extension.requested_by_id
        assert extension.clock_event.approved_by_id == extension.decided_by_id
    joint = ExtensionRequest.objects.joint()
    assert joint.get(state="approved").decided_by.username == "gov_head"
    assert joint.filter(state="pending").count() == 1


def check_conduct_rules_a_complaint_and_todays_patrol():
    from conduct.models import Complaint, Patrol, Rule

    assert Rule.objects.filter(is_active=True).count() == 6
    complaint = Complaint.objects.get()  # once, though seeded twice
    assert complaint.assignee is not None and complaint.replied_at is None
    assert Patrol.objects.count() == 1
