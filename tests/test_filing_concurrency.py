"""Online filing under concurrent requests, on PostgreSQL: a draft submitted by several
requests at once makes one application (its lock), and supplements sent twice at once reopen
the application once."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from applications import services
from applications.models import Application
from portal import services as filing
from portal.models import Account

from .conftest import NOW
from .portal_helpers import person
from .test_portal_concurrency import together

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency on PostgreSQL (CI)"),
    pytest.mark.django_db(transaction=True),
]
MOBILE = "13911110001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_a_draft_submitted_at_once_makes_one_application(center, calendar, materials):
    me = person(MOBILE, 1)
    account = Account.objects.create(mobile=MOBILE, created_at=NOW, last_signed_in_at=NOW)
    draft = filing.filing_start(
        account=account, applicant=me, project=None, items=[center.design_review], now=NOW
    )
    material = filing.filing_materials(draft)[0]
    filing.filing_upload(
        filing=draft,
        material=material,
        upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
        now=NOW,
    )
    submit = lambda d=draft: filing.filing_submit(filing=d, now=NOW)  # noqa: E731
    assert together(submit, submit, submit) == ["done", "refused", "refused"]
    application = Application.objects.get()
    assert application.scans.count() == 1
    # And the supplements' sending, twice at once: one reopening.
    line = application.materials.get()
    services.checklist_update(
        application=application,
        lines={line.pk: {"status": "missing", "note": "不清晰"}},
        by=center.dave,
        now=NOW,
    )
    services.application_notify_missing(application=application, by=center.dave, now=NOW)
    later = NOW.replace(hour=11)
    filing.supplement_upload(
        account=account,
        application=Application.objects.get(),
        line=line,
        upload=SimpleUploadedFile("b.pdf", PDF, content_type="application/pdf"),
        now=later,
    )
    send = lambda: filing.supplements_send(  # noqa: E731
        account=account, application=Application.objects.get(), now=later
    )
    assert together(send, send) == ["done", "refused"]
    assert Application.objects.get().state == "draft"


def test_a_draft_deleted_while_it_is_submitted_is_one_or_the_other(center, calendar, materials):
    """Deleting a draft (another tab, or the nightly sweep) while it is submitted: one wins,
    never an application without its draft's files nor a draft deleted under an application."""
    from portal.models import Filing

    me = person(MOBILE, 1)
    account = Account.objects.create(mobile=MOBILE, created_at=NOW, last_signed_in_at=NOW)
    for _ in range(3):
        draft = filing.filing_start(
            account=account, applicant=me, project=None, items=[center.design_review], now=NOW
        )
        filing.filing_upload(
            filing=draft,
            material=filing.filing_materials(draft)[0],
            upload=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
            now=NOW,
        )
        submit = lambda d=draft: filing.filing_submit(filing=d, now=NOW)  # noqa: E731
        delete = lambda d=draft: filing.filing_delete(filing=d, now=NOW)  # noqa: E731
        assert together(submit, delete) == ["done", "refused"]
        submitted = Application.objects.filter(filing__pk=draft.pk).exists()
        assert submitted == Filing.objects.filter(pk=draft.pk).exists()
        if submitted:
            assert Application.objects.get(filing__pk=draft.pk).scans.count() == 1
