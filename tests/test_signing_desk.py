"""The signer's desk (承办 → 签发): the officer records the opinion and the draft decision and sends
them for signature; a person with signing authority signs them or sends them back with a note.

The permit review of the `accepted` application is due Tuesday 13 October 2026 (see
test_sweep.py); alice (officer, no authority) drafts it, bob (head, letter) signs it; carol is
planning's deputy and signs nothing of construction's.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from applications import services, timeline
from applications.models import DepartmentReview, Document, SigningStep
from supervision import sweep as sweep_module
from supervision.models import Card
from windows import authority
from windows.models import Absence, AuthorizationLetter, Post
from windows.roles import Role

from .conftest import NOW, aware, make_staff

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OPINION = "材料齐全，现场核查无误。"
DRAFT = {
    "draft-outcome": "refused",
    "draft-text": "施工图未经审查合格。",
    "draft-opinion": OPINION,
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    # Every page asked for in English: a request activates its language for the thread, and the
    # services' messages read after it must be English too.
    return Client(headers={"Accept-Language": "en"})


@pytest.fixture
def permit(accepted, center) -> DepartmentReview:
    return accepted.reviews.get(item=center.permit)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def send(review, center, **overrides) -> SigningStep:
    data = {"outcome": "refused", "text": "施工图未经审查合格。", "opinion": OPINION, **overrides}
    return services.review_send_for_signature(review=review, by=center.alice, now=NOW, **data)


def state_of(review) -> str:
    return DepartmentReview.objects.get(pk=review.pk).state


# --- the officer's part ---------------------------------------------------------------------


def test_an_officer_without_authority_drafts_and_sends_it_to_the_signers(client, center, permit):
    assert authority.signing_basis(center.alice, center.permit, at=NOW) is None
    client.force_login(center.alice)
    page = client.get(reverse("applications:review", args=[permit.pk]), **EN)
    assert "Record the opinion and send for signature" in text_of(page)
    assert "Bob" in text_of(page)  # named among who can sign today

    response = client.post(reverse("applications:review_send", args=[permit.pk]), DRAFT, **EN)
    assert response.status_code == 302
    permit.refresh_from_db()
    assert permit.state == "signature" and permit.is_open
    assert permit.officer == center.alice  # a queued review becomes hers
    step = permit.signing_steps.get()
    assert (step.kind, step.by, step.outcome, step.note) == (
        "sent",
        center.alice,
        "refused",
        OPINION,
    )
    assert list(step.sent_to.all()) == [center.bob]
    assert DepartmentReview.history.filter(id=permit.pk, state="signature").count() == 1
    assert not Document.objects.filter(review=permit).exists()  # nothing issued yet

    # The officer sees the draft on the page; she cannot sign it.
    page = text_of(client.get(reverse("applications:review", args=[permit.pk]), **EN))
    assert "The draft sent for signature" in page and OPINION in page
    assert "Sign and issue" not in page


def test_a_draft_needs_an_outcome_an_opinion_and_reasons_for_a_refusal(client, center, permit):
    client.force_login(center.alice)
    url = reverse("applications:review_send", args=[permit.pk])
    for data, error in (
        ({**DRAFT, "draft-text": ""}, "A refusal must give its reasons."),
        ({**DRAFT, "draft-opinion": "  "}, "Write the review opinion for the signer."),
        ({**DRAFT, "draft-outcome": "maybe"}, "Select a valid choice"),
    ):
        response = client.post(url, data, **EN)
        assert response.status_code == 200  # the page again, the draft kept, the error by it
        assert error in text_of(response)
        assert state_of(permit) == "queued"
    assert not SigningStep.objects.exists()
    # The service holds the same rules whoever calls it.
    with pytest.raises(services.TransitionError, match="reasons"):
        send(permit, center, text=" ")
    with pytest.raises(services.TransitionError, match="opinion"):
        send(permit, center, opinion="")
    with pytest.raises(services.TransitionError, match="grant or refuse"):
        send(permit, center, outcome="")


def test_only_the_windows_staff_send_and_only_once(client, center, permit):
    # Another department's officer: the review is not there for her.
    client.force_login(center.mallory)
    url = reverse("applications:review_send", args=[permit.pk])
    assert client.post(url, DRAFT).status_code == 404
    for person in (center.erin, center.dave, center.admin):  # see it, do not work it
        client.force_login(person)
        assert client.post(url, DRAFT).status_code == 403
    assert state_of(permit) == "queued"
    # The service checks it too: planning's deputy is no staff of window A05.
    with pytest.raises(services.TransitionError, match="Only the staff of window A05"):
        services.review_send_for_signature(
            review=permit, by=center.carol, now=NOW, outcome="granted", text="", opinion="x"
        )
    # A double click sends once.
    send(permit, center)
    with pytest.raises(services.TransitionError, match="out of date"):
        send(permit, center)
    assert permit.signing_steps.count() == 1


def test_a_stopped_review_is_not_sent_and_nobody_to_sign_means_not_sent(center, permit):
    services.review_stop(
        review=permit, by=center.alice, now=NOW, cause="supplements", days_needed=10, reason="补"
    )
    with pytest.raises(services.TransitionError, match="out of date"):
        send(permit, center)
    services.review_resume(review=permit, by=center.alice, now=NOW)
    authority.letter_revoke(letter=center.letter, by=center.admin, reason="调离", at=NOW)
    with pytest.raises(services.TransitionError, match="Nobody holds signing authority"):
        send(permit, center)
    assert state_of(permit) == "in_progress"


# --- the signer's list ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "light", "tag"),
    [
        (aware(2026, 10, 9), "green", None),
        (aware(2026, 10, 12), "yellow", "due soon"),
        (aware(2026, 10, 14), "red", "1 working day late"),
    ],
)
def test_the_signer_sees_it_in_the_list_with_the_queues_light(
    client, center, permit, time_machine, day, light, tag
):
    send(permit, center)
    time_machine.move_to(day, tick=False)
    client.force_login(center.bob)
    response = client.get(reverse("applications:signature"), **EN)
    rows = re.findall(r'<tr class="light-(\w+)">(.*?)</tr>', response.content.decode(), re.S)
    assert [row[0] for row in rows] == [light]
    assert permit.application.receipt_number in rows[0][1]
    assert "Alice" in rows[0][1] and "Refused" in rows[0][1]  # who sent it, what it proposes
    if tag:
        assert tag in text_of(response)


def test_the_list_holds_only_what_the_user_may_sign_now_earliest_first(
    client, center, accepted, permit, time_machine
):
    time_machine.move_to(aware(2026, 10, 9), tick=False)
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_send_for_signature(
        review=planning, by=center.mallory, now=NOW, outcome="granted", text="", opinion="同意"
    )
    client.force_login(center.bob)
    page = client.get(reverse("applications:signature")).content.decode()
    assert reverse("applications:review", args=[permit.pk]) not in page  # not sent yet
    assert reverse("applications:review", args=[planning.pk]) not in page  # not his to sign
    send(permit, center)
    page = client.get(reverse("applications:signature")).content.decode()
    assert reverse("applications:review", args=[permit.pk]) in page
    # Carol, planning's deputy, sees planning's draft and not construction's.
    client.force_login(center.carol)
    page = client.get(reverse("applications:signature")).content.decode()
    assert reverse("applications:review", args=[planning.pk]) in page
    assert reverse("applications:review", args=[permit.pk]) not in page
    # A revoked letter empties bob's list at once.
    authority.letter_revoke(letter=center.letter, by=center.admin, reason="调离", at=NOW)
    client.force_login(center.bob)
    page = client.get(reverse("applications:signature")).content.decode()
    assert reverse("applications:review", args=[permit.pk]) not in page
    # People in no signing role are turned away.
    for person in (center.alice, center.erin, center.frank, center.dave):
        client.force_login(person)
        assert client.get(reverse("applications:signature")).status_code == 403


def test_the_list_costs_the_same_queries_for_one_draft_or_many(
    client, center, accepted, permit, django_assert_max_num_queries
):
    from .conftest import bulk_open_reviews

    send(permit, center)
    client.force_login(center.bob)
    url = reverse("applications:signature")
    client.get(url)  # warm the session and the calendar
    with django_assert_max_num_queries(15) as one:
        client.get(url)
    bulk_open_reviews(accepted, center, 30)
    for review in DepartmentReview.objects.filter(state="in_progress"):
        send(review, center)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="light-') == 31


def test_the_signers_nav_links_to_the_list(client, center):
    client.force_login(center.bob)
    assert (
        reverse("applications:signature")
        in client.get(reverse("applications:queue")).content.decode()
    )
    client.force_login(center.alice)
    page = client.get(reverse("applications:queue")).content.decode()
    assert reverse("applications:signature") not in page


# --- signing and sending back ---------------------------------------------------------------


def test_the_signer_signs_and_the_decision_is_the_officers_draft(client, center, permit):
    send(permit, center)
    client.force_login(center.bob)
    page = text_of(client.get(reverse("applications:review", args=[permit.pk]), **EN))
    assert (
        "The draft sent for signature" in page and OPINION in page and "施工图未经审查合格" in page
    )
    response = client.post(reverse("applications:review_sign", args=[permit.pk]), follow=True, **EN)
    assert "Decision signed and numbered." in text_of(response)
    permit.refresh_from_db()
    assert permit.state == "decided"
    assert (permit.outcome, permit.reasons) == ("refused", "施工图未经审查合格。")
    assert permit.decision_number == "建设局许字〔2026〕第1号"
    assert permit.signed_by == center.bob and permit.signed_under_letter == center.letter
    assert permit.seal.window == center.construction_window
    assert permit.officer == center.alice  # the officer stays the officer
    document = permit.documents.get()
    assert (document.kind, document.number, document.text) == (
        "refusal",
        permit.decision_number,
        permit.reasons,
    )
    assert [s.kind for s in permit.signing_steps.all()] == ["sent", "signed"]
    # A double click (or a second signer a moment later) changes nothing more.
    response = client.post(reverse("applications:review_sign", args=[permit.pk]), follow=True, **EN)
    assert "out of date" in text_of(response)
    assert permit.documents.count() == 1
    assert DepartmentReview.history.filter(id=permit.pk, state="decided").count() == 1


def test_a_countersign_item_signed_from_a_draft_still_waits_for_the_leader(center, accepted):
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_send_for_signature(
        review=planning, by=center.mallory, now=NOW, outcome="granted", text="", opinion="同意"
    )
    services.review_decide(review=planning, by=center.carol, now=NOW)
    planning.refresh_from_db()
    assert planning.state == "countersign" and planning.signed_under_posting == center.posting


def test_sending_back_needs_a_note_and_returns_it_to_the_officer(client, center, permit):
    send(permit, center)
    client.force_login(center.bob)
    url = reverse("applications:review_send_back", args=[permit.pk])
    response = client.post(url, {"back-note": "  "}, follow=True, **EN)
    assert "Say why it goes back" in text_of(response)
    assert state_of(permit) == "signature"
    with pytest.raises(services.TransitionError, match="why it goes back"):
        services.review_send_back(review=permit, by=center.bob, now=NOW, note="")

    client.post(url, {"back-note": "请补充消防设计审查意见。"})
    permit.refresh_from_db()
    assert permit.state == "in_progress" and permit.officer == center.alice
    back = permit.signing_steps.get(kind="sent_back")
    assert (back.by, back.note) == (center.bob, "请补充消防设计审查意见。")
    # The officer finds the note, and her draft ready to correct and send again.
    client.force_login(center.alice)
    response = client.get(reverse("applications:review", args=[permit.pk]), **EN)
    assert "请补充消防设计审查意见。" in text_of(response)
    assert response.context["send_form"].initial["opinion"] == OPINION
    client.post(
        reverse("applications:review_send", args=[permit.pk]),
        {**DRAFT, "draft-outcome": "granted", "draft-text": "", "draft-opinion": "已补充。"},
    )
    client.force_login(center.bob)
    client.post(reverse("applications:review_sign", args=[permit.pk]))
    permit.refresh_from_db()
    assert permit.state == "decided" and permit.outcome == "granted"  # the latest draft
    assert [s.kind for s in permit.signing_steps.all()] == ["sent", "sent_back", "sent", "signed"]


def test_an_officer_cannot_sign_or_send_back_her_own_draft(client, center, permit):
    send(permit, center)
    client.force_login(center.alice)
    # Forged POSTs: no signing role, no signature.
    assert client.post(reverse("applications:review_sign", args=[permit.pk])).status_code == 403
    back = reverse("applications:review_send_back", args=[permit.pk])
    assert client.post(back, {"back-note": "x"}).status_code == 403
    # The direct decision of the window's actions asks the service, which refuses.
    response = client.post(
        reverse("applications:review_act", args=[permit.pk, "decide"]),
        {"outcome": "refused", "reasons": "施工图未经审查合格。"},
        follow=True,
        **EN,
    )
    assert "no signing authority" in text_of(response)
    # And the services refuse whoever calls them.
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.review_decide(review=permit, by=center.alice, now=NOW)
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.review_send_back(review=permit, by=center.alice, now=NOW, note="x")
    assert state_of(permit) == "signature" and not permit.documents.exists()


def test_another_departments_signer_neither_sees_nor_signs_it(client, center, permit):
    send(permit, center)
    client.force_login(center.carol)
    assert client.get(reverse("applications:review", args=[permit.pk])).status_code == 404
    assert client.post(reverse("applications:review_sign", args=[permit.pk])).status_code == 404
    back = reverse("applications:review_send_back", args=[permit.pk])
    assert client.post(back, {"back-note": "x"}).status_code == 404
    with pytest.raises(services.TransitionError, match="no signing authority"):
        services.review_decide(review=permit, by=center.carol, now=NOW)
    # A manager sees it and may not touch it.
    client.force_login(center.erin)
    assert client.post(reverse("applications:review_sign", args=[permit.pk])).status_code == 403
    assert client.post(back, {"back-note": "x"}).status_code == 403
    assert state_of(permit) == "signature" and not permit.documents.exists()


def test_a_signed_draft_is_signed_as_drafted(center, permit):
    send(permit, center)
    # A stale direct-decision form with another outcome: refused, nothing signed.
    with pytest.raises(services.TransitionError, match="sign it as drafted"):
        services.review_decide(
            review=permit, by=center.bob, now=NOW, outcome="granted", reasons="同意"
        )
    assert state_of(permit) == "signature"
    # A sign asked for where no draft waits: a message, not a decision.
    other = permit.application.reviews.get(item=center.planning_item)
    with pytest.raises(services.TransitionError, match="No draft"):
        services.review_decide(review=other, by=center.carol, now=NOW)


def test_a_signer_may_still_decide_directly(center, permit):
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    permit.refresh_from_db()
    assert permit.state == "decided" and not permit.signing_steps.exists()


# --- who can sign today, A/B cover ----------------------------------------------------------


def test_the_review_page_names_who_signs_today_and_who_covers_an_away_signer(
    client, center, permit, time_machine
):
    time_machine.move_to(aware(2026, 10, 9), tick=False)
    # bob (A) is away; alice is his B, and holds no authority of her own.
    Post.objects.create(
        window=center.construction_window, name="审批", holder_a=center.bob, holder_b=center.alice
    )
    Absence.objects.create(
        staff=center.bob,
        starts_on=dt.date(2026, 10, 8),
        ends_on=dt.date(2026, 10, 9),
        reason="leave",
    )
    client.force_login(center.alice)
    page = text_of(client.get(reverse("applications:review", args=[permit.pk]), **EN))
    assert "away today" in page
    assert "B backup Alice works the queue but holds no signing authority of their own" in page

    # A second head under a letter of her own, as B: she signs with her own authority.
    hana = make_staff(
        "hana", Role.WINDOW_HEAD, department=center.construction, window=center.construction_window
    )
    letter = AuthorizationLetter.objects.create(
        number="临建委〔2026〕2号",
        department=center.construction,
        delegating_official="王建国（局长）",
        window_head=hana,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    letter.items.set([center.permit])
    authority.sync_signing_authority(at=aware(2026, 10, 9))
    Post.objects.filter(holder_a=center.bob).update(holder_b=hana)
    roster = authority.signer_roster(center.permit, at=aware(2026, 10, 9))
    assert [(s.staff, s.away) for s in roster] == [(center.bob, True), (hana, False)]
    assert [(b.staff, b.signs) for b in roster[0].backups] == [(hana, True)]
    page = text_of(client.get(reverse("applications:review", args=[permit.pk]), **EN))
    assert "B backup Hana covers the post and signs with authority of their own" in page


# --- the timeline, the clock ----------------------------------------------------------------


def test_each_step_is_on_the_timeline_with_its_time(client, center, permit):
    send(permit, center)
    services.review_send_back(
        review=permit, by=center.bob, now=NOW + dt.timedelta(hours=1), note="请补充消防意见"
    )
    services.review_send_for_signature(
        review=permit,
        by=center.alice,
        now=NOW + dt.timedelta(hours=2),
        outcome="granted",
        text="",
        opinion="已补充",
    )
    services.review_decide(review=permit, by=center.bob, now=NOW + dt.timedelta(hours=3))
    events = [
        (e.at, e.who, e.what, e.detail)
        for e in timeline.events(permit.application)
        if e.what.startswith(center.permit.name)
    ]
    name = f"{center.permit.name}（建设局）"
    assert events == [
        (
            NOW,
            center.alice,
            f"{name}: Sent for signature",
            "to Bob; proposes: Refused; opinion: " + OPINION,
        ),
        (
            NOW + dt.timedelta(hours=1),
            center.bob,
            f"{name}: Sent back to the officer",
            "请补充消防意见",
        ),
        (
            NOW + dt.timedelta(hours=2),
            center.alice,
            f"{name}: Sent for signature",
            "to Bob; proposes: Granted; opinion: 已补充",
        ),
        (NOW + dt.timedelta(hours=3), center.bob, f"{name}: Signed", "as drafted: Granted"),
        (
            NOW + dt.timedelta(hours=3),
            center.bob,
            f"{name}: Decided",
            "Granted, decision 建设局许字〔2026〕第1号, "
            "signed under letter of authorization 临建委〔2026〕1号",
        ),
    ]
    client.force_login(center.alice)
    page = text_of(client.get(reverse("applications:review", args=[permit.pk]), **EN))
    assert "Sent back to the officer" in page and "请补充消防意见" in page


def test_the_sweep_still_cards_a_review_awaiting_signature(center, permit):
    send(permit, center)
    sweep_module.sweep(now=aware(2026, 10, 14, 9))
    assert Card.objects.filter(review=permit, level="red", deadline=dt.date(2026, 10, 13)).exists()


def test_running_states_are_one_definition():
    running = list(DepartmentReview.RUNNING_STATES)
    assert sweep_module.RUNNING is DepartmentReview.RUNNING_STATES
    assert "signature" in running and "suspended" not in running
    assert set(DepartmentReview.OPEN_STATES) == {*running, "suspended"}
    indexes = {i.name: i for i in DepartmentReview._meta.indexes}
    for name in ("review_running_deadline_idx", "review_running_statutory_idx"):
        assert sorted(indexes[name].condition.children[0][1]) == sorted(running)
    condition = indexes["review_open_idx"].condition
    assert sorted(condition.children[0][1]) == sorted(DepartmentReview.OPEN_STATES)


def test_the_status_page_says_the_decision_is_being_signed(center, permit):
    from applications.track import _item_label

    send(permit, center)
    permit.refresh_from_db()
    assert _item_label(permit) == "Decision being signed"


def test_a_withdrawal_reaches_a_review_awaiting_signature(center, permit):
    send(permit, center)
    services.application_withdraw(
        application=permit.application, by=center.dave, now=NOW, note="撤回"
    )
    assert state_of(permit) == "withdrawn"


# --- the leader's countersign ---------------------------------------------------------------


def test_the_countersign_list_and_the_leaders_home_show_the_lights(
    client, center, accepted, time_machine
):
    planning = accepted.reviews.get(item=center.planning_item)
    services.review_decide(review=planning, by=center.carol, now=NOW, outcome="granted", reasons="")
    # Planning is due Friday 16 October; on Monday 19 it is one working day late.
    time_machine.move_to(aware(2026, 10, 19), tick=False)
    client.force_login(center.frank)
    page = client.get(reverse("applications:countersign"), **EN).content.decode()
    assert '<tr class="light-red">' in page and "1 working day late" in page
    home = client.get(reverse("windows:my_department"), **EN).content.decode()
    waiting = home.index('data-testid="waiting-for-you"')
    assert waiting < home.index('class="figures"')  # first thing on the page
    assert reverse("applications:review", args=[planning.pk]) in home
    assert 'class="dot red"' in home
    # Nobody else is told to countersign on that page.
    client.force_login(center.mallory)
    page = client.get(reverse("windows:department", args=["fgj"])).content.decode()
    assert 'data-testid="waiting-for-you"' not in page


# --- two signers at once (PostgreSQL) -------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrency is tested on PostgreSQL (CI runs it)"
)
@pytest.mark.django_db(transaction=True)
def test_two_signers_signing_one_draft_at_once_make_one_decision(center, accepted):
    from .test_intake_concurrency import race

    hana = make_staff(
        "hana", Role.WINDOW_HEAD, department=center.construction, window=center.construction_window
    )
    letter = AuthorizationLetter.objects.create(
        number="临建委〔2026〕2号",
        department=center.construction,
        delegating_official="王建国（局长）",
        window_head=hana,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2026, 12, 31),
    )
    letter.items.set([center.permit])
    authority.sync_signing_authority(at=NOW)
    permit = accepted.reviews.get(item=center.permit)
    send(permit, center)
    signers = [center.bob, hana]
    errors = race(lambda i: services.review_decide(review=permit, by=signers[i], now=NOW), 2)
    assert len(errors) == 1 and isinstance(errors[0], services.TransitionError), errors
    permit.refresh_from_db()
    assert permit.state == "decided" and permit.signed_by in signers
    assert permit.documents.count() == 1
    assert permit.signing_steps.filter(kind="signed").count() == 1
    assert DepartmentReview.history.filter(id=permit.pk, state="decided").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_signing_steps_are_never_changed(center, permit):
    from django.db import DatabaseError, transaction

    step = send(permit, center)
    for change in (
        lambda: SigningStep.objects.filter(pk=step.pk).update(note="x"),
        lambda: SigningStep.objects.filter(pk=step.pk).delete(),
        lambda: step.sent_to.clear(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert SigningStep.objects.get(pk=step.pk).note == OPINION
