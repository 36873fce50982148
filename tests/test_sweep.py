"""The deadline sweep with the clock set across the National Day break of 2026.

The permit review of the `accepted` application is due Tuesday 13 October (7 working days from
Monday 28 September, 1–7 October off, Saturday 10 October worked); the planning review and the
application's promise are due Friday 16 October. The warning margin is 2 working days.
"""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from applications import services
from supervision.models import Card
from supervision.sweep import sweep

from .conftest import NOW, aware, extend


def cards(**filters):
    return sorted(Card.objects.filter(**filters).values_list("level", "deadline"))


@pytest.fixture
def permit(accepted, center):
    review = accepted.reviews.get(item=center.permit)
    assert review.deadline == dt.date(2026, 10, 13)
    return review


def test_no_card_while_far_from_the_deadline(permit):
    assert sweep(now=aware(2026, 9, 30)).written == 0
    assert sweep(now=aware(2026, 10, 1)).written == 0  # a holiday: 2 working days reach 9 Oct


def test_yellow_on_the_right_working_day(permit):
    # Friday 9 October: two working days ahead are Saturday 10 and Monday 12: not yet.
    sweep(now=aware(2026, 10, 9, 17))
    assert cards(review=permit) == []
    # Saturday 10 October is a working day: 12 and 13 October are within two working days.
    sweep(now=aware(2026, 10, 10, 9))
    assert cards(review=permit) == [("yellow", dt.date(2026, 10, 13))]


def test_red_the_day_after_the_deadline_not_before(permit):
    sweep(now=aware(2026, 10, 13, 23))
    assert ("red", dt.date(2026, 10, 13)) not in cards(review=permit)
    sweep(now=aware(2026, 10, 14, 0))
    assert ("red", dt.date(2026, 10, 13)) in cards(review=permit)


def test_a_stopped_clock_gets_no_card(permit, center):
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 12, 9),
        cause="expert_review",
        days_needed=10,
        reason="专家评审",
    )
    result = sweep(now=aware(2026, 10, 20))
    assert cards(review=permit) == []
    # Nor does its application, while one of its reviews is stopped.
    assert result.application_red == [] and cards(review=None) == []


def test_an_extension_moves_the_card(permit, center):
    extend(
        permit,
        by=center.alice,
        approved_by=center.bob,
        now=aware(2026, 10, 12, 9),
        days=5,
        reason="需现场核查",
    )
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 20)
    sweep(now=aware(2026, 10, 14))
    assert ("red", dt.date(2026, 10, 13)) not in cards(review=permit)
    sweep(now=aware(2026, 10, 21))
    assert ("red", dt.date(2026, 10, 20)) in cards(review=permit)


def test_the_application_gets_its_own_cards(accepted):
    sweep(now=aware(2026, 10, 17, 9))
    assert cards(application=accepted, review=None) == [("red", dt.date(2026, 10, 16))]


def test_finished_reviews_get_no_card(permit, center):
    services.review_decide(review=permit, by=center.bob, now=NOW, outcome="granted", reasons="")
    services.review_return(review=permit, by=center.bob, now=NOW)
    services.review_receive(review=permit, by=center.dave, now=NOW)
    sweep(now=aware(2026, 10, 20))
    assert cards(review=permit) == []


def test_sweeping_twice_writes_each_card_once(permit):
    first = sweep(now=aware(2026, 10, 20))
    assert first.written == 3  # two reviews and the application, red
    assert sweep(now=aware(2026, 10, 20, 13)).written == 0
    assert Card.objects.count() == 3


def test_the_command_prints_what_it_wrote(permit, capsys, time_machine):
    time_machine.move_to(aware(2026, 10, 20), tick=False)
    call_command("sweep_deadlines")
    assert capsys.readouterr().out.strip() == ("reviews: 2 red; applications: 1 red")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency on PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_write_each_card_once(permit):
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            sweep(now=aware(2026, 10, 20))
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Card.objects.count() == 3


def test_a_new_red_card_tells_the_officer_and_the_head_once(permit, center, caplog):
    from supervision.models import StaffNotice
    from supervision.notices import notify_red_cards

    services.review_claim(review=permit, by=center.alice, now=NOW)
    result = sweep(now=aware(2026, 10, 14))
    card_ids = result.review_red
    assert len(card_ids) == 1
    with caplog.at_level("INFO", logger="applications.notifications"):
        assert notify_red_cards(card_ids, now=aware(2026, 10, 14)) == 2
        assert notify_red_cards(card_ids, now=aware(2026, 10, 14, 1)) == 0  # delivered twice
    notices = StaffNotice.objects.filter(card_id__in=card_ids)
    assert sorted(n.staff.username for n in notices) == ["alice", "bob"]
    assert sum("Red card" in r.message or "红牌" in r.message for r in caplog.records) == 2


def test_the_sweep_command_tells_the_window_after_commit(
    permit, center, time_machine, django_capture_on_commit_callbacks
):
    from supervision.models import StaffNotice

    time_machine.move_to(aware(2026, 10, 14), tick=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        call_command("sweep_deadlines")
    assert not StaffNotice.objects.exists()  # nothing before the commit
    for callback in callbacks:
        callback()  # the task runs eagerly in the tests (conftest)
    assert StaffNotice.objects.filter(staff=center.bob).count() == 1


def test_the_badge_and_the_notices_page(client, permit, center):
    from supervision.notices import notify_red_cards

    notify_red_cards(sweep(now=aware(2026, 10, 14)).review_red, now=aware(2026, 10, 14))
    client.force_login(center.bob)
    page = client.get("/reviews/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 new notice" in page
    response = client.get("/supervision/notices/", HTTP_ACCEPT_LANGUAGE="en")
    assert "红牌" in response.content.decode()  # written in the center's language
    client.post("/supervision/notices/")
    assert "new notice" not in client.get("/reviews/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


# --- the sweep reads only what crossed a line or changed since its last run ----------------


def test_a_later_sweep_reads_only_what_changed(permit):
    assert sweep(now=aware(2026, 10, 9, 9)).full  # the first sweep reads everything
    later = sweep(now=aware(2026, 10, 10, 9))
    assert not later.full
    assert cards(review=permit) == [("yellow", dt.date(2026, 10, 13))]


def test_days_without_a_sweep_are_caught_up(permit):
    sweep(now=aware(2026, 10, 2))
    # No sweep ran from 2 to 20 October: the yellow line and the red line were both crossed.
    result = sweep(now=aware(2026, 10, 20))
    assert not result.full
    assert ("red", dt.date(2026, 10, 13)) in cards(review=permit)


def test_a_resumed_clock_is_judged_by_the_next_sweep(permit, center):
    # Stopped on Monday 12 October with one working day left (13 October).
    services.review_stop(
        review=permit,
        by=center.alice,
        now=aware(2026, 10, 12, 9),
        cause="supplements",
        days_needed=5,
        reason="补正",
    )
    sweep(now=aware(2026, 10, 12, 10))
    sweep(now=aware(2026, 10, 16, 9))  # the warning now reaches Tuesday 20 October
    assert cards(review=permit) == []  # stopped: no card though the old deadline passed
    services.review_resume(review=permit, by=center.alice, now=aware(2026, 10, 19, 9))
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 20)
    # 20 October lies inside what the last sweep had already reached: only the changed
    # clock brings the review back to the sweep.
    result = sweep(now=aware(2026, 10, 19, 10))
    assert not result.full
    assert cards(review=permit) == [("yellow", dt.date(2026, 10, 20))]


def test_a_change_committed_during_the_last_sweep_is_not_missed(permit, center):
    sweep(now=aware(2026, 10, 9, 10))
    # An extension stamped just before that sweep, committed after it had read the ledger.
    extend(
        permit,
        by=center.alice,
        approved_by=center.bob,
        now=aware(2026, 10, 9, 9),
        days=1,
        reason="补充核查",
    )
    permit.refresh_from_db()
    assert permit.deadline == dt.date(2026, 10, 14)
    assert not sweep(now=aware(2026, 10, 9, 10) + dt.timedelta(minutes=5)).full
    # 14 October is beyond two working days of Friday 9th: no card yet, but the clock was read.
    sweep(now=aware(2026, 10, 12, 9))
    assert cards(review=permit) == [("yellow", dt.date(2026, 10, 14))]


def test_an_extension_moves_the_application_due_date_not_the_printed_promise(
    permit, accepted, center
):
    extend(
        permit,
        by=center.alice,
        approved_by=center.bob,
        now=aware(2026, 10, 12, 9),
        days=10,
        reason="需现场核查",
    )
    accepted.refresh_from_db()
    assert accepted.promised_date == dt.date(2026, 10, 16)
    assert accepted.due_date == dt.date(2026, 10, 27)
    sweep(now=aware(2026, 10, 20))
    assert cards(application=accepted, review=None) == []
    sweep(now=aware(2026, 10, 28))
    assert cards(application=accepted, review=None) == [("red", dt.date(2026, 10, 27))]


def test_a_clock_set_back_makes_a_full_sweep(permit):
    sweep(now=aware(2026, 10, 20))
    assert sweep(now=aware(2026, 10, 14)).full


def test_a_deadline_that_crossed_while_its_clock_changed_gets_one_card(permit, center):
    from applications.models import ClockEvent

    sweep(now=aware(2026, 10, 13, 17))  # the mark: the permit is due today, yellow already
    # The permit's clock changed just before midnight; its deadline then crossed the red line:
    # both ways of finding it find it, and it is written once.
    ClockEvent.objects.create(
        review=permit,
        kind="extend",
        at=aware(2026, 10, 13, 23),
        on=dt.date(2026, 10, 13),
        days=0,
        by=center.bob,
    )
    result = sweep(now=aware(2026, 10, 14, 0))
    assert result.review_red == [Card.objects.get(review=permit, level="red").pk]
    assert cards(review=permit) == [
        ("red", dt.date(2026, 10, 13)),
        ("yellow", dt.date(2026, 10, 13)),
    ]
