"""The visitor's follow page (the ticket's QR code): who may look, and how often.

A follow key is 22 random characters, so it cannot be guessed; still, an address that tries
many unknown keys is refused for a while (`HALL_FOLLOW_MISS_LIMIT` per
`HALL_FOLLOW_WINDOW_SECONDS`), in the shared cache as the status page does
(`applications.track`). Only misses count: the phones of a whole hall share one address behind
its Wi-Fi and each refreshes its page every 15 seconds. While an address is refused, known keys
are refused too, so the answer says nothing about a key. The cache down: the page stays open.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)


def _key(address: str, now: float) -> tuple[str, int]:
    window = settings.HALL_FOLLOW_WINDOW_SECONDS
    start = int(now // window) * window
    try:
        ip = ipaddress.ip_address(address)
        if ip.version == 6 and ip.ipv4_mapped:
            address = str(ip.ipv4_mapped)
        elif ip.version == 6:  # one customer's block
            address = str(ipaddress.ip_network(f"{ip}/64", strict=False))
    except ValueError:
        address = address or "unknown"
    digest = hashlib.sha256(address.encode()).hexdigest()[:24]
    return f"hall-follow:{digest}:{start}", max(1, int(start + window - now))


def refused(address: str, *, now: float | None = None) -> int:
    """Seconds until this address may look again (0: it may now)."""
    key, retry_after = _key(address, time.time() if now is None else now)
    try:
        misses = cache.get(key, 0)
    except Exception:
        log.exception("follow page: the rate-limit cache is not answering; lookup allowed")
        return 0
    return retry_after if misses >= settings.HALL_FOLLOW_MISS_LIMIT else 0


def count_miss(address: str, *, now: float | None = None) -> None:
    key, _retry = _key(address, time.time() if now is None else now)
    timeout = settings.HALL_FOLLOW_WINDOW_SECONDS + 60
    try:
        cache.add(key, 0, timeout=timeout)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
    except Exception:
        log.exception("follow page: the rate-limit cache is not answering; miss not counted")
