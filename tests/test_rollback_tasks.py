"""Work is queued after commit: a change that rolls back sends nothing, one that commits sends
its messages once."""

from unittest import mock

import pytest
from django.db import transaction

from applications import services
from applications.models import Notification

from .conftest import NOW, receive_all

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


def test_a_task_sent_inside_a_transaction_that_rolls_back_never_runs(center, draft, seals):
    receive_all(draft, center.dave)
    with mock.patch("applications.notifications.deliver", autospec=True) as deliver:
        with pytest.raises(Rollback), transaction.atomic():
            services.application_accept(application=draft, by=center.dave, now=NOW)
            assert Notification.objects.count() == 2  # SMS and e-mail, written in the change
            raise Rollback
        assert deliver.call_count == 0
        assert not Notification.objects.exists()
        draft.refresh_from_db()
        assert draft.state == "draft" and not draft.receipt_number

        # The same change committed: each message is delivered once, after the commit.
        services.application_accept(application=draft, by=center.dave, now=NOW)
        sent = sorted(call.args[0] for call in deliver.call_args_list)
        assert sent == sorted(Notification.objects.values_list("pk", flat=True))
        assert len(sent) == 2
