"""The local test receiver: the platform's stand-in for development, the demo and the tests.

It checks the signature and the timestamp's window as the platform would (`signing.verify`),
stores each event once by its idempotency key and answers 200 to a second delivery of a key
without a new row (counting the delivery). Off unless `OUTBOX_RECEIVER_ENABLED` (404).
"""

from __future__ import annotations

import json
import time
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import signing
from .models import ReceivedEvent


@csrf_exempt  # a machine's POST, authenticated by its signature
@require_POST
def receive(request: HttpRequest) -> HttpResponse:
    if not settings.OUTBOX_RECEIVER_ENABLED:
        raise Http404
    body = request.body
    signed = signing.verify(
        settings.OUTBOX_SHARED_SECRET,
        request.headers.get(signing.TIMESTAMP_HEADER, ""),
        body,
        request.headers.get(signing.SIGNATURE_HEADER, ""),
        now=time.time(),
        window=settings.OUTBOX_RECEIVER_WINDOW_SECONDS,
    )
    if not signed:
        return JsonResponse({"error": "bad signature or timestamp"}, status=403)
    try:
        event = json.loads(body)
        key = str(uuid.UUID(request.headers.get(signing.KEY_HEADER, "")))
        if key != event["id"]:
            raise ValueError("the idempotency key is not the event's")
        row = ReceivedEvent(
            key=key, kind=str(event["kind"])[:12], payload=event, received_at=timezone.now()
        )
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "not an event"}, status=400)
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:  # this key again: taken already, nothing new
        ReceivedEvent.objects.filter(key=key).update(deliveries=F("deliveries") + 1)
        return JsonResponse({"status": "duplicate"})
    return JsonResponse({"status": "stored"})
