"""The new application's page: items narrowed by "one thing" package and department, and a
project registered on the way that keeps the chosen items and comes back chosen."""

from django.urls import reverse

from applications.models import Project
from windows.models import Package

PROJECT = {
    "code": "2026-330185-47-01-654321",
    "name": "青山湖二期",
    "location": "临安区青山湖街道",
    "total_investment": "500.00",
    "land_area": "2000.00",
    "description": "厂房",
}


def test_registering_a_project_on_the_way_keeps_the_items_and_chooses_it(
    client, center, applicant, materials
):
    client.force_login(center.dave)
    chosen = [center.permit.pk, center.planning_item.pk]
    # The button of the new application's page posts its form to the project page.
    page = client.post(
        reverse("applications:project_new", args=[applicant.pk]),
        {"register_project": "1", "items": chosen, "project": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 200
    assert not page.context["form"].is_bound  # an empty form, no errors shown
    html = page.content.decode()
    assert html.count('type="hidden" name="items"') == 2
    assert "The 2 items chosen for the new application are kept" in html
    assert not Project.objects.exists()
    # Registered: back to the new application with the project chosen and the items ticked.
    response = client.post(
        reverse("applications:project_new", args=[applicant.pk]), {**PROJECT, "items": chosen}
    )
    project = Project.objects.get()
    assert response.url == (
        reverse("applications:apply", args=[applicant.pk])
        + f"?project={project.pk}&items={chosen[0]}&items={chosen[1]}"
    )
    back = client.get(response.url)
    assert back.context["form"]["project"].value() == str(project.pk)
    assert back.context["chosen"] == {str(pk) for pk in chosen}
    html = back.content.decode()
    assert f'<option value="{project.pk}" selected>' in html
    assert f'id="item-{center.permit.pk}" checked' in html


def test_a_bad_project_keeps_the_items_too(client, center, applicant, materials):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:project_new", args=[applicant.pk]),
        {**PROJECT, "code": "bad", "items": [center.permit.pk]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert 'type="hidden" name="items"' in response.content.decode()
    assert response.context["back"].endswith(f"?items={center.permit.pk}")


def test_another_applicants_project_is_not_chosen_from_the_address(
    client, center, applicant, project, materials
):
    from applications.models import Applicant

    other = Applicant.objects.create(
        kind="person",
        name="王五",
        id_number="11010519491231002X",
        contact_name="王五",
        mobile="13900000000",
    )
    client.force_login(center.dave)
    page = client.get(reverse("applications:apply", args=[other.pk]), {"project": project.pk})
    assert f'value="{project.pk}"' not in str(page.context["form"]["project"])
    response = client.post(
        reverse("applications:apply", args=[other.pk]),
        {"project": project.pk, "items": [center.design_review.pk]},
    )
    assert response.status_code == 200 and response.context["form"].errors["project"]


def test_the_items_carry_their_department_and_packages_for_the_filters(
    client, center, applicant, materials
):
    package = Package.objects.create(name="开工一件事")
    package.items.set([center.permit, center.planning_item])
    Package.objects.create(name="停用的一件事", is_active=False).items.set([center.permit])
    client.force_login(center.dave)
    response = client.get(reverse("applications:apply", args=[applicant.pk]))
    html = response.content.decode()
    assert [p.name for p in response.context["packages"]] == ["开工一件事"]
    assert {d.pk for d in response.context["departments"]} == {
        center.construction.pk,
        center.planning.pk,
    }
    assert f'data-department="{center.construction.pk}" data-packages="{package.pk}"' in html
    assert f'<option value="{package.pk}">开工一件事</option>' in html
    assert "停用的一件事" not in html


def test_packages_are_kept_by_administrators_with_history(client, center):
    client.force_login(center.admin)
    response = client.post(
        reverse("admin:windows_package_add"),
        {"name": "开办企业一件事", "items": [center.permit.pk], "position": 0, "is_active": "on"},
    )
    assert response.status_code == 302
    package = Package.objects.get()
    assert list(package.items.all()) == [center.permit]
    assert {r.history_user for r in package.history.all()} == {center.admin}
    record = package.history.first()  # the latest: with its items
    assert [m.item_id for m in record.items.all()] == [center.permit.pk]
    # Clerks and managers may look, not change.
    client.force_login(center.erin)
    assert client.get(reverse("admin:windows_package_add")).status_code == 403
