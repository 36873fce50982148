"""Ratings (好差评): only after delivery, only once, only through the one-time link sent to the
applicant at the hand-over (never from a staff session); the two lowest levels
open a follow-up due in 15 working days that a center manager closes with a note."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from applications import ratings, services
from applications.models import FollowUp, Rating, RatingToken

from .applicant_helpers import rating_key, take_to_delivery
from .conftest import NOW, aware

TRACK = reverse("applications:track")


def rate_url(key: str) -> str:
    return reverse("applications:track_rate", args=[key])


@pytest.fixture(autouse=True)
def clock(time_machine):
    # The hand-over happens at NOW; the applicant opens the link an hour later.
    time_machine.move_to(NOW + dt.timedelta(hours=1), tick=False)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def delivered(accepted, center):
    return take_to_delivery(accepted, center)


@pytest.fixture
def key(delivered):
    return rating_key(delivered)


def look_up(client, application):
    response = client.post(
        TRACK, {"number": application.receipt_number, "code": application.access_code}
    )
    assert response.status_code == 302


def test_only_a_delivered_application_can_be_rated(accepted, center, client):
    # No key before the hand-over: nothing to rate with.
    assert not RatingToken.objects.exists()
    with pytest.raises(services.TransitionError, match="rating link is not valid"):
        ratings.rating_submit(token="made-up", level=5, comment="", now=NOW)
    look_up(client, accepted)
    page = client.get(TRACK).content.decode()
    assert 'name="level"' not in page  # no form before delivery
    assert not Rating.objects.exists()


def test_the_status_page_points_to_the_link_and_offers_no_form(delivered, client):
    look_up(client, delivered)
    page = client.get(TRACK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="level"' not in page
    assert "the link to rate our service was sent to you by SMS" in page


def test_a_delivered_application_is_rated_once_through_its_link(delivered, key, client):
    url = rate_url(key)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Rate our service" in page and 'name="level"' in page
    assert delivered.receipt_number in page
    response = client.post(
        url, {"level": 4, "comment": "很快"}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert "Thank you for your rating." in page
    assert "Your rating" in page and 'name="level"' not in page
    rating = Rating.objects.get()
    assert (rating.application_id, rating.level, rating.comment) == (delivered.pk, 4, "很快")
    assert not FollowUp.objects.exists()  # a good rating needs no follow-up
    assert RatingToken.objects.get().used_at == rating.rated_at  # the key is consumed
    # A second rating, by the page or by the service, changes nothing.
    response = client.post(url, {"level": 1}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This application has already been rated. Thank you." in response.content.decode()
    with (
        translation.override("en"),
        pytest.raises(services.TransitionError, match="already been rated"),
    ):
        ratings.rating_submit(token=key, level=1, comment="", now=NOW)
    assert Rating.objects.get().level == 4 and Rating.history.count() == 1


def test_a_rating_needs_a_valid_link_and_a_level(delivered, key, client):
    response = client.post(rate_url("x" * 32), {"level": 5}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This rating link is not valid." in response.content.decode()
    url = rate_url(key)
    response = client.post(url, {"comment": "x" * 501}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert "Choose one of the five levels." in page
    assert "Ensure this value has at most 500 characters" in page
    response = client.post(url, {"level": 9}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Select a valid choice." in response.content.decode()
    assert not Rating.objects.exists()
    assert RatingToken.objects.get().used_at is None


def test_an_expired_link_rates_nothing(delivered, key, client, time_machine):
    time_machine.move_to(NOW + dt.timedelta(days=ratings.RATING_LINK_DAYS, seconds=1), tick=False)
    response = client.post(rate_url(key), {"level": 5}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "This rating link has expired" in response.content.decode()
    assert not Rating.objects.exists()


def test_a_staff_session_cannot_rate_even_with_the_link(delivered, key, center, client):
    for who in (center.dave, center.alice, center.erin):
        client.force_login(who)
        assert client.get(rate_url(key)).status_code == 403
        response = client.post(rate_url(key), {"level": 5}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 403
        assert "A rating counts only when it comes from the applicant." in (
            response.content.decode()
        )
    assert not Rating.objects.exists()
    assert RatingToken.objects.get().used_at is None


def test_the_key_is_stored_only_as_its_digest_and_shown_to_no_staff(delivered, key, center, client):
    token = RatingToken.objects.get(application=delivered)
    assert key not in token.digest and len(token.digest) == 64
    assert token.expires_at == NOW + dt.timedelta(days=ratings.RATING_LINK_DAYS)
    for who in (center.dave, center.alice, center.erin, center.carol):
        client.force_login(who)
        for name in ("applications:detail", "applications:timeline"):
            page = client.get(reverse(name, args=[delivered.pk])).content.decode()
            assert key not in page
            assert "/track/rate/****" in page  # the message is listed, its key masked


def test_a_poor_rating_opens_a_follow_up_due_in_fifteen_working_days(delivered):
    rating = ratings.rating_submit(
        token=rating_key(delivered), level=2, comment="窗口让我跑了三趟", now=NOW
    )
    followup = rating.followup
    # From Monday 28 September 2026: 29, 30 Sep; 1–7 October are National Day; 8, 9, Saturday
    # 10 (worked), 12–16, 19–23 October: the fifteenth working day is Friday 23 October.
    assert followup.due == dt.date(2026, 10, 23)
    assert followup.state == "open" and not followup.due_provisional
    assert list(ratings.open_followups()) == [followup]


def test_only_a_center_manager_closes_a_follow_up_with_a_note(delivered, center, client):
    followup = ratings.rating_submit(
        token=rating_key(delivered), level=1, comment="", now=NOW
    ).followup
    url = reverse("applications:followup", args=[followup.pk])
    with pytest.raises(services.TransitionError, match="Only a center manager"):
        ratings.followup_close(followup=followup, by=center.dave, note="done", now=NOW)
    client.force_login(center.dave)
    assert client.get(url).status_code == 403
    assert client.get(reverse("applications:followups")).status_code == 403

    client.force_login(center.erin)
    page = client.get(reverse("applications:followups"), HTTP_ACCEPT_LANGUAGE="en")
    assert delivered.receipt_number in page.content.decode()
    response = client.post(url, {"note": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This field is required." in response.content.decode()
    assert FollowUp.objects.get().state == "open"
    response = client.post(url, {"note": "已电话回访，窗口已整改"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    followup.refresh_from_db()
    assert followup.state == "closed" and followup.closed_by == center.erin
    assert followup.note == "已电话回访，窗口已整改"
    history = list(followup.history.order_by("history_date", "history_id"))
    assert [(h.state, h.history_user) for h in history] == [
        ("open", None),
        ("closed", center.erin),
    ]
    with (
        translation.override("en"),
        pytest.raises(services.TransitionError, match="already been closed"),
    ):
        ratings.followup_close(followup=followup, by=center.erin, note="again", now=NOW)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "已电话回访，窗口已整改" in page and "Close the follow-up" not in page
    assert list(ratings.open_followups()) == []


def test_open_follow_ups_list_the_worst_then_the_oldest(center, calendar, accepted, client):
    made = []
    for level, day in ((2, 1), (1, 3), (2, 2), (1, 2)):
        rating = Rating.objects.create(
            application=accepted if not made else _another_delivered(center, len(made)),
            level=level,
            rated_at=aware(2026, 9, day),
        )
        made.append(
            FollowUp.objects.create(
                rating=rating, opened_at=rating.rated_at, due=dt.date(2026, 9, 30)
            )
        )
    ordered = list(ratings.open_followups())
    assert [(f.rating.level, f.opened_at.day) for f in ordered] == [(1, 2), (1, 3), (2, 1), (2, 2)]
    html = render_to_string("applications/_followups.html", {"followups": ratings.open_followups()})
    assert html.count('href="/followups/') == 8  # due date and number link to each
    assert html.index(f"/followups/{made[3].pk}/") < html.index(f"/followups/{made[0].pk}/")


def _another_delivered(center, n):
    from applications.models import Applicant

    applicant = Applicant.objects.create(
        kind="person",
        name=f"申请人{n}",
        id_number=f"1101051949123100{n}X"[:18],
        contact_name="某",
        mobile="13900000000",
    )
    return services.application_create(
        applicant=applicant, project=None, items=[center.design_review], by=center.dave, now=NOW
    )


def test_ratings_count_for_every_department_of_the_application(delivered, center):
    ratings.rating_submit(token=rating_key(delivered), level=2, comment="", now=NOW)
    figures = ratings.department_ratings(dt.date(2026, 9, 1), dt.date(2026, 9, 30))
    assert figures == {
        center.construction.pk: {"count": 1, "average": 2.0, "poor": 1},
        center.planning.pk: {"count": 1, "average": 2.0, "poor": 1},
    }
    assert ratings.department_ratings(dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == {}
    assert ratings.window_ratings(dt.date(2026, 9, 28), dt.date(2026, 9, 28)) == {
        center.construction_window.pk: {"count": 1, "average": 2.0, "poor": 1},
        center.planning_window.pk: {"count": 1, "average": 2.0, "poor": 1},
    }


def test_staff_see_the_rating_on_the_application_and_its_timeline(delivered, center, client):
    rating = ratings.rating_submit(token=rating_key(delivered), level=1, comment="太慢", now=NOW)
    client.force_login(center.dave)
    page = client.get(
        reverse("applications:detail", args=[delivered.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Very dissatisfied" in page and "太慢" in page
    assert reverse("applications:followup", args=[rating.followup.pk]) in page
    timeline = client.get(
        reverse("applications:timeline", args=[delivered.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Rated by the applicant: Very dissatisfied" in timeline


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency on PostgreSQL (CI)")
@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_make_one(delivered):
    barrier = threading.Barrier(2)
    outcomes = []
    key = rating_key(delivered)

    def rate(level):
        try:
            barrier.wait()
            ratings.rating_submit(token=key, level=level, comment="", now=NOW)
            outcomes.append("rated")
        except services.TransitionError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rate, args=(level,)) for level in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["rated", "refused"]
    assert Rating.objects.count() == 1 and Rating.history.count() == 1
    assert FollowUp.objects.count() == (1 if Rating.objects.get().level == 1 else 0)
