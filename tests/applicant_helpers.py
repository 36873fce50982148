"""What the tests of the applicant's side share: an application taken to delivery through the
services. (Each test's cache of its own is in conftest.py.)"""

from __future__ import annotations

import re

from applications import services
from applications.models import Application, Notification

from .conftest import NOW


def decide_all(application: Application, center, now=NOW) -> None:
    permit = application.reviews.get(item=center.permit)
    planning = application.reviews.get(item=center.planning_item)
    services.review_decide(review=permit, by=center.bob, now=now, outcome="granted", reasons="")
    services.review_decide(review=planning, by=center.carol, now=now, outcome="granted", reasons="")
    services.review_countersign(review=planning, by=center.frank, now=now)


def take_to_delivery(application: Application, center, now=NOW) -> Application:
    decide_all(application, center, now)
    for review in application.reviews.all():
        services.review_return(review=review, by=center.alice, now=now)
        services.review_receive(review=review, by=center.dave, now=now)
    application.refresh_from_db()
    return services.application_deliver(application=application, by=center.dave, now=now)


def rating_key(application: Application) -> str:
    """The one-time rating key, read where the applicant reads it: the DELIVERED SMS."""
    sms = application.notifications.get(event=Notification.Event.DELIVERED, channel="sms")
    return re.search(r"/track/rate/([^/\s]+)/", sms.text).group(1)
