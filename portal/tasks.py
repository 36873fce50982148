import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import Session, SignInCode, SignInMessage
from .services import drafts_forget

log = logging.getLogger("audit.portal")


def sign_ins_forget(*, now: dt.datetime) -> int:
    """Codes, their SMS and ended sessions are kept `PORTAL_RECORD_DAYS` (who asked for a code
    or signed in, from where: the record of an abuse), then deleted. Idempotent."""
    before = now - dt.timedelta(days=settings.PORTAL_RECORD_DAYS)
    removed = SignInCode.objects.filter(created_at__lt=before).delete()[0]
    removed += SignInMessage.objects.filter(created_at__lt=before).delete()[0]
    removed += Session.objects.filter(expires_at__lt=before).delete()[0]
    return removed


@shared_task
def forget_old_sign_ins() -> None:
    log.info("portal: %d old sign-in records removed", sign_ins_forget(now=timezone.now()))


@shared_task
def forget_old_drafts() -> None:
    """Online drafts abandoned `PORTAL_DRAFT_KEEP_DAYS` (90) removed with their files."""
    log.info("portal: %d abandoned drafts removed", drafts_forget(now=timezone.now()))
