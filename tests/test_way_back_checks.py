"""The way back's steps check who acts by the service's own lock or change (no read of their
own): a review outside those the person acts on at their window changes nothing and answers as
the check did (404 unseen, 403 another window's), a review in another state says so; and on
PostgreSQL the application's one-statement save writes the history simple-history would."""

from __future__ import annotations

import pytest
from django.db import connection

from applications import services
from applications.models import Application, DepartmentReview
from windows import authority
from windows.roles import Role

from .conftest import NOW, make_staff, sent

pytestmark = pytest.mark.django_db


@pytest.fixture
def permit(center, accepted):
    authority.sync_signing_authority(at=NOW)
    return accepted.reviews.get(item=center.permit)


def states(application) -> dict[int, str]:
    return dict(application.reviews.values_list("pk", "state"))


def test_a_colleague_at_another_window_of_the_department_may_not_decide_or_return(
    client, center, accepted, permit
):
    other_window = center.construction_window.__class__.objects.create(
        number="Z09", name="其他窗口", department=center.construction
    )
    colleague = make_staff("zed", Role.WINDOW_OFFICER, department=center.construction)
    colleague.window = other_window
    colleague.save()
    client.force_login(colleague)
    before = states(accepted)
    decide = client.post(f"/reviews/{permit.pk}/decide/", {"outcome": "granted", "reasons": ""})
    assert decide.status_code == 403
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    before = states(accepted)
    assert client.post(f"/reviews/{permit.pk}/return/").status_code == 403
    assert states(accepted) == before


def test_a_review_that_does_not_exist_answers_404_on_every_step(client, center, permit):
    missing = DepartmentReview.objects.order_by("-pk").first().pk + 1000
    client.force_login(center.bob)
    assert client.post(f"/reviews/{missing}/decide/", {"outcome": "granted"}).status_code == 404
    assert client.post(f"/reviews/{missing}/decide/", {"outcome": "nonsense"}).status_code == 404
    assert client.post(f"/reviews/{missing}/return/").status_code == 404
    client.force_login(center.dave)
    assert client.post(f"/reviews/{missing}/receive/").status_code == 404


def test_returning_or_receiving_a_review_in_another_state_says_so_and_changes_nothing(
    client, center, accepted, permit
):
    client.force_login(center.bob)
    before = states(accepted)
    response = client.post(f"/reviews/{permit.pk}/return/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "the page you acted on was out of date" in response.content.decode()
    client.force_login(center.dave)
    response = client.post(f"/reviews/{permit.pk}/receive/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "the page you acted on was out of date" in response.content.decode()
    assert states(accepted) == before
    assert permit.history.count() == DepartmentReview.history.filter(id=permit.pk).count()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's one-statement save")
def test_the_applications_one_statement_save_writes_its_items_history_as_simple_history(
    center, accepted
):
    before = accepted.history.count()
    items = sorted(accepted.items.values_list("pk", flat=True))
    accepted.closing_note = "备注"
    services._save(accepted, ["closing_note"], center.dave, "理由", at=NOW)
    row = accepted.history.order_by("-history_id").first()
    assert accepted.history.count() == before + 1
    assert (row.history_type, row.history_user_id, row.history_date) == ("~", center.dave.pk, NOW)
    assert (row.history_change_reason, row.closing_note) == ("理由", "备注")
    assert row.state == accepted.state and row.receipt_number == accepted.receipt_number
    assert sorted(row.items.values_list("item_id", flat=True)) == items
    assert Application.objects.get(pk=accepted.pk).closing_note == "备注"


def test_the_rule_on_the_row_is_the_rule_of_the_query_for_every_person_and_review(
    center, accepted, permit
):
    """`access.acts_at_window` (asked of a locked review) and `access.reviews_at_window` (the
    query) are one rule in two forms: equal for every person of the center and every review."""
    from applications import access
    from windows.models import Staff

    reviews = list(DepartmentReview.objects.all())
    people = list(Staff.objects.all())
    assert len(reviews) >= 2 and len(people) >= 8
    for person in people:
        person = Staff.objects.get(pk=person.pk)  # roles read as the middleware reads them
        queried = set(access.reviews_at_window(person).values_list("pk", flat=True))
        on_row = {r.pk for r in reviews if access.acts_at_window(person, r)}
        assert on_row == queried, person
    assert any(access.acts_at_window(p, permit) for p in people)


def test_the_basis_read_with_the_decisions_lock_is_the_signing_basis_for_everyone(
    center, accepted, permit
):
    """`authority.basis_read_along` (read with the review's lock) and `authority.signing_basis`
    are one rule: equal for every person and review, before a letter, under it, after it, and
    once it is revoked."""
    import datetime as dt

    from windows.models import AuthorizationLetter, Staff

    def key(basis):
        if basis is None:
            return None
        return (basis.posting_id, basis.posting_ref, basis.letter_id, basis.letter_number)

    reviews = list(DepartmentReview.objects.select_related("item"))
    people = list(Staff.objects.all())
    moments = [NOW - dt.timedelta(days=400), NOW, NOW + dt.timedelta(days=400)]
    some = 0
    for revoked in (False, True):
        if revoked:
            for letter in AuthorizationLetter.objects.all():
                authority.letter_revoke(letter=letter, by=center.admin, reason="测试", at=NOW)
        for at in moments:
            for person in people:
                for review in reviews:
                    read = services._decision_lock(review.pk, person, at)
                    alone = authority.signing_basis(person, review.item, at=at)
                    assert key(read.basis) == key(alone), (person, review.item, at, revoked)
                    some += alone is not None
    assert some, "the test center signs something"


def _history_of(row) -> dict:
    kept = {"history_id", "id", "name"}
    return {
        f.attname: getattr(row, f.attname)
        for f in type(row)._meta.concrete_fields
        if f.attname not in kept
    }


def test_a_new_row_and_a_change_of_many_in_one_statement_write_what_simple_history_writes(
    center, monkeypatch
):
    """`insert_with_history` and `change_with_history` (for the apps built on this one, such
    as a licence issued and the earlier ones it supersedes) write the rows and history rows
    simple-history's own saves write, in one statement each on PostgreSQL."""
    from django.test.utils import CaptureQueriesContext

    from windows.models import Material

    monkeypatch.setattr(services, "_ONE_STATEMENT_MODELS", {Material})
    plain = Material(name="对照材料", description="说明")
    plain._history_user, plain._history_date, plain._change_reason = center.admin, NOW, "理由"
    plain.save()
    fast = Material(name="一句写入的材料", description="说明")
    with CaptureQueriesContext(connection) as captured:
        services.insert_with_history(fast, center.admin, "理由", at=NOW)
    assert len(sent(captured)) == (1 if connection.vendor == "postgresql" else 2)
    assert fast.pk and not fast._state.adding
    assert Material.objects.get(pk=fast.pk).description == "说明"
    made = fast.history.get()
    assert made.history_type == "+"
    assert _history_of(made) == _history_of(plain.history.get())

    with CaptureQueriesContext(connection) as captured:
        changed = services.change_with_history(
            Material.objects.filter(pk__in=[plain.pk, fast.pk]),
            {"description": "改了"},
            center.admin,
            at=NOW,
            reason="再改",
        )
    assert changed == 2
    if connection.vendor == "postgresql":
        assert len(sent(captured)) == 1
    for material in (plain, fast):
        last = material.history.order_by("-history_id").first()
        assert (last.history_type, last.description) == ("~", "改了")
        assert last.history_change_reason == "再改"
        assert last.history_user_id == center.admin.pk and last.history_date == NOW
    assert (
        services.change_with_history(
            Material.objects.filter(pk=-1), {"description": "无"}, None, at=NOW
        )
        == 0
    )


def test_a_new_row_and_the_change_it_makes_in_one_statement(center, monkeypatch):
    """`insert_and_change_with_history` (a licence and the earlier ones it supersedes): the new
    row with its `+` history, the others changed with their `~` history, the new row never
    among them; one statement on PostgreSQL once the key is taken."""
    from django.test.utils import CaptureQueriesContext

    from windows.models import Material

    monkeypatch.setattr(services, "_ONE_STATEMENT_MODELS", {Material})
    older = [Material.objects.create(name=f"旧材料{i}", description="旧") for i in range(2)]
    new = Material(name="新材料", description="旧")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", ["windows_material"])
            new.pk = cursor.fetchone()[0]
    with CaptureQueriesContext(connection) as captured:
        changed = services.insert_and_change_with_history(
            new,
            Material.objects.filter(description="旧"),
            {"description": "换了"},
            center.admin,
            at=NOW,
            reason="换新",
        )
    assert changed == 2
    if connection.vendor == "postgresql":
        assert len(sent(captured)) == 1
    made = Material.objects.get(pk=new.pk)
    assert made.description == "旧" and not new._state.adding
    (history,) = made.history.all()
    assert (history.history_type, history.history_change_reason) == ("+", "换新")
    for material in older:
        material.refresh_from_db()
        assert material.description == "换了"
        last = material.history.order_by("-history_id").first()
        assert (last.history_type, last.description, last.history_change_reason) == (
            "~",
            "换了",
            "换新",
        )
        assert last.history_user_id == center.admin.pk and last.history_date == NOW
