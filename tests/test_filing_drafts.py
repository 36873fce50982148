"""An online draft is the applicant's to delete, with its files; drafts left for
`PORTAL_DRAFT_KEEP_DAYS` are removed by the nightly task (portal/services.py, docs/filing.md).
Someone else's draft and a submitted filing cannot be deleted."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from applications.models import Application
from applications.services import TransitionError
from portal import services as filing
from portal import tasks
from portal.models import Filing, FilingFile

from .conftest import NOW
from .portal_helpers import SENT, person, sign_in
from .test_filing import MOBILE, OTHER, start, upload_all


@pytest.fixture(autouse=True)
def setup(settings, time_machine, tmp_path):
    SENT.clear()
    settings.SMS_GATEWAY = "tests.portal_helpers.RecordingGateway"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.CLAMD_SOCKET = settings.CLAMD_HOST = ""
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def me(center, calendar, materials, seals):
    return person(MOBILE, 1)


def on_disk(stored: FilingFile) -> str:
    return stored.file.path


def test_the_applicant_deletes_their_draft_with_its_files(
    me, center, django_capture_on_commit_callbacks
):
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    upload_all(client, draft)
    paths = [on_disk(f) for f in draft.files.all()]
    assert len(paths) == 1 and all(os.path.exists(p) for p in paths)
    page = client.get(reverse("portal:filing", args=[draft.pk])).content.decode()
    assert reverse("portal:filing_delete", args=[draft.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):  # the files go once committed
        response = client.post(reverse("portal:filing_delete", args=[draft.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("portal:applications")
    assert not Filing.objects.exists() and not FilingFile.objects.exists()
    assert not any(os.path.exists(p) for p in paths)
    assert not Application.objects.exists()
    # Gone: its page, its files and a second delete are the 404 of what never was.
    assert client.get(reverse("portal:filing", args=[draft.pk])).status_code == 404
    assert client.post(reverse("portal:filing_delete", args=[draft.pk])).status_code == 404


def test_no_one_deletes_anothers_draft(me, center):
    client = sign_in(MOBILE)
    mine = start(client, me, center.design_review)
    upload_all(client, mine)
    other = person(OTHER, 2)
    theirs = sign_in(OTHER)
    start(theirs, other, center.design_review)  # they have a draft of their own
    response = theirs.post(reverse("portal:filing_delete", args=[mine.pk]))
    assert response.status_code == 404
    assert Filing.objects.filter(pk=mine.pk).exists() and mine.files.count() == 1
    assert all(os.path.exists(on_disk(f)) for f in mine.files.all())


def test_a_submitted_filing_is_not_deletable(me, center):
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    upload_all(client, draft)
    client.post(reverse("portal:filing_submit", args=[draft.pk]))
    draft.refresh_from_db()
    application = draft.application
    assert application is not None
    response = client.post(reverse("portal:filing_delete", args=[draft.pk]))
    assert response.status_code == 404
    with pytest.raises(TransitionError):
        filing.filing_delete(filing=draft, now=NOW)
    assert Filing.objects.filter(pk=draft.pk).exists()
    assert Application.objects.filter(pk=application.pk).exists()
    assert application.scans.count() == 1


def test_staff_and_strangers_cannot_delete_a_draft(me, center, client):
    draft = start(sign_in(MOBILE), me, center.design_review)
    assert client.post(reverse("portal:filing_delete", args=[draft.pk])).status_code == 302
    client.force_login(center.dave)
    assert client.post(reverse("portal:filing_delete", args=[draft.pk])).status_code == 403
    assert Filing.objects.filter(pk=draft.pk).exists()


def test_abandoned_drafts_are_removed_with_their_files(
    me, center, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.PORTAL_DRAFT_KEEP_DAYS = 90
    client = sign_in(MOBILE)
    old = start(client, me, center.design_review)
    upload_all(client, old)
    old_paths = [on_disk(f) for f in old.files.all()]
    touched = start(client, me, center.design_review)  # started long ago, a file uploaded lately
    submitted = start(client, me, center.design_review)
    upload_all(client, submitted)
    client.post(reverse("portal:filing_submit", args=[submitted.pk]))

    time_machine.move_to(NOW + dt.timedelta(days=60), tick=False)
    client = sign_in(MOBILE)
    upload_all(client, touched)
    fresh = start(client, me, center.design_review)

    # Not yet: 89 days after the old one was started.
    time_machine.move_to(NOW + dt.timedelta(days=89), tick=False)
    assert filing.drafts_forget(now=NOW + dt.timedelta(days=89)) == 0
    later = NOW + dt.timedelta(days=91)
    time_machine.move_to(later, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.forget_old_drafts()  # the nightly task, as beat runs it
    left = set(Filing.objects.values_list("pk", flat=True))
    assert left == {touched.pk, submitted.pk, fresh.pk}
    assert not any(os.path.exists(p) for p in old_paths)
    assert touched.files.count() == 1
    assert filing.drafts_forget(now=later) == 0  # idempotent
    # The submitted one stays for good; the touched one goes 90 days after its upload.
    assert filing.drafts_forget(now=NOW + dt.timedelta(days=151)) == 2
    assert set(Filing.objects.values_list("pk", flat=True)) == {submitted.pk}


def test_the_task_is_scheduled():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert any(e["task"] == "portal.tasks.forget_old_drafts" for e in schedule.values())


def test_art_32_runs_from_the_online_submission_not_the_draft(me, center, time_machine):
    """A draft started on Monday 21 September and submitted on Monday 28 September: the five
    working days of Art. 32 run from the submission (to 10 October across the National Day
    holiday). After them the window cannot give the notice (nor refuse); accepted, the clock
    runs from the day of the submission."""
    import datetime as dt_

    from django.utils import translation

    from applications import services as counter
    from windows import authority

    from .conftest import aware

    time_machine.move_to(aware(2026, 9, 21, 10), tick=False)
    client = sign_in(MOBILE)
    draft = start(client, me, center.design_review)
    upload_all(client, draft)
    time_machine.move_to(NOW, tick=False)  # Monday 28 September, 10:00
    client = sign_in(MOBILE)
    client.post(reverse("portal:filing_submit", args=[draft.pk]))
    application = Application.objects.get()
    assert application.received_at == NOW and application.notice_due == dt_.date(2026, 10, 10)
    assert not application.notice_lapsed(dt_.date(2026, 10, 10))
    after = aware(2026, 10, 12, 9)
    line = application.materials.get()
    with translation.override("en"), pytest.raises(TransitionError, match=r"Art\. 32"):
        counter.application_notify_missing_with_checklist(
            application=application,
            lines={line.pk: {"status": "missing", "note": "不清晰"}},
            by=center.dave,
            now=after,
        )
    application.refresh_from_db()
    assert application.state == "draft"
    authority.sync_signing_authority(at=after)
    accepted = counter.application_accept(application=application, by=center.dave, now=after)
    assert accepted.deemed_accepted
    assert {review.started_on for review in accepted.reviews.all()} == {dt_.date(2026, 9, 28)}
