"""The visitor's follow page (the ticket's QR code): who may look, and how often.

A follow key is 22 random characters, so it cannot be guessed; still, an address that tries
many unknown keys is refused for a while (`HALL_FOLLOW_MISS_LIMIT` per
`HALL_FOLLOW_WINDOW_SECONDS`), in the shared cache as the status page does
(`applications.track`). Only misses count: the phones of a whole hall share one address behind
its Wi-Fi and each refreshes its page every 15 seconds. While an address is refused, known keys
are refused too, so the answer says nothing about a key. The cache down: the page stays open.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from applications.track import FixedWindow, address_bucket, fixed_window, window_hit

log = logging.getLogger(__name__)


def _window(address: str, now: float | None) -> FixedWindow:
    return fixed_window(
        "hall-follow", address_bucket(address), settings.HALL_FOLLOW_WINDOW_SECONDS, now=now
    )


def refused(address: str, *, now: float | None = None) -> int:
    """Seconds until this address may look again (0: it may now)."""
    window = _window(address, now)
    try:
        misses = cache.get(window.key, 0)
    except Exception:
        log.exception("follow page: the rate-limit cache is not answering; lookup allowed")
        return 0
    return window.retry_after if misses >= settings.HALL_FOLLOW_MISS_LIMIT else 0


def count_miss(address: str, *, now: float | None = None) -> None:
    try:
        window_hit(_window(address, now))
    except Exception:
        log.exception("follow page: the rate-limit cache is not answering; miss not counted")
