"""Telling the window about new red cards: the officer on the review and the window's head,
in the app and through the pluggable sender, once each."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from approval_center.celery import delay_or_log
from windows.models import Staff
from windows.roles import Role

from .models import Card, StaffNotice


def queue_red_cards(card_ids: list[int]) -> None:
    """After the sweep commits, hand the new red cards to a task (or do it here without one)."""
    if not card_ids:
        return

    def send() -> None:
        from .tasks import notify_red_cards

        if not delay_or_log(
            notify_red_cards, card_ids, what="red-card notices; notifying in process"
        ):
            notify_red_cards(card_ids)  # the broker down: tell them now rather than never

    transaction.on_commit(send)


def notify_red_cards(card_ids: list[int], *, now: dt.datetime) -> int:
    """Write one notice per card and person; send the ones this call wrote. Returns how many."""
    cards = Card.objects.filter(pk__in=card_ids, level=Card.Level.RED, review__isnull=False)
    cards = cards.select_related("review__item", "review__window", "application")
    heads = {}
    for head in Staff.objects.filter(
        groups__name=Role.WINDOW_HEAD, is_active=True, window__isnull=False
    ):
        heads.setdefault(head.window_id, []).append(head)
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for card in cards:
            review = card.review
            text = _(
                "Red card: application %(number)s, %(item)s at window %(window)s was due "
                "%(date)s and is overdue."
            ) % {
                "number": card.application.receipt_number,
                "item": review.item.name,
                "window": review.window.number,
                "date": date_format(card.deadline, "DATE_FORMAT"),
            }
            people = {p.pk: p for p in heads.get(review.window_id, [])}
            if review.officer_id:
                people.setdefault(review.officer_id, review.officer)
            rows += [
                StaffNotice(card=card, staff=person, text=text, created_at=now)
                for person in people.values()
            ]
    StaffNotice.objects.bulk_create(rows, ignore_conflicts=True)
    sender = import_string(settings.NOTIFICATION_SENDER)()
    sent = 0
    for notice in StaffNotice.objects.filter(
        card_id__in=card_ids, sent_at__isnull=True
    ).select_related("staff"):
        # Claim before sending: a second delivery of the task finds nothing left to send.
        if StaffNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(sent_at=now):
            sender.send(notice)
            sent += 1
    return sent
