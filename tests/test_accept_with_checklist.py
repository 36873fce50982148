"""Edits are never lost: the checklist as set on the page travels with "accept" and with the
one-time notice, and is saved in the same transaction; refused, nothing is saved and the page
comes back with the lines as the clerk set them."""

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from applications import services
from applications.models import Application, ApplicationMaterial, Document

from .conftest import NOW, seen


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def checklist(application, status="received", copies=1, **by_material):
    """The POST of the checklist form: every line `status`, except those named."""
    lines = list(application.materials.select_related("material").order_by("id"))
    data = {"m-TOTAL_FORMS": len(lines), "m-INITIAL_FORMS": len(lines)}
    for n, line in enumerate(lines):
        values = {"status": status, "copies": copies, "promised_by": "", "note": ""}
        values |= by_material.get(line.material.name, {})
        data |= {f"m-{n}-id": line.pk} | {f"m-{n}-{k}": v for k, v in values.items()}
    return data


def test_accept_saves_the_lines_set_on_the_page_in_the_same_transaction(
    client, center, draft, seals, clock
):
    client.force_login(center.dave)
    response = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]),
        checklist(draft, copies=2),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response["Location"] == reverse("applications:detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.state == "in_review"
    assert set(draft.materials.values_list("status", "copies")) == {("received", 2)}
    # One operation: the lines' history and the acceptance carry the same moment and person.
    line_history = ApplicationMaterial.history.filter(application_id=draft.pk, status="received")
    assert {(h.history_date, h.history_user_id) for h in line_history} == {(NOW, center.dave.pk)}
    assert draft.history.filter(state="in_review").get().history_date == NOW


def test_the_success_message_opens_the_commitment_slip(client, center, draft, seals, clock):
    client.force_login(center.dave)
    page = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]),
        checklist(draft),
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    slip = Document.objects.get(application=draft, kind=Document.Kind.COMMITMENT_SLIP)
    draft.refresh_from_db()
    assert f"Accepted: receipt number {draft.receipt_number}." in page
    link = reverse("applications:document", args=[slip.pk])
    assert f'href="{link}" target="_blank"' in page and 'data-testid="print-slip"' in page


def test_a_refused_acceptance_saves_nothing_and_keeps_the_lines_on_the_page(
    client, center, draft, clock
):
    client.force_login(center.dave)
    data = checklist(draft, copies=3, **{"申请表": {"status": "missing", "note": "缺盖章"}})
    response = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Materials are missing: 申请表" in seen(page)
    # The page shows what the clerk set, not what is stored.
    formset = response.context["formset"]
    assert [f["status"].value() for f in formset] == [
        data[f"m-{n}-status"] for n in range(len(formset.forms))
    ]
    assert 'value="缺盖章"' in page
    draft.refresh_from_db()
    assert draft.state == "draft"
    assert set(draft.materials.values_list("status", "copies", "note")) == {("missing", 0, "")}
    # The page came back at the act's address: its checklist form still saves to the page.
    assert f'action="{reverse("applications:detail", args=[draft.pk])}" id="checklist"' in page


def test_lines_that_need_correcting_come_back_with_their_errors(client, center, draft, clock):
    client.force_login(center.dave)
    data = checklist(draft, **{"环境影响评价批复文件": {"status": "to_follow"}})
    response = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the date the applicant promises it by." in page
    assert Application.objects.get(pk=draft.pk).state == "draft"
    assert not draft.materials.exclude(status="missing").exists()


def test_a_line_of_another_application_cannot_ride_along(
    client, center, draft, applicant, clock, seals
):
    other = services.application_create(
        applicant=applicant, project=None, by=center.dave, now=NOW, items=[center.design_review]
    )
    client.force_login(center.dave)
    data = checklist(draft)
    data["m-0-id"] = other.materials.get().pk
    response = client.post(
        reverse("applications:act", args=[draft.pk, "accept"]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "The checklist changed since the page was opened" in response.content.decode()
    assert Application.objects.get(pk=draft.pk).state == "draft"
    assert set(other.materials.values_list("status", flat=True)) == {"missing"}


def test_only_a_clerk_accepts_even_with_lines(client, center, draft, clock):
    client.force_login(center.erin)
    response = client.post(reverse("applications:act", args=[draft.pk, "accept"]), checklist(draft))
    assert response.status_code == 403
    assert not draft.materials.filter(status="received").exists()


def test_the_one_time_notice_prints_the_notes_set_on_the_page(client, center, draft, clock):
    client.force_login(center.dave)
    data = checklist(draft, **{"申请表": {"status": "missing", "note": "法定代表人未签字"}})
    response = client.post(
        reverse("applications:act", args=[draft.pk, "notify"]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    notice = Document.objects.get(application=draft, kind=Document.Kind.MISSING_MATERIALS)
    assert "申请表：法定代表人未签字" in notice.text
    assert draft.materials.get(material__name="申请表").note == "法定代表人未签字"
    assert Application.objects.get(pk=draft.pk).state == "awaiting_materials"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"One-time notice {notice.number} issued." in seen(page)
    link = reverse("applications:document", args=[notice.pk])
    assert f'href="{link}" target="_blank"' in page and 'data-testid="print-notice"' in page


def test_a_refused_notice_saves_nothing(client, center, draft, clock):
    client.force_login(center.dave)
    # Nothing marked missing: nothing to notify, and the lines stay as stored.
    response = client.post(
        reverse("applications:act", args=[draft.pk, "notify"]),
        checklist(draft),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Nothing is marked missing" in response.content.decode()
    assert not draft.materials.filter(status="received").exists()
    assert not Document.objects.filter(application=draft).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_clerks_accepting_at_once_accept_once_with_one_checklist(
    center, calendar, materials, applicant, project, seals
):
    draft = services.application_create(
        applicant=applicant,
        project=project,
        by=center.dave,
        now=NOW,
        items=[center.permit, center.planning_item],
    )
    ids = list(draft.materials.values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    errors = []

    def accept(copies):
        try:
            barrier.wait()
            services.application_accept_with_checklist(
                application=draft,
                lines={pk: {"status": "received", "copies": copies} for pk in ids},
                by=center.dave,
                now=NOW,
            )
        except services.TransitionError as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1
    draft.refresh_from_db()
    assert draft.state == "in_review" and draft.reviews.count() == 2
    # The lines are the winner's, all of them: the loser's changed nothing.
    assert len(set(draft.materials.values_list("copies", flat=True))) == 1
