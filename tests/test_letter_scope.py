"""A letter of authorization covers only items of its own delegating department, and a
department with a stationed deputy head does not delegate by letter: the admin refuses both with
a clear message, a foreign item on a letter grants nothing, and on PostgreSQL the database
refuses it too."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import translation

from windows import authority
from windows.models import AuthorizationLetter

from .conftest import aware

NOON = aware(2026, 9, 28, 12)


def letter_form(center, **overrides):
    form = {
        "number": "临建委〔2026〕9号",
        "department": center.construction.pk,
        "delegating_official": "王建国（局长）",
        "window_head": center.bob.pk,
        "items": [center.permit.pk],
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
    }
    form.update(overrides)
    return form


@pytest.fixture
def admin_client(center, client, time_machine):
    time_machine.move_to(NOON, tick=False)
    client.force_login(center.admin)
    return client


ADD = reverse("admin:windows_authorizationletter_add")


def test_a_letter_of_the_department_own_items_is_issued(center, admin_client):
    response = admin_client.post(ADD, letter_form(center))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuthorizationLetter.objects.filter(number="临建委〔2026〕9号").exists()


def test_a_letter_covering_another_departments_item_is_refused(center, admin_client):
    response = admin_client.post(
        ADD,
        letter_form(center, items=[center.permit.pk, center.planning_item.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A letter covers only items of its delegating department" in page
    assert center.planning_item.name in page
    assert not AuthorizationLetter.objects.filter(number="临建委〔2026〕9号").exists()


def test_an_existing_letter_cannot_take_a_foreign_item(center, admin_client):
    url = reverse("admin:windows_authorizationletter_change", args=[center.letter.pk])
    response = admin_client.post(
        url,
        letter_form(center, number=center.letter.number, items=[center.planning_item.pk]),
    )
    assert response.status_code == 200
    assert set(center.letter.items.all()) == {center.permit, center.design_review}


def test_a_department_with_a_stationed_deputy_does_not_delegate_by_letter(center, admin_client):
    # Planning has carol posted from March 2026 to February 2027.
    response = admin_client.post(
        ADD,
        letter_form(
            center,
            department=center.planning.pk,
            window_head=center.carol.pk,
            items=[center.planning_item.pk],
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "has a stationed deputy head" in response.content.decode()
    assert not AuthorizationLetter.objects.filter(number="临建委〔2026〕9号").exists()


def test_a_letter_outside_the_deputys_term_is_not_refused_for_it(center):
    with translation.override("en"):
        refusals = authority.letter_refusals(
            department=center.planning,
            items=[center.planning_item],
            valid_from=dt.date(2025, 1, 1),
            valid_until=dt.date(2025, 12, 31),
        )
    assert refusals == {}


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses the row itself")
def test_a_foreign_item_on_a_letter_grants_nothing(center):
    # Written past the admin (SQLite has no trigger): the authority rules ignore it.
    center.letter.items.add(center.planning_item)
    authority.sync_signing_authority(at=NOON)
    assert (center.bob.pk, center.planning_item.pk) not in authority.current_grants()
    assert authority.signing_basis(center.bob, center.planning_item, at=NOON) is None
    assert center.bob not in authority.signers(center.planning_item, at=NOON)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_a_foreign_item_on_a_letter(center):
    with pytest.raises(DatabaseError, match="only items of its own department"):
        with transaction.atomic():
            center.letter.items.add(center.planning_item)
    with pytest.raises(DatabaseError, match="only items of its own department"):
        with transaction.atomic():
            AuthorizationLetter.objects.filter(pk=center.letter.pk).update(
                department=center.planning
            )
    assert set(center.letter.items.all()) == {center.permit, center.design_review}
