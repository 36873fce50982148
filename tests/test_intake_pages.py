"""The intake and review pages, driven as the clerk and the officers use them."""

import pytest
from django.urls import reverse

from applications.models import Applicant, Application, DepartmentReview
from windows import authority

from .conftest import NOW, receive_all, seen


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_a_wrong_check_character_is_refused_next_to_the_field(client, center):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:applicant_new"),
        {
            "kind": "enterprise",
            "name": "<b>坏</b>公司",
            "id_number": "9144030071526726XA",
            "contact_name": "张伟",
            "mobile": "1380000000",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "the last character should be G" in page
    assert "Enter an 11-digit mainland mobile number" in page
    assert not Applicant.objects.exists()


def test_the_clerk_registers_an_applicant_and_finds_it_by_typing(client, center):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:applicant_new"),
        {
            "kind": "enterprise",
            "name": "<script>alert(1)</script>青山公司",
            "id_number": "9144030071526726xg",
            "contact_name": "张伟",
            "mobile": "13800000000",
        },
    )
    applicant = Applicant.objects.get()
    assert response["Location"] == reverse("applications:applicant", args=[applicant.pk])
    assert applicant.id_number == "9144030071526726XG"
    response = client.get(reverse("applications:search"), {"q": "青山"})
    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;青山公司" in page and "<script>" not in page
    assert (
        "9144030071526726XG"
        in client.get(reverse("applications:search"), {"q": "914403"}).content.decode()
    )


def test_the_package_button_takes_every_parallel_item(
    client, center, calendar, applicant, project, materials
):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:apply", args=[applicant.pk]), {"project": project.pk, "package": "1"}
    )
    application = Application.objects.get()
    assert response["Location"] == reverse("applications:detail", args=[application.pk])
    assert list(application.items.all()) == [center.permit]


def test_package_items_need_a_project(client, center, calendar, applicant, materials):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:apply", args=[applicant.pk]),
        {"items": [center.permit.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Items of the investment package need a project." in response.content.decode()
    assert not Application.objects.exists()


def test_from_intake_to_delivery_through_the_pages(client, center, draft, seals, clock):
    authority.sync_signing_authority(at=NOW)
    client.force_login(center.dave)
    detail = reverse("applications:detail", args=[draft.pk])
    page = client.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "One-time notice due by" in page
    receive_all(draft, center.dave)
    response = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Accepted: receipt number 2026" in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == "in_review"

    permit = draft.reviews.get(item=center.permit)
    client.force_login(center.alice)
    queue = client.get(reverse("applications:queue")).content.decode()
    assert draft.receipt_number in queue
    client.post(reverse("applications:review_act", args=[permit.pk, "claim"]))
    response = client.post(
        reverse("applications:review_act", args=[permit.pk, "decide"]),
        {"outcome": "granted"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "You hold no signing authority" in response.content.decode()
    client.force_login(center.bob)
    client.post(
        reverse("applications:review_act", args=[permit.pk, "decide"]),
        {"outcome": "granted", "reasons": "符合条件"},
    )
    client.post(reverse("applications:review_act", args=[permit.pk, "return"]))

    planning = draft.reviews.get(item=center.planning_item)
    client.force_login(center.carol)
    client.post(
        reverse("applications:review_act", args=[planning.pk, "decide"]), {"outcome": "granted"}
    )
    client.force_login(center.frank)
    assert planning.item.name in client.get(reverse("applications:countersign")).content.decode()
    client.post(reverse("applications:review_act", args=[planning.pk, "countersign"]))
    client.force_login(center.carol)
    client.post(reverse("applications:review_act", args=[planning.pk, "return"]))

    client.force_login(center.dave)
    assert draft.receipt_number in client.get(reverse("applications:intake")).content.decode()
    for review in (permit, planning):
        client.post(reverse("applications:receive", args=[review.pk]))
    draft.refresh_from_db()
    assert draft.state == "ready"
    client.post(reverse("applications:act", args=[draft.pk, "deliver"]))
    draft.refresh_from_db()
    assert draft.state == "delivered"

    timeline = client.get(
        reverse("applications:timeline", args=[draft.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "under letter of authorization 临建委〔2026〕1号" in seen(timeline)
    assert "as stationed deputy head (临组干〔2026〕8号)" in seen(timeline)
    assert "Delivered" in timeline


def test_an_officer_cannot_see_or_touch_another_departments_review(client, center, accepted):
    permit = accepted.reviews.get(item=center.permit)
    client.force_login(center.mallory)
    assert client.get(reverse("applications:review", args=[permit.pk])).status_code == 404
    assert (
        client.post(reverse("applications:review_act", args=[permit.pk, "claim"])).status_code
        == 404
    )
    assert client.get(reverse("applications:detail", args=[accepted.pk])).status_code == 200
    assert DepartmentReview.objects.get(pk=permit.pk).state == "queued"


def test_a_clerk_cannot_decide(client, center, accepted):
    permit = accepted.reviews.get(item=center.permit)
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:review_act", args=[permit.pk, "decide"]), {"outcome": "granted"}
    )
    assert response.status_code == 403
    assert DepartmentReview.objects.get(pk=permit.pk).decided_at is None


def test_officers_cannot_use_the_intake_desk(client, center, accepted):
    client.force_login(center.alice)
    assert (
        client.post(reverse("applications:act", args=[accepted.pk, "withdraw"])).status_code == 403
    )
    assert client.get(reverse("applications:applicant_new")).status_code == 403


def test_confirming_receipt_follows_only_a_local_next(client, center, accepted):
    permit = accepted.reviews.get(item=center.permit)
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:receive", args=[permit.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("applications:detail", args=[accepted.pk])
    response = client.post(reverse("applications:receive", args=[permit.pk]), {"next": "/intake/"})
    assert response["Location"] == "/intake/"


def test_the_extension_form_asks_for_what_is_left(client, center, accepted):
    permit = accepted.reviews.get(item=center.permit)
    client.force_login(center.alice)
    response = client.get(reverse("applications:review", args=[permit.pk]))
    assert response.context["extension_form"].fields["days"].max_value == 10
    assert "approved_by" not in response.context["extension_form"].fields


def test_the_clerk_checks_the_materials_on_the_page(client, center, draft):
    client.force_login(center.dave)
    lines = list(draft.materials.order_by("id"))
    data = {"m-TOTAL_FORMS": len(lines), "m-INITIAL_FORMS": len(lines)}
    for n, line in enumerate(lines):
        data |= {
            f"m-{n}-id": line.pk,
            f"m-{n}-status": "received",
            f"m-{n}-copies": 2,
            f"m-{n}-promised_by": "",
            f"m-{n}-note": "",
        }
    data[f"m-{len(lines) - 1}-status"] = "to_follow"  # no date given: refused at the line
    response = client.post(
        reverse("applications:detail", args=[draft.pk]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Enter the date the applicant promises it by." in response.content.decode()
    assert not draft.materials.filter(status="received").exists()
    data[f"m-{len(lines) - 1}-status"] = "received"
    response = client.post(reverse("applications:detail", args=[draft.pk]), data)
    assert response.status_code == 302
    assert set(draft.materials.values_list("status", "copies")) == {("received", 2)}


def test_a_project_with_negative_amounts_or_a_bad_code_is_refused(client, center, applicant):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:project_new", args=[applicant.pk]),
        {
            "code": "2026-3301-47-01-1",
            "name": "项目",
            "location": "临安",
            "total_investment": "-5",
            "land_area": "-1",
            "description": "厂房",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert "A project code looks like 2026-330185-47-01-123456" in page
    assert page.count("Ensure this value is greater than or equal to 0.") == 2
    assert not applicant.projects.exists()


def test_a_material_promised_under_gaps_is_tracked_until_supplied(
    client, center, draft, seals, clock
):
    import datetime as dt

    from applications import services

    receive_all(
        draft,
        center.dave,
        **{"环境影响评价批复文件": {"status": "to_follow", "promised_by": dt.date(2026, 10, 9)}},
    )
    services.application_accept(application=draft, by=center.dave, now=NOW)
    client.force_login(center.dave)
    desk = client.get(reverse("applications:intake"), HTTP_ACCEPT_LANGUAGE="en")
    assert [line.material.name for line in desk.context["promised"]] == ["环境影响评价批复文件"]
    line = draft.materials.get(status="to_follow")
    response = client.post(
        reverse("applications:act", args=[draft.pk, "supplied"]),
        {"line": line.pk},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "recorded as supplied" in response.content.decode()
    line.refresh_from_db()
    assert line.status == "received" and line.supplied_at == NOW
    assert not client.get(reverse("applications:intake")).context["promised"]
    response = client.post(
        reverse("applications:act", args=[draft.pk, "supplied"]),
        {"line": line.pk},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "not waiting to follow" in response.content.decode()
