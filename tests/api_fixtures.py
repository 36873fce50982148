"""The API's test data: a delivered application (decided, its licence issued), one in review,
and clients made through the administrators' service."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client as Browser
from django.utils import timezone

from api.clients import client_register
from api.models import Client, Scope
from applications.models import Application
from licences.models import LicensedItem

from .applicant_helpers import take_to_delivery
from .conftest import accept, add_draft

ALL_SCOPES = list(Scope.values)


@dataclass
class ApiData:
    center: object
    delivered: Application
    in_review: Application


def build_api_data(center, applicant, project) -> ApiData:
    LicensedItem.objects.create(item=center.permit, valid_years=3)
    delivered = take_to_delivery(
        accept(add_draft(center, applicant, project), center), center, now=timezone.now()
    )
    in_review = accept(add_draft(center, applicant, project), center)
    return ApiData(center, delivered, in_review)


@pytest.fixture
def api_data(center, calendar, materials, applicant, project, seals) -> ApiData:
    return build_api_data(center, applicant, project)


def make_client(center, scopes=ALL_SCOPES, departments=(), rate_limit=1000, name="省平台"):
    return client_register(
        name=name,
        scopes=scopes,
        departments=departments,
        rate_limit=rate_limit,
        by=center.admin,
        now=timezone.now(),
    )


def caller(token: str) -> Browser:
    return Browser(HTTP_AUTHORIZATION=f"Bearer {token}")


__all__ = ["ALL_SCOPES", "ApiData", "Client", "api_data", "caller", "make_client"]
