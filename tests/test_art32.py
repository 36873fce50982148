"""Art. 32: the one-time notice within 5 working days of receipt, once per submission; after
that the application counts as accepted from the day its materials were received."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from applications import services
from applications.models import Application, DepartmentReview, Document
from windows.workdays import WorkCalendar

from .conftest import NOW, aware, receive_all

# Received Monday 28 September 2026; the National Day holiday (1-7 October) does not count and
# Saturday 10 October is a working day: the five working days end on 10 October, not on
# 3 October as calendar days would have it.
NOTICE_DUE = dt.date(2026, 10, 10)
AFTER = aware(2026, 10, 12, 9)


@pytest.fixture(autouse=True)
def english():
    # The services' messages and reasons are asserted in English; pages are checked either way.
    with translation.override("en"):
        yield


def test_the_notice_window_counts_working_days_across_the_holiday(draft):
    assert draft.notice_due == NOTICE_DUE
    assert not draft.notice_lapsed(dt.date(2026, 10, 10))
    assert draft.notice_lapsed(dt.date(2026, 10, 12))


def test_a_notice_on_the_last_working_day_is_in_time(draft, center):
    services.application_notify_missing(
        application=draft, by=center.dave, now=aware(2026, 10, 10, 16)
    )
    draft.refresh_from_db()
    assert draft.state == Application.State.AWAITING_MATERIALS


def test_after_the_window_no_notice_can_be_issued(draft, center):
    with pytest.raises(services.TransitionError, match=r"Art\. 32"):
        services.application_notify_missing(application=draft, by=center.dave, now=AFTER)
    assert not Document.objects.filter(kind=Document.Kind.MISSING_MATERIALS).exists()
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT


def test_after_the_window_it_cannot_be_refused_either(draft, center):
    with pytest.raises(services.TransitionError, match=r"Art\. 32"):
        services.application_refuse(
            application=draft, by=center.dave, now=AFTER, reasons="材料不全"
        )
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT


@pytest.mark.usefixtures("seals")
def test_accepted_late_its_clock_runs_from_the_day_of_receipt(draft, center):
    # Nothing was checked: what is missing is asked for during the review, not at the counter.
    application = services.application_accept(application=draft, by=center.dave, now=AFTER)
    assert application.deemed_accepted
    calendar = WorkCalendar.load()
    for review in application.reviews.all():
        assert review.started_on == dt.date(2026, 9, 28)
        assert (
            review.deadline
            == calendar.add_working_days(dt.date(2026, 9, 28), review.promised_days).end
        )
        assert review.clock.get().on == dt.date(2026, 9, 28)
    assert "Art. 32" in application.promised_reason
    history = application.history.filter(state="in_review").get()
    assert history.history_change_reason == "Accepted as of receipt (Art. 32)"


@pytest.mark.usefixtures("seals")
def test_accepted_in_time_its_clock_runs_from_acceptance(draft, center):
    receive_all(draft, center.dave)
    day = aware(2026, 10, 9)
    application = services.application_accept(application=draft, by=center.dave, now=day)
    assert not application.deemed_accepted
    assert {r.started_on for r in application.reviews.all()} == {dt.date(2026, 10, 9)}


def test_a_second_notice_for_the_same_submission_is_refused(draft, center):
    services.application_notify_missing(application=draft, by=center.dave, now=NOW)
    with pytest.raises(services.TransitionError, match="already given"):
        services.application_notify_missing(application=draft, by=center.dave, now=NOW)
    assert Document.objects.filter(kind=Document.Kind.MISSING_MATERIALS).count() == 1


def test_the_applicants_new_submission_restarts_the_window(draft, center):
    services.application_notify_missing(application=draft, by=center.dave, now=NOW)
    back = aware(2026, 10, 14, 10)  # Wednesday
    services.application_reopen(application=draft, by=center.dave, now=back)
    draft.refresh_from_db()
    assert draft.state == Application.State.DRAFT
    assert draft.notice_due == dt.date(2026, 10, 21)
    assert draft.submission_received_on == dt.date(2026, 10, 14)
    # A new notice for the new submission is allowed within its own window ...
    services.application_notify_missing(application=draft, by=center.dave, now=back)
    services.application_reopen(application=draft, by=center.dave, now=aware(2026, 10, 15))
    # ... and once it passes, acceptance counts from the new submission's receipt.
    late = aware(2026, 10, 30)
    application = services.application_accept(application=draft, by=center.dave, now=late)
    assert application.deemed_accepted
    assert {r.started_on for r in application.reviews.all()} == {dt.date(2026, 10, 15)}


def test_the_clerk_cannot_notify_after_the_window_by_a_forged_post(draft, center, client):
    client.force_login(center.dave)
    with time_machine.travel(AFTER, tick=False):
        response = client.post(
            reverse("applications:act", args=[draft.pk, "notify"]), {"note": ""}, follow=True
        )
        page = response.content.decode()
    assert response.status_code == 200
    assert "Art. 32" in page or "第三十二条" in page or "第32条" in page
    assert not Document.objects.filter(kind=Document.Kind.MISSING_MATERIALS).exists()


def test_the_page_offers_only_acceptance_after_the_window(draft, center, client):
    client.force_login(center.dave)
    url = reverse("applications:detail", args=[draft.pk])
    with time_machine.travel(AFTER, tick=False):
        page = client.get(url).content.decode()
    assert reverse("applications:act", args=[draft.pk, "notify"]) not in page
    assert reverse("applications:act", args=[draft.pk, "refuse"]) not in page
    assert reverse("applications:act", args=[draft.pk, "accept"]) in page
    with time_machine.travel(aware(2026, 10, 9), tick=False):
        page = client.get(url).content.decode()
    assert reverse("applications:act", args=[draft.pk, "notify"]) in page


def test_the_warning_before_the_window_closes_counts_working_days(draft, center, client):
    # 8 October is a Thursday with 9 and 10 October (an adjusted Saturday) left: within the
    # 2-working-day margin. On 30 September, calendar days would still be far away, and the
    # holiday makes the working days far away too.
    client.force_login(center.dave)
    url = reverse("applications:detail", args=[draft.pk])
    with time_machine.travel(aware(2026, 10, 8), tick=False):
        assert 'class="notice warn" role="status"' in client.get(url).content.decode()
    with time_machine.travel(aware(2026, 9, 30), tick=False):
        assert 'class="notice warn" role="status"' not in client.get(url).content.decode()


@pytest.mark.usefixtures("seals")
def test_the_slip_and_timeline_say_accepted_as_of_receipt(draft, center, client):
    from applications import documents, timeline

    application = services.application_accept(application=draft, by=center.dave, now=AFTER)
    slip = application.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    html = documents.render_html(slip)
    assert "第三十二条" in html and "2026年9月28日" in html
    details = " ".join(e.detail for e in timeline.events(application))
    assert "Art. 32" in details
    assert DepartmentReview.objects.filter(application=application).count() == 2
