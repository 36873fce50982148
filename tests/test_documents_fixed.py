# ruff: noqa: F811  (the fixtures of tests/test_documents.py, imported, are parameters here)
"""A document is a record: its bytes are fixed at issue, and a reprint is identical.

What a document prints is written down when it is issued (`Document.content`); the first print
stores the PDF and its SHA-256 (`PrintedDocument`) and every later print serves those bytes,
whatever happened to the review, the people or the catalog since.
"""

from __future__ import annotations

import hashlib
import logging

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from applications import documents, services
from applications.models import Document, PrintedDocument

from .conftest import aware, extend
from .test_documents import (  # noqa: F401  (the fixtures of the printed documents)
    accepted,
    media,
    pdf_text,
    people,
    review_of,
    seals,
)


def download(client, document: Document):
    response = client.get(reverse("applications:document", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response


def stop(accepted, people) -> Document:
    return services.review_stop(
        review=review_of(accepted, people.permit),
        by=people.alice,
        now=aware(2026, 9, 30, 15),
        cause="supplements",
        days_needed=5,
        reason="请补充施工合同及监理合同。",
    )


def decide(accepted, people, item, *, by) -> Document:
    when = aware(2026, 10, 12, 10)
    review = review_of(accepted, item)
    if review.state == "suspended":
        services.review_resume(review=review, by=people.alice, now=when)
        review.refresh_from_db()
    return services.review_decide(
        review=review, by=by, now=when, outcome="granted", reasons="经审查，符合要求。"
    )


# --- two downloads, one set of bytes ------------------------------------------------------


def test_two_downloads_give_the_same_bytes_and_their_sha256(accepted, people, client):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    client.force_login(people.dave)
    first, second = download(client, slip), download(client, slip)

    assert first.content == second.content
    digest = hashlib.sha256(first.content).hexdigest()
    assert first["X-Document-SHA256"] == second["X-Document-SHA256"] == digest
    stored = PrintedDocument.objects.get(document=slip)
    assert stored.sha256 == digest and bytes(stored.pdf) == first.content
    assert stored.pages == 1


def test_the_content_is_written_at_issue(accepted, people):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    assert slip.content["application"]["receipt_number"] == accepted.receipt_number
    assert slip.content["access_code"] == accepted.access_code
    assert [line["window"] for line in slip.content["reviews"]] == ["A02", "A05", "A05"]
    assert slip.content["seal"]["number"] == "3301850000A01"  # the intake window's
    notice = stop(accepted, people)
    assert notice.content["review"]["window"] == {"number": "A05"}
    assert notice.content["event"]["days"] == 5
    assert "decision" not in notice.content


def test_a_notice_first_printed_after_the_decision_shows_it_as_issued(
    accepted, people, client, tmp_path
):
    """The bug this fixes: a supplements notice printed after the decision showed the decision's
    signer block with an empty authority and no date."""
    notice = stop(accepted, people)
    decide(accepted, people, people.permit, by=people.bob)
    client.force_login(people.dave)

    text = pdf_text(download(client, notice).content, tmp_path)
    assert "补正材料通知书" in text
    assert "签发人" not in text and "签发权限" not in text
    assert "2026年9月30日" in text  # signed off on the day it was issued
    assert "2026年10月12日" not in text  # the decision's day is not the notice's


def test_reprints_after_the_decision_and_a_new_signer_are_unchanged(accepted, people, client):
    client.force_login(people.dave)
    supplements = stop(accepted, people)
    before = download(client, supplements).content
    extension = extend(
        review_of(accepted, people.design_review),
        by=people.alice,
        approved_by=people.bob,
        now=aware(2026, 10, 9, 16),
        days=5,
        reason="需会同有关部门现场踏勘。",
    )
    extension_before = download(client, extension).content

    decide(accepted, people, people.permit, by=people.bob)
    # The signer changes name and title; the window's department is renamed.
    people.bob.full_name, people.bob.title = "赵新名", "新职务"
    people.bob.save(update_fields=["full_name", "title"])
    people.construction.name = "临安市住房和城乡建设局（新）"
    people.construction.save(update_fields=["name"])
    # The design review is stopped, so its deadline moves after the extension's notice.
    services.review_stop(
        review=review_of(accepted, people.design_review),
        by=people.alice,
        now=aware(2026, 10, 13, 10),
        cause="expert_review",
        days_needed=10,
        reason="专家论证。",
    )

    assert download(client, supplements).content == before
    assert download(client, extension).content == extension_before


def test_a_notice_first_printed_after_the_deadline_moved_keeps_the_deadline_of_its_issue(
    accepted, people, tmp_path
):
    review = review_of(accepted, people.permit)
    notice = extend(
        review,
        by=people.alice,
        approved_by=people.bob,
        now=aware(2026, 10, 9, 16),
        days=5,
        reason="需会同有关部门现场踏勘。",
    )
    review.refresh_from_db()
    at_issue = review.deadline
    services.review_stop(
        review=review,
        by=people.alice,
        now=aware(2026, 10, 12, 10),
        cause="hearing",
        days_needed=10,
        reason="听证。",
    )
    services.review_resume(review=review, by=people.alice, now=aware(2026, 10, 23, 10))
    review.refresh_from_db()
    assert review.deadline > at_issue  # the hearing moved it

    pdf, record = documents.printed(notice, now=timezone.now())
    text = pdf_text(pdf, tmp_path)
    assert f"延长后办结期限{at_issue.year}年{at_issue.month}月{at_issue.day}日" in text
    assert f"{review.deadline.month}月{review.deadline.day}日" not in text
    assert record is not None


def test_a_decision_is_fixed_once_countersigned_not_before(accepted, people, client, tmp_path):
    client.force_login(people.dave)
    decision = decide(accepted, people, people.planning_item, by=people.carol)
    waiting = download(client, decision)
    assert "X-Document-SHA256" not in waiting
    assert not PrintedDocument.objects.filter(document=decision).exists()
    assert "会签后生效" in pdf_text(waiting.content, tmp_path)

    services.review_countersign(
        review=review_of(accepted, people.planning_item),
        by=people.frank,
        now=aware(2026, 10, 14, 9),
    )
    signed = download(client, decision)
    text = pdf_text(signed.content, tmp_path)
    assert "李振华" in text and "2026年10月14日" in text and "会签后生效" not in text
    assert signed["X-Document-SHA256"] == PrintedDocument.objects.get(document=decision).sha256
    assert download(client, decision).content == signed.content


def test_a_document_issued_before_its_content_was_kept_is_fixed_at_its_next_print(
    accepted, people, client
):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    if connection.vendor == "postgresql":
        pytest.skip("documents are append-only on PostgreSQL: an old row cannot be made here")
    Document.objects.filter(pk=slip.pk).update(content=None)  # as issued by the old code
    client.force_login(people.dave)
    first = download(client, slip).content
    accepted.applicant.name = "改名以后的公司"
    accepted.applicant.save(update_fields=["name"])
    assert download(client, slip).content == first


# --- where the SHA-256 shows ----------------------------------------------------------------


def test_the_application_page_shows_each_printed_documents_sha256(accepted, people, client):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    client.force_login(people.dave)
    url = reverse("applications:detail", args=[accepted.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "fixed at its first print" in page
    digest = download(client, slip)["X-Document-SHA256"]
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert digest in page and "SHA-256 of the issued PDF" in page


def test_the_print_log_carries_the_sha256(accepted, people, client, caplog):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    client.force_login(people.dave)
    with caplog.at_level(logging.INFO, logger="audit.documents"):
        digest = download(client, slip)["X-Document-SHA256"]
        download(client, slip)
    lines = [r.getMessage() for r in caplog.records if r.name == "audit.documents"]
    assert len(lines) == 2 and all(f"sha256={digest}" in line for line in lines)


def test_a_document_list_never_loads_the_bytes(accepted, people, client):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    client.force_login(people.dave)
    download(client, slip)
    listed = accepted.documents.listed().get(pk=slip.pk)
    assert listed.sha256 == PrintedDocument.objects.get(document=slip).sha256
    assert "pdf" not in str(accepted.documents.listed().query).lower().replace("pdf_", "")


# --- the cost at issue ------------------------------------------------------------------------


def test_the_content_of_a_decision_costs_a_few_queries(
    accepted, people, django_assert_max_num_queries
):
    review = review_of(accepted, people.permit)
    services.review_decide(
        review=review, by=people.bob, now=aware(2026, 10, 12, 10), outcome="granted", reasons=""
    )
    decision = review.documents.get()
    decision.content = None
    with django_assert_max_num_queries(3):  # application, review, intake window
        content = documents.snapshot(decision)
    assert content["decision"]["signed_by"]["name"] == "赵建明"


# --- getting around it ----------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_stored_bytes_and_content_cannot_be_replaced(accepted, people, client):
    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    client.force_login(people.dave)
    first = download(client, slip).content
    for action in (
        lambda: PrintedDocument.objects.filter(document=slip).update(pdf=b"%PDF-forged"),
        lambda: PrintedDocument.objects.filter(document=slip).delete(),
        lambda: Document.objects.filter(pk=slip.pk).update(content={}),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            action()
    assert download(client, slip).content == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="races are run on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_first_prints_at_once_store_one_record_and_serve_its_bytes(accepted):
    from .test_intake_concurrency import race

    slip = accepted.documents.get(kind=Document.Kind.COMMITMENT_SLIP)
    served: list[bytes] = [b"", b""]

    def first_print(i: int) -> None:
        served[i] = documents.printed(Document.objects.get(pk=slip.pk), now=timezone.now())[0]

    assert race(first_print, 2) == []
    stored = PrintedDocument.objects.get(document=slip)
    assert served[0] == served[1] == bytes(stored.pdf)
