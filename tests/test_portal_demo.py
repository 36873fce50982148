"""The demo lets a visitor try the applicant's side: its mobile number (docs/portal.md, README)
signs in with the code the log gateway shows in development, and lists applications to open,
one of them delivered and not rated."""

import logging
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from applications.models import Application
from portal.demo import DEMO_MOBILE


@pytest.fixture
def demo(seeded_demo):
    return seeded_demo  # seeded once per run (tests/demo_once.py)


def test_the_demo_mobile_signs_in_and_sees_applications(demo, settings, caplog):
    assert f"sign in with {DEMO_MOBILE}" in demo
    mine = Application.objects.filter(applicant__mobile=DEMO_MOBILE)
    assert mine.count() >= 3
    assert mine.filter(state="delivered", rating__isnull=True).exists()
    assert mine.filter(reviews__state="suspended").exists()
    # As in `make run`: DEBUG on, the log gateway writes the code to the terminal.
    settings.DEBUG = True
    settings.SMS_GATEWAY = "applications.notifications.LogSmsGateway"
    client = Client()
    with caplog.at_level(logging.INFO, logger="applications.notifications"):
        client.post(reverse("portal:sign_in"), {"mobile": DEMO_MOBILE})
    logged = "\n".join(r.getMessage() for r in caplog.records if DEMO_MOBILE in r.getMessage())
    code = re.search(r"(?<![0-9])([0-9]{6})(?![0-9])", logged).group(1)
    assert client.post(reverse("portal:code"), {"code": code}).status_code == 302
    page = client.get(reverse("portal:applications")).content.decode()
    for application in mine[:3]:
        assert (application.receipt_number or "") in page
    # The seed runs once: a second run leaves the number where it is.
    call_command("seed_demo")
    assert Application.objects.filter(applicant__mobile=DEMO_MOBILE).count() == mine.count()


def test_the_demo_has_online_filings_for_the_clerk(demo, settings):
    """A draft of the demo person's, one filed online waiting for pre-review, one with its
    one-time notice outstanding: the demo clerk sees the online list; a second seed adds none."""
    from portal.models import Filing
    from windows.models import Staff
    from windows.roles import Role

    assert f"online filings of {DEMO_MOBILE}" in demo
    filings = Filing.objects.filter(account__mobile=DEMO_MOBILE)
    assert filings.filter(submitted_at__isnull=True).count() == 1
    assert filings.get(submitted_at__isnull=True).files.count() == 1
    online = Application.objects.filter(applicant__mobile=DEMO_MOBILE, channel="online")
    assert sorted(online.values_list("state", flat=True)) == ["awaiting_materials", "draft"]
    waiting = online.get(state="draft")
    assert waiting.scans.filter(uploaded_online=True).exists()
    noticed = online.get(state="awaiting_materials")
    assert noticed.materials.filter(status="missing").exclude(note="").count() == 1
    clerk = Staff.objects.filter(groups__name=Role.INTAKE_CLERK).order_by("username").first()
    client = Client()
    client.force_login(clerk)
    page = client.get(reverse("applications:intake")).content.decode()
    online_list = page.split('id="online"', 1)[1].split("</section>", 1)[0]
    assert reverse("applications:detail", args=[waiting.pk]) in online_list
    call_command("seed_demo")
    assert Filing.objects.filter(account__mobile=DEMO_MOBILE).count() == filings.count() == 3
    assert online.count() == 2
