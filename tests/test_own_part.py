"""Each department sees its own part: on an application shared with planning, planning's staff
(mallory, carol) see construction's review's item, window and state, but not its officer, its
signer, its decision number, its signing basis, its stop reason, its clock ledger, its
documents or the applicant's messages about it; clerks and managers see everything."""

import pytest
from django.urls import reverse

from applications import access, services, timeline

from .conftest import NOW

STOP_REASON = "请补充施工合同原件（机密理由）"


@pytest.fixture
def shared(accepted, center):
    """Construction's review worked by alice: stopped, resumed, decided by bob; planning's
    review decided by carol."""
    center.alice.full_name = "阿丽丝承办员"
    center.alice.save(update_fields=["full_name"])
    center.bob.full_name = "薄波签发人"
    center.bob.save(update_fields=["full_name"])
    permit = accepted.reviews.get(item=center.permit)
    services.review_claim(review=permit, by=center.alice, now=NOW)
    services.review_stop(
        review=permit,
        by=center.alice,
        now=NOW,
        cause="supplements",
        days_needed=10,
        reason=STOP_REASON,
    )
    services.review_resume(review=permit, by=center.alice, now=NOW)
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(review=planning, by=center.carol, now=NOW, outcome="granted", reasons="")
    permit.refresh_from_db()
    planning.refresh_from_db()
    assert permit.decision_number and planning.decision_number
    return accepted, permit, planning


def pages(client, application) -> str:
    html = ""
    for name in ("applications:detail", "applications:timeline"):
        response = client.get(reverse(name, args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        html += response.content.decode()
    return html


@pytest.mark.parametrize("who", ["mallory", "carol"])
def test_another_department_sees_the_state_but_not_the_work(shared, center, client, who):
    application, permit, planning = shared
    client.force_login(getattr(center, who))
    page = pages(client, application)
    # What planning may see of construction's review: item, department, window, state.
    assert center.permit.name in page
    assert center.construction_window.number in page
    assert "Decided" in page
    # Never its officer, its signer, its decision number, its stop reason, its documents.
    assert "阿丽丝承办员" not in page
    assert "薄波签发人" not in page
    assert permit.decision_number not in page
    assert STOP_REASON not in page
    assert reverse("applications:review", args=[permit.pk]) not in page
    for document in permit.documents.all():
        assert document.number not in page
        assert reverse("applications:document", args=[document.pk]) not in page
    # Its own review in full.
    assert planning.decision_number in page
    assert reverse("applications:review", args=[planning.pk]) in page


def test_another_departments_review_and_documents_answer_404(shared, center, client):
    _application, permit, _planning = shared
    client.force_login(center.mallory)
    assert client.get(reverse("applications:review", args=[permit.pk])).status_code == 404
    documents = list(permit.documents.all())
    assert len(documents) == 2  # the notice asking for supplements, the decision
    for document in documents:
        url = reverse("applications:document", args=[document.pk])
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("who", ["dave", "erin", "admin"])
def test_the_comprehensive_window_and_managers_see_everything(shared, center, client, who):
    application, permit, planning = shared
    client.force_login(getattr(center, who))
    page = pages(client, application)
    for shown in (
        "阿丽丝承办员",
        "薄波签发人",
        permit.decision_number,
        planning.decision_number,
        STOP_REASON,
    ):
        assert shown in page


def test_construction_sees_its_own_work_and_only_plannings_state(shared, center, client):
    application, permit, planning = shared
    client.force_login(center.alice)
    page = pages(client, application)
    assert "阿丽丝承办员" in page and permit.decision_number in page and STOP_REASON in page
    assert planning.decision_number not in page


def test_the_rule_is_written_once(shared, center):
    application, permit, planning = shared
    assert access.reviews_seen_in_full(center.mallory, application) == {planning.pk}
    assert access.reviews_seen_in_full(center.alice, application) == {permit.pk}
    assert access.reviews_seen_in_full(center.dave, application) == {permit.pk, planning.pk}
    assert access.reviews_seen_in_full(center.gwen, application) == set()
    told = " ".join(
        f"{e.who} {e.what} {e.detail}" for e in timeline.events(application, viewer=center.mallory)
    )
    assert STOP_REASON not in told and permit.decision_number not in told
