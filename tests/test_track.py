"""The public status page: the slip's QR code opens it, a wrong number and a wrong code look the
same, lookups are rate-limited per address and logged without the code, and nothing of the
staff or of other applicants shows."""

import re
import statistics
import time
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import public_views, services, track
from applications.models import Applicant, Application, ApplicationMaterial, Document

from .conftest import NOW, aware, extend, receive_all, seen

TRACK = reverse("applications:track")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
SAVEPOINT = re.compile(r'SAVEPOINT "?\w+"?')
COUNTER = re.compile(r"\"value\" = '[^']*'")


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(aware(2026, 9, 29, 10), tick=False)


def lookup(client, number, code, **headers):
    return client.post(TRACK, {"number": number, "code": code}, **headers)


def page_of(response) -> str:
    # Every form carries its own CSRF token; the rest of the page is what is compared.
    return CSRF.sub("", response.content.decode())


def test_the_slip_qr_code_opens_the_status_page(client, accepted, clock):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    url = slip.content["track_url"]
    assert url.startswith("http://127.0.0.1:8000/track/?number=2026000001&code=")
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    # The code leaves the address bar: the session remembers the application.
    assert response.status_code == 302 and response["Location"] == TRACK
    page = client.get(TRACK).content.decode()
    assert "2026000001" in page
    assert "建筑工程施工许可证核发" in page and "企业投资项目核准" in page
    assert "临安市建设局" in page and "A05" in page
    assert "2026年10月16日" in page  # the promised date
    assert accepted.access_code not in page


def test_no_login_is_needed_and_nothing_is_cached_or_indexed(client, accepted, clock):
    response = client.get(TRACK)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
    assert "查询码" in response.content.decode()


def test_an_unknown_number_and_a_wrong_code_get_the_same_answer(client, accepted, clock):
    wrong_code = "ABCDEFGH" if accepted.access_code != "ABCDEFGH" else "HGFEDCBA"
    compared = []
    real_compare = track.hmac.compare_digest

    def spy(a, b):
        compared.append((len(a), len(b)))
        return real_compare(a, b)

    lookup(client, "2026123456", wrong_code)  # this address's attempt counter now exists
    answers = []
    with mock.patch.object(track.hmac, "compare_digest", side_effect=spy):
        for number, code in (("2026000001", wrong_code), ("2026999999", wrong_code)):
            with CaptureQueriesContext(connection) as queries:
                response = lookup(client, number, code)
            # The same statements but for the number and the attempt counter's value.
            statements = [
                SAVEPOINT.sub("SAVEPOINT", COUNTER.sub("", q["sql"].replace(number, "N")))
                for q in queries.captured_queries
            ]
            answers.append((response.status_code, page_of(response), statements))
    (status_a, page_a, queries_a), (status_b, page_b, queries_b) = answers
    assert status_a == status_b == 200
    assert "没有与该受理编号和查询码相符的申请" in page_a
    # The same page but for the number typed in the form, the same work, one comparison each.
    assert page_a.replace("2026000001", "N") == page_b.replace("2026999999", "N")
    assert queries_a == queries_b
    assert compared == [(8, 8), (8, 8)]
    assert public_views.SESSION_KEY not in client.session


def test_an_unknown_number_takes_as_long_as_a_wrong_code(accepted):
    wrong_code = "ABCDEFGH" if accepted.access_code != "ABCDEFGH" else "HGFEDCBA"
    unknown, wrong = [], []
    for _ in range(200):  # interleaved, so the machine's load falls on both alike
        start = time.perf_counter()
        assert track.find("2026999999", accepted.access_code) is None
        unknown.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert track.find("2026000001", wrong_code) is None
        wrong.append(time.perf_counter() - start)
    a, b = statistics.median(unknown), statistics.median(wrong)
    assert abs(a - b) < max(0.0005, 0.5 * min(a, b)), (a, b)
    assert track.find("2026000001", accepted.access_code) == accepted


def test_a_code_is_read_as_people_type_it(client, accepted, clock):
    code = accepted.access_code
    typed = f" {code[:4].lower()}-{code[4:]} "
    assert lookup(client, " 2026 000001 ", typed).status_code == 302


def test_a_malformed_number_or_code_is_told_next_to_the_field(client, accepted, clock):
    response = lookup(client, "12345", "abc", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "The receipt number is the 10 digits printed on your slip." in page
    assert "The access code is the 8 letters and digits printed next to the QR code." in page
    assert public_views.SESSION_KEY not in client.session


def test_lookups_are_limited_per_address_with_a_clear_message(
    client, accepted, settings, time_machine
):
    time_machine.move_to(aware(2026, 9, 29, 10), tick=False)
    settings.TRACK_RATE_LIMIT = 3
    for _ in range(3):
        assert lookup(client, "2026999999", "ABCDEFGH").status_code == 200
    # Over the limit even the right code is refused, in the reader's language.
    response = lookup(client, accepted.receipt_number, accepted.access_code)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= settings.TRACK_RATE_WINDOW_SECONDS
    assert "来自您所在网络的查询次数过多" in response.content.decode()
    english = lookup(
        client, accepted.receipt_number, accepted.access_code, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert english.status_code == 429
    assert "Too many lookups have come from your network" in english.content.decode()
    assert public_views.SESSION_KEY not in client.session
    # Another address is not affected; this one may look up again once the window has passed.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert lookup(other, accepted.receipt_number, accepted.access_code).status_code == 302
    time_machine.move_to(aware(2026, 9, 29, 11), tick=False)
    assert lookup(client, accepted.receipt_number, accepted.access_code).status_code == 302


def test_behind_a_proxy_the_forwarded_address_is_counted(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get(TRACK, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert track.client_address(request) == "203.0.113.9"
    settings.TRUSTED_PROXY_COUNT = 0
    assert track.client_address(request) == "10.0.0.1"
    # One IPv6 customer holds a whole /64: it is one address for the limit.
    assert track._bucket("2001:db8:1:2::5") == track._bucket("2001:db8:1:2:ffff::1")


def test_the_page_stays_open_when_the_cache_is_down(client, accepted, clock, caplog):
    with mock.patch.object(track.cache, "add", side_effect=ConnectionError("cache down")):
        response = lookup(client, accepted.receipt_number, accepted.access_code)
    assert response.status_code == 302
    assert "rate-limit cache is not answering" in caplog.text


def test_attempts_are_logged_without_the_code(client, accepted, clock, caplog):
    with caplog.at_level("INFO", logger="applications.track"):
        lookup(client, "2026999999", "ABCDEFGH")
        lookup(client, accepted.receipt_number, accepted.access_code)
        client.get(f"{TRACK}?number={accepted.receipt_number}&code={accepted.access_code}")
    lines = [r.getMessage() for r in caplog.records if r.name == "applications.track"]
    assert len(lines) == 3
    assert "no match" in lines[0] and "found" in lines[1]
    assert all("127.0.0.1" in line and "2026" in line for line in lines)
    assert not any("ABCDEFGH" in line or accepted.access_code in line for line in lines)


def test_the_page_shows_progress_but_nothing_of_the_staff(client, accepted, center, clock):
    # Names nobody could mistake for anything else on the page.
    names = {}
    for n, person in enumerate([center.alice, center.bob, center.carol, center.dave, center.frank]):
        person.full_name = f"职员{'甲乙丙丁戊'[n]}某"
        person.save(update_fields=["full_name"])
        names[person.username] = person.full_name
    line = accepted.materials.first()
    line.note = "内部备注：原件在档案室"
    line.save(update_fields=["note"])
    permit = accepted.reviews.get(item=center.permit)
    services.review_claim(review=permit, by=center.alice, now=NOW)
    extend(
        permit,
        by=center.alice,
        approved_by=center.bob,
        now=aware(2026, 9, 29, 9),
        days=3,
        reason="需现场核查施工条件",
    )
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 9, 29, 10),
        cause="supplements",
        days_needed=10,
        reason="请补充施工合同原件",
    )
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(
        review=planning, by=center.carol, now=NOW, outcome="granted", reasons="内部意见：同意"
    )
    services.review_countersign(review=planning, by=center.frank, now=NOW)
    lookup(client, accepted.receipt_number, accepted.access_code)
    page = client.get(TRACK).content.decode()

    # What the applicant needs: stops and extensions with reasons, what to do next.
    assert "需现场核查施工条件" in page and "请补充施工合同原件" in page
    assert "补正材料" in page and "综合窗口（A01）" in page
    planning.refresh_from_db()
    assert "准予许可" in page and planning.decision_number in page
    # Nothing of the staff: no names, logins, letters, postings, seals or internal notes.
    for username, full_name in names.items():
        assert full_name not in page
        assert f">{username}<" not in page
    for secret in (
        center.letter.number,
        center.posting.appointment_ref,
        "内部备注",
        "内部意见",
        "行政审批专用章",
        center.construction.leader_name,
    ):
        assert secret not in page


def test_a_session_sees_only_the_application_it_looked_up(client, accepted, center, clock):
    other_applicant = Applicant.objects.create(
        kind="person",
        name="另一位申请人",
        id_number="11010519491231002X",
        contact_name="另一位申请人",
        mobile="13900000000",
    )
    other = services.application_create(
        applicant=other_applicant,
        project=None,
        items=[center.design_review],
        by=center.dave,
        now=NOW,
    )
    receive_all(other, center.dave)
    other = services.application_accept(application=other, by=center.dave, now=NOW)
    lookup(client, accepted.receipt_number, accepted.access_code)
    page = client.get(TRACK).content.decode()
    assert "临安青山建设有限公司" in page
    assert "另一位申请人" not in page and other.receipt_number not in page
    # Looking up the other one replaces it; closing it on this device forgets it.
    lookup(client, other.receipt_number, other.access_code)
    page = client.get(TRACK).content.decode()
    assert "另一位申请人" in page and "临安青山建设有限公司" not in page
    client.post(reverse("applications:track_forget"))
    assert "另一位申请人" not in client.get(TRACK).content.decode()


def test_materials_promised_under_gaps_show_as_the_applicants_to_do(
    client, draft, center, seals, clock
):
    from windows import authority

    authority.sync_signing_authority(at=NOW)
    receive_all(
        draft,
        center.dave,
        **{
            "环境影响评价批复文件": {
                "status": "to_follow",
                "promised_by": aware(2026, 10, 9).date(),
            }
        },
    )
    application = services.application_accept(application=draft, by=center.dave, now=NOW)
    assert application.materials.filter(status=ApplicationMaterial.Status.TO_FOLLOW).exists()
    lookup(client, application.receipt_number, application.access_code, HTTP_ACCEPT_LANGUAGE="en")
    page = client.get(TRACK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You promised to hand in “环境影响评价批复文件” by 9 Oct 2026." in seen(page)


def test_an_application_without_a_receipt_number_is_never_found(draft):
    assert draft.receipt_number is None and draft.access_code == ""
    assert track.find("", "") is None
    assert Application.objects.filter(receipt_number=None).exists()


def test_the_page_costs_the_same_queries_however_much_happened(client, accepted, center, clock):
    lookup(client, accepted.receipt_number, accepted.access_code)
    with CaptureQueriesContext(connection) as before:
        client.get(TRACK)
    permit = accepted.reviews.get(item=center.permit)
    for day in (29, 30):
        services.review_stop(
            review=permit,
            by=center.alice,
            now=aware(2026, 9, day, 9),
            cause="expert_review",
            days_needed=3,
            reason="专家论证",
        )
        services.review_resume(review=permit, by=center.alice, now=aware(2026, 9, day, 15))
    extend(permit, by=center.alice, approved_by=center.bob, now=NOW, days=2, reason="核查")
    with CaptureQueriesContext(connection) as after:
        page = client.get(TRACK).content.decode()
    assert page.count("专家论证") == 2
    assert len(after) == len(before)


def test_a_moved_due_date_is_shown_beside_the_promise(client, accepted, center, clock):
    planning = accepted.reviews.get(item=center.planning_item)
    extend(planning, by=center.mallory, approved_by=center.carol, now=NOW, days=3, reason="核查")
    accepted.refresh_from_db()
    assert accepted.due_date > accepted.promised_date
    lookup(client, accepted.receipt_number, accepted.access_code)
    page = client.get(TRACK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "16 Oct 2026" in page  # as printed on the slip
    assert "Now due by" in page and "21 Oct 2026" in page
