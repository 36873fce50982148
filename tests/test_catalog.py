import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from windows.models import Item


def test_it_refuses_a_promise_longer_than_the_statute_in_the_form(center):
    item = center.permit
    item.promised_days = 21
    with translation.override("en"), pytest.raises(ValidationError) as error:
        item.full_clean()
    assert error.value.message_dict["promised_days"] == [
        "The promise (21 working days) cannot exceed the statutory limit (20 working days)."
    ]


def test_it_refuses_a_promise_longer_than_the_statute_in_the_database(center):
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(pk=center.permit.pk).update(promised_days=25)
    assert Item.objects.get(pk=center.permit.pk).promised_days == 7


def test_a_promise_equal_to_the_statute_is_allowed(center):
    center.permit.promised_days = 20
    center.permit.full_clean()
    center.permit.save(update_fields=["promised_days"])


def test_the_admin_shows_the_promise_error_next_to_the_field(center, client):
    client.force_login(center.admin)
    url = reverse("admin:windows_item_change", args=[center.permit.pk])
    response = client.post(
        url,
        {
            "code": "XK-JSJ-001",
            "name": "建筑工程施工许可证核发",
            "kind": "approval",
            "department": center.construction.pk,
            "window": center.construction_window.pk,
            "legal_basis": "x",
            "statutory_days": 15,
            "promised_days": 16,
            "requirements-TOTAL_FORMS": 0,
            "requirements-INITIAL_FORMS": 0,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "承诺时限（16个工作日）不得超过法定时限（15个工作日）" in response.content.decode()
    assert Item.objects.get(pk=center.permit.pk).statutory_days == 20


def test_an_item_window_must_belong_to_its_department(center):
    center.permit.window = center.planning_window
    with pytest.raises(ValidationError) as error:
        center.permit.full_clean()
    assert "window" in error.value.message_dict


def test_the_catalog_searches_by_name_and_code(center, client):
    client.force_login(center.dave)
    response = client.get(reverse("windows:catalog"), {"q": "施工许可"})
    assert [i.code for i in response.context["page"]] == ["XK-JSJ-001"]
    response = client.get(reverse("windows:catalog"), {"q": "FGJ"})
    assert [i.code for i in response.context["page"]] == ["XK-FGJ-001"]
    response = client.get(reverse("windows:catalog"), {"parallel": "on"})
    assert [i.code for i in response.context["page"]] == ["XK-JSJ-001"]


def test_the_item_page_shows_when_it_would_be_due(center, calendar, client, time_machine):
    time_machine.move_to("2026-09-30 10:00 +08:00", tick=False)
    client.force_login(center.dave)
    response = client.get(reverse("windows:item", args=["XK-JSJ-001"]))
    assert response.context["span"].end.isoformat() == "2026-10-15"
    assert "2026年10月15日" in response.content.decode()
