"""What the tests of the applicant's side (/my/) share: a gateway that keeps the SMS, signing
in through the pages, and a second applicant with an application of their own."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

from applications import services
from applications.models import Applicant, Project
from applications.validators import id_check_char

from .conftest import NOW, accept

SENT: list[tuple[str, str]] = []


class RecordingGateway:
    def send_sms(self, phone: str, text: str, *, reference: str) -> None:
        SENT.append((phone, text))


class BrokenGateway:
    def send_sms(self, phone: str, text: str, *, reference: str) -> None:
        raise ConnectionError("gateway down")


def last_code(mobile: str) -> str:
    text = [text for phone, text in SENT if phone == mobile][-1]
    return re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", text).group(1)


def ask_code(client: Client, mobile: str, address: str = "203.0.113.7"):
    return client.post(reverse("portal:sign_in"), {"mobile": mobile}, REMOTE_ADDR=address)


def sign_in(mobile: str, address: str = "203.0.113.7") -> Client:
    client = Client()
    response = ask_code(client, mobile, address)
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(reverse("portal:code"), {"code": last_code(mobile)}, REMOTE_ADDR=address)
    assert response.status_code == 302 and response["Location"] == reverse("portal:applications")
    return client


def person(mobile: str, n: int = 1) -> Applicant:
    first17 = f"33018519800101{100 + n:03d}"
    return Applicant.objects.create(
        kind="person",
        name=f"王{n}",
        id_number=first17 + id_check_char(first17),
        contact_name=f"王{n}",
        mobile=mobile,
    )


def accepted_for(applicant: Applicant, center, n: int = 1):
    """An application of `applicant` accepted at the counter (the calendar, materials and seals
    of the `accepted` fixture must be there)."""
    project = Project.objects.create(
        applicant=applicant,
        code=f"2026-330185-47-01-{200000 + n}",
        name=f"项目{n}",
        location="临安区",
        total_investment="100.00",
        land_area="100.00",
        description="厂房",
    )
    draft = services.application_create(
        applicant=applicant,
        project=project,
        by=center.dave,
        now=NOW,
        items=[center.permit, center.planning_item],
    )
    return accept(draft, center)
