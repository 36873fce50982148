import pytest
from django.urls import reverse

from .conftest import PASSWORD, make_staff, seen

HOMES = {
    "alice": "/reviews/",
    "bob": "/reviews/",
    "carol": "/reviews/",
    "dave": "/intake/",
    "erin": "/supervision/",
    "frank": "/department/",
    "root": "/administration/",
}


def test_it_sends_anonymous_visitors_to_the_login_page(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("username", "home"), HOMES.items())
def test_each_role_signs_in_and_lands_on_its_home(client, center, username, home):
    response = client.post(
        reverse("login"), {"username": username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == home
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="who">{username.title()}<' in page


def test_a_wrong_password_is_refused_in_the_users_language(client, center):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()
    response = client.post(
        reverse("login"), {"username": "alice", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Please enter a correct" in response.content.decode()


def test_someone_without_a_role_is_told_so(client, db):
    client.force_login(make_staff("nobody", None))
    response = client.get("/")
    assert response.status_code == 403
    assert "没有分配角色" in response.content.decode()


def test_a_clerk_cannot_open_the_supervision_dashboard(client, center):
    client.force_login(center.dave)
    assert client.get(reverse("supervision:dashboard")).status_code == 403
    assert client.get(reverse("windows:admin_home")).status_code == 403


def test_an_officer_cannot_open_the_intake_desk(client, center):
    client.force_login(center.alice)
    assert client.get(reverse("applications:intake")).status_code == 403


def test_sign_out(client, center):
    client.force_login(center.alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/window/").status_code == 302


def test_the_window_page_shows_signing_authority_and_cover(client, center, time_machine):
    from windows import authority
    from windows.models import Absence, Post

    from .conftest import aware

    now = aware(2026, 6, 15)
    time_machine.move_to(now, tick=False)
    authority.sync_signing_authority(at=now)
    Post.objects.create(
        window=center.construction_window,
        name="受理审核岗",
        holder_a=center.alice,
        holder_b=center.bob,
    )
    Absence.objects.create(
        staff=center.alice, starts_on=now.date(), ends_on=now.date(), reason="leave"
    )
    client.force_login(center.bob)
    response = client.get("/window/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Letter of authorization 临建委〔2026〕1号" in seen(page)
    assert "You may sign decisions on 2 items now." in page
    assert "B covers" in page
    client.force_login(center.erin)
    response = client.get(reverse("supervision:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert [post.holder_b for post in response.context["covered"]] == [center.bob]


def test_the_language_switcher_changes_the_language(client, center):
    client.force_login(center.alice)
    assert "我的窗口" in client.get("/window/").content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/window/"})
    assert "My window" in client.get("/window/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/catalog/",
        "/calendar/",
        "/calendar/?year=2027",
        "/calendar/?start=2026-09-30&days=3",
        "/departments/jsj/",
        "/windows/A05/",
        "/catalog/XK-FGJ-001/",
    ],
)
def test_staff_pages_open_in_both_languages(client, center, calendar, path):
    client.force_login(center.dave)
    for language in ("zh-hans", "en"):
        assert client.get(path, HTTP_ACCEPT_LANGUAGE=language).status_code == 200


def test_the_calendar_says_a_year_has_no_data(client, center, calendar):
    client.force_login(center.dave)
    response = client.get("/calendar/?year=2027", HTTP_ACCEPT_LANGUAGE="en")
    assert "There is no holiday calendar for 2027 yet" in response.content.decode()


def test_the_calendar_refuses_bad_input_with_a_message(client, center, calendar):
    client.force_login(center.dave)
    response = client.get("/calendar/?start=2026-13-45&days=-3", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Enter a valid date." in page
    assert "Ensure this value is greater than or equal to 0." in page


def test_the_dashboard_shows_the_centers_own_figures(client, center):
    center.design_review.handled_in_center = False
    center.design_review.save(update_fields=["handled_in_center"])
    client.force_login(center.erin)
    response = client.get(reverse("supervision:dashboard"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.context["figures"] == {
        "windows": 3,
        "approvals": 3,
        "services": 0,
        "outside": 1,
        "staff": 9,  # the people of conftest.py, gwen (the government's head) among them
        "city_items": 169,
        "share": 2,
    }
    assert "1 catalog item is handled at its department's own site" in response.content.decode()
