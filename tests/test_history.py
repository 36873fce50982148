import re

from django.urls import reverse

from windows.models import Item, Window


def test_a_change_in_the_admin_writes_a_history_row_with_who(center, client):
    client.force_login(center.admin)
    url = reverse("admin:windows_window_change", args=[center.construction_window.pk])
    response = client.post(
        url,
        {
            "number": "A05",
            "name": "建设局窗口（一）",
            "kind": "department",
            "department": center.construction.pk,
            "location": "一楼A区",
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    latest = Window.history.filter(id=center.construction_window.pk).first()
    assert latest.history_type == "~"
    assert latest.name == "建设局窗口（一）"
    assert latest.history_user == center.admin
    assert latest.prev_record.name == "建设局窗口"


def test_every_model_of_the_organisation_keeps_history(center):
    from django.apps import apps

    without = [
        model.__name__
        for model in apps.get_app_config("windows").get_models()
        if not model.__name__.startswith("Historical")
        and not model.__name__.endswith("ObjectPermission")
        and not hasattr(model, "history")
    ]
    assert without == []


def test_letter_items_keep_history(center):
    center.letter.items.remove(center.design_review)
    history = center.letter.history.first()
    assert [row.item_id for row in history.items.all()] == [center.permit.pk]


def test_the_history_page_opens(center, client):
    client.force_login(center.admin)
    item = Item.objects.get(code="XK-JSJ-001")
    item.promised_days = 6
    item.save(update_fields=["promised_days"])
    response = client.get(
        reverse("admin:windows_item_history", args=[item.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    assert "Promised working days: 7 &nbsp;&rarr;&nbsp;&nbsp;6" in text
