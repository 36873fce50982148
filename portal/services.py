"""What a signed-in applicant changes: `<entity>_<action>(*, …, now)` as elsewhere."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applications.models import Applicant
from applications.services import TransitionError
from applications.validators import validate_uscc

from .models import Account, Agency
from .signin import masked_mobile

log = logging.getLogger("audit.portal")


def company_bind(*, account: Account, credit_code: str, now: dt.datetime) -> Applicant:
    """Bind the company with this unified social credit code to the person, as its agent: only
    if the center's record of the company has the person's number as its contact mobile. An
    unknown company and a company of another contact get the same refusal (no one learns which
    companies have applied). Raises ValidationError for a malformed code, TransitionError for a
    refusal."""
    code = "".join(credit_code.split()).upper()
    validate_uscc(code)
    company = Applicant.objects.filter(kind=Applicant.Kind.ENTERPRISE, id_number=code).first()
    if company is None or company.mobile != account.mobile:
        log.info("portal company refused mobile=%s code=%s", masked_mobile(account.mobile), code)
        raise TransitionError(
            _(
                "The center's record of this company does not list your mobile number as its "
                "contact, so you cannot act for it here. Ask the comprehensive window to register "
                "you as the company's agent (bring the company's letter of authorization and "
                "your ID card)."
            )
        )
    try:
        with transaction.atomic():
            Agency.objects.get_or_create(
                account=account, applicant=company, defaults={"bound_at": now}
            )
    except IntegrityError:  # bound by another request at the same moment
        pass
    log.info("portal company bound mobile=%s code=%s", masked_mobile(account.mobile), code)
    return company
