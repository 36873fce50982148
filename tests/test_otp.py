"""The second factor of privileged accounts (docs/access.md, rule 0; twofactor/).

Administrators, center managers, superusers and staff of the admin site sign in with a password,
then a code of their authenticator app or a one-time recovery code; nothing else answers them in
between. The codes are computed here as the app would, with django-otp's `totp` from the
device's key, at times set with time_machine (a code is accepted once per 30-second step).
"""

from __future__ import annotations

import datetime as dt
import re
from base64 import b32decode

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor import services
from twofactor.middleware import OPEN_URL_NAMES
from twofactor.models import SecondFactor
from windows.models import Staff
from windows.roles import Role

from .conftest import PASSWORD, aware, seen
from .test_access import PATTERNS, ROWS, admin_target, admin_url, row_for, sample_kwargs
from .test_access import private_media as private_media
from .test_access import samples as samples

T0 = aware(2026, 9, 28, 9)


def later(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED = True


def code_of(device: TOTPDevice) -> str:
    """The code the authenticator app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def enrol(staff: Staff) -> tuple[TOTPDevice, list[str]]:
    """Enrol `staff` through the service at T0: their authenticator and recovery codes."""
    with time_machine.travel(T0, tick=False):
        pending = services.pending_authenticator(staff)
        device, codes = services.second_factor_enrol(staff=staff, code=code_of(pending), now=T0)
    return device, codes


def sign_in(staff: Staff, *, language: str = "en") -> Client:
    """A browser that has signed in with the password, through the sign-in page."""
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(reverse("login"), {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def verify(client: Client, code: str, next: str = "/"):
    return client.post(reverse("twofactor:verify"), {"code": code, "next": next})


def step_of(response) -> str:
    """Which step a redirect asks for: 'enrol', 'verify' or the path it goes to."""
    assert response.status_code == 302, response.status_code
    path = response["Location"].split("?")[0]
    return {reverse("twofactor:enrol"): "enrol", reverse("twofactor:verify"): "verify"}.get(
        path, path
    )


# --- who is asked ------------------------------------------------------------------------------


def test_administrators_managers_superusers_and_admin_staff_are_asked_and_nobody_else(center):
    asked = {s.username for s in Staff.objects.all() if services.needs_second_factor(s)}
    assert asked == {"root", "erin"}
    # A superuser without a role, and someone of another role let into the admin site.
    boss = Staff.objects.create_user("boss", password=PASSWORD, is_superuser=True)
    center.dave.is_staff = True
    center.dave.save(update_fields=["is_staff"])
    manager = Staff.objects.create_user("plain_manager", password=PASSWORD)
    manager.groups.add(Group.objects.get(name=Role.CENTER_MANAGER))
    fresh = {s.username: s for s in Staff.objects.all()}
    asked = {name for name, s in fresh.items() if services.needs_second_factor(s)}
    assert asked == {"root", "erin", "boss", "dave", "plain_manager"}
    # The query of the administrators' page names the same people.
    assert set(services.privileged_staff().values_list("username", flat=True)) == asked
    assert boss.pk and manager.pk


def test_the_setting_is_off_in_the_tests_and_development(settings):
    assert settings.OTP_REQUIRED is False


# --- the pages a half-signed-in person reaches -------------------------------------------------


def _every_url(samples) -> list[tuple[str, str]]:
    """(URL name or route, URL) of every pattern of the resolver, with the samples of the access
    table."""
    urls = []
    for pattern in PATTERNS:
        row = row_for(pattern, ROWS)
        if row.key.startswith("admin") or pattern.route.startswith("admin"):
            urls.append((pattern.key, admin_url(pattern, admin_target(pattern), row, samples)))
        else:
            urls.append((pattern.key, reverse(row.key, kwargs=sample_kwargs(row, samples))))
    return urls


def test_a_password_alone_reaches_no_page_but_the_step(center, samples, otp_on):
    """Every URL pattern, GET and POST, as a manager without an authenticator and an
    administrator with one, signed in with the password only: a redirect to the step, before
    any view runs; the open pages (sign-out, language, public pages, the step) answer."""
    enrol(center.admin)
    erin, root = sign_in(center.erin), sign_in(center.admin)
    urls = _every_url(samples)
    assert len(urls) > 150
    wrong = []
    for name, url in urls:
        if name in OPEN_URL_NAMES:
            continue
        for client, step in ((erin, "enrol"), (root, "verify")):
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code != 302 or step_of(response) != step:
                    wrong.append(f"{method.upper()} {url} ({name}): {response.status_code}")
    assert wrong == []
    # The open pages that need no login answer as they would to anyone.
    assert root.get(reverse("applications:track")).status_code == 200
    assert root.get(reverse("healthz")).status_code in (200, 503)
    # The redirect keeps where the person was going.
    response = root.get("/admin/windows/staff/?q=bob")
    assert (
        response["Location"]
        == "/second-factor/verify/?next=%2Fadmin%2Fwindows%2Fstaff%2F%3Fq%3Dbob"
    )


def test_a_half_signed_in_post_to_the_admin_changes_nothing(center, otp_on):
    enrol(center.admin)
    root = sign_in(center.admin)
    administrators = Group.objects.get(name=Role.ADMINISTRATOR)
    before = Staff.history.filter(id=center.alice.pk).count()
    data = {
        "username": "alice",
        "full_name": "Alice",
        "groups": [administrators.pk],
        "is_active": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
    }
    response = root.post(reverse("admin:windows_staff_change", args=[center.alice.pk]), data)
    assert step_of(response) == "verify"
    center.alice.refresh_from_db()
    assert not center.alice.is_superuser
    assert not center.alice.groups.filter(pk=administrators.pk).exists()
    assert Staff.history.filter(id=center.alice.pk).count() == before
    # Nor on the center's own pages: an urge notice is not issued.
    response = sign_in(center.erin).post(reverse("supervision:urges"), {"text": "快"})
    assert step_of(response) == "enrol"


def test_a_page_refreshing_itself_is_told_to_reload(center, otp_on):
    erin = sign_in(center.erin)
    response = erin.get(reverse("supervision:live"), HTTP_X_AUTO_REFRESH="1")
    assert response.status_code == 401


def test_the_menu_is_hidden_until_the_step_is_passed(center, otp_on):
    page = sign_in(center.erin).get(reverse("twofactor:enrol")).content.decode()
    assert 'class="mainnav"' not in page
    assert "Sign out" in page


# --- enrolment ---------------------------------------------------------------------------------


def test_enrolment_through_the_pages(center, otp_on):
    erin = sign_in(center.erin)
    with time_machine.travel(T0, tick=False):
        response = erin.get("/supervision/")
        assert response["Location"] == "/second-factor/enrol/?next=%2Fsupervision%2F"
        page = erin.get(response["Location"]).content.decode()
        # The QR code is drawn here (an SVG data address), and the key is there as text.
        assert re.search(r'<img src="data:image/svg\+xml', page)
        assert "otpauth" not in page.split("data:image/svg", 1)[0]
        secret = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', page).group(1)
        key = b32decode(secret.replace(" ", ""))
        pending = TOTPDevice.objects.get(user=center.erin)
        assert key == pending.bin_key and not pending.confirmed
        # A reload shows the same key (the app has scanned it already).
        assert secret in erin.get("/second-factor/enrol/").content.decode()
        # A wrong code: said, nothing confirmed.
        wrong = f"{(int(code_of(pending)) + 1) % 1_000_000:06d}"
        response = erin.post("/second-factor/enrol/", {"code": wrong, "next": "/supervision/"})
        assert "That code is not right." in response.content.decode()
        assert not TOTPDevice.objects.filter(user=center.erin, confirmed=True).exists()
    with time_machine.travel(later(5), tick=False):
        code = f"{totp(key):06d}"
        response = erin.post("/second-factor/enrol/", {"code": code, "next": "/supervision/"})
    assert response.status_code == 200
    page = response.content.decode()
    codes = re.findall(r"<li>(\w{4}-\w{4})</li>", page)
    assert len(codes) == services.RECOVERY_CODES == 10
    assert 'href="/supervision/"' in page  # continue where the person was going
    assert StaticToken.objects.filter(device__user=center.erin).count() == 10
    # Signed in: the session keeps working, page after page, the admin included.
    with time_machine.travel(later(10), tick=False):
        for path in ("/supervision/", "/supervision/live/", "/admin/", "/second-factor/", "/"):
            assert erin.get(path).status_code in (200, 302), path
        assert erin.get("/").url == "/supervision/"
        assert erin.get("/admin/windows/staff/").status_code == 200
    # Recorded with who and when; the audit trail finds it by the person's name.
    record = SecondFactor.objects.get(staff=center.erin)
    assert record.enrolled_at == later(5) and record.codes_issued_at == later(5)
    last = SecondFactor.history.filter(staff_id=center.erin.pk).latest("history_id")
    assert (last.history_user, last.history_date) == (center.erin, later(5))


def test_the_enrolment_is_refused_to_someone_who_has_an_authenticator(center, otp_on):
    """A stolen password must not let its holder add an authenticator of their own."""
    enrol(center.erin)
    erin = sign_in(center.erin)
    with time_machine.travel(later(60), tick=False):
        response = erin.get("/second-factor/enrol/")
        assert response["Location"] == "/second-factor/"  # and from there to the step
        assert step_of(erin.get("/second-factor/")) == "verify"
        # Posting a code of a key the attacker would have made: refused, nothing added.
        response = erin.post("/second-factor/enrol/", {"code": "123456"})
        assert response.status_code == 302
    assert TOTPDevice.objects.filter(user=center.erin).count() == 1
    with pytest.raises(services.SecondFactorError):
        services.second_factor_enrol(staff=center.erin, code="123456", now=T0)


def test_someone_not_asked_has_no_enrolment(client, center, otp_on):
    client.force_login(center.alice)
    assert client.get("/second-factor/enrol/").status_code == 403
    assert not TOTPDevice.objects.filter(user=center.alice).exists()


# --- verification ------------------------------------------------------------------------------


def test_a_code_of_the_app_passes_and_the_session_keeps_working(center, otp_on):
    device, _codes = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        erin = sign_in(center.erin)
        response = erin.get("/supervision/")
        assert step_of(response) == "verify"
        key_before = erin.session.session_key
        response = verify(erin, code_of(device), next="/supervision/")
        assert response["Location"] == "/supervision/"
        assert erin.session.session_key != key_before  # a new session key after the step
        assert erin.get("/supervision/").status_code == 200
        assert erin.get("/admin/").status_code == 200
        assert erin.get("/supervision/meetings/").status_code == 200
    with time_machine.travel(later(600), tick=False):
        assert erin.get("/supervision/").status_code == 200  # ten minutes on, still in
    device.refresh_from_db()
    assert device.last_used_at == later(60)


def test_a_code_of_the_app_is_accepted_once(center, otp_on):
    device, _codes = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        code = code_of(device)
        assert verify(sign_in(center.erin), code)["Location"] == "/"
        # Seen over a shoulder and typed in another browser within the same 30 seconds.
        response = verify(sign_in(center.erin), code)
    assert response.status_code == 200
    assert "That code is not right." in response.content.decode()


def test_a_recovery_code_passes_once_only(center, otp_on):
    _device, codes = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        first = sign_in(center.erin)
        response = verify(first, codes[0].upper()[:4] + "-" + codes[0][4:], next="/supervision/")
        assert response["Location"] == "/supervision/"
        page = first.get("/supervision/").content.decode()
        assert "You signed in with a recovery code: 9 are left." in page
        # The same code again, in another browser: refused.
        again = verify(sign_in(center.erin), codes[0])
        assert again.status_code == 200 and "That code is not right." in again.content.decode()
    assert services.recovery_codes_left(center.erin) == 9
    assert not StaticToken.objects.filter(token=codes[0]).exists()


def test_wrong_codes_are_refused_and_wait_longer_each_time(center, otp_on):
    device, _codes = enrol(center.erin)
    erin = sign_in(center.erin, language="zh-hans")
    with time_machine.travel(later(60), tick=False):
        response = verify(erin, "000000" if code_of(device) != "000000" else "111111")
        assert "验证码不正确" in response.content.decode()
        # At once the right code: the wait is on, and says so in the person's language.
        response = verify(erin, code_of(device))
        assert response.status_code == 200
        assert "错误次数过多" in response.content.decode()
    # Ten wrong codes in a row, each after its wait: the tenth leaves a wait of 512 seconds.
    moment = later(60)
    for failures in range(1, 10):
        moment += dt.timedelta(seconds=2 ** (failures - 1))
        with time_machine.travel(moment, tick=False):
            assert (
                "不正确"
                in verify(
                    erin, "999999" if code_of(device) != "999999" else "888888"
                ).content.decode()
            )
    device.refresh_from_db()
    assert device.throttling_failure_count == 10
    with time_machine.travel(moment + dt.timedelta(seconds=500), tick=False):
        response = verify(erin, code_of(device))
        assert "错误次数过多" in response.content.decode() and "秒" in response.content.decode()
        assert step_of(erin.get("/supervision/")) == "verify"
    with time_machine.travel(moment + dt.timedelta(seconds=520), tick=False):
        assert verify(erin, code_of(device))["Location"] == "/"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_another_persons_codes_are_refused(center, otp_on):
    root_device, root_codes = enrol(center.admin)
    erin_device, _codes = enrol(center.erin)
    erin = sign_in(center.erin)
    with time_machine.travel(later(60), tick=False):
        if code_of(root_device) != code_of(erin_device):
            assert verify(erin, code_of(root_device)).status_code == 200
        assert verify(erin, root_codes[0]).status_code == 200
        assert step_of(erin.get("/supervision/")) == "verify"
        # Root's code was not used up by the attempt: root still signs in with it.
        assert verify(sign_in(center.admin), code_of(root_device))["Location"] == "/"
    assert services.recovery_codes_left(center.admin) == 10


def test_a_session_naming_a_device_is_not_trusted_unless_it_is_the_persons_own(center, otp_on):
    root_device, _codes = enrol(center.admin)
    erin = sign_in(center.erin)
    # The session's device set by hand: another person's, then an authenticator not confirmed.
    session = erin.session
    session[DEVICE_ID_SESSION_KEY] = root_device.persistent_id
    session.save()
    assert step_of(erin.get("/supervision/")) == "enrol"
    pending = services.pending_authenticator(center.erin)
    session = erin.session
    session[DEVICE_ID_SESSION_KEY] = pending.persistent_id
    session.save()
    assert step_of(erin.get("/supervision/")) == "enrol"
    assert step_of(erin.get("/admin/")) == "enrol"


def test_the_page_to_go_back_to_stays_on_this_site(center, otp_on):
    device, _codes = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        response = verify(sign_in(center.erin), code_of(device), next="https://evil.example/")
    assert response["Location"] == "/"


def test_someone_not_asked_is_not_asked(center, otp_on):
    alice = sign_in(center.alice)
    assert alice.get("/").url == "/reviews/"
    page = alice.get("/reviews/")
    assert page.status_code == 200
    assert 'data-testid="second-factor' not in page.content.decode()
    assert alice.get("/second-factor/verify/").status_code == 403


def test_with_the_setting_off_everyone_lands_at_home_and_the_header_says_so(center):
    erin = sign_in(center.erin)
    assert erin.get("/").url == "/supervision/"
    page = erin.get("/supervision/").content.decode()
    assert 'data-testid="second-factor-off"' in page
    assert "Second factor is off in this installation" in page
    root = sign_in(center.admin, language="zh-hans")
    assert root.get("/").url == "/administration/"
    assert "本系统未启用双因素认证" in root.get("/administration/").content.decode()
    assert root.get("/admin/").status_code == 200
    # Those not asked see nothing of it.
    assert "second-factor" not in sign_in(center.alice).get("/reviews/").content.decode()


def test_with_the_setting_on_the_header_has_no_notice(center, otp_on):
    device, _codes = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        erin = sign_in(center.erin)
        verify(erin, code_of(device))
        page = erin.get("/supervision/").content.decode()
    assert 'data-testid="second-factor-off"' not in page
    assert 'data-testid="second-factor"' in page


# --- recovery codes and the reset --------------------------------------------------------------


def test_new_recovery_codes_need_the_current_code_of_the_app(center, otp_on):
    device, old = enrol(center.erin)
    with time_machine.travel(later(60), tick=False):
        erin = sign_in(center.erin)
        verify(erin, old[0])
        # A recovery code does not make new ones, nor does a wrong code of the app.
        response = erin.post("/second-factor/recovery-codes/", {"code": old[1]})
        assert "Enter the six digits your authenticator app shows now." in response.content.decode()
        assert StaticToken.objects.filter(token=old[1]).exists()
    with time_machine.travel(later(120), tick=False):
        wrong = f"{(int(code_of(device)) + 1) % 1_000_000:06d}"
        response = erin.post("/second-factor/recovery-codes/", {"code": wrong})
        assert "That code is not right." in response.content.decode()
    with time_machine.travel(later(180), tick=False):
        response = erin.post("/second-factor/recovery-codes/", {"code": code_of(device)})
    new = re.findall(r"<li>(\w{4})-(\w{4})</li>", response.content.decode())
    assert len(new) == 10
    assert services.recovery_codes_left(center.erin) == 10
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert SecondFactor.objects.get(staff=center.erin).codes_issued_at == later(180)
    with time_machine.travel(later(240), tick=False):
        assert verify(sign_in(center.erin), old[2]).status_code == 200  # old: refused
    with time_machine.travel(later(245), tick=False):  # after the second's wait
        assert verify(sign_in(center.erin), "".join(new[0]))["Location"] == "/"


def test_an_administrator_resets_a_second_factor_and_the_audit_says_who(center, otp_on):
    erin_device, _codes = enrol(center.erin)
    root_device, _root_codes = enrol(center.admin)
    with time_machine.travel(later(60), tick=False):
        erin = sign_in(center.erin)
        verify(erin, code_of(erin_device))
        root = sign_in(center.admin)
        verify(root, code_of(root_device))
        page = root.get("/second-factor/staff/").content.decode()
        assert "erin" in page and f"/second-factor/staff/{center.erin.pk}/reset/" in page
        response = root.post(
            f"/second-factor/staff/{center.erin.pk}/reset/", {"reason": "手机丢失"}, follow=True
        )
        assert "is reset" in response.content.decode()
        # Her session, verified with the device now gone, is sent to enrol again.
        assert step_of(erin.get("/supervision/")) == "enrol"
    assert not TOTPDevice.objects.filter(user=center.erin).exists()
    assert not StaticDevice.objects.filter(user=center.erin).exists()
    record = SecondFactor.objects.get(staff=center.erin)
    assert (record.reset_by, record.reset_at, record.reset_reason) == (
        center.admin,
        later(60),
        "手机丢失",
    )
    assert record.enrolled_at is None
    last = SecondFactor.history.filter(staff_id=center.erin.pk).latest("history_id")
    assert (last.history_user, last.history_date) == (center.admin, later(60))
    # "Who reset her second factor, and when": one search by her name.
    with time_machine.travel(later(90), tick=False):
        trail = root.get(reverse("audit:trail"), {"person": "erin"}).content.decode()
    rows = trail[trail.index('data-testid="audit"') : trail.index("</table>")]
    assert "Second factor" in rows and "28 Sep 2026 09:01" in rows
    assert "Last reset by:" in rows and "<ins>Root</ins>" in rows
    assert "手机丢失" in seen(rows) and "<ins>" in rows


def test_a_reset_is_refused_without_a_reason_for_oneself_and_to_managers(center, otp_on):
    enrol(center.erin)
    root_device, _codes = enrol(center.admin)
    with time_machine.travel(later(60), tick=False):
        root = sign_in(center.admin)
        verify(root, code_of(root_device))
        url = f"/second-factor/staff/{center.erin.pk}/reset/"
        page = root.post(url, {"reason": "  "}, follow=True).content.decode()
        assert "Say why the second factor is reset." in page
        own = root.post(
            f"/second-factor/staff/{center.admin.pk}/reset/", {"reason": "x"}, follow=True
        )
        assert "Nobody resets their own second factor" in own.content.decode()
        nobody = root.post(
            f"/second-factor/staff/{center.alice.pk}/reset/", {"reason": "x"}, follow=True
        )
        assert "Alice has no second factor to reset." in nobody.content.decode()
    assert TOTPDevice.objects.filter(user=center.erin, confirmed=True).exists()
    assert TOTPDevice.objects.filter(user=center.admin, confirmed=True).exists()
    assert not SecondFactor.objects.filter(reset_at__isnull=False).exists()
    # A manager, past the step, is not an administrator: 403, nothing reset.
    client = Client()
    client.force_login(center.erin)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=center.erin).persistent_id
    session.save()
    assert client.get("/supervision/").status_code == 200
    assert (
        client.post(f"/second-factor/staff/{center.admin.pk}/reset/", {"reason": "x"}).status_code
        == 403
    )
    assert client.get("/second-factor/staff/").status_code == 403
    assert TOTPDevice.objects.filter(user=center.admin, confirmed=True).exists()


def test_the_operator_resets_from_the_command_line(center):
    enrol(center.admin)
    call_command("reset_second_factor", "root", reason="唯一管理员手机丢失")
    assert not TOTPDevice.objects.filter(user=center.admin).exists()
    record = SecondFactor.objects.get(staff=center.admin)
    assert record.reset_by is None and record.reset_reason == "唯一管理员手机丢失"
    last = SecondFactor.history.filter(staff_id=center.admin.pk).latest("history_id")
    assert last.history_user is None


def test_the_administrators_page_lists_everyone_asked_in_a_few_queries(
    client, center, django_assert_max_num_queries
):
    enrol(center.erin)
    for i in range(5):
        manager = Staff.objects.create_user(f"m{i}", password=PASSWORD)
        manager.groups.add(Group.objects.get(name=Role.CENTER_MANAGER))
        enrol(manager)
    client.force_login(center.admin)
    with django_assert_max_num_queries(20):
        page = client.get("/second-factor/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert all(f"m{i}" in page for i in range(5))
    assert page.count('<span class="tag ok">set up</span>') == 6  # root has none
