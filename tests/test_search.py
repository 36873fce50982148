"""The staff search: one box for numbers, codes, phones and names, within what the person may
see; a number typed in full goes straight to its application."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications import search, services
from applications.models import Applicant, Application, Document

from .conftest import NOW, receive_all


@pytest.fixture
def construction_only(center, calendar, materials, seals):
    """An application with one review, at the construction window only: planning (mallory,
    frank, carol) must not find it."""
    applicant = Applicant.objects.create(
        kind="enterprise",
        name="临安绿水建材有限公司",
        id_number="91330185MA2C04100E",
        contact_name="李娜",
        mobile="13900001111",
    )
    draft = services.application_create(
        applicant=applicant, project=None, by=center.dave, now=NOW, items=[center.design_review]
    )
    receive_all(draft, center.dave)
    return services.application_accept(application=draft, by=center.dave, now=NOW)


def find(client, q, **headers):
    return client.get(reverse("applications:search"), {"q": q}, **headers)


def test_a_receipt_number_typed_in_full_opens_the_application(client, center, accepted):
    client.force_login(center.alice)
    response = find(client, accepted.receipt_number)
    assert response["Location"] == reverse("applications:detail", args=[accepted.pk])


def test_a_decision_number_opens_it_however_the_brackets_are_typed(client, center, accepted):
    review = accepted.reviews.get(item=center.permit)
    review.decision_number = "建设局许字〔2026〕第34号"
    review.save(update_fields=["decision_number"])
    client.force_login(center.bob)
    for typed in ("建设局许字〔2026〕第34号", "建设局许字[2026]34号", "建设局许字（2026）第34"):
        response = find(client, typed)
        assert response["Location"] == reverse("applications:detail", args=[accepted.pk]), typed


def test_the_slip_number_opens_it_for_the_clerk(client, center, accepted):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    client.force_login(center.dave)
    assert find(client, slip.number)["Location"] == reverse(
        "applications:detail", args=[accepted.pk]
    )


def test_codes_phones_and_names_list_what_they_name(client, center, accepted, project):
    client.force_login(center.erin)
    for q in ("914403007152", "13800000", "青山建设", "青山湖科技园", "2026-330185", "2026000"):
        response = find(client, q)
        assert response.status_code == 200, q
        assert [a.pk for a in response.context["page"]] == [accepted.pk], q


def test_full_width_digits_of_a_chinese_keyboard_are_read_as_digits(client, center, accepted):
    client.force_login(center.erin)
    typed = accepted.receipt_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert find(client, typed)["Location"] == reverse("applications:detail", args=[accepted.pk])


def test_a_department_cannot_find_another_departments_application(
    client, center, accepted, construction_only
):
    # mallory works at planning: the shared application is hers to find, the other is not.
    client.force_login(center.mallory)
    number = construction_only.receipt_number
    response = find(client, number)
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    for q in ("绿水建材", "91330185MA2C", "1390000", number[:6]):
        found = [a.pk for a in find(client, q).context["page"]]
        assert construction_only.pk not in found, q
    live = find(client, "绿水", HTTP_X_REQUESTED_WITH="fetch").content.decode()
    assert "绿水" not in live
    # By its slip's number neither; and the detail itself is a 404 to her.
    slip = construction_only.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    assert list(find(client, slip.number).context["page"]) == []
    assert (
        client.get(reverse("applications:detail", args=[construction_only.pk])).status_code == 404
    )
    # The construction window finds it.
    client.force_login(center.alice)
    assert find(client, number)["Location"] == reverse(
        "applications:detail", args=[construction_only.pk]
    )


def test_another_departments_decision_number_does_not_reveal_a_shared_application(
    client, center, accepted
):
    """Planning sees the shared application, but not construction's decision number: the
    number finds nothing for planning, as if it did not exist."""
    review = accepted.reviews.get(item=center.permit)
    review.decision_number = "建设局许字〔2026〕第7号"
    review.save(update_fields=["decision_number"])
    client.force_login(center.mallory)
    response = find(client, "建设局许字〔2026〕第7号")
    assert response.status_code == 200 and list(response.context["page"]) == []
    client.force_login(center.alice)
    assert find(client, "建设局许字〔2026〕第7号").status_code == 302


def test_the_government_head_finds_only_the_joint_extension_applications(
    client, center, accepted, construction_only
):
    services.joint_extension_request(
        application=accepted, by=center.dave, now=NOW, days=5, reason="协调"
    )
    client.force_login(center.gwen)
    assert find(client, accepted.receipt_number).status_code == 302
    assert list(find(client, construction_only.receipt_number).context["page"]) == []
    # Nor may the head open it: only the applications with a joint extension request.
    detail = reverse("applications:detail", args=[construction_only.pk])
    assert client.get(detail).status_code == 404


def test_the_clerk_also_finds_applicants_and_projects_others_do_not(
    client, center, accepted, project
):
    client.force_login(center.dave)
    page = find(client, "青山").content.decode()
    assert reverse("applications:applicant", args=[accepted.applicant_id]) in page
    client.force_login(center.alice)
    response = find(client, "青山")
    assert response.context["applicants"] == [] and response.context["projects"] == []
    assert reverse("applications:applicant", args=[accepted.applicant_id]) not in (
        response.content.decode()
    )


def test_one_character_finds_nothing_and_hostile_input_is_shown_escaped(client, center, accepted):
    client.force_login(center.erin)
    assert list(find(client, "青").context["page"]) == []
    page = find(client, "<script>x</script>", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert find(client, "%" * 500).status_code == 200


def test_the_header_box_is_on_staff_pages_and_its_results_page(client, center, accepted):
    client.force_login(center.alice)
    assert 'id="find-q"' in client.get(reverse("applications:queue")).content.decode()
    # The desk has its own box: no second one.
    client.force_login(center.dave)
    desk = client.get(reverse("applications:intake")).content.decode()
    assert 'id="find-q"' not in desk and 'id="applicant-search"' in desk


def test_the_search_costs_the_same_queries_however_many_it_finds(client, center, accepted):
    from .conftest import bulk_open_reviews

    client.force_login(center.alice)
    find(client, "青山")
    with CaptureQueriesContext(connection) as few:
        find(client, "青山")
    bulk_open_reviews(accepted, center, 60)
    with CaptureQueriesContext(connection) as many:
        response = find(client, "青山")
    assert response.context["page"].paginator.count == 61
    assert len(many.captured_queries) == len(few.captured_queries)


def test_past_the_limit_the_newest_are_listed_and_the_page_asks_for_more_words(
    client, center, accepted, monkeypatch
):
    from .conftest import bulk_open_reviews

    bulk_open_reviews(accepted, center, 30)
    monkeypatch.setattr(search, "LISTED", 20)
    client.force_login(center.alice)
    response = find(client, "青山")
    page = response.context["page"]
    assert page.paginator.count == 20 and response.context["more"]
    listed = [a.pk for a in page]
    newest = Application.objects.order_by("-received_at", "-id").values_list("pk", flat=True)
    assert listed == list(newest[: len(listed)])
    text = response.content.decode()
    assert "20+" in text and "最新的 20 件" in text
    for page_asked in ("9999", "-1", "x"):  # past the limit or not a page: still within it
        response = client.get(reverse("applications:search"), {"q": "青山", "page": page_asked})
        assert response.status_code == 200
        assert {a.pk for a in response.context["page"]} <= set(listed)
    response = find(client, "青山建设")  # all 31 match: the limit again, the first page the same
    assert [a.pk for a in response.context["page"]] == listed
    monkeypatch.setattr(search, "LISTED", 40)
    response = find(client, "青山")
    assert response.context["page"].paginator.count == 31 and not response.context["more"]
    assert "最新的" not in response.content.decode()


def test_latin_letters_are_matched_in_either_case_chinese_as_typed(client, center, accepted):
    applicant = accepted.applicant
    applicant.name, applicant.id_number = "Lin'an Green Stone 建材 Co.", "33018519900101123X"
    applicant.save()
    client.force_login(center.erin)
    for q in ("green stone", "GREEN", "建材", "33018519900101123x", "330185199001"):
        assert [a.pk for a in find(client, q).context["page"]] == [accepted.pk], q
    for q in ("绿水", "Greens"):
        assert [a.pk for a in find(client, q).context["page"]] == [], q


def test_number_forms():
    assert search.number_forms("许字[2026]5") == {
        "许字〔2026〕5",
        "许字〔2026〕5号",
        "许字〔2026〕第5号",
    }
